/**
 * Postgres LISTEN/NOTIFY, for events every server on one database must see (live calls). One
 * connection of its own listens, and comes back after the server restarts; NOTIFY goes through
 * the ordinary pool. A payload is at most 8000 bytes (Postgres' limit): senders keep events small.
 */
import pg from 'pg'
import type { Queryable } from './types.js'

export interface Listener {
  close(): Promise<void>
}

/** A channel name for this schema (tests and tenants on one server do not hear each other). */
export function channelName(base: string, schema: string | undefined): string {
  return `${base}_${schema ?? 'public'}`
    .replace(/[^a-z0-9_]/gi, '_')
    .toLowerCase()
    .slice(0, 63)
}

export async function notify(db: Queryable, channel: string, payload: string): Promise<void> {
  await db.query('SELECT pg_notify($1, $2)', [channel, payload])
}

/** Listens on `channel` until closed; reconnects (every 2 s) when the connection is lost. */
export async function listen(
  databaseUrl: string,
  channel: string,
  onPayload: (payload: string) => void,
  onError: (err: Error) => void = () => {},
): Promise<Listener> {
  let client: pg.Client | undefined
  let closed = false
  let retry: NodeJS.Timeout | undefined
  const connect = async (): Promise<void> => {
    const c = new pg.Client({ connectionString: databaseUrl, connectionTimeoutMillis: 10_000 })
    c.on('notification', (n) => {
      if (n.channel === channel && n.payload !== undefined) onPayload(n.payload)
    })
    c.on('error', (err) => {
      onError(err)
      again()
    })
    c.on('end', () => again())
    await c.connect()
    await c.query(`LISTEN ${pg.escapeIdentifier(channel)}`)
    client = c
  }
  const again = () => {
    if (closed || retry) return
    client = undefined
    retry = setTimeout(() => {
      retry = undefined
      connect().catch((err) => {
        onError(err as Error)
        again()
      })
    }, 2000)
    retry.unref()
  }
  await connect()
  return {
    async close() {
      closed = true
      if (retry) clearTimeout(retry)
      await client?.end().catch(() => {})
    },
  }
}
