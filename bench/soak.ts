/**
 * Soak: N calls ingested through the job queue to two `callqa worker` processes while the API
 * (`callqa serve --queue`) takes concurrent reads and review saves; in the middle, each worker is
 * killed with SIGKILL (and started again), the Postgres server is restarted (5 s down) and later
 * stays down for two minutes while calls are being analysed. Prints calls done /
 * failed / lost, calls analysed more than once, and the API's error rate, for the run with faults
 * and for a run without them (the baseline, same N, same load).
 *
 *   npm run bench:soak               # 60 calls
 *   npm run bench:soak -- --calls 120
 *   npm run bench:soak -- --outage-seconds 0       # without the long outage
 *
 * Needs PostgreSQL's initdb and pg_ctl (apt-get install postgresql): it runs its own throwaway
 * cluster on a free port, never a shared server.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { appendFileSync, copyFileSync, mkdtempSync, readdirSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import pg from 'pg'
import { startThrowawayPostgres, throwawayPostgresAvailable } from '../test/helpers/throwaway-postgres.js'
import { callqaBin, callqaNodeFlags } from './callqa-bin.js'

const root = path.join(path.dirname(fileURLToPath(import.meta.url)), '..')
const { values } = parseArgs({
  options: { calls: { type: 'string', default: '60' }, 'outage-seconds': { type: 'string', default: '120' } },
})
const N = Number(values.calls)
const OUTAGE_S = Number(values['outage-seconds'])

if (!throwawayPostgresAvailable) {
  console.log('bench:soak: skipped, no initdb/pg_ctl here (apt-get install postgresql)')
  process.exit(0)
}

interface Proc {
  child: ChildProcess
  log: string
  exited: Promise<number | null>
}

function start(env: NodeJS.ProcessEnv, args: string[]): Proc {
  const child = spawn(process.execPath, [...callqaNodeFlags, callqaBin, ...args], { env, cwd: root })
  const proc: Proc = { child, log: '', exited: new Promise((r) => child.once('exit', (c) => r(c))) }
  child.stdout?.on('data', (d: Buffer) => {
    proc.log += d.toString()
  })
  child.stderr?.on('data', (d: Buffer) => {
    proc.log += d.toString()
  })
  return proc
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

async function soak(withFaults: boolean) {
  const server = await startThrowawayPostgres()
  const work = mkdtempSync(path.join(os.tmpdir(), 'callqa-soak-'))
  const schema = 'soak'
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    DATABASE_URL: server.url,
    CALLQA_DB_SCHEMA: schema,
    CALLQA_DATA_DIR: path.join(work, 'data'),
    CALLQA_WORKERS: '1',
    CALLQA_LEASE_SECONDS: '10',
    CALLQA_ASR: 'off',
  }
  const q = async <R>(sql: string, params: unknown[] = []): Promise<R[] | undefined> => {
    const client = new pg.Client({ connectionString: server.url })
    try {
      await client.connect()
      return (await client.query(sql, params)).rows as R[]
    } catch {
      return undefined
    } finally {
      await client.end().catch(() => {})
    }
  }
  try {
    // N distinct recordings: the WAV samples, each copy with its own trailing bytes (its own sha256).
    const inbox = path.join(work, 'inbox')
    const { mkdirSync } = await import('node:fs')
    mkdirSync(inbox)
    const wavs = readdirSync(path.join(root, 'samples', 'calls')).filter((f) => f.endsWith('.wav'))
    for (let i = 0; i < N; i++) {
      const file = path.join(inbox, `soak-${String(i).padStart(4, '0')}.wav`)
      copyFileSync(path.join(root, 'samples', 'calls', wavs[i % wavs.length] as string), file)
      appendFileSync(file, Buffer.from(`soak${i}`))
    }
    const users = start(env, ['users', 'add', 'soak-reviewer', '--role', 'reviewer'])
    await users.exited
    const token = users.log.trim().split('\n').at(-1) as string
    const api = start(env, ['serve', '--queue', '--port', '0'])
    let base = ''
    for (let i = 0; i < 600 && !base; i++) {
      base = /review page on (http:\/\/[^/\s]+)\//.exec(api.log)?.[1] ?? ''
      await sleep(100)
    }
    if (!base) throw new Error(`the server did not start: ${api.log}`)
    const workers = [start(env, ['worker']), start(env, ['worker'])]
    const logs: string[] = []
    const began = Date.now()
    const ingest = start(env, ['ingest', '--queue', inbox])

    // The API load: reads and review saves, four clients at once, until the calls are finished.
    const api_ = { requests: 0, s5xx: 0, s503: 0, s4xx: 0, failures: 0 }
    let finished = false
    const client = async () => {
      while (!finished) {
        try {
          const list = await fetch(`${base}/v1/calls?limit=20`, {
            headers: { authorization: `Bearer ${token}` },
          })
          api_.requests++
          if (list.status >= 500) api_.s5xx++
          if (list.status === 503) api_.s503++
          const body =
            list.status === 200
              ? ((await list.json()) as { items: Array<{ id: number; status: string }> })
              : undefined
          const done = body?.items.filter((c) => c.status === 'done') ?? []
          const pick = done[Math.floor(Math.random() * done.length)]
          if (pick) {
            const detail = await fetch(`${base}/v1/calls/${pick.id}`, {
              headers: { authorization: `Bearer ${token}` },
            })
            api_.requests++
            if (detail.status >= 500) api_.s5xx++
            const d =
              detail.status === 200
                ? ((await detail.json()) as { evaluations: Array<{ id: number; source: string }> })
                : undefined
            const auto = d?.evaluations.find((e) => e.source === 'auto')
            if (auto) {
              const opened = await fetch(`${base}/v1/evaluations/${auto.id}/reviews`, {
                method: 'POST',
                headers: { authorization: `Bearer ${token}` },
              })
              api_.requests++
              if (opened.status >= 500) api_.s5xx++
              const review =
                opened.status < 300 ? ((await opened.json()) as { id: number; status: string }) : undefined
              if (review?.status === 'draft') {
                const saved = await fetch(`${base}/v1/reviews/${review.id}`, {
                  method: 'PATCH',
                  headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
                  body: JSON.stringify({ comment: `soak ${Date.now()}` }),
                })
                api_.requests++
                if (saved.status >= 500) api_.s5xx++
                if (saved.status === 503) api_.s503++
              }
            }
          }
        } catch {
          api_.failures++
        }
        await sleep(20)
      }
    }
    const clients = Array.from({ length: 4 }, () => client())

    const doneCount = async () =>
      (
        await q<{ n: number }>(
          `SELECT count(*)::int AS n FROM ${schema}.calls WHERE status IN ('done', 'failed')`,
        )
      )?.[0]?.n ?? 0
    const faults: string[] = []
    const plan = withFaults
      ? [
          { at: 0.25, what: 'kill -9 worker 1, start it again' },
          { at: 0.4, what: 'restart Postgres (5 s down)' },
          ...(OUTAGE_S > 0 ? [{ at: 0.6, what: `restart Postgres (${OUTAGE_S} s down)` }] : []),
          { at: 0.75, what: 'kill -9 worker 2, start it again' },
        ]
      : []
    const deadline = Date.now() + 15 * 60_000 + OUTAGE_S * 1000
    for (;;) {
      const n = await doneCount()
      if (n >= N || Date.now() > deadline) break
      const next = plan[0]
      if (next && n >= next.at * N) {
        plan.shift()
        faults.push(`${next.what} at ${n}/${N}`)
        if (next.what.startsWith('restart'))
          await server.restart(Number(/\((\d+) s down\)/.exec(next.what)?.[1] ?? 5) * 1000)
        else {
          const index = next.what.includes('worker 1') ? 0 : 1
          const victim = workers[index] as Proc
          victim.child.kill('SIGKILL')
          await victim.exited
          logs.push(victim.log)
          await sleep(1000)
          workers[index] = start(env, ['worker'])
        }
      }
      await sleep(250)
    }
    const elapsed = (Date.now() - began) / 1000
    finished = true
    await Promise.all(clients)
    await ingest.exited
    for (const w of workers) w.child.kill('SIGTERM')
    await Promise.all(workers.map((w) => w.exited))
    api.child.kill('SIGTERM')
    await api.exited
    logs.push(...workers.map((w) => w.log))

    const rows =
      (await q<{ status: string; n: number }>(
        `SELECT status, count(*)::int AS n FROM ${schema}.calls GROUP BY 1`,
      )) ?? []
    const by = Object.fromEntries(rows.map((r) => [r.status, r.n]))
    const analysed = new Map<string, number>()
    for (const m of logs.join('\n').matchAll(/call (\d+) .*: done/g))
      analysed.set(m[1] as string, (analysed.get(m[1] as string) ?? 0) + 1)
    const twice = [...analysed.values()].filter((n) => n > 1).length
    return {
      run: withFaults ? 'with faults' : 'without faults',
      calls: N,
      done: by.done ?? 0,
      failed: by.failed ?? 0,
      lost: N - (by.done ?? 0) - (by.failed ?? 0),
      analysedTwice: twice,
      apiRequests: api_.requests,
      api5xx: api_.s5xx,
      api503: api_.s503,
      apiConnectionFailures: api_.failures,
      apiErrorRate: api_.requests ? (api_.s5xx - api_.s503) / api_.requests : 0,
      seconds: Math.round(elapsed),
      faults,
    }
  } finally {
    server.stop()
    rmSync(work, { recursive: true, force: true })
  }
}

const results = [await soak(false), await soak(true)]
console.log(
  `bench:soak — ${N} calls through 2 queue workers, the API under 4 concurrent clients (this machine, one run)`,
)
console.log(
  'run             done  failed  lost  analysed twice  API requests  5xx (of which 503)  unreachable  seconds',
)
for (const r of results)
  console.log(
    `${r.run.padEnd(15)} ${String(r.done).padStart(4)}  ${String(r.failed).padStart(6)}  ${String(r.lost).padStart(4)}  ${String(r.analysedTwice).padStart(14)}  ${String(r.apiRequests).padStart(12)}  ${`${r.api5xx} (${r.api503})`.padStart(18)}  ${String(r.apiConnectionFailures).padStart(11)}  ${String(r.seconds).padStart(7)}`,
  )
for (const r of results) if (r.faults.length) console.log(`faults: ${r.faults.join('; ')}`)
const faulty = results[1]
if (
  faulty &&
  (faulty.lost > 0 || faulty.failed > 0 || faulty.analysedTwice > 0 || faulty.api5xx - faulty.api503 > 0)
)
  process.exitCode = 1
