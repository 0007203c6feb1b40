/**
 * The embedded database has one owner. Real processes on one PGlite data folder, as the README's
 * flow has them: a server running, and `callqa ingest` and `callqa users add` in another terminal.
 * Before the owner, each process kept its own copy and the last to close won: the ingested call and
 * the user were gone once the server stopped, and the server refused the new user's token.
 * Runs on the embedded database only (the Postgres pass has its own reliability tests).
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process'
import { existsSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { afterAll, describe, expect, test } from 'vitest'
import { openDatabase } from '../../db/index.js'
import { sample, tempDir } from '../helpers/audio.js'
import { testDbKind } from '../helpers/db.js'
import { servedAt } from '../helpers/serve.js'

const root = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..')
const bin = path.join(root, 'bin', 'callqa.js')
const tmp = tempDir()
afterAll(() => tmp.remove())

function envFor(dataDir: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, CALLQA_DATA_DIR: dataDir, CALLQA_WORKERS: '1' }
  delete env.DATABASE_URL
  return env
}

async function callqa(dataDir: string, ...args: string[]) {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [bin, ...args], {
      env: envFor(dataDir),
      cwd: tmp.dir,
    })
    return { code: 0, stdout, stderr }
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string }
    return { code: e.code, stdout: e.stdout, stderr: e.stderr }
  }
}

/** Starts `callqa serve` on a free port; resolves with its address once it listens. */
async function startServer(
  dataDir: string,
): Promise<{ child: ChildProcess; url: string; log: () => string }> {
  const child = spawn(process.execPath, [bin, 'serve', '--port', '0'], { env: envFor(dataDir), cwd: tmp.dir })
  const served = servedAt(child)
  return { child, url: await served.listening, log: served.log }
}

async function stop(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null) return child.exitCode
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))
  child.kill('SIGTERM')
  return exited
}

/** What the folder holds, read by a fresh process once everything has stopped. */
async function contents(dataDir: string) {
  const db = await openDatabase({ dataDir: path.join(dataDir, 'pglite') })
  try {
    return {
      users: (await db.query<{ name: string }>('SELECT name FROM users ORDER BY name')).rows.map(
        (r) => r.name,
      ),
      calls: (
        await db.query<{ source_name: string; status: string }>(
          'SELECT source_name, status FROM calls ORDER BY source_name',
        )
      ).rows,
    }
  } finally {
    await db.close()
  }
}

describe.runIf(testDbKind === 'pglite')('one owner for the embedded database', () => {
  test('a server running, then ingest and users add beside it: everything is kept, and the new token works at once', async () => {
    const dataDir = path.join(tmp.dir, 'server-and-commands')
    const server = await startServer(dataDir)
    try {
      // A second server on the same folder refuses, saying who holds it.
      const second = await callqa(dataDir, 'serve', '--port', '0')
      expect(second.code).toBe(2)
      expect(second.stderr).toMatch(/callqa serve \(pid \d+\) already serves the database/)

      const [ingested, added] = await Promise.all([
        callqa(dataDir, 'ingest', sample('call-03-mono-delivery.wav'), sample('call-07-phone-outbound.wav')),
        callqa(dataDir, 'users', 'add', 'rosa', '--role', 'admin'),
      ])
      expect(ingested.stderr + ingested.stdout).toMatch(/2 done, 0 failed/)
      expect(added.code).toBe(0)
      const token = added.stdout.trim()
      const res = await fetch(`${server.url}/v1/calls`, { headers: { authorization: `Bearer ${token}` } })
      expect(res.status).toBe(200)
      const body = (await res.json()) as { items: Array<{ source_name: string; status: string }> }
      expect(body.items.map((c) => c.source_name).sort()).toEqual([
        'call-03-mono-delivery.wav',
        'call-07-phone-outbound.wav',
      ])
    } finally {
      expect(await stop(server.child)).toBe(0)
    }
    expect(existsSync(path.join(dataDir, 'pglite.lock'))).toBe(false)
    expect(await contents(dataDir)).toEqual({
      users: ['rosa'],
      calls: [
        { source_name: 'call-03-mono-delivery.wav', status: 'done' },
        { source_name: 'call-07-phone-outbound.wav', status: 'done' },
      ],
    })
  })

  test('two ingests at once on one folder keep every call; a stale lock from a dead process is taken over', async () => {
    const dataDir = path.join(tmp.dir, 'two-ingests')
    const { mkdirSync } = await import('node:fs')
    mkdirSync(dataDir, { recursive: true })
    // A lock left by a process that died (pid far beyond pid_max).
    writeFileSync(
      path.join(dataDir, 'pglite.lock'),
      JSON.stringify({
        pid: 4_194_999,
        host: os.hostname(),
        kind: 'command',
        command: 'callqa ingest',
        socket: path.join(dataDir, 'pglite.sock'),
        since: new Date(0).toISOString(),
      }),
    )
    const [a, b] = await Promise.all([
      callqa(dataDir, 'ingest', sample('call-03-mono-delivery.wav')),
      callqa(dataDir, 'ingest', sample('call-07-phone-outbound.wav')),
    ])
    expect(a.stderr + a.stdout).toMatch(/1 done, 0 failed/)
    expect(b.stderr + b.stdout).toMatch(/1 done, 0 failed/)
    expect((await contents(dataDir)).calls).toEqual([
      { source_name: 'call-03-mono-delivery.wav', status: 'done' },
      { source_name: 'call-07-phone-outbound.wav', status: 'done' },
    ])
  })

  test('a client stopped (Ctrl-Z) inside a transaction stalls nobody for long: its transaction is rolled back after the idle limit and it is told why', async () => {
    const dir = path.join(tmp.dir, 'stalled', 'pglite')
    const owner = await openDatabase({
      dataDir: dir,
      ownership: { kind: 'server', command: 'callqa serve', idleTransactionMs: 1500 },
    })
    try {
      await owner.exec('CREATE TABLE t (n int)')
      const script = path.join(tmp.dir, 'stalled-client.mts')
      writeFileSync(
        script,
        `import { openDatabase } from ${JSON.stringify(path.join(root, 'db', 'index.ts'))}
const db = await openDatabase({ dataDir: ${JSON.stringify(dir)} })
await db
  .withTransaction(async (tx) => {
    await tx.query('INSERT INTO t VALUES (1)')
    console.log('inside')
    await new Promise((r) => setTimeout(r, 500))
    await tx.query('INSERT INTO t VALUES (2)')
  })
  .then(() => console.log('committed'), (e) => console.log('refused', e.code, e.message))
await db.close()
`,
      )
      const child = spawn(process.execPath, ['--import', 'tsx', script], { cwd: root })
      let out = ''
      child.stdout?.on('data', (d: Buffer) => {
        out += d.toString()
      })
      await new Promise<void>((resolve, reject) => {
        const timer = setInterval(() => {
          if (!out.includes('inside')) return
          clearInterval(timer)
          resolve()
        }, 20)
        child.once('exit', (code) => reject(new Error(`client exited ${code}: ${out}`)))
      })
      child.kill('SIGSTOP')
      // The owner's own work goes on once the stalled transaction is rolled back (1.5 s here), not
      // whenever the stopped process is continued.
      const began = Date.now()
      expect((await owner.query('SELECT count(*)::int AS n FROM t')).rows).toEqual([{ n: 0 }])
      expect(Date.now() - began).toBeLessThan(10_000)
      await owner.query('INSERT INTO t VALUES (3)')
      child.kill('SIGCONT')
      const code = await new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)))
      expect(code).toBe(0)
      expect(out).toMatch(/refused 25P03 the transaction waited more than 2 s/)
      expect((await owner.query('SELECT n FROM t')).rows).toEqual([{ n: 3 }])
    } finally {
      await owner.close()
    }
  })

  test('a process that works through the owner and is killed mid-transaction is rolled back', async () => {
    const dir = path.join(tmp.dir, 'in-process', 'pglite')
    const owner = await openDatabase({ dataDir: dir })
    try {
      await owner.exec('CREATE TABLE t (n int)')
      // Another process works through the owner, opens a transaction, writes, and is killed.
      const script = path.join(tmp.dir, 'client.mts')
      writeFileSync(
        script,
        `import { openDatabase } from ${JSON.stringify(path.join(root, 'db', 'index.ts'))}
const db = await openDatabase({ dataDir: ${JSON.stringify(dir)} })
await db.withTransaction(async (tx) => {
  await tx.query('INSERT INTO t VALUES (1)')
  console.log('inside')
  await new Promise(() => {})
})
`,
      )
      const child = spawn(process.execPath, ['--import', 'tsx', script], { cwd: root })
      await new Promise<void>((resolve, reject) => {
        child.stdout?.on('data', (d: Buffer) => d.toString().includes('inside') && resolve())
        child.once('exit', (code) => reject(new Error(`client exited ${code}`)))
      })
      // While its transaction is open, the owner's own queries wait for it (one transaction at a time).
      let waited = false
      const read = owner.query('SELECT count(*)::int AS n FROM t').then((r) => {
        waited = true
        return r.rows
      })
      await new Promise((r) => setTimeout(r, 300))
      expect(waited).toBe(false)
      child.kill('SIGKILL')
      // Then the owner carries on, and nothing of the dead transaction was kept.
      expect(await read).toEqual([{ n: 0 }])
      await owner.query('INSERT INTO t VALUES (3)')
      expect((await owner.query('SELECT n FROM t')).rows).toEqual([{ n: 3 }])
    } finally {
      await owner.close()
    }
  })
})
