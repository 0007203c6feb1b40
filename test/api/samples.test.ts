/** Sampling over real HTTP: reproducible draws, stratified counts, risk weights, assignment, my queue. */
import { afterAll, beforeAll, expect, test } from 'vitest'
import { type ApiHarness, startApi } from '../helpers/api.js'

let api: ApiHarness
/** calls the inbound English card evaluated (the population of every sample below) */
let eligible: Array<{ id: number; agent_id: string; team: string }>
const today = new Date().toISOString().slice(0, 10)

beforeAll(async () => {
  api = await startApi('api/samples', {
    users: [
      ['rita', 'reviewer'],
      ['rob', 'reviewer'],
      ['max', 'manager'],
      ['tom', 'trainer'],
      ['a.kim', 'agent'],
    ],
  })
  const res = await api.db.query<{ id: number; agent_id: string; team: string }>(
    `SELECT c.id, c.agent_id, c.team FROM calls c WHERE EXISTS (SELECT 1 FROM evaluations e JOIN scorecards s
       ON s.id = e.scorecard_id WHERE e.call_id = c.id AND e.source = 'auto' AND s.key = 'inbound-support-en')`,
  )
  eligible = res.rows
}, 180_000)
afterAll(async () => api?.close())

const rule = { name: 'week 47', scorecard: 'inbound-support-en', method: 'random', n: 3, seed: 'week-47' }

test('the population is every call the card evaluated', () => {
  expect(eligible.length).toBeGreaterThanOrEqual(6)
  expect(eligible.length).toBeLessThan(api.idOf.size)
})

test('only planners sample; a reviewer sees their own queue', async () => {
  expect((await api.call('POST', '/v1/samples', null, rule)).status).toBe(401)
  expect((await api.call('GET', '/v1/me/queue', null)).status).toBe(401)
  for (const who of ['tom', 'a.kim']) {
    const res = await api.call('POST', '/v1/samples', who, rule)
    expect(res.status, who).toBe(403)
    expect(res.body.error.code).toBe('QA_ERR_FORBIDDEN')
    expect((await api.call('GET', '/v1/samples', who)).status).toBe(403)
  }
  for (const who of ['max', 'tom', 'a.kim'])
    expect((await api.call('GET', '/v1/me/queue', who)).status).toBe(403)
})

test('bad rules are 400 with a message', async () => {
  const cases: Array<[Record<string, unknown>, RegExp]> = [
    [{ ...rule, scorecard: 'no-such-card' }, /no scorecard "no-such-card"/],
    [{ ...rule, period: 'week' }, /period applies only to method per_agent/],
    [{ ...rule, method: 'cluster' }, /method/],
    [{ ...rule, n: 0 }, /n/],
    [{ ...rule, colour: 'red' }, /additional/],
    [{ ...rule, assign: { reviewers: ['rita', 'nobody', 'max'] } }, /cannot assign/],
  ]
  for (const [body, message] of cases) {
    const res = await api.call('POST', '/v1/samples/preview', 'max', body)
    expect(res.status, JSON.stringify(body)).toBe(400)
    expect(`${res.body.error.message} ${JSON.stringify(res.body.error.details ?? '')}`).toMatch(message)
  }
  const res = await api.call('POST', '/v1/samples/preview', 'max', {
    ...rule,
    assign: { reviewers: ['rita', 'nobody', 'max'] },
  })
  expect(res.body.error.details).toEqual([
    'nobody: no such (enabled) user',
    'max: role manager does not review',
  ])
})

test('the same rule and seed draw the same calls; the saved sample repeats the preview', async () => {
  const a = await api.call('POST', '/v1/samples/preview', 'max', rule)
  const b = await api.call('POST', '/v1/samples/preview', 'rita', rule)
  expect(a.status).toBe(200)
  expect(a.body.population).toBe(eligible.length)
  expect(a.body.drawn).toBe(3)
  expect(b.body.assignments).toEqual(a.body.assignments)
  const other = await api.call('POST', '/v1/samples/preview', 'max', { ...rule, seed: 'week-48' })
  expect(other.body.assignments.map((x: { call_id: number }) => x.call_id)).not.toEqual(
    a.body.assignments.map((x: { call_id: number }) => x.call_id),
  )
  const saved = await api.call('POST', '/v1/samples', 'max', rule)
  expect(saved.status).toBe(201)
  expect(saved.body.seed).toBe('week-47')
  expect(saved.body.assignments.map((x: { call_id: number; rank: number }) => [x.call_id, x.rank])).toEqual(
    a.body.assignments.map((x: { call_id: number; rank: number }) => [x.call_id, x.rank]),
  )
  const again = await api.call('GET', `/v1/samples/${saved.body.id}`, 'rita')
  expect(again.body.assignments.map((x: { call_id: number }) => x.call_id)).toEqual(
    saved.body.assignments.map((x: { call_id: number }) => x.call_id),
  )
  // Without a seed, one is made up and reported so the draw can still be repeated.
  const unseeded = await api.call('POST', '/v1/samples/preview', 'max', { ...rule, seed: undefined })
  expect(unseeded.body.seed).toMatch(/^[\w-]{8,}$/)
  const repeated = await api.call('POST', '/v1/samples/preview', 'max', { ...rule, seed: unseeded.body.seed })
  expect(repeated.body.assignments).toEqual(unseeded.body.assignments)
  const log = await api.db.query<{ action: string; after: { seed: string } }>(
    "SELECT action, after FROM audit_log WHERE entity = 'sample' AND entity_id = $1",
    [saved.body.id],
  )
  expect(log.rows).toEqual([
    expect.objectContaining({ action: 'sample.create', after: expect.objectContaining({ seed: 'week-47' }) }),
  ])
})

test('per agent per month: exactly one call of every agent', async () => {
  const res = await api.call('POST', '/v1/samples/preview', 'max', {
    ...rule,
    method: 'per_agent',
    n: 1,
    period: 'month',
  })
  expect(res.status).toBe(200)
  const agents = new Set(eligible.map((c) => c.agent_id))
  const drawnAgents = res.body.assignments.map(
    (x: { call_id: number }) => eligible.find((c) => c.id === x.call_id)?.agent_id,
  )
  expect(drawnAgents.sort()).toEqual([...agents].sort())
  expect(res.body.rule.period).toBe('month')
})

test('stratified by team: counts per stratum are reported and follow the population', async () => {
  const res = await api.call('POST', '/v1/samples/preview', 'max', {
    ...rule,
    method: 'stratified',
    strata: 'team',
    n: 4,
  })
  expect(res.status).toBe(200)
  const teams = new Map<string, number>()
  for (const c of eligible) teams.set(c.team, (teams.get(c.team) ?? 0) + 1)
  expect(res.body.strata.map((s: { stratum: string }) => s.stratum)).toEqual([...teams.keys()].sort())
  for (const s of res.body.strata as Array<{ stratum: string; population: number; drawn: number }>) {
    expect(s.population).toBe(teams.get(s.stratum))
    expect(s.drawn).toBeGreaterThanOrEqual(1)
    const drawnHere = res.body.assignments.filter((x: { stratum: string }) => x.stratum === s.stratum)
    expect(drawnHere).toHaveLength(s.drawn)
    for (const x of drawnHere) expect(eligible.find((c) => c.id === x.call_id)?.team).toBe(s.stratum)
  }
  expect(res.body.drawn).toBe(4)
})

test('risk weights come from the stored scores, metrics and urgency', async () => {
  const res = await api.call('POST', '/v1/samples/preview', 'max', { ...rule, method: 'risk', n: 100 })
  expect(res.body.drawn).toBe(eligible.length)
  let risky = 0
  for (const x of res.body.assignments as Array<{ call_id: number; weight: number; reasons: string[] }>) {
    const detail = await api.call('GET', `/v1/calls/${x.call_id}`, 'max')
    const m = detail.body.metrics
    const auto = detail.body.evaluations.find(
      (e: { source: string; scorecard_key: string }) =>
        e.source === 'auto' && e.scorecard_key === 'inbound-support-en',
    )
    const expected =
      1 +
      (auto.percent < 70 ? 2 : 0) +
      (m.customer_sentiment_trend !== null && m.customer_sentiment_trend <= -0.2 ? 2 : 0) +
      (m.dead_air_longest_ms >= 10_000 ? 1 : 0) +
      (auto.fatal_failed ? 3 : 0) +
      (['P0', 'P1'].includes(detail.body.topics?.urgency) ? 3 : 0)
    expect(x.weight, `call ${x.call_id}`).toBe(expected)
    if (x.weight > 1) risky++
  }
  // The dead-air and angry-customer sample calls are among the risky ones.
  expect(risky).toBeGreaterThanOrEqual(2)
  const deadAir = res.body.assignments.find(
    (x: { call_id: number }) => x.call_id === api.idOf.get('call-04-phone-dead-air.wav'),
  )
  expect(deadAir.reasons.join(' ')).toMatch(/dead air/)
})

test('assigned evenly under a daily cap; my queue; a submitted review closes the assignment', async () => {
  const created = await api.call('POST', '/v1/samples', 'max', {
    ...rule,
    name: 'everything',
    seed: 'all',
    n: 100,
    assign: { reviewers: ['rita', 'rob'], cap_per_day: 2, start_on: today },
  })
  expect(created.status).toBe(201)
  const mine = (who: string) =>
    created.body.assignments.filter((x: { reviewer: string }) => x.reviewer === who)
  expect(mine('rita')).toHaveLength(Math.ceil(eligible.length / 2))
  expect(mine('rob')).toHaveLength(Math.floor(eligible.length / 2))
  const days = mine('rita').map((x: { due_on: string }) => x.due_on)
  expect(days.filter((d: string) => d === today)).toHaveLength(2)
  expect(new Set(days).size).toBe(Math.ceil(mine('rita').length / 2))

  const queue = await api.call('GET', '/v1/me/queue', 'rita')
  expect(queue.status).toBe(200)
  expect(queue.body).toHaveLength(2)
  expect((await api.call('GET', '/v1/me/queue?all=true', 'rita')).body).toHaveLength(mine('rita').length)
  const robQueue = await api.call('GET', '/v1/me/queue?all=true', 'rob')
  expect(robQueue.body.map((q: { call_id: number }) => q.call_id).sort()).toEqual(
    mine('rob')
      .map((x: { call_id: number }) => x.call_id)
      .sort(),
  )

  // Rita reviews her first call: open from the automatic evaluation, answer the manual items, submit.
  const first = queue.body[0]
  expect(first.auto_evaluation_id).toBeGreaterThan(0)
  const review = await api.call('POST', `/v1/evaluations/${first.auto_evaluation_id}/reviews`, 'rita')
  expect(review.status).toBe(201)
  const pending = review.body.items.filter((i: { result: string }) => i.result === 'pending')
  if (pending.length > 0)
    expect(
      (
        await api.call('PATCH', `/v1/reviews/${review.body.id}`, 'rita', {
          items: pending.map((i: { item_key: string }) => ({ item_key: i.item_key, result: 'pass' })),
        })
      ).status,
    ).toBe(200)
  expect((await api.call('GET', '/v1/me/queue', 'rita')).body[0].draft_review_id).toBe(review.body.id)
  expect((await api.call('POST', `/v1/reviews/${review.body.id}/submit`, 'rita')).status).toBe(200)
  const after = await api.call('GET', '/v1/me/queue?all=true', 'rita')
  expect(after.body.map((q: { call_id: number }) => q.call_id)).not.toContain(first.call_id)
  expect(after.body).toHaveLength(mine('rita').length - 1)
  const sample = await api.call('GET', `/v1/samples/${created.body.id}`, 'max')
  expect(sample.body.assignments.find((x: { call_id: number }) => x.call_id === first.call_id)).toMatchObject(
    {
      status: 'done',
      evaluation_id: review.body.id,
    },
  )
  const list = await api.call('GET', '/v1/samples', 'max')
  expect(list.body.find((s: { id: number }) => s.id === created.body.id)).toMatchObject({ done: 1 })

  // A reviewed call is not drawn again unless asked for.
  const redraw = await api.call('POST', '/v1/samples/preview', 'max', { ...rule, n: 100 })
  expect(redraw.body.population).toBe(eligible.length - 1)
  expect(redraw.body.assignments.map((x: { call_id: number }) => x.call_id)).not.toContain(first.call_id)
  const all = await api.call('POST', '/v1/samples/preview', 'max', {
    ...rule,
    n: 100,
    include_reviewed: true,
  })
  expect(all.body.population).toBe(eligible.length)
})
