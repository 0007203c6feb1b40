/**
 * One owner for an embedded (PGlite) data folder. PGlite is Postgres inside one process: two
 * processes that each open the folder keep two copies in memory and write them back over each
 * other, losing what the other committed. So the first callqa process to open the folder owns it
 * (a lock file beside it, with a stale-lock check) and serves the database to every other callqa
 * process on the same machine over a Unix socket only its user can open. Those processes work
 * through the owner: their queries and transactions run in the owner's PGlite, one transaction at a
 * time, exactly as the owner's own do. A client that goes away mid-transaction is rolled back.
 *
 * - A server (`serve`, `demo`) owns the folder for as long as it runs; a second server refuses, and a
 *   server that finds a command owning the folder waits for it to finish.
 * - A command (`ingest`, `users add`, …) owns the folder when nothing else does, or works through
 *   the owner. A command owner that finishes waits for the commands working through it.
 *
 * The protocol is callqa's own (length-framed structured-clone messages), at the level of the
 * `Database` interface: rows keep their types (dates, bytes) and errors keep their SQLSTATE.
 */

import { createHash } from 'node:crypto'
import {
  chmodSync,
  closeSync,
  openSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
  writeSync,
} from 'node:fs'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'
import v8 from 'node:v8'
import { ConfigError, DatabaseUnavailableError } from '../errors.js'
import { processAlive, processIdentity } from '../processes.js'
import type { Database, QueryResult, Transaction } from './types.js'

export type OwnerKind = 'server' | 'command'

export interface OwnerInfo {
  pid: number
  /** the kernel's boot id and the owner's start time (processes.ts): a pid alone is reused, as pid 1 is by every container restart */
  boot?: string
  start?: number
  /** the owner's pid namespace: pids of another namespace say nothing here */
  pidns?: string
  /** set once the owner's socket listens: from then on a socket that does not answer is a dead owner */
  listening?: boolean
  host: string
  kind: OwnerKind
  /** what the owner is, for messages: "callqa serve", "callqa ingest" */
  command: string
  socket: string
  since: string
}

export interface OwnershipOptions {
  kind: OwnerKind
  command: string
  /** Told once when this process has to wait (for an owner to finish, or for its clients). */
  onWait?: (message: string) => void
  /** How long a command waits for a busy owner before giving up; default 10 minutes. */
  waitMs?: number
  /**
   * Owner only: how long a client's open transaction may wait for its next statement before the
   * owner rolls it back (Postgres' idle_in_transaction_session_timeout). While a client holds a
   * transaction, every other query of the owner waits: a stalled client (stopped with Ctrl-Z, hung)
   * costs the others at most this. Default 10 s (CALLQA_EMBEDDED_IDLE_TX_SECONDS for the CLI).
   */
  idleTransactionMs?: number
}

const MAX_SOCKET_PATH = 100

export function lockPathFor(dir: string): string {
  return `${dir}.lock`
}

function socketPathFor(dir: string): string {
  const beside = `${dir}.sock`
  if (Buffer.byteLength(beside) <= MAX_SOCKET_PATH) return beside
  const hash = createHash('sha256').update(path.resolve(dir)).digest('hex').slice(0, 16)
  return path.join(os.tmpdir(), `callqa-${hash}.sock`)
}

function readOwner(lock: string): OwnerInfo | 'unreadable' | undefined {
  try {
    return JSON.parse(readFileSync(lock, 'utf8')) as OwnerInfo
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    return 'unreadable'
  }
}

/**
 * Whether the owner recorded in a lock still runs (a lock from another host counts as live). An
 * owner whose socket answers is alive, whatever its pid: two containers may share the folder, each
 * with its own pid 1. Otherwise the pid, the boot and the start time must all match (processes.ts):
 * a server restarted in a container is pid 1 on the same host name as the one that crashed, and
 * must not take its predecessor for a live owner. An owner in another pid namespace (another
 * container) whose socket does not answer may be starting: it is waited for while its lock is
 * young, then taken for dead.
 */
export async function ownerState(info: OwnerInfo): Promise<'alive' | 'starting' | 'dead'> {
  if (info.host !== os.hostname()) return 'alive'
  if (await socketAnswers(info.socket)) return 'alive'
  const me = processIdentity()
  if (info.pidns !== undefined && me.pidns !== undefined && info.pidns !== me.pidns)
    return !info.listening && Date.now() - Date.parse(info.since) < STARTING_MS ? 'starting' : 'dead'
  return processAlive(info) ? 'alive' : 'dead'
}

/** How long an owner whose process cannot be seen may take from its lock to its socket. */
const STARTING_MS = 30_000

/** Whether something listens on a Unix socket (a refused or missing socket: no). */
function socketAnswers(socketPath: string): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = net.createConnection(socketPath)
    const done = (alive: boolean) => {
      clearTimeout(timer)
      probe.destroy()
      resolve(alive)
    }
    // A listener too busy to accept within 2 s is still a listener.
    const timer = setTimeout(() => done(true), 2000)
    probe.once('connect', () => done(true))
    probe.once('error', () => done(false))
  })
}

function describe(info: OwnerInfo): string {
  return `${info.command} (pid ${info.pid}${info.host === os.hostname() ? '' : ` on ${info.host}`})`
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/**
 * Opens an embedded data folder as its owner or through its owner. `openLocal` opens PGlite; it is
 * called only when this process becomes the owner.
 */
export async function openOwned(
  dir: string,
  options: OwnershipOptions,
  openLocal: () => Promise<Database>,
): Promise<Database> {
  const lock = lockPathFor(dir)
  const began = Date.now()
  const waitMs = options.waitMs ?? 10 * 60_000
  let told = false
  const wait = (message: string) => {
    if (!told) options.onWait?.(message)
    told = true
  }
  for (;;) {
    const mine: OwnerInfo = {
      ...processIdentity(),
      host: os.hostname(),
      kind: options.kind,
      command: options.command,
      socket: socketPathFor(dir),
      since: new Date().toISOString(),
    }
    if (tryCreateLock(lock, mine)) {
      try {
        return await becomeOwner(dir, lock, mine, options, openLocal)
      } catch (err) {
        rmLockIfMine(lock, mine)
        throw err
      }
    }
    const info = readOwner(lock)
    if (info === undefined) continue
    if (info === 'unreadable') {
      // Being written this instant, or left half-written by a crash long ago.
      await sleep(100)
      if (readOwner(lock) === 'unreadable') rmSync(lock, { force: true })
      continue
    }
    const state = await ownerState(info)
    if (state === 'dead') {
      // Its owner died without cleaning up: the folder is free (PGlite wrote nothing half-done
      // that its own recovery does not handle, as after a crash of Postgres).
      rmSync(lock, { force: true })
      continue
    }
    if (state === 'starting') {
      wait(`callqa: waiting for ${describe(info)}, which is starting with ${path.dirname(dir)} or died`)
      await sleep(500)
      continue
    }
    if (options.kind === 'server' && info.kind === 'server')
      throw new ConfigError(
        `${describe(info)} already serves the database in ${path.dirname(dir)}; use that server, or stop it ` +
          'first (or give this one its own CALLQA_DATA_DIR)',
      )
    if (options.kind === 'server') {
      wait(`callqa: waiting for ${describe(info)} to finish with ${path.dirname(dir)}`)
    } else {
      const client = await connect(info).catch(() => undefined)
      if (client) return client
      // The owner is starting, or finishing: it has the lock but no socket open.
      if (Date.now() - began > 2000)
        wait(`callqa: waiting for ${describe(info)}, which holds ${path.dirname(dir)}`)
    }
    if (Date.now() - began > waitMs)
      throw new ConfigError(
        `${describe(info)} holds the database in ${path.dirname(dir)} and did not let go; try again when it has finished`,
      )
    await sleep(200)
  }
}

function tryCreateLock(lock: string, info: OwnerInfo): boolean {
  let fd: number
  try {
    fd = openSync(lock, 'wx', 0o600)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false
    throw err
  }
  try {
    writeSync(fd, JSON.stringify(info))
  } finally {
    closeSync(fd)
  }
  return true
}

/** Rewrites this owner's lock (through a rename, never half-written) to say its socket listens. */
function markListening(lock: string, info: OwnerInfo): void {
  const tmp = `${lock}.${process.pid}.tmp`
  writeFileSync(tmp, JSON.stringify({ ...info, listening: true }), { mode: 0o600 })
  renameSync(tmp, lock)
}

function rmLockIfMine(lock: string, info: OwnerInfo): void {
  const now = readOwner(lock)
  if (now && now !== 'unreadable' && now.pid === info.pid && now.since === info.since)
    rmSync(lock, { force: true })
}

// ---------------------------------------------------------------------------------------------
// Framing: a 4-byte big-endian length, then a v8-serialised message.

function frame(message: unknown): Buffer {
  const body = v8.serialize(message)
  const head = Buffer.alloc(4)
  head.writeUInt32BE(body.length)
  return Buffer.concat([head, body])
}

function messageReader(onMessage: (message: unknown) => void): (chunk: Buffer) => void {
  const chunks: Buffer[] = []
  let length = 0
  return (chunk) => {
    chunks.push(chunk)
    length += chunk.length
    for (;;) {
      if (length < 4) return
      const head = chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks)
      const size = head.readUInt32BE(0)
      if (head.length < 4 + size) {
        chunks.splice(0, chunks.length, head)
        return
      }
      const message = v8.deserialize(head.subarray(4, 4 + size))
      const rest = head.subarray(4 + size)
      chunks.splice(0, chunks.length, ...(rest.length > 0 ? [rest] : []))
      length = rest.length
      onMessage(message)
    }
  }
}

type Request =
  | { id: number; op: 'query'; text: string; params?: unknown[]; tx?: number }
  | { id: number; op: 'exec'; sql: string; tx?: number }
  | { id: number; op: 'begin' }
  | { id: number; op: 'commit' | 'rollback'; tx: number }

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never

type Response = { id: number; ok: true; result: unknown } | { id: number; ok: false; error: WireError }

interface WireError {
  message: string
  code?: string
  detail?: string
  constraint?: string
  name?: string
}

function toWire(err: unknown): WireError {
  const e = err as Partial<WireError> & { message?: unknown }
  return {
    message: typeof e?.message === 'string' ? e.message : String(err),
    ...(typeof e?.code === 'string' ? { code: e.code } : {}),
    ...(typeof e?.detail === 'string' ? { detail: e.detail } : {}),
    ...(typeof e?.constraint === 'string' ? { constraint: e.constraint } : {}),
    ...(typeof e?.name === 'string' ? { name: e.name } : {}),
  }
}

function fromWire(wire: WireError): Error {
  const err = new Error(wire.message) as Error & Partial<WireError>
  if (wire.code) err.code = wire.code
  if (wire.detail) err.detail = wire.detail
  if (wire.constraint) err.constraint = wire.constraint
  return err
}

/** A queue a transaction's loop waits on. */
class Channel<T> {
  private items: T[] = []
  private waiters: Array<(item: T) => void> = []
  push(item: T): void {
    const waiter = this.waiters.shift()
    if (waiter) waiter(item)
    else this.items.push(item)
  }
  next(): Promise<T> {
    const item = this.items.shift()
    if (item !== undefined) return Promise.resolve(item)
    return new Promise((resolve) => this.waiters.push(resolve))
  }
}

class Rollback extends Error {}

/** The channel's next item, or 'idle' when none came within `ms`. */
function nextWithin<T>(channel: Channel<T>, ms: number): Promise<T | 'idle'> {
  let timer: NodeJS.Timeout | undefined
  const idle = new Promise<'idle'>((resolve) => {
    timer = setTimeout(() => resolve('idle'), ms)
  })
  return Promise.race([channel.next(), idle]).finally(() => clearTimeout(timer))
}

// ---------------------------------------------------------------------------------------------
// The owner.

async function becomeOwner(
  dir: string,
  lock: string,
  info: OwnerInfo,
  options: OwnershipOptions,
  openLocal: () => Promise<Database>,
): Promise<Database> {
  const local = await openLocal()
  rmSync(info.socket, { force: true })
  const clients = new Set<net.Socket>()
  const idleMs = options.idleTransactionMs ?? 10_000
  const server = net.createServer((socket) => serveClient(local, socket, clients, idleMs))
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject)
      server.listen(info.socket, () => resolve())
    })
  } catch (err) {
    await local.close()
    throw err
  }
  // Only this user may connect: the database holds personal data.
  chmodSync(info.socket, 0o600)
  markListening(lock, info)
  let closing: Promise<void> | undefined
  return new OwnedDatabase(local, () => {
    closing ??= (async () => {
      server.close()
      if (clients.size > 0) {
        options.onWait?.(
          `callqa: waiting for ${clients.size} other callqa process${clients.size === 1 ? '' : 'es'} using the database in ${path.dirname(dir)}`,
        )
        while (clients.size > 0) await sleep(100)
      }
      await local.close()
      rmSync(info.socket, { force: true })
      rmLockIfMine(lock, info)
    })()
    return closing
  })
}

/** The owner's own handle: the local database, whose close first waits for the clients. */
class OwnedDatabase implements Database {
  readonly kind = 'pglite' as const
  constructor(
    private readonly local: Database,
    private readonly closeAll: () => Promise<void>,
  ) {}
  query<R>(text: string, params?: readonly unknown[]): Promise<QueryResult<R>> {
    return this.local.query<R>(text, params)
  }
  withTransaction<T>(fn: (tx: Transaction) => Promise<T>): Promise<T> {
    return this.local.withTransaction(fn)
  }
  exec(sql: string): Promise<void> {
    return this.local.exec(sql)
  }
  close(): Promise<void> {
    return this.closeAll()
  }
}

/** Postgres' own code for a transaction ended by idle_in_transaction_session_timeout. */
const IDLE_IN_TRANSACTION = '25P03'

function serveClient(db: Database, socket: net.Socket, clients: Set<net.Socket>, idleMs: number): void {
  clients.add(socket)
  const transactions = new Map<number, Channel<Request | 'gone'>>()
  /** Transactions rolled back for idling, and why: the client's next request on one is told. */
  const expired = new Map<number, string>()
  let nextTx = 1
  let gone = false
  const reply = (response: Response) => {
    if (!gone) socket.write(frame(response))
  }
  const run = async (target: Transaction | Database, request: Request) => {
    try {
      if (request.op === 'query') {
        const res = await target.query(request.text, request.params)
        reply({ id: request.id, ok: true, result: res })
      } else if (request.op === 'exec') {
        await target.exec(request.sql)
        reply({ id: request.id, ok: true, result: null })
      }
    } catch (err) {
      reply({ id: request.id, ok: false, error: toWire(err) })
    }
  }
  const begin = (request: Request) => {
    const tx = nextTx++
    const channel = new Channel<Request | 'gone'>()
    transactions.set(tx, channel)
    let endId = request.id
    db.withTransaction(async (t) => {
      reply({ id: request.id, ok: true, result: tx })
      for (;;) {
        const next = await nextWithin(channel, idleMs)
        if (next === 'idle') {
          // Gone from the open transactions at once: a request arriving now is told, not queued.
          transactions.delete(tx)
          expired.set(
            tx,
            `the transaction waited more than ${Math.round(idleMs / 1000)} s for its next statement and was rolled back (the embedded database serves one transaction at a time)`,
          )
          throw new Rollback()
        }
        if (next === 'gone') throw new Rollback()
        if (next.op === 'commit') {
          endId = next.id
          return
        }
        if (next.op === 'rollback') {
          endId = next.id
          throw new Rollback()
        }
        await run(t, next)
      }
    })
      .then(() => reply({ id: endId, ok: true, result: null }))
      .catch((err) =>
        reply(
          err instanceof Rollback
            ? { id: endId, ok: true, result: null }
            : { id: endId, ok: false, error: toWire(err) },
        ),
      )
      .finally(() => transactions.delete(tx))
  }
  socket.on(
    'data',
    messageReader((message) => {
      const request = message as Request
      if (request.op === 'begin') return begin(request)
      const tx = 'tx' in request ? request.tx : undefined
      if (tx !== undefined) {
        const channel = transactions.get(tx)
        if (channel) channel.push(request)
        else {
          const why = expired.get(tx)
          if (why && (request.op === 'commit' || request.op === 'rollback')) expired.delete(tx)
          // A rollback of a transaction already rolled back is done; anything else is told why not.
          if (why && request.op === 'rollback') reply({ id: request.id, ok: true, result: null })
          else
            reply({
              id: request.id,
              ok: false,
              error: why
                ? { message: why, code: IDLE_IN_TRANSACTION }
                : { message: `no open transaction ${tx}` },
            })
        }
        return
      }
      void run(db, request)
    }),
  )
  const end = () => {
    if (gone) return
    gone = true
    // A client gone mid-transaction: its transaction is rolled back.
    for (const channel of transactions.values()) channel.push('gone')
    clients.delete(socket)
  }
  socket.on('close', end)
  socket.on('error', end)
}

// ---------------------------------------------------------------------------------------------
// A client of the owner.

function connect(owner: OwnerInfo): Promise<Database> {
  return new Promise((resolve, reject) => {
    const socket = net.createConnection(owner.socket)
    socket.once('error', reject)
    socket.once('connect', () => {
      socket.off('error', reject)
      resolve(new RemoteDatabase(socket, owner))
    })
  })
}

class RemoteDatabase implements Database {
  readonly kind = 'pglite' as const
  private nextId = 1
  private pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>()
  private lost: Error | undefined

  constructor(
    private readonly socket: net.Socket,
    readonly owner: OwnerInfo,
  ) {
    socket.on(
      'data',
      messageReader((message) => {
        const response = message as Response
        const waiter = this.pending.get(response.id)
        if (!waiter) return
        this.pending.delete(response.id)
        if (response.ok) waiter.resolve(response.result)
        else waiter.reject(fromWire(response.error))
      }),
    )
    const fail = () => {
      this.lost ??= new DatabaseUnavailableError(
        `${describe(owner)}, which holds the embedded database, stopped while this command was using it`,
      )
      for (const waiter of this.pending.values()) waiter.reject(this.lost)
      this.pending.clear()
    }
    socket.on('close', fail)
    socket.on('error', fail)
  }

  private request<T>(message: DistributiveOmit<Request, 'id'>): Promise<T> {
    if (this.lost) return Promise.reject(this.lost)
    const id = this.nextId++
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject })
      this.socket.write(frame({ ...message, id }))
    })
  }

  query<R>(text: string, params?: readonly unknown[]): Promise<QueryResult<R>> {
    return this.request({ op: 'query', text, ...(params ? { params: [...params] } : {}) })
  }

  async exec(sql: string): Promise<void> {
    await this.request({ op: 'exec', sql })
  }

  async withTransaction<T>(fn: (tx: Transaction) => Promise<T>): Promise<T> {
    const tx = await this.request<number>({ op: 'begin' })
    let result: T
    try {
      result = await fn({
        query: <R>(text: string, params?: readonly unknown[]) =>
          this.request<QueryResult<R>>({ op: 'query', text, tx, ...(params ? { params: [...params] } : {}) }),
        exec: async (sql: string) => {
          await this.request({ op: 'exec', sql, tx })
        },
      })
    } catch (err) {
      await this.request({ op: 'rollback', tx }).catch(() => {})
      throw err
    }
    await this.request({ op: 'commit', tx })
    return result
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => {
      if (this.socket.destroyed) return resolve()
      this.socket.once('close', () => resolve())
      this.socket.end()
    })
  }
}
