/**
 * Reminders and escalation on a seeded database with a clock the test drives minute by minute:
 * each step happens once, at its minute, with two schedulers running at once (on Postgres, two
 * connection pools, as two servers would); the clocks stop while a case waits for the customer;
 * a scheduler started again later does nothing twice.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import type { Database } from '../../db/index.js'
import { openDatabase } from '../../db/index.js'
import { followUpEvents } from '../../db/queries/follow-ups.js'
import type { UserRow } from '../../db/queries/users.js'
import { changeFollowUp, openFollowUpsForCalls } from '../../followups/cases.js'
import { runFollowUpSteps } from '../../followups/schedule.js'
import { openTestDb, schemaFor, testDatabaseUrl, testDbKind } from '../helpers/db.js'
import { activateRules, RULES_YAML, seedCall, seedPeople } from './seed.js'

const MIN = 60_000
let db: Database
let other: Database
let people: Awaited<ReturnType<typeof seedPeople>>
const T0 = new Date('2026-12-01T09:00:00Z')
const at = (minutes: number) => new Date(T0.getTime() + minutes * MIN)

beforeAll(async () => {
  // Events are queued only when a receiver is configured (none listens here: the outbox is read).
  process.env.CALLQA_WEBHOOK_URL = 'http://127.0.0.1:9/hooks'
  db = await openTestDb('follow-ups/schedule')
  // A second server: its own connections to the same database (PGlite has one connection).
  other =
    testDbKind === 'postgres'
      ? await openDatabase({
          databaseUrl: testDatabaseUrl,
          schema: schemaFor('follow-ups/schedule'),
          maxConnections: 4,
        })
      : db
  people = await seedPeople(db)
  await activateRules(
    db,
    RULES_YAML.replace('escalate_after: 48h', 'escalate_after: { P0: 2h, P1: 48h, P2: 48h, P3: 48h }'),
  )
}, 60_000)
afterAll(async () => {
  if (other !== db) await other.close()
  await db.close()
})

/** Opens a case from a new call at `minute`; returns its id. */
async function open(f: Parameters<typeof seedCall>[1], minute = 0): Promise<number> {
  const call = await seedCall(db, f)
  const [id] = await db.withTransaction((tx) => openFollowUpsForCalls(tx, [call], at(minute)))
  expect(id).toBeDefined()
  return id as number
}

/** Runs both schedulers at once on every minute of [from, to]; the minute of each step. */
async function drive(from: number, to: number, step = 1) {
  for (let m = from; m <= to; m += step)
    await Promise.all([runFollowUpSteps(db, at(m)), runFollowUpSteps(other, at(m))])
}

async function steps(id: number) {
  return (await followUpEvents(db, id))
    .filter((e) => e.kind === 'reminder' || e.kind === 'escalated')
    .map((e) => ({ kind: e.kind, minute: (e.at.getTime() - T0.getTime()) / MIN, detail: e.detail }))
}

async function webhooks(id: number) {
  const res = await db.query<{ event_type: string; payload: { data: { id: number; change?: string } } }>(
    `SELECT event_type, payload FROM webhook_outbox ORDER BY created_at, id`,
  )
  return res.rows.filter((r) => r.payload.data.id === id).map((r) => r.payload.data.change ?? r.event_type)
}

const as = (name: string): UserRow => people[name] as UserRow

describe('follow-up steps', () => {
  test('a P1 billing case: routed, reminded before the response is due, escalated when it is missed and again when the resolution is', async () => {
    const id = await open({ urgency: 1, category: 'billing/charges' })
    const row = (
      await db.query('SELECT team, owner_id, respond_due_at, resolve_due_at FROM follow_ups WHERE id = $1', [
        id,
      ])
    ).rows[0] as { team: string; owner_id: number; respond_due_at: Date; resolve_due_at: Date }
    expect(row.team).toBe('billing')
    expect(row.owner_id).toBe(people.ana?.id)
    expect(new Date(row.respond_due_at)).toEqual(at(60))
    expect(new Date(row.resolve_due_at)).toEqual(at(24 * 60))
    // Every minute around each step's minute (a minute early shows it is not early), every 10 between.
    await drive(0, 70)
    await drive(80, 1070, 10)
    await drive(1071, 1090)
    await drive(1100, 1430, 10)
    await drive(1431, 1450)
    await drive(1460, 26 * 60, 10)
    expect(await steps(id)).toEqual([
      // 25% of the hour before the first response is due
      {
        kind: 'reminder',
        minute: 45,
        detail: { promise: 'respond', due_at: at(60).toISOString(), owner: 'ana' },
      },
      { kind: 'escalated', minute: 60, detail: { level: 1, to: ['lee'], why: 'first response missed' } },
      // 25% of the day before the resolution is due, still to its owner
      {
        kind: 'reminder',
        minute: 18 * 60,
        detail: { promise: 'resolve', due_at: at(24 * 60).toISOString(), owner: 'ana' },
      },
      // lee is in escalations, which escalates to head-of-service: the next level
      {
        kind: 'escalated',
        minute: 24 * 60,
        detail: { level: 2, to: ['head-of-service'], why: 'resolution missed' },
      },
    ])
    expect(await webhooks(id)).toEqual([
      'follow_up.created',
      'reminder',
      'follow_up.escalated',
      'reminder',
      'follow_up.escalated',
    ])
    // The top level is the last: two more quiet days change nothing.
    await drive(26 * 60, 26 * 60 + 4 * 24 * 60, 60)
    expect((await steps(id)).length).toBe(4)
    // A scheduler started again (a restarted server) at a minute already worked does nothing.
    await runFollowUpSteps(db, at(24 * 60))
    expect((await steps(id)).length).toBe(4)
  }, 120_000)

  test('waiting for the customer stops the clocks; then a missed promise, then nothing moving for escalate_after', async () => {
    const id = await open({ urgency: 1, category: 'delivery/late' }, 0)
    expect((await db.query('SELECT team FROM follow_ups WHERE id = $1', [id])).rows[0]).toEqual({
      team: 'service-desk',
    })
    // cy answers within the hour, then waits for the customer for 3 days.
    await db.withTransaction((tx) =>
      changeFollowUp(tx, id, as('cy'), { status: 'waiting', note: 'asked for the tracking number' }, at(60)),
    )
    await drive(60, 60 + 3 * 24 * 60, 30)
    expect(await steps(id)).toEqual([])
    const resumedAt = 60 + 3 * 24 * 60
    const back = await db.withTransaction((tx) =>
      changeFollowUp(tx, id, as('cy'), { status: 'in_progress' }, at(resumedAt)),
    )
    // The promise moved on by the three days waited.
    const due = 24 * 60 + 3 * 24 * 60
    expect(back.resolve_due_at).toEqual(at(due))
    expect(back.paused_ms).toBe(3 * 24 * 60 * MIN)
    await drive(resumedAt, due - 6 * 60 - 10, 10)
    await drive(due - 6 * 60 - 5, due + 5)
    await drive(due + 10, due + 48 * 60 - 10, 10)
    await drive(due + 48 * 60 - 5, due + 48 * 60 + 5)
    expect(await steps(id)).toEqual([
      {
        kind: 'reminder',
        minute: due - 6 * 60,
        detail: { promise: 'resolve', due_at: at(due).toISOString(), owner: 'cy' },
      },
      { kind: 'escalated', minute: due, detail: { level: 1, to: ['lee'], why: 'resolution missed' } },
      // 48 h without progress after that: the next level
      {
        kind: 'escalated',
        minute: due + 48 * 60,
        detail: { level: 2, to: ['head-of-service'], why: 'no progress' },
      },
    ])
  }, 120_000)

  test('a reopened case starts a new cycle: reminded and escalated again, once', async () => {
    const id = await open({ urgency: 0 }, 0)
    expect((await db.query('SELECT team FROM follow_ups WHERE id = $1', [id])).rows[0]).toEqual({
      team: 'escalations',
    })
    await db.withTransaction((tx) => changeFollowUp(tx, id, as('lee'), { status: 'in_progress' }, at(5)))
    await db.withTransaction((tx) => changeFollowUp(tx, id, as('lee'), { status: 'resolved' }, at(30)))
    await drive(0, 6 * 60, 5)
    expect(await steps(id)).toEqual([])
    await db.withTransaction((tx) =>
      changeFollowUp(tx, id, as('max'), { status: 'reopened', note: 'the customer called back' }, at(6 * 60)),
    )
    await drive(6 * 60, 11 * 60)
    // P0 escalates after 2 h without progress (escalate_after per urgency): before the 4 h promise.
    expect((await steps(id)).map((s) => [s.kind, s.minute, (s.detail as { why?: string }).why])).toEqual([
      ['escalated', 8 * 60, 'no progress'],
      ['reminder', 9 * 60, undefined], // 25% of 4 h before the new due time
    ])
  }, 120_000)

  test('a more urgent repeat contact joins the case and brings its promises forward', async () => {
    const id = await open({ urgency: 1, category: 'delivery/late', customer: 'C-REPEAT' }, 0)
    const again = await seedCall(db, { urgency: 0, customer: 'C-REPEAT' })
    expect(await db.withTransaction((tx) => openFollowUpsForCalls(tx, [again], at(10)))).toEqual([])
    const row = (
      await db.query<{ urgency: number; resolve_due_at: Date; respond_due_at: Date }>(
        'SELECT urgency, respond_due_at, resolve_due_at FROM follow_ups WHERE id = $1',
        [id],
      )
    ).rows[0]
    // P0 now: the response within 15 min and the resolution within 4 h of the case's opening.
    expect(row?.urgency).toBe(0)
    expect(new Date(row?.respond_due_at as Date)).toEqual(at(15))
    expect(new Date(row?.resolve_due_at as Date)).toEqual(at(4 * 60))
    expect((await followUpEvents(db, id)).map((e) => [e.kind, e.detail])).toContainEqual([
      'repeat_contact',
      { call_id: again, urgency: 'P0' },
    ])
  })
})
