/** Disputes over real HTTP: who may raise and decide, window and cap, the state machine, score and audit. */
import { afterAll, beforeAll, expect, test } from 'vitest'
import { type ApiHarness, startApi } from '../helpers/api.js'

let api: ApiHarness
let autoId: number
let reviewId: number
let draftId: number
type Item = { item_key: string; result: string; max_points: number }

/** Weighted percent recomputed here from the item rows, independently of the server. */
function percentOf(items: Item[]): number {
  const counted = items.filter((i) => i.result === 'pass' || i.result === 'fail')
  const earned = counted.filter((i) => i.result === 'pass').reduce((s, i) => s + i.max_points, 0)
  return Math.round((earned / counted.reduce((s, i) => s + i.max_points, 0)) * 10000) / 100
}

beforeAll(async () => {
  api = await startApi('api/disputes', {
    files: ['call-04-phone-dead-air.wav'],
    users: [
      ['rita', 'reviewer'],
      ['rob', 'reviewer'],
      ['ada', 'admin'],
      ['max', 'manager'],
      ['tom', 'trainer'],
      ['a.kim', 'agent'],
      ['a.sam', 'agent'],
    ],
    serverOptions: { disputes: { windowDays: 14, cap: 2 } },
  })
  const callId = api.idOf.get('call-04-phone-dead-air.wav') as number
  const detail = await api.call('GET', `/v1/calls/${callId}`, 'max')
  autoId = detail.body.evaluations.find(
    (e: { source: string; scorecard_key: string }) =>
      e.source === 'auto' && e.scorecard_key === 'inbound-support-en',
  ).id
  // Rita reviews and submits; Rob keeps a draft.
  reviewId = (await api.call('POST', `/v1/evaluations/${autoId}/reviews`, 'rita')).body.id
  await api.call('PATCH', `/v1/reviews/${reviewId}`, 'rita', {
    items: [{ item_key: 'customer-hangs-up-first', result: 'pass' }],
  })
  expect((await api.call('POST', `/v1/reviews/${reviewId}/submit`, 'rita')).status).toBe(200)
  draftId = (await api.call('POST', `/v1/evaluations/${autoId}/reviews`, 'rob')).body.id
}, 180_000)
afterAll(async () => api?.close())

const items = async (id: number) =>
  (await api.call('GET', `/v1/evaluations/${id}`, 'ada')).body.items as Item[]
const resultOf = async (id: number, key: string) => (await items(id)).find((i) => i.item_key === key)?.result

test('the agent reads their own submitted review, not drafts or other agents’ calls', async () => {
  expect((await api.call('GET', `/v1/evaluations/${reviewId}`, 'a.kim')).status).toBe(200)
  expect((await api.call('GET', `/v1/evaluations/${autoId}`, 'a.kim')).status).toBe(200)
  expect((await api.call('GET', `/v1/evaluations/${draftId}`, 'a.kim')).status).toBe(404)
  expect((await api.call('GET', `/v1/evaluations/${reviewId}`, 'a.sam')).status).toBe(404)
})

test('who may dispute what', async () => {
  const body = { comment: 'I did say my name', items: [{ item_key: 'agent-name' }] }
  expect((await api.call('POST', `/v1/evaluations/${reviewId}/disputes`, null, body)).status).toBe(401)
  for (const who of ['tom', 'rita']) {
    const res = await api.call('POST', `/v1/evaluations/${reviewId}/disputes`, who, body)
    expect(res.status, who).toBe(403)
  }
  expect((await api.call('POST', `/v1/evaluations/${reviewId}/disputes`, 'a.sam', body)).status).toBe(404)
  const auto = await api.call('POST', `/v1/evaluations/${autoId}/disputes`, 'a.kim', body)
  expect([auto.status, auto.body.error.message]).toEqual([400, 'only a submitted review can be disputed'])
  expect((await api.call('POST', `/v1/evaluations/${draftId}/disputes`, 'max', body)).status).toBe(409)

  const current = await items(reviewId)
  const passed = current.find((i) => i.result === 'pass')?.item_key as string
  const na = current.find((i) => i.result === 'na')?.item_key
  const bad = await api.call('POST', `/v1/evaluations/${reviewId}/disputes`, 'a.kim', {
    comment: 'several problems',
    items: [
      { item_key: 'no-such-item' },
      { item_key: passed, proposed: 'pass' },
      { item_key: 'agent-name' },
      { item_key: 'agent-name' },
      ...(na ? [{ item_key: na }] : []),
    ],
  })
  expect(bad.status).toBe(400)
  expect(bad.body.error.details).toEqual([
    'no-such-item: no such item on this scorecard',
    `${passed}: is already pass`,
    'agent-name: listed twice',
    ...(na ? [`${na}: is na; say what it should be (proposed)`] : []),
  ])
  const empty = await api.call('POST', `/v1/evaluations/${reviewId}/disputes`, 'a.kim', {
    comment: '',
    items: [],
  })
  expect(empty.status).toBe(400)
})

test('open → partially accepted: the accepted item changes, the score is recomputed, all audited', async () => {
  const before = await items(reviewId)
  const failed = before.filter((i) => i.result === 'fail').map((i) => i.item_key)
  expect(failed.length).toBeGreaterThanOrEqual(2)
  const [first, second] = failed as [string, string]
  const opened = await api.call('POST', `/v1/evaluations/${reviewId}/disputes`, 'a.kim', {
    comment: 'Both of these happened',
    items: [{ item_key: first, comment: 'listen at 0:05' }, { item_key: second }],
  })
  expect(opened.status).toBe(201)
  expect(opened.body).toMatchObject({
    status: 'open',
    raised_by_name: 'a.kim',
    percent_before: percentOf(before),
    items: [
      { item_key: first, proposed: 'pass', current: 'fail', comment: 'listen at 0:05' },
      { item_key: second, proposed: 'pass', current: 'fail', comment: null },
    ],
  })
  const id = opened.body.id
  // One open dispute at a time.
  const twice = await api.call('POST', `/v1/evaluations/${reviewId}/disputes`, 'max', {
    comment: 'again',
    items: [{ item_key: first }],
  })
  expect([twice.status, twice.body.error.message]).toEqual([
    409,
    `review ${reviewId} already has an open dispute`,
  ])

  // Who decides: the review's reviewer or an admin.
  expect((await api.call('POST', `/v1/disputes/${id}/decision`, 'rob', { decision: 'accept' })).status).toBe(
    403,
  )
  expect((await api.call('POST', `/v1/disputes/${id}/decision`, 'max', { decision: 'accept' })).status).toBe(
    403,
  )
  expect(
    (await api.call('POST', `/v1/disputes/${id}/decision`, 'a.kim', { decision: 'accept' })).status,
  ).toBe(403)
  const invalid: Array<[Record<string, unknown>, RegExp]> = [
    [{ decision: 'partial', comment: 'x' }, /lists the accepted_items/],
    [{ decision: 'partial', accepted_items: [first, second], comment: 'x' }, /decide "accept"/],
    [{ decision: 'partial', accepted_items: ['greeting'], comment: 'x' }, /must be items of the dispute/],
    [{ decision: 'reject' }, /say why/],
    [{ decision: 'accept', accepted_items: [first] }, /belongs to a partial decision/],
    [{ decision: 'maybe' }, /decision/],
  ]
  for (const [body, message] of invalid) {
    const res = await api.call('POST', `/v1/disputes/${id}/decision`, 'rita', body)
    expect(res.status, JSON.stringify(body)).toBe(400)
    expect(res.body.error.message).toMatch(message)
  }
  // Nothing changed while the decision was refused.
  expect(await resultOf(reviewId, first)).toBe('fail')

  const decided = await api.call('POST', `/v1/disputes/${id}/decision`, 'rita', {
    decision: 'partial',
    accepted_items: [first],
    comment: 'first one is right, the second is not',
  })
  expect(decided.status).toBe(200)
  const after = await items(reviewId)
  expect(after.find((i) => i.item_key === first)?.result).toBe('pass')
  expect(after.find((i) => i.item_key === second)?.result).toBe('fail')
  expect(decided.body).toMatchObject({
    status: 'partially_accepted',
    accepted_items: [first],
    decided_by_name: 'rita',
    percent_before: percentOf(before),
    percent_after: percentOf(after),
  })
  expect(percentOf(after)).toBeGreaterThan(percentOf(before))
  const review = await api.call('GET', `/v1/evaluations/${reviewId}`, 'max')
  expect(review.body).toMatchObject({ status: 'submitted', percent: percentOf(after) })
  // The machine's answer is still beside the human one.
  expect(review.body.items.find((i: { item_key: string }) => i.item_key === first).auto_result).toBe('fail')
  expect((await api.call('POST', `/v1/disputes/${id}/decision`, 'rita', { decision: 'accept' })).status).toBe(
    409,
  )

  const log = await api.call('GET', `/v1/evaluations/${reviewId}/audit`, 'max')
  const actions = log.body.map((e: { action: string }) => e.action)
  expect(actions.slice(-4)).toEqual(['dispute.open', 'dispute.item', 'dispute.save', 'dispute.decide'])
  expect(log.body.at(-3)).toMatchObject({
    user_name: 'rita',
    before: { item_key: first, result: 'fail' },
    after: { item_key: first, result: 'pass' },
  })
  expect(log.body.at(-1)).toMatchObject({ after: { status: 'partially_accepted', accepted_items: [first] } })
})

test('reject changes nothing; the cap stops a third dispute; visibility', async () => {
  const before = await items(reviewId)
  const second = before.find((i) => i.result === 'fail')?.item_key as string
  const opened = await api.call('POST', `/v1/evaluations/${reviewId}/disputes`, 'max', {
    comment: 'team lead: please look again',
    items: [{ item_key: second }],
  })
  expect(opened.status).toBe(201)
  const rejected = await api.call('POST', `/v1/disputes/${opened.body.id}/decision`, 'ada', {
    decision: 'reject',
    comment: 'not heard on the recording',
  })
  expect(rejected.body).toMatchObject({
    status: 'rejected',
    accepted_items: [],
    percent_after: percentOf(before),
  })
  expect(await resultOf(reviewId, second)).toBe('fail')
  const third = await api.call('POST', `/v1/evaluations/${reviewId}/disputes`, 'a.kim', {
    comment: 'one more',
    items: [{ item_key: second }],
  })
  expect(third.status).toBe(409)
  expect(third.body.error.code).toBe('QA_ERR_DISPUTE_CAP')

  // Agents see the disputes of their calls; a reviewer those on their reviews.
  expect((await api.call('GET', '/v1/disputes', 'a.kim')).body).toHaveLength(2)
  expect((await api.call('GET', '/v1/disputes', 'a.sam')).body).toEqual([])
  expect((await api.call('GET', '/v1/disputes?status=rejected', 'rita')).body).toHaveLength(1)
  expect((await api.call('GET', '/v1/disputes', 'rob')).body).toEqual([])
  expect((await api.call('GET', `/v1/disputes/${opened.body.id}`, 'rob')).status).toBe(404)
  expect((await api.call('GET', `/v1/disputes/${opened.body.id}`, 'a.sam')).status).toBe(404)
  expect((await api.call('GET', `/v1/disputes/${opened.body.id}`, 'a.kim')).status).toBe(200)
  expect((await api.call('GET', '/v1/disputes', 'tom')).status).toBe(403)
})

test('the window closes 14 days after submission', async () => {
  // Rob submits his review; it is then made to look 15 days old.
  await api.call('PATCH', `/v1/reviews/${draftId}`, 'rob', {
    items: [{ item_key: 'customer-hangs-up-first', result: 'fail' }],
  })
  expect((await api.call('POST', `/v1/reviews/${draftId}/submit`, 'rob')).status).toBe(200)
  const body = { comment: 'I let the customer hang up', items: [{ item_key: 'customer-hangs-up-first' }] }
  await api.db.query("UPDATE evaluations SET submitted_at = now() - interval '15 days' WHERE id = $1", [
    draftId,
  ])
  const late = await api.call('POST', `/v1/evaluations/${draftId}/disputes`, 'a.kim', body)
  expect(late.status).toBe(409)
  expect(late.body.error).toMatchObject({ code: 'QA_ERR_DISPUTE_WINDOW' })
  expect(late.body.error.message).toMatch(/14-day dispute window closed on/)
  await api.db.query("UPDATE evaluations SET submitted_at = now() - interval '13 days' WHERE id = $1", [
    draftId,
  ])
  const inTime = await api.call('POST', `/v1/evaluations/${draftId}/disputes`, 'a.kim', body)
  expect(inTime.status).toBe(201)
  expect(inTime.body.items[0]).toMatchObject({ proposed: 'pass', current: 'fail' })
})
