/**
 * The one module that talks to Postgres. Two back-ends behind one interface:
 * a real server through `pg` (DATABASE_URL), or PGlite (Postgres in WASM) in a data folder.
 * The same SQL runs on both. Query text may be logged; parameters never (transcripts are personal data).
 */
import path from 'node:path'
import { PGlite, types as pgliteTypes } from '@electric-sql/pglite'
import pg from 'pg'
import { privateDir, repairPrivate } from '../private-files.js'
import { type OwnershipOptions, openOwned } from './embedded-owner.js'
import { PgliteStatements } from './pglite-query.js'
import type { Database, QueryResult, Transaction } from './types.js'

export type { Database, Queryable, QueryResult, Transaction } from './types.js'

export interface OpenDatabaseOptions {
  /** Postgres connection string; without it, PGlite. */
  databaseUrl?: string
  /** PGlite data folder; `memory://` or undefined keeps it in memory. */
  dataDir?: string
  /** Postgres only: schema to use (created if missing). Lets tests run side by side. */
  schema?: string
  /** Postgres only: pool size. */
  maxConnections?: number
  /** Postgres only: longest a statement may run, ms (default 60 s); a connection attempt gives up after 10 s. */
  statementTimeoutMs?: number
  /**
   * PGlite in a folder: who this process is, for the folder's single owner (see embedded-owner.ts).
   * Default: a command.
   */
  ownership?: OwnershipOptions
}

// bigint ids and counts fit in a double for any realistic call volume; numbers are easier everywhere.
const INT8 = 20
const NUMERIC = 1700

/** int8[]: PGlite gives numbers; so does this (pg's own parser gives strings). */
const INT8_ARRAY = 1016

function pgTypeParser(oid: number, format?: string) {
  if (oid === INT8 || oid === NUMERIC) return (value: string) => (value === null ? null : Number(value))
  if (oid === INT8_ARRAY) {
    const strings = pg.types.getTypeParser(oid as never, 'text') as (value: string) => Array<string | null>
    return (value: string) => strings(value).map((v) => (v === null ? null : Number(v)))
  }
  return pg.types.getTypeParser(oid, format as 'text')
}

class PostgresDatabase implements Database {
  readonly kind = 'postgres' as const
  constructor(private readonly pool: pg.Pool) {
    // An idle client that errors (server restart) must not crash the process.
    pool.on('error', (err) => console.error(`callqa: idle Postgres connection failed: ${err.message}`))
  }

  async query<R>(text: string, params?: readonly unknown[]): Promise<QueryResult<R>> {
    const res = await this.pool.query(text, params as unknown[] | undefined)
    return { rows: res.rows as R[], rowCount: res.rowCount ?? 0 }
  }

  async withTransaction<T>(fn: (tx: Transaction) => Promise<T>): Promise<T> {
    const client = await this.pool.connect()
    // A checked-out client whose connection drops (a server restart) emits 'error' on itself, not
    // on the pool: without a listener that crashes the process. The query in flight fails anyway;
    // the broken client is destroyed on release instead of going back to the pool.
    let broken: Error | undefined
    const onError = (err: Error) => {
      broken = err
    }
    client.on('error', onError)
    try {
      await client.query('BEGIN')
      const tx: Transaction = {
        async exec(sql: string) {
          await client.query(sql)
        },
        async query<R>(text: string, params?: readonly unknown[]) {
          const res = await client.query(text, params as unknown[] | undefined)
          return { rows: res.rows as R[], rowCount: res.rowCount ?? 0 }
        },
      }
      const result = await fn(tx)
      await client.query('COMMIT')
      return result
    } catch (err) {
      await client.query('ROLLBACK').catch(() => {})
      throw err
    } finally {
      client.off('error', onError)
      client.release(broken)
    }
  }

  async exec(sql: string): Promise<void> {
    await this.pool.query(sql)
  }

  private closing: Promise<void> | undefined
  close(): Promise<void> {
    this.closing ??= this.pool.end()
    return this.closing
  }
}

class PgliteDatabase implements Database {
  readonly kind = 'pglite' as const
  private readonly statements: PgliteStatements
  constructor(
    private readonly db: PGlite,
    /** the data folder, repaired again on close (files PGlite made while it ran) */
    private readonly dir?: string,
  ) {
    this.statements = new PgliteStatements(db)
  }

  query<R>(text: string, params?: readonly unknown[]): Promise<QueryResult<R>> {
    return this.statements.query<R>(text, params, false)
  }

  withTransaction<T>(fn: (tx: Transaction) => Promise<T>): Promise<T> {
    // PGlite is one connection: its transaction() queues other queries until this one ends.
    return this.db.transaction(async (t) =>
      fn({
        exec: async (sql: string) => {
          await t.exec(sql + this.statements.deallocateAfterExec())
        },
        query: async <R>(text: string, params?: readonly unknown[]) => {
          if (t.closed) throw new Error('Transaction is closed')
          return this.statements.query<R>(text, params, true)
        },
      }),
    )
  }

  async exec(sql: string): Promise<void> {
    await this.db.exec(sql + this.statements.deallocateAfterExec())
  }

  private closing: Promise<void> | undefined
  close(): Promise<void> {
    this.closing ??= (async () => {
      await this.db.close()
      if (this.dir) repairPrivate(this.dir)
    })()
    return this.closing
  }
}

const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/

export async function openDatabase(options: OpenDatabaseOptions): Promise<Database> {
  if (options.databaseUrl) {
    const { schema } = options
    if (schema !== undefined) {
      if (!SCHEMA_NAME.test(schema)) throw new Error(`invalid schema name ${schema}`)
      const admin = new pg.Client({ connectionString: options.databaseUrl })
      await admin.connect()
      try {
        // Two processes starting at once may both create it: the loser's unique violation is fine.
        await admin.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`).catch((err: { code?: string }) => {
          if (err.code !== '23505') throw err
        })
      } finally {
        await admin.end()
      }
    }
    const pool = new pg.Pool({
      connectionString: options.databaseUrl,
      max: options.maxConnections ?? 10,
      // A locked table or a lost server must not hang a request or a worker for ever.
      statement_timeout: options.statementTimeoutMs ?? 30_000,
      connectionTimeoutMillis: 10_000,
      types: { getTypeParser: pgTypeParser } as pg.CustomTypesConfig,
      ...(schema ? { options: `-c search_path=${schema}` } : {}),
    })
    return new PostgresDatabase(pool)
  }
  const dir = options.dataDir && options.dataDir !== 'memory://' ? path.resolve(options.dataDir) : undefined
  const openLocal = async () => {
    // The cluster is personal data: its folder is closed to other accounts before PGlite writes
    // into it, and every file in it (those PGlite makes world-writable, its bundled image, and any
    // an older callqa left) is repaired once PGlite has opened it.
    if (dir) privateDir(dir)
    const db = await PGlite.create(dir, {
      parsers: {
        [pgliteTypes.INT8]: (v: string) => Number(v),
        [pgliteTypes.NUMERIC]: (v: string) => Number(v),
      },
    })
    if (dir) repairPrivate(dir)
    return new PgliteDatabase(db, dir)
  }
  if (!dir) return openLocal()
  // A folder has one owner; every other process works through it. The folder holding it (the
  // data folder, with the lock and the socket) is private too.
  privateDir(path.dirname(dir))
  return openOwned(dir, options.ownership ?? { kind: 'command', command: 'callqa' }, openLocal)
}

/**
 * Runs `fn` while this process holds a Postgres session advisory lock named `key`, on a connection
 * of its own: for one-time setup that other tools do without a lock of their own (pg-boss creates
 * a queue's partition without one, and two processes creating it at once deadlock). Closing the
 * connection releases the lock, whatever `fn` did.
 */
export async function withServerLock<T>(databaseUrl: string, key: string, fn: () => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: databaseUrl, connectionTimeoutMillis: 10_000 })
  // A connection that drops while `fn` runs emits 'error' here; ending the client is all that is left.
  client.on('error', () => {})
  await client.connect()
  try {
    await client.query('SELECT pg_advisory_lock(hashtext($1))', [key])
    return await fn()
  } finally {
    await client.end().catch(() => {})
  }
}
