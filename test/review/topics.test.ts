/**
 * What calls are about on a seeded database (no audio decoded): transcripts stored as analysis
 * stores them, filed by the pipeline's own describeCalls; then the TOP issues report checked
 * against hand counts, the call-list and sampling filters, emerging topics, promoting one into the
 * taxonomy (a new version, history filed again, audited), and `callqa rescore` filing history
 * under a changed taxonomy. PGlite and the Postgres server, like the rest of the suite.
 */
import { afterAll, beforeAll, expect, test } from 'vitest'
import { runRescore } from '../../cli/scorecards.js'
import type { Database } from '../../db/index.js'
import { installBuiltins } from '../../db/queries/builtins.js'
import { searchCalls } from '../../db/queries/call-search.js'
import { sampleCandidates } from '../../db/queries/samples.js'
import { activateTaxonomy, activeTaxonomy, saveTaxonomy } from '../../db/queries/taxonomies.js'
import { callDescription } from '../../db/queries/topics.js'
import { createUser, type UserRow } from '../../db/queries/users.js'
import { scoreSentiment } from '../../models/sentiment/index.js'
import { describeCalls } from '../../pipeline/describe.js'
import { startRefiler } from '../../pipeline/refile.js'
import { evaluateCall } from '../../pipeline/rescore.js'
import { DEFAULT_RISK, riskWeight } from '../../review/sampling.js'
import { emergingTopics, promoteTopic, topIssuesReport } from '../../review/topics.js'
import { openTestDb } from '../helpers/db.js'

let db: Database
let lead: UserRow
const ids: Record<string, number> = {}

/**
 * name, month day (November unless `oct`), duration s, csat, disposition, customer sentiment at
 * the end, and the conversation.
 */
const CALLS: Array<{
  name: string
  at: string
  seconds: number
  csat: number | null
  disposition: string | null
  end: number
  lines: string[]
}> = [
  {
    name: 'dc1',
    at: '2026-11-03T09:00:00Z',
    seconds: 200,
    csat: 2,
    disposition: null,
    end: -0.2,
    lines: ["c: You've charged me twice this month.", 'a: I have refunded the second payment.'],
  },
  {
    name: 'dc2',
    at: '2026-11-10T09:00:00Z',
    seconds: 300,
    csat: 4,
    disposition: 'complaint',
    end: 0.1,
    lines: ['c: I was double charged for my bill.', 'a: Sorry, I have refunded it.'],
  },
  {
    name: 'dc3',
    at: '2026-11-20T09:00:00Z',
    seconds: 100,
    csat: null,
    disposition: null,
    end: 0.3,
    lines: ['c: My bill is too high, you overcharged me.', 'a: I have corrected it.'],
  },
  {
    name: 'out',
    at: '2026-11-21T09:00:00Z',
    seconds: 400,
    csat: 1,
    disposition: null,
    end: -0.5,
    lines: ['c: Our internet is down and we cannot use it at all.', 'a: Engineers are on it.'],
  },
  {
    name: 'esc',
    at: '2026-11-22T09:00:00Z',
    seconds: 500,
    csat: 1,
    disposition: null,
    end: -0.6,
    lines: ['c: I want to make a complaint about your service.', 'a: I will log it.'],
  },
  {
    name: 'pts1',
    at: '2026-11-05T09:00:00Z',
    seconds: 60,
    csat: null,
    disposition: null,
    end: 0,
    lines: ['c: My loyalty points are missing from my rewards card.', 'a: I have added them.'],
  },
  {
    name: 'pts2',
    at: '2026-11-06T09:00:00Z',
    seconds: 60,
    csat: null,
    disposition: null,
    end: 0,
    lines: ['c: How do I use my loyalty points at checkout?', 'a: In the app.'],
  },
  {
    name: 'pts3',
    at: '2026-11-07T09:00:00Z',
    seconds: 60,
    csat: null,
    disposition: null,
    end: 0,
    lines: ['c: My reward points expired, can I get my loyalty points back?', 'a: Yes.'],
  },
  {
    name: 'oct-dc',
    at: '2026-10-15T09:00:00Z',
    seconds: 100,
    csat: 3,
    disposition: null,
    end: 0,
    lines: ['c: You charged me twice.', 'a: Refunded.'],
  },
  {
    name: 'oct-out1',
    at: '2026-10-16T09:00:00Z',
    seconds: 100,
    csat: 3,
    disposition: null,
    end: 0,
    lines: ['c: There is no internet at all.', 'a: Fixed now.'],
  },
  {
    name: 'oct-out2',
    at: '2026-10-17T09:00:00Z',
    seconds: 100,
    csat: 3,
    disposition: null,
    end: 0,
    lines: ['c: My internet is down again.', 'a: Fixed now.'],
  },
]

beforeAll(async () => {
  db = await openTestDb('review/topics')
  await installBuiltins(db)
  lead = (await createUser(db, { name: 'lead', role: 'reviewer' })).user
  for (const c of CALLS) {
    const res = await db.query<{ id: number }>(
      `INSERT INTO calls (sha256, source_name, status, agent_id, team, queue, direction, language, started_at,
         duration_ms, transcript_status, transcript_trusted, csat, disposition)
       VALUES ($1, $2, 'done', 'A1', 'north', 'support', 'inbound', 'en', $3, $4, 'supplied', true, $5, $6) RETURNING id`,
      [c.name, `${c.name}.wav`, c.at, c.seconds * 1000, c.csat, c.disposition],
    )
    const id = res.rows[0]?.id as number
    ids[c.name] = id
    await db.query(
      `INSERT INTO call_metrics (call_id, duration_ms, talk_percent, non_talk_ms, dead_air_count, dead_air_total_ms,
         dead_air_longest_ms, turns, params, customer_sentiment_end)
       VALUES ($1, $2, 80, 0, 0, 0, 0, 2, '{}', $3)`,
      [id, c.seconds * 1000, c.end],
    )
    for (const [seq, line] of c.lines.entries()) {
      const text = line.slice(3)
      await db.query(
        `INSERT INTO utterances (call_id, seq, speaker, start_ms, end_ms, text_redacted, redactions, language, sentiment)
         VALUES ($1, $2, $3, $4, $5, $6, '[]', 'en', $7)`,
        [
          id,
          seq,
          line.startsWith('a:') ? 'agent' : 'customer',
          seq * 5000,
          seq * 5000 + 4000,
          text,
          scoreSentiment(text).score,
        ],
      )
    }
  }
  await describeCalls(db, Object.values(ids))
})
afterAll(async () => db?.close())

const path = async (name: string) =>
  (await callDescription(db, ids[name] as number))?.categories[0]?.path.join('/') ?? ''

test('each call is filed with its evidence and urgency', async () => {
  expect(await path('dc1')).toBe('billing/charges/double-charge')
  expect(await path('out')).toBe('technical/service-down/outage')
  expect(await path('esc')).toBe('complaint/formal/escalation')
  expect(await path('pts1')).toBe('')
  const out = await callDescription(db, ids.out as number)
  expect(out?.urgency).toBe('P0')
  expect(out?.urgency_evidence[0]).toMatchObject({ signal: 'phrase', phrase: 'cannot use it at all' })
  expect(out?.categories[0]?.evidence[0]).toMatchObject({ speaker: 'customer', start_ms: expect.any(Number) })
  expect(out?.categories[0]?.evidence[0]?.end_ms).toBeLessThanOrEqual(4000)
})

test('the TOP issues report matches hand counts', async () => {
  const report = await topIssuesReport(db, { month: '2026-11', level: 2 })
  expect(report.period).toEqual({ from: '2026-11-01T00:00:00.000Z', to: '2026-12-01T00:00:00.000Z' })
  expect(report.previous).toEqual({ from: '2026-10-01T00:00:00.000Z', to: '2026-11-01T00:00:00.000Z' })
  expect(report.total_calls).toBe(8)
  expect(report.previous_total_calls).toBe(3)
  const row = (category: string) => report.items.find((r) => r.category === category)
  // billing/charges: dc1–dc3 this month (csat 2 and 4, one without), oct-dc before.
  expect(row('billing/charges')).toMatchObject({
    rank: 1,
    label: 'Billing and refunds › Charges',
    label_zh: '账单与退款 › 扣费',
    calls: 3,
    share: 0.375,
    previous_calls: 1,
    change: 2,
    change_pct: 2,
    csat: 3,
    csat_responses: 2,
    customer_sentiment: 0.067, // (-0.2 + 0.1 + 0.3) / 3
    complaint_rate: 0.333, // dc2's disposition
    aht_ms: 200_000,
  })
  expect(new Set(row('billing/charges')?.example_calls)).toEqual(new Set([ids.dc1, ids.dc2, ids.dc3]))
  // The three loyalty calls are not filed: one row for them.
  expect(row('')).toMatchObject({ calls: 3, previous_calls: 0, change_pct: null, label: '(not filed)' })
  expect(row('technical/service-down')).toMatchObject({
    calls: 1,
    previous_calls: 2,
    change: -1,
    change_pct: -0.5,
    csat: 1,
    urgent_calls: 1,
    aht_ms: 400_000,
  })
  expect(row('complaint/formal')).toMatchObject({ calls: 1, complaint_rate: 1, customer_sentiment: -0.6 })
  expect(report.items.map((r) => r.rank)).toEqual(report.items.map((_, i) => i + 1))
  // The month after: no calls, and every category of November listed with 0 calls and its fall.
  const december = await topIssuesReport(db, { month: '2026-12', level: 2 })
  expect(december.total_calls).toBe(0)
  const byCategory = (rows: Array<Array<string | number>>) =>
    rows.sort((x, y) => String(x[0]).localeCompare(String(y[0])))
  expect(byCategory(december.items.map((r) => [r.category, r.calls, r.previous_calls, r.change]))).toEqual(
    byCategory(report.items.map((r) => [r.category, 0, r.calls, -r.calls])),
  )
  // Level 1 adds up the level-2 rows.
  const top = await topIssuesReport(db, { month: '2026-11', level: 1 })
  expect(top.items.find((r) => r.category === 'billing')?.calls).toBe(3)
  expect(top.items.reduce((s, r) => s + r.calls, 0)).toBe(8)
})

test('the call list and sampling filter on urgency and category', async () => {
  const p0 = await searchCalls(db, { urgency: 'P0' }, null)
  expect(p0.items.map((c) => c.id)).toEqual([ids.out])
  expect(p0.items[0]).toMatchObject({ urgency: 'P0', category: ['technical', 'service-down', 'outage'] })
  const charges = await searchCalls(db, { category: 'billing/charges' }, null)
  expect(new Set(charges.items.map((c) => c.id))).toEqual(new Set([ids.dc1, ids.dc2, ids.dc3, ids['oct-dc']]))
  await expect(searchCalls(db, { urgency: 'P9' }, null)).rejects.toThrow(/urgency must be/)
  await expect(searchCalls(db, { category: '../etc' }, null)).rejects.toThrow(/category must be/)
})

test('emerging topics find the loyalty calls; promoting one files them under it, audited', async () => {
  const found = await emergingTopics(db, { month: '2026-11' })
  expect(found.unfiled_calls).toBe(3)
  const topic = found.items[0]
  expect(topic?.label).toMatch(/points/)
  expect(new Set(topic?.calls)).toEqual(new Set([ids.pts1, ids.pts2, ids.pts3]))
  const before = await activeTaxonomy(db)
  const promoted = await promoteTopic(db, lead, {
    parent: ['billing'],
    key: 'loyalty',
    label: 'Loyalty points',
    label_zh: '会员积分',
    phrases: topic?.suggestion.phrases ?? [],
  })
  expect(promoted).toMatchObject({
    taxonomy: { key: before?.key, version: (before?.version ?? 0) + 1 },
    path: ['billing', 'loyalty'],
  })
  // History is filed again by the background refile, not by the promotion.
  expect(promoted.refile.pending_calls).toBe(CALLS.length)
  expect(await path('pts1')).not.toBe('billing/loyalty')
  const refiler = startRefiler({ db })
  refiler.kick()
  await refiler.idle()
  expect(await refiler.status()).toMatchObject({ pending_calls: 0, running: false })
  expect(await path('pts1')).toBe('billing/loyalty')
  expect(await path('pts3')).toBe('billing/loyalty')
  expect(await path('dc1')).toBe('billing/charges/double-charge')
  const audited = await db.query<{ action: string; user_id: number }>(
    "SELECT action, user_id FROM audit_log WHERE entity = 'taxonomy'",
  )
  expect(audited.rows).toEqual([{ action: 'taxonomy.promote', user_id: lead.id }])
  await expect(
    promoteTopic(db, lead, { parent: ['billing'], key: 'loyalty', label: 'Again', phrases: ['x'] }),
  ).rejects.toThrow(/already/)
  await expect(
    promoteTopic(db, lead, { parent: ['nope'], key: 'x', label: 'X', phrases: ['x'] }),
  ).rejects.toThrow(/no node nope/)
})

test('`callqa rescore` files history again when the taxonomy changed', async () => {
  const current = (await activeTaxonomy(db))?.definition
  if (!current) throw new Error('no taxonomy')
  // A centre's own taxonomy: outages are their own level-1 category now.
  const own = {
    ...current,
    key: 'our-tree',
    name: 'Our tree',
    categories: [
      {
        key: 'outage',
        label: 'Outage',
        children: [
          {
            key: 'net',
            label: 'Network',
            children: [{ key: 'down', label: 'Down', phrases: ['internet is down', 'no internet'] }],
          },
        ],
      },
    ],
  }
  const { taxonomy } = await saveTaxonomy(db, own, 'our-tree.yaml')
  await activateTaxonomy(db, taxonomy.key)
  expect(await path('out')).toBe('technical/service-down/outage')
  await runRescore(db, {})
  expect(await path('out')).toBe('outage/net/down')
  expect(await path('dc1')).toBe('')
  expect((await callDescription(db, ids.out as number))?.taxonomy).toEqual({ key: 'our-tree', version: 1 })
})

test('sampling draws on urgency: filtered, and weighted in risk draws', async () => {
  for (const id of Object.values(ids)) await evaluateCall(db, id)
  const urgent = await sampleCandidates(db, 'compliance-deduction', { urgency: 'P0,P1' }, true)
  expect(urgent.map((c) => c.id).sort()).toEqual(
    (await searchCalls(db, { urgency: 'P0,P1' }, null)).items.map((c) => c.id).sort(),
  )
  const out = urgent.find((c) => c.id === ids.out)
  expect(out?.urgency).toBe(0)
  expect(riskWeight(out as NonNullable<typeof out>, DEFAULT_RISK).reasons).toContain('urgency P0')
})
