/**
 * Statements through the database layer (on PGlite: pipelined and prepared by name, db/pglite-query.ts;
 * on Postgres: pg). The same values come back the same on both; a prepared statement survives
 * schema changes, errors and transactions.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import type { Database } from '../../db/index.js'
import { openTestDb } from '../helpers/db.js'

let db: Database

beforeAll(async () => {
  db = await openTestDb('db/statements')
  await db.exec(`CREATE TABLE stmt_probe (id int PRIMARY KEY, name text NOT NULL, tags text[], doc jsonb,
    flag boolean, at timestamptz, raw bytea, score real)`)
})
afterAll(async () => {
  await db.close()
})

const SELECT_ALL = 'SELECT * FROM stmt_probe WHERE id = $1'

describe('statements', () => {
  test('values go in and come back the same, every time the statement runs', async () => {
    const at = new Date('2026-12-06T10:11:12.345Z')
    const insert = `INSERT INTO stmt_probe (id, name, tags, doc, flag, at, raw, score)
      VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id`
    for (let id = 1; id <= 12; id++) {
      const res = await db.query<{ id: number }>(insert, [
        id,
        `it's "quoted", {braced} \\ 客户 ${id}`,
        ['a,b', 'c"d', null, '退款'],
        JSON.stringify({ n: id, nested: { list: [1, 2] } }),
        id % 2 === 0,
        at,
        Buffer.from([0, 255, id]),
        id / 4,
      ])
      expect(res.rows).toEqual([{ id }])
      expect(res.rowCount).toBe(1)
    }
    for (let id = 1; id <= 12; id++) {
      const row = (await db.query<Record<string, unknown>>(SELECT_ALL, [id])).rows[0]
      expect(row).toMatchObject({
        id,
        name: `it's "quoted", {braced} \\ 客户 ${id}`,
        tags: ['a,b', 'c"d', null, '退款'],
        doc: { n: id, nested: { list: [1, 2] } },
        flag: id % 2 === 0,
        score: id / 4,
      })
      expect(new Date(row?.at as string).toISOString()).toBe(at.toISOString())
      expect(Array.from((row?.raw ?? []) as Uint8Array)).toEqual([0, 255, id])
    }
    const none = await db.query('SELECT id FROM stmt_probe WHERE id = ANY($1::int[])', [[100, 101]])
    expect(none.rows).toEqual([])
    const updated = await db.query('UPDATE stmt_probe SET flag = NOT flag WHERE id <= $1', [3])
    expect(updated.rowCount).toBe(3)
  })

  test('after a schema change the same statement returns the new shape', async () => {
    expect(Object.keys((await db.query(SELECT_ALL, [1])).rows[0] ?? {})).not.toContain('added')
    // (A migration file may end in a comment.)
    await db.exec("ALTER TABLE stmt_probe ADD COLUMN added text NOT NULL DEFAULT 'yes' -- a note")
    expect((await db.query(SELECT_ALL, [1])).rows[0]).toMatchObject({ id: 1, added: 'yes' })
    // And in a transaction, as a migration runs it.
    await db.withTransaction(async (tx) => {
      await tx.exec('ALTER TABLE stmt_probe DROP COLUMN added')
      expect(Object.keys((await tx.query(SELECT_ALL, [1])).rows[0] ?? {})).not.toContain('added')
    })
    expect(Object.keys((await db.query(SELECT_ALL, [1])).rows[0] ?? {})).not.toContain('added')
  })

  test('an error fails its statement only; the statement and the database work afterwards', async () => {
    const byName = 'SELECT id FROM stmt_probe WHERE name = $1 AND id > $2'
    await expect(db.query(byName, ['x', 'not a number'])).rejects.toMatchObject({ code: '22P02' })
    expect((await db.query(byName, ['none', 0])).rows).toEqual([])
    // A statement first seen inside a transaction that has already failed is refused there, and
    // runs afterwards.
    const fresh = 'SELECT count(*)::int AS n FROM stmt_probe WHERE id > $1'
    await expect(
      db.withTransaction(async (tx) => {
        await tx.query('INSERT INTO stmt_probe (id, name) VALUES ($1, $2)', [500, 'kept?'])
        await tx.query('INSERT INTO stmt_probe (id, name) VALUES ($1, NULL)', [501]).catch(() => {})
        await tx.query(fresh, [0])
      }),
    ).rejects.toMatchObject({ code: '25P02' })
    expect((await db.query<{ n: number }>(fresh, [400])).rows[0]?.n).toBe(0)
    await expect(
      db.query('INSERT INTO stmt_probe (id, name) VALUES ($1, $2)', [1, 'dup']),
    ).rejects.toMatchObject({ code: '23505' })
  })

  test('a statement outside a transaction never runs inside another one', async () => {
    let inside: () => void = () => {}
    const entered = new Promise<void>((resolve) => {
      inside = resolve
    })
    let release: () => void = () => {}
    const held = new Promise<void>((resolve) => {
      release = resolve
    })
    const tx = db
      .withTransaction(async (t) => {
        await t.query('INSERT INTO stmt_probe (id, name) VALUES ($1, $2)', [600, 'rolled back'])
        inside()
        await held
        throw new Error('roll it back')
      })
      .catch((err: Error) => err.message)
    await entered
    const outside = db.query('INSERT INTO stmt_probe (id, name) VALUES ($1, $2) RETURNING id', [601, 'kept'])
    setTimeout(release, 50)
    expect(await tx).toBe('roll it back')
    expect((await outside).rows).toEqual([{ id: 601 }])
    const ids = await db.query<{ id: number }>('SELECT id FROM stmt_probe WHERE id >= 600 ORDER BY id')
    expect(ids.rows).toEqual([{ id: 601 }])
  })
})
