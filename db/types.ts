/**
 * What callqa asks of a database, whichever it is (db/index.ts: a Postgres server through pg, or
 * PGlite; db/embedded-owner.ts: PGlite through the process that owns its folder).
 */

export interface QueryResult<R> {
  rows: R[]
  rowCount: number
}

export interface Queryable {
  query<R = Record<string, unknown>>(text: string, params?: readonly unknown[]): Promise<QueryResult<R>>
}

export interface Transaction extends Queryable {
  /** Runs several statements (migrations). No parameters. */
  exec(sql: string): Promise<void>
}

export interface Database extends Queryable {
  readonly kind: 'postgres' | 'pglite'
  /** BEGIN … COMMIT, ROLLBACK on any error. `fn` must use `tx`, not the database. */
  withTransaction<T>(fn: (tx: Transaction) => Promise<T>): Promise<T>
  /** Runs several statements (migrations). No parameters. */
  exec(sql: string): Promise<void>
  /** Closes it; a second call waits for the first (a server closes what its command also closes). */
  close(): Promise<void>
}
