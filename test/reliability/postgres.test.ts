/**
 * Exactly once and recovery in seconds, with real processes on a Postgres cluster of the test's own
 * (initdb + pg_ctl on a free port; never the machine's shared server): a Postgres restart in the
 * middle of an ingest, two ingests and two queue workers on one database, and a worker killed with
 * SIGKILL in the middle of a call. Runs in the Postgres pass of the suite.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { ffmpeg, sample, tempDir } from '../helpers/audio.js'
import { testDbKind } from '../helpers/db.js'
import {
  startThrowawayPostgres,
  type ThrowawayPostgres,
  throwawayPostgresAvailable,
} from '../helpers/throwaway-postgres.js'

const root = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..')
const bin = path.join(root, 'bin', 'callqa.js')
const samples = path.join(root, 'samples', 'calls')
const tmp = tempDir()

interface Run {
  child: ChildProcess
  log: () => string
  exited: Promise<number | null>
}

function callqa(env: Record<string, string>, ...args: string[]): Run {
  const full: NodeJS.ProcessEnv = { ...process.env, CALLQA_WORKERS: '2', ...env }
  const child = spawn(process.execPath, [bin, ...args], { env: full, cwd: tmp.dir })
  let log = ''
  child.stdout?.on('data', (d: Buffer) => {
    log += d.toString()
  })
  child.stderr?.on('data', (d: Buffer) => {
    log += d.toString()
  })
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))
  return { child, log: () => log, exited }
}

/** The run's exit code; a run still going after `ms` is killed and fails the test with its log. */
async function exitedWithin(run: Run, ms: number, what: string): Promise<number | null> {
  let guard: NodeJS.Timeout | undefined
  const timedOut = new Promise<never>((_, reject) => {
    guard = setTimeout(() => {
      run.child.kill('SIGKILL')
      reject(new Error(`${what} still running after ${ms / 1000} s:\n${run.log().slice(-4000)}`))
    }, ms)
  })
  return Promise.race([run.exited, timedOut]).finally(() => clearTimeout(guard))
}

if (testDbKind === 'postgres' && !throwawayPostgresAvailable)
  console.warn(
    'test/reliability/postgres.test.ts: skipped, no initdb/pg_ctl here (apt-get install postgresql)',
  )

describe.runIf(testDbKind === 'postgres' && throwawayPostgresAvailable)(
  'reliability on a Postgres server',
  () => {
    let server: ThrowawayPostgres

    beforeAll(async () => {
      server = await startThrowawayPostgres()
    }, 120_000)
    afterAll(() => {
      server?.stop()
      tmp.remove()
    })

    /** One query on a fresh connection (the server may be restarting); undefined when it fails. */
    async function query<R>(sql: string): Promise<R[] | undefined> {
      const client = new pg.Client({ connectionString: server.url })
      try {
        await client.connect()
        return (await client.query(sql)).rows as R[]
      } catch {
        return undefined
      } finally {
        await client.end().catch(() => {})
      }
    }
    const envFor = (schema: string) => ({
      DATABASE_URL: server.url,
      CALLQA_DB_SCHEMA: schema,
      CALLQA_DATA_DIR: path.join(tmp.dir, schema),
      CALLQA_ASR: 'off',
    })
    async function until(check: () => Promise<boolean>, timeoutMs: number, what: string) {
      const began = Date.now()
      while (!(await check())) {
        if (Date.now() - began > timeoutMs) throw new Error(`timed out waiting for ${what}`)
        await new Promise((r) => setTimeout(r, 200))
      }
      return Date.now() - began
    }

    test('a Postgres restart in the middle of an ingest: every call done, nothing failed', async () => {
      const run = callqa(envFor('restart'), 'ingest', samples, '--meta', path.join(samples, 'metadata.csv'))
      await until(
        async () =>
          ((
            await query<{ n: number }>("SELECT count(*)::int AS n FROM restart.calls WHERE status = 'done'")
          )?.[0]?.n ?? 0) >= 2,
        120_000,
        'the first calls',
      )
      // Six seconds without a database, while calls are being stored and analysed.
      await server.restart(6000)
      const code = await run.exited
      expect(run.log()).toMatch(/12 done, 0 failed/)
      expect(code).toBe(0)
      const rows = await query<{ status: string; n: number }>(
        'SELECT status, count(*)::int AS n FROM restart.calls GROUP BY 1',
      )
      expect(rows).toEqual([{ status: 'done', n: 12 }])
    }, 300_000)

    test('an outage of more than a minute while a call is analysed: the result waits and is saved once the database returns', async () => {
      // A 3-minute call, so the database goes away while the worker is in the middle of it.
      const call = ffmpeg(
        ['-stream_loop', '3', '-i', sample('call-02-phone-password.wav'), '-t', '180', '-c:a', 'pcm_s16le'],
        path.join(tmp.dir, 'outage-call.wav'),
      )
      const run = callqa({ ...envFor('outage'), CALLQA_WORKERS: '1' }, 'ingest', call)
      await until(
        async () =>
          (await query<{ status: string }>('SELECT status FROM outage.calls'))?.[0]?.status === 'processing',
        120_000,
        'the call to be claimed',
      )
      // 75 s without a database: past the minute a save used to wait before failing the call.
      await server.restart(75_000)
      expect(await exitedWithin(run, 180_000, 'the ingest')).toBe(0)
      expect(run.log()).toMatch(/1 done, 0 failed/)
      expect(await query('SELECT status, attempts FROM outage.calls')).toEqual([
        { status: 'done', attempts: 1 },
      ])
    }, 400_000)

    test('two ingests at once, then two queue workers beside two `ingest --queue`: each call analysed exactly once', async () => {
      const env = envFor('twice')
      const [a, b] = [callqa(env, 'ingest', samples), callqa(env, 'ingest', samples)]
      const codes = [
        await exitedWithin(a, 120_000, 'the first ingest'),
        await exitedWithin(b, 120_000, 'the second ingest'),
      ]
      expect(codes, `${a.log()}\n----\n${b.log()}`).toEqual([0, 0])
      const analysed = (log: string) => [...log.matchAll(/\] .*?: done/g)].length
      // Between them, each call was analysed once; the other run skipped it (claimed, or already done).
      expect(analysed(a.log()) + analysed(b.log())).toBe(12)
      expect(`${a.log()}${b.log()}`).not.toMatch(/FAILED|: failed/)
      const calls = await query<{ status: string; attempts: number; n: number }>(
        'SELECT status, attempts, count(*)::int AS n FROM twice.calls GROUP BY 1, 2',
      )
      expect(calls).toEqual([{ status: 'done', attempts: 1, n: 12 }])

      const queued = envFor('queued')
      const workers = [callqa(queued, 'worker'), callqa(queued, 'worker')]
      const ingests = [
        callqa(queued, 'ingest', '--queue', samples),
        callqa(queued, 'ingest', '--queue', samples),
      ]
      expect(
        await Promise.all(ingests.map((i, n) => exitedWithin(i, 60_000, `ingest --queue ${n + 1}`))),
      ).toEqual([0, 0])
      await until(
        async () =>
          ((
            await query<{ n: number }>("SELECT count(*)::int AS n FROM queued.calls WHERE status = 'done'")
          )?.[0]?.n ?? 0) === 12,
        180_000,
        'the queued calls',
      )
      for (const w of workers) w.child.kill('SIGTERM')
      await Promise.all(workers.map((w, n) => exitedWithin(w, 60_000, `worker ${n + 1} after SIGTERM`)))
      const doneLines = workers.flatMap((w) => [...w.log().matchAll(/call (\d+) .*: done/g)].map((m) => m[1]))
      expect(doneLines).toHaveLength(12)
      expect(new Set(doneLines).size).toBe(12)
      expect(workers.map((w) => w.log()).join('')).not.toMatch(/: failed/)
      // Enqueueing is idempotent: one job per call, except that a call enqueued again while its
      // first job is already being worked on may get a second (pg-boss's `short` policy dedups
      // waiting jobs only; that job finds the call claimed or done). So: a job for each of the 12
      // calls, and no job ever created while an earlier one of the same call was still waiting.
      const jobs = await query<{ calls: number; while_waiting: number }>(
        `SELECT count(DISTINCT j.singleton_key)::int AS calls,
                count(*) FILTER (WHERE EXISTS (
                  SELECT 1 FROM queued_queue.job e
                  WHERE e.name = j.name AND e.singleton_key = j.singleton_key AND e.id <> j.id
                    AND e.created_on <= j.created_on AND (e.started_on IS NULL OR e.started_on > j.created_on)))::int
                  AS while_waiting
         FROM queued_queue.job j WHERE j.name = 'callqa-analyze'`,
      )
      expect(jobs?.[0]).toEqual({ calls: 12, while_waiting: 0 })
    }, 400_000)

    test('a worker killed with SIGKILL in the middle of a call: the call is done within 90 s', async () => {
      // A 10-minute call, so the worker is surely in the middle of it when it is killed.
      const long = ffmpeg(
        ['-stream_loop', '9', '-i', sample('call-02-phone-password.wav'), '-t', '600', '-c:a', 'pcm_s16le'],
        path.join(tmp.dir, 'long-call.wav'),
      )
      const env = { ...envFor('killed'), CALLQA_LEASE_SECONDS: '10', CALLQA_WORKERS: '1' }
      const queued = callqa(env, 'ingest', '--queue', long)
      expect(await queued.exited).toBe(0)
      const first = callqa(env, 'worker')
      await until(
        async () =>
          (
            (
              await query<{ owner: string }>(
                "SELECT lease_owner AS owner FROM killed.calls WHERE status = 'processing'",
              )
            )?.[0]?.owner ?? ''
          ).includes(`:${first.child.pid}:`),
        60_000,
        'the first worker to claim the call',
      )
      first.child.kill('SIGKILL')
      const killedAt = Date.now()
      await first.exited
      const second = callqa(env, 'worker')
      try {
        await until(
          async () =>
            (await query<{ status: string }>('SELECT status FROM killed.calls'))?.[0]?.status === 'done',
          90_000,
          'the call to be done',
        )
        expect(Date.now() - killedAt).toBeLessThan(90_000)
        expect(await query('SELECT status, attempts FROM killed.calls')).toEqual([
          { status: 'done', attempts: 2 },
        ])
      } finally {
        second.child.kill('SIGTERM')
        await second.exited
      }
    }, 300_000)
  },
)
