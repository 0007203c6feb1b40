/**
 * A Postgres cluster of the test's own (initdb + pg_ctl on a free port, in a temporary folder), for
 * tests that restart or break the server: never the machine's shared one. Run as the `postgres`
 * user when the tests run as root (initdb refuses root). Undefined when no initdb is installed.
 */
import { execFileSync } from 'node:child_process'
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'

function findBin(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(':'))
    if (existsSync(path.join(dir, name))) return path.join(dir, name)
  const versions = existsSync('/usr/lib/postgresql')
    ? readdirSync('/usr/lib/postgresql').sort().reverse()
    : []
  for (const v of versions) {
    const bin = path.join('/usr/lib/postgresql', v, 'bin', name)
    if (existsSync(bin)) return bin
  }
  return undefined
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as net.AddressInfo).port
      server.close(() => resolve(port))
    })
  })
}

export interface ThrowawayPostgres {
  url: string
  port: number
  /** Stops the server (fast: connections are cut), waits `downMs`, starts it again. */
  restart(downMs: number): Promise<void>
  stop(): void
}

export const throwawayPostgresAvailable = Boolean(findBin('initdb') && findBin('pg_ctl'))

export async function startThrowawayPostgres(): Promise<ThrowawayPostgres> {
  const initdb = findBin('initdb')
  const pgCtl = findBin('pg_ctl')
  if (!initdb || !pgCtl) throw new Error('initdb and pg_ctl are not installed')
  const asRoot = process.getuid?.() === 0
  const run = (bin: string, args: string[]) =>
    execFileSync(asRoot ? 'runuser' : bin, asRoot ? ['-u', 'postgres', '--', bin, ...args] : args, {
      stdio: 'pipe',
      timeout: 60_000,
    })
  const dir = mkdtempSync(path.join(os.tmpdir(), 'callqa-pg-'))
  if (asRoot) {
    const { uid, gid } = (() => {
      const line = execFileSync('id', ['postgres']).toString()
      return { uid: Number(/uid=(\d+)/.exec(line)?.[1]), gid: Number(/gid=(\d+)/.exec(line)?.[1]) }
    })()
    chownSync(dir, uid, gid)
  }
  const data = path.join(dir, 'data')
  run(initdb, ['-D', data, '-A', 'trust', '-U', 'postgres', '--no-sync', '-E', 'UTF8'])
  const port = await freePort()
  const options = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off`
  const start = () => run(pgCtl, ['-D', data, '-o', options, '-l', path.join(dir, 'log'), '-w', 'start'])
  const stopNow = () => run(pgCtl, ['-D', data, '-m', 'fast', '-w', 'stop'])
  start()
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    port,
    async restart(downMs) {
      stopNow()
      await new Promise((resolve) => setTimeout(resolve, downMs))
      start()
    },
    stop() {
      try {
        stopNow()
      } catch {
        // already stopped
      }
      rmSync(dir, { recursive: true, force: true })
    },
  }
}
