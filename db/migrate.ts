/**
 * Applies db/migrations/NNNNNN_*.sql in order, one transaction per file, and records each in
 * `callqa_migrations`. Files are never edited once merged: add a new one.
 */
import { readdirSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { MigrationError } from '../errors.js'
import type { Database } from './index.js'

export const migrationsDir = path.join(path.dirname(fileURLToPath(import.meta.url)), 'migrations')

export interface Migration {
  version: number
  name: string
  sql: string
}

export function listMigrations(dir = migrationsDir): Migration[] {
  return readdirSync(dir)
    .filter((f) => /^\d{6}_[a-z0-9_]+\.sql$/.test(f))
    .sort()
    .map((f) => ({ version: Number(f.slice(0, 6)), name: f, sql: readFileSync(path.join(dir, f), 'utf8') }))
}

/** Several processes starting at once (two ingests, a server and a worker) migrate one at a time. */
const MIGRATION_LOCK = "SELECT pg_advisory_xact_lock(hashtext('callqa.migrate'))"

export async function migrate(db: Database, dir = migrationsDir): Promise<string[]> {
  await db.withTransaction(async (tx) => {
    await tx.query(MIGRATION_LOCK)
    await tx.exec(`CREATE TABLE IF NOT EXISTS callqa_migrations (
    version integer PRIMARY KEY,
    name text NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now()
  )`)
  })
  const applied = new Set(
    (await db.query<{ version: number }>('SELECT version FROM callqa_migrations')).rows.map((r) => r.version),
  )
  const done: string[] = []
  for (const m of listMigrations(dir)) {
    if (applied.has(m.version)) continue
    try {
      const ran = await db.withTransaction(async (tx) => {
        // One migrator at a time; one that waited finds the migration applied and moves on.
        await tx.query(MIGRATION_LOCK)
        const done = await tx.query('SELECT 1 FROM callqa_migrations WHERE version = $1', [m.version])
        if (done.rows.length > 0) return false
        await tx.query('INSERT INTO callqa_migrations (version, name) VALUES ($1, $2)', [m.version, m.name])
        await tx.exec(m.sql)
        return true
      })
      if (!ran) continue
    } catch (cause) {
      throw new MigrationError(`migration ${m.name} failed: ${(cause as Error).message}`, { cause })
    }
    done.push(m.name)
  }
  return done
}
