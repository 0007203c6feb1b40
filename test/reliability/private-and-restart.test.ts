/**
 * The embedded data folder is private to the service's account, and a server that crashed as pid 1
 * starts again. Real processes: `callqa` under the usual umask 022, another account (`nobody`)
 * trying to read and write the cluster, and a server run as pid 1 of its own pid namespace
 * (`unshare --pid`), killed and started again as a container runtime restarts it.
 * Runs on the embedded database only (it is about the PGlite folder and its lock).
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process'
import { chmodSync, existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, describe, expect, test } from 'vitest'
import { makeAsrTempDir } from '../../analysis/temp.js'
import { sample, tempDir } from '../helpers/audio.js'
import { testDbKind } from '../helpers/db.js'
import { servedAt } from '../helpers/serve.js'

const root = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..')
const bin = path.join(root, 'bin', 'callqa.js')
const tmp = tempDir()
chmodSync(tmp.dir, 0o755) // the test's own folder lets others in: only callqa's folder must stop them
afterAll(() => tmp.remove())

function envFor(dataDir: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    CALLQA_DATA_DIR: dataDir,
    CALLQA_WORKERS: '1',
    CALLQA_ASR: 'off',
  }
  delete env.DATABASE_URL
  return env
}

/** `callqa ARGS` under umask 022, as a shell would start it. */
function callqa(dataDir: string, ...args: string[]): { code: number; out: string } {
  const res = spawnSync('sh', ['-c', 'umask 022; exec "$@"', 'sh', process.execPath, bin, ...args], {
    env: envFor(dataDir),
    encoding: 'utf8',
    timeout: 120_000,
  })
  return { code: res.status ?? -1, out: `${res.stdout}${res.stderr}` }
}

/** Every folder and file below `dir` that gives its group or others any permission. */
function notPrivate(dir: string): string[] {
  const open: string[] = []
  const walk = (at: string) => {
    const st = lstatSync(at)
    if (st.isSymbolicLink()) return
    if ((st.mode & 0o077) !== 0)
      open.push(`${(st.mode & 0o777).toString(8)} ${path.relative(dir, at) || '.'}`)
    if (st.isDirectory()) for (const name of readdirSync(at)) walk(path.join(at, name))
  }
  walk(dir)
  return open
}

const isRoot = process.getuid?.() === 0
const hasRunuser = spawnSync('sh', ['-c', 'command -v runuser'], { encoding: 'utf8' }).status === 0
/** Runs a shell line as the account `nobody`; its exit code. */
function asNobody(line: string): number {
  return spawnSync('runuser', ['-u', 'nobody', '--', 'sh', '-c', line], { encoding: 'utf8' }).status ?? -1
}

describe.runIf(testDbKind === 'pglite')('the data folder is private', () => {
  test('under umask 022, every folder is 0700 and every file 0600 after an ingest; another account can neither read nor write the cluster', () => {
    const dataDir = path.join(tmp.dir, 'fresh')
    const ingested = callqa(dataDir, 'ingest', sample('call-01-clean-billing.flac'))
    expect(ingested.out).toMatch(/1 done, 0 failed/)
    expect(notPrivate(dataDir)).toEqual([])
    const control = path.join(dataDir, 'pglite', 'global', 'pg_control')
    expect(existsSync(control)).toBe(true)
    if (isRoot && hasRunuser) {
      expect(asNobody(`cat '${control}' >/dev/null`)).not.toBe(0)
      expect(asNobody(`printf 0123456789abcdef0123456789abcdef >> '${control}'`)).not.toBe(0)
      expect(asNobody(`ls '${path.join(dataDir, 'recordings')}' >/dev/null`)).not.toBe(0)
    }
    // And the database still opens and holds the call.
    const listed = callqa(dataDir, 'users', 'list')
    expect(listed.code).toBe(0)
  })

  test('an existing folder that other accounts could reach is repaired at start-up', () => {
    const dataDir = path.join(tmp.dir, 'repaired')
    expect(callqa(dataDir, 'ingest', sample('call-01-clean-billing.flac')).out).toMatch(/1 done/)
    // As an older callqa left it: folders 0755, the cluster's files and recordings world-readable or writable.
    const opened = [dataDir, path.join(dataDir, 'pglite'), path.join(dataDir, 'recordings')]
    for (const dir of opened) chmodSync(dir, 0o755)
    chmodSync(path.join(dataDir, 'pglite', 'global', 'pg_control'), 0o666)
    const recordings = readdirSync(path.join(dataDir, 'recordings'), { recursive: true, withFileTypes: true })
    const recording = recordings.find((d) => d.isFile())
    expect(recording).toBeDefined()
    chmodSync(path.join(recording?.parentPath ?? '', recording?.name ?? ''), 0o644)
    expect(notPrivate(dataDir).length).toBeGreaterThan(0)
    expect(callqa(dataDir, 'ingest', sample('call-07-phone-outbound.wav')).out).toMatch(/1 done, 0 failed/)
    expect(notPrivate(dataDir)).toEqual([])
  })
})

const canUnshare =
  isRoot &&
  spawnSync('unshare', ['--pid', '--fork', '--mount-proc', 'true'], { encoding: 'utf8' }).status === 0

/** `callqa serve` as pid 1 of a new pid namespace, killed with it when the test kills `unshare`. */
function serveAsPid1(dataDir: string): {
  child: ChildProcess
  listening: Promise<string>
  log: () => string
} {
  const child = spawn(
    'unshare',
    [
      '--pid',
      '--fork',
      '--mount-proc',
      '--kill-child=SIGKILL',
      process.execPath,
      bin,
      'serve',
      '--port',
      '0',
    ],
    { env: envFor(dataDir) },
  )
  return { child, ...servedAt(child) }
}

function killHard(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve()
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  child.kill('SIGKILL')
  return exited
}

describe.runIf(testDbKind === 'pglite' && canUnshare)('a server that ran as pid 1', () => {
  test('crashed (kill -9) and restarted as pid 1 again, it starts and serves what it had; a live pid-1 server still refuses a second', async () => {
    const dataDir = path.join(tmp.dir, 'container')
    mkdirSync(dataDir, { recursive: true })
    const first = serveAsPid1(dataDir)
    try {
      await first.listening
      const lock = JSON.parse(readFileSync(path.join(dataDir, 'pglite.lock'), 'utf8')) as { pid: number }
      expect(lock.pid).toBe(1)
      // While it runs, a second pid-1 server on the same folder is refused (another namespace, same
      // host name: only the start time tells them apart).
      const second = serveAsPid1(dataDir)
      await expect(second.listening).rejects.toThrow(/already serves the database/)
    } finally {
      await killHard(first.child)
    }
    // The crash left its lock behind, naming pid 1.
    expect(existsSync(path.join(dataDir, 'pglite.lock'))).toBe(true)
    const restarted = serveAsPid1(dataDir)
    try {
      const url = await restarted.listening
      expect((await fetch(`${url}/healthz`)).status).toBe(200)
      expect((await fetch(`${url}/readyz`)).status).toBe(200)
    } finally {
      await killHard(restarted.child)
    }
  }, 120_000)

  test("a server in another pid namespace leaves this namespace's live temporary folders alone", async () => {
    // A speech-recognition folder of this (running) process, named as callqa names them. The pid-1
    // server sweeps the shared temporary folder at start: this pid means nothing in its namespace.
    const live = await makeAsrTempDir()
    const dataDir = path.join(tmp.dir, 'other-namespace')
    mkdirSync(dataDir, { recursive: true })
    const server = serveAsPid1(dataDir)
    try {
      await server.listening
      expect(existsSync(live)).toBe(true)
    } finally {
      await killHard(server.child)
      rmSync(live, { recursive: true, force: true })
    }
  }, 120_000)
})
