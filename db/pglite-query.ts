/**
 * Statements into PGlite the way a network driver sends them to a server: each in one call into
 * PGlite's WASM (Parse, Bind, Describe, Execute and Sync together), and each data statement
 * prepared once, by name, and executed by that name afterwards — Postgres parses, analyses and
 * plans it once instead of on every call (pg does the same for a named query). PGlite's own
 * query() sends each message in turn (six calls into the WASM) and prepares nothing.
 *
 * Parameters become text through pg's own `prepareValue`: the Postgres path's serialisation, so
 * both databases receive the same text for the same value, and the server infers their types as it
 * does for pg. Results are parsed by PGlite's parsers (callqa's int8 and numeric ones included).
 *
 * Only data statements (SELECT, INSERT, UPDATE, DELETE, WITH, VALUES) are prepared. Anything else
 * (DDL, SET, a migration through exec) may change what a prepared statement returns, so it runs
 * unprepared and every prepared statement is dropped after it (`DEALLOCATE ALL`).
 *
 * Measured (bench/README.md, "The save's statements and the embedded database"): a small join 733 → 115 µs of
 * CPU, the save's calls update 521 → 310 µs, against PGlite's query().
 */
import { type PGlite, parse, protocol } from '@electric-sql/pglite'
import pgUtils from 'pg/lib/utils.js'
import type { QueryResult } from './types.js'

const { serialize } = protocol
const DESCRIBE_PORTAL = serialize.describe({ type: 'P' })
const EXECUTE = serialize.execute({})
const SYNC = serialize.sync()
const DEALLOCATE_ALL = concat([
  serialize.parse({ text: 'DEALLOCATE ALL' }),
  serialize.bind({ values: [] }),
  EXECUTE,
])

/** Statements whose result shape only DDL changes: these are prepared. */
const DATA_STATEMENT = /^\s*(select|insert|update|delete|with|values)\b/i

/** Prepared statements kept at most; further texts (dynamic SQL gone wild) run unprepared. */
const MAX_PREPARED = 1000

type Message = Uint8Array

function concat(parts: readonly Message[]): Message {
  let size = 0
  for (const part of parts) size += part.length
  const out = new Uint8Array(size)
  let at = 0
  for (const part of parts) {
    out.set(part, at)
    at += part.length
  }
  return out
}

/** Runs statements on one PGlite, keeping the names of those it has prepared on it. */
export class PgliteStatements {
  /** statement text → name on the PGlite backend */
  private readonly prepared = new Map<string, string>()
  /** names are never reused, so a name dropped from the map but not from the backend cannot clash */
  private named = 0

  constructor(private readonly db: PGlite) {}

  /**
   * Runs one statement. `inTransaction`: the caller holds PGlite's transaction lock (inside
   * `db.transaction`); otherwise this takes it, as `db.query` does, so a statement never runs
   * between another transaction's.
   */
  async query<R>(
    text: string,
    params: readonly unknown[] | undefined,
    inTransaction: boolean,
  ): Promise<QueryResult<R>> {
    const values = (params ?? []).map((value) => pgUtils.prepareValue(value) as string | Buffer | null)
    await this.db._checkReady()
    const run = () => this.run(text, values, inTransaction)
    const replies = inTransaction
      ? await this.db._runExclusiveQuery(run)
      : await this.db._runExclusiveTransaction(() => this.db._runExclusiveQuery(run))
    const [result] = parse.parseResults(replies, this.db.parsers)
    const rows = (result?.rows ?? []) as R[]
    return { rows, rowCount: result?.affectedRows ?? rows.length }
  }

  /** What to append to an exec (DDL, a migration) so that nothing stays prepared after it. */
  deallocateAfterExec(): string {
    const any = this.prepared.size > 0
    this.prepared.clear()
    // A newline first: the SQL may end in a line comment.
    return any ? '\n;\nDEALLOCATE ALL' : ''
  }

  private async run(text: string, values: Array<string | Buffer | null>, inTransaction: boolean) {
    const known = this.prepared.get(text)
    const data = DATA_STATEMENT.test(text)
    const name = known ?? (data && this.prepared.size < MAX_PREPARED ? `callqa_${++this.named}` : '')
    const parts: Message[] = []
    if (!known) parts.push(serialize.parse({ text, name }))
    parts.push(serialize.bind({ statement: name, values }), DESCRIBE_PORTAL, EXECUTE)
    if (!data && this.prepared.size > 0) parts.push(DEALLOCATE_ALL)
    parts.push(SYNC)
    // Every reply, errors included: whether the Parse took decides whether the name is known.
    const replies = await this.db.execProtocolStream(concat(parts), { syncToFs: false, throwOnError: false })
    if (!inTransaction) await this.db.syncToFs()
    if (!known && name && replies.some((m) => m.name === 'parseComplete')) this.prepared.set(text, name)
    if (
      !data &&
      replies.some((m) => m.name === 'commandComplete' && 'text' in m && m.text === 'DEALLOCATE ALL')
    )
      this.prepared.clear()
    const error = replies.find((m) => m.name === 'error')
    if (error) throw error
    return replies
  }
}
