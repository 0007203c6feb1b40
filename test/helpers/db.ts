/**
 * Test databases. CALLQA_TEST_DB=postgres runs against the real server (TEST_DATABASE_URL,
 * default postgres://postgres@127.0.0.1:5432/test), each test file in its own schema named
 * from a hash of its name; otherwise an in-memory PGlite per file.
 */
import { createHash } from 'node:crypto'
import { type Database, openDatabase } from '../../db/index.js'
import { migrate } from '../../db/migrate.js'

export const testDbKind = process.env.CALLQA_TEST_DB === 'postgres' ? 'postgres' : 'pglite'
export const testDatabaseUrl = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test'

export function schemaFor(name: string): string {
  return `t_${createHash('sha256').update(name).digest('hex').slice(0, 16)}`
}

export async function dropSchema(schema: string): Promise<void> {
  const admin = await openDatabase({ databaseUrl: testDatabaseUrl })
  try {
    await admin.exec(`DROP SCHEMA IF EXISTS ${schema} CASCADE`)
  } finally {
    await admin.close()
  }
}

/** A migrated, empty database for one test file or test. */
export async function openTestDb(name: string): Promise<Database> {
  if (testDbKind === 'pglite') {
    const db = await openDatabase({ dataDir: 'memory://' })
    await migrate(db)
    return db
  }
  const schema = schemaFor(name)
  await dropSchema(schema)
  const db = await openDatabase({ databaseUrl: testDatabaseUrl, schema, maxConnections: 4 })
  await migrate(db)
  const close = db.close.bind(db)
  // Leave no schemas behind on the shared server.
  return Object.assign(db, {
    async close() {
      await close()
      await dropSchema(schema)
    },
  })
}
