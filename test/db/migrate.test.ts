import { afterAll, beforeAll, expect, test } from 'vitest'
import type { Database } from '../../db/index.js'
import { listMigrations, migrate } from '../../db/migrate.js'
import { openTestDb, testDbKind } from '../helpers/db.js'

let db: Database
beforeAll(async () => {
  db = await openTestDb('db/migrate')
})
afterAll(async () => {
  await db.close()
})

test(`migrations apply once and are recorded (${testDbKind})`, async () => {
  const recorded = await db.query<{ version: number; name: string }>(
    'SELECT version, name FROM callqa_migrations ORDER BY version',
  )
  expect(recorded.rows.map((r) => r.name)).toEqual(listMigrations().map((m) => m.name))
  expect(await migrate(db)).toEqual([])
})

test('constraints guard the data', async () => {
  await expect(
    db.query("INSERT INTO calls (source_name, status) VALUES ('x.wav', 'finished')"),
  ).rejects.toMatchObject({ code: '23514' })
  await db.query("INSERT INTO calls (source_name, sha256) VALUES ('x.wav', 'abc')")
  await expect(
    db.query("INSERT INTO calls (source_name, sha256) VALUES ('y.wav', 'abc')"),
  ).rejects.toMatchObject({
    code: '23505',
  })
})

test('a failing transaction rolls back everything in it', async () => {
  await expect(
    db.withTransaction(async (tx) => {
      await tx.query("INSERT INTO calls (source_name, sha256) VALUES ('z.wav', 'def')")
      await tx.query('SELECT * FROM no_such_table')
    }),
  ).rejects.toMatchObject({ code: '42P01' })
  const rows = await db.query("SELECT 1 FROM calls WHERE sha256 = 'def'")
  expect(rows.rows).toEqual([])
})

test('bigint ids come back as numbers on both back-ends', async () => {
  const row = (
    await db.query<{ id: unknown }>("INSERT INTO calls (source_name) VALUES ('n.wav') RETURNING id")
  ).rows[0]
  expect(typeof row?.id).toBe('number')
})
