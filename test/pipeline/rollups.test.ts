/**
 * Trend rollups rebuilt per marked day, not per call inside its save, and still exact: calls saved
 * out of order, days marked again while they are being rebuilt, and (on the Postgres server) a
 * save that commits while a rebuild of its day is under way — the rollups always end equal to a
 * rebuild of everything from the calls.
 */
import pg from 'pg'
import { afterAll, beforeAll, expect, test } from 'vitest'
import type { Database } from '../../db/index.js'
import { markCallDaysDirty, refreshDailyStats } from '../../db/queries/daily-stats.js'
import { refreshMarkedDays } from '../../pipeline/rollups.js'
import { openTestDb, schemaFor, testDatabaseUrl, testDbKind } from '../helpers/db.js'

let db: Database
beforeAll(async () => {
  db = await openTestDb('pipeline/rollups')
})
afterAll(async () => db?.close())

let n = 0
/** A done call of `day` (with metrics), as a save leaves it before its day is rebuilt. */
async function saveCall(day: string, agent: string, durationMs: number): Promise<number> {
  n++
  const id = (
    await db.query<{ id: number }>(
      `INSERT INTO calls (sha256, source_name, status, agent_id, team, queue, started_at, duration_ms, csat)
       VALUES ($1, $2, 'done', $3, 'north', 'billing', $4, $5, $6) RETURNING id`,
      [
        `roll-${n}`,
        `call-${n}.wav`,
        agent,
        `${day}T${String(8 + (n % 10)).padStart(2, '0')}:00:00Z`,
        durationMs,
        1 + (n % 5),
      ],
    )
  ).rows[0]?.id as number
  await markCallDaysDirty(db, [id])
  return id
}

/** The call rollups as they stand, and as a rebuild of every day from the calls makes them. */
async function standingAndRebuilt() {
  const read = async () =>
    (
      await db.query(
        `SELECT to_char(day, 'YYYY-MM-DD') AS day, agent_id, calls, duration_ms_sum, csat_sum, csat_n
         FROM daily_call_stats ORDER BY 1, 2`,
      )
    ).rows
  const standing = await read()
  const days = (
    await db.query<{ d: string }>(
      "SELECT DISTINCT to_char((started_at AT TIME ZONE 'UTC')::date, 'YYYY-MM-DD') AS d FROM calls",
    )
  ).rows.map((r) => r.d)
  await db.withTransaction((tx) => refreshDailyStats(tx, days))
  return { standing, rebuilt: await read() }
}

test('calls saved out of order over three days: each marked day rebuilt once, the rollups exact', async () => {
  await saveCall('2026-11-12', 'A1', 60_000)
  await saveCall('2026-11-10', 'A2', 30_000)
  await saveCall('2026-11-12', 'A2', 90_000)
  await saveCall('2026-11-11', 'A1', 45_000)
  // Three calls, three days marked (the day of two calls once).
  expect((await db.query<{ n: number }>('SELECT count(*)::int AS n FROM daily_stats_dirty')).rows[0]?.n).toBe(
    3,
  )
  expect(await refreshMarkedDays(db)).toBe(3)
  expect((await db.query<{ n: number }>('SELECT count(*)::int AS n FROM daily_stats_dirty')).rows[0]?.n).toBe(
    0,
  )
  // An older day gets a late call after its rebuild: marked again, rebuilt again.
  await saveCall('2026-11-10', 'A1', 20_000)
  expect(await refreshMarkedDays(db)).toBe(1)
  const { standing, rebuilt } = await standingAndRebuilt()
  expect(standing).toEqual(rebuilt)
  expect(standing.map((r) => r.day)).toEqual([
    '2026-11-10',
    '2026-11-10',
    '2026-11-11',
    '2026-11-12',
    '2026-11-12',
  ])
})

test.runIf(testDbKind === 'postgres')(
  'a save that commits while its day is being rebuilt is not lost: the rebuild waits for it',
  async () => {
    const schema = schemaFor('pipeline/rollups')
    const connect = async () => {
      const c = new pg.Client({ connectionString: testDatabaseUrl, options: `-c search_path=${schema}` })
      await c.connect()
      return c
    }
    const save = await connect()
    try {
      const day = '2026-11-20'
      await saveCall(day, 'A1', 10_000)
      await refreshMarkedDays(db)
      // Another call marks the day (committed); then a save of that day, not yet committed: its
      // call and its mark (the same row) are in its transaction.
      await saveCall(day, 'A2', 5_000)
      await save.query('BEGIN')
      await save.query(
        `INSERT INTO calls (sha256, source_name, status, agent_id, team, queue, started_at, duration_ms)
         VALUES ('race', 'race.wav', 'done', 'A1', 'north', 'billing', $1, 77000)`,
        [`${day}T10:00:00Z`],
      )
      const id = (await save.query<{ id: number }>("SELECT id FROM calls WHERE sha256 = 'race'")).rows[0]
        ?.id as number
      // The save marks its day as every save does, last in its transaction.
      await markCallDaysDirty(
        {
          query: async <R>(text: string, params?: readonly unknown[]) => {
            const r = await save.query(text, params as unknown[])
            return { rows: r.rows as R[], rowCount: r.rowCount ?? 0 }
          },
        },
        [id],
      )
      // A rebuild of the marked days starts meanwhile: it must wait for the save, not skip its call.
      let drained = false
      const draining = refreshMarkedDays(db).then(() => {
        drained = true
      })
      await new Promise((r) => setTimeout(r, 500))
      expect(drained).toBe(false)
      await save.query('COMMIT')
      await draining
      const { standing, rebuilt } = await standingAndRebuilt()
      expect(standing).toEqual(rebuilt)
      const a1 = standing.find((r) => r.day === day && r.agent_id === 'A1')
      expect(a1).toMatchObject({ calls: 2, duration_ms_sum: 87_000 })
    } finally {
      await save.end()
    }
  },
)
