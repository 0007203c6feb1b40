/** Calibration over real HTTP: blind reviews, completion, figures on a known case, reviewer trends. */
import { afterAll, beforeAll, expect, test } from 'vitest'
import { type ApiHarness, startApi } from '../helpers/api.js'

let api: ApiHarness
let callId: number
let autoId: number
let sessionId: number
const reviewIds: Record<string, number> = {}
let itemKeys: string[] = []

beforeAll(async () => {
  api = await startApi('api/calibrations', {
    files: ['call-06-phone-angry.wav', 'call-08-clean-zh-refund.flac'],
    users: [
      ['rita', 'reviewer'],
      ['rob', 'reviewer'],
      ['ed', 'reviewer'],
      ['rex', 'reviewer'],
      ['max', 'manager'],
      ['tom', 'trainer'],
      ['a.kim', 'agent'],
    ],
  })
  callId = api.idOf.get('call-06-phone-angry.wav') as number
  const detail = await api.call('GET', `/v1/calls/${callId}`, 'max')
  autoId = detail.body.evaluations.find(
    (e: { source: string; scorecard_key: string }) =>
      e.source === 'auto' && e.scorecard_key === 'inbound-support-en',
  ).id
}, 180_000)
afterAll(async () => api?.close())

const start = {
  scorecard: 'inbound-support-en',
  reviewers: ['rita', 'rob', 'ed'],
  expert: 'ed',
  title: 'week 47',
}

test('only organisers start sessions, with real reviewers, on a call the card evaluated', async () => {
  expect((await api.call('POST', '/v1/calibrations', null, { ...start, call_id: callId })).status).toBe(401)
  for (const who of ['tom', 'a.kim'])
    expect((await api.call('POST', '/v1/calibrations', who, { ...start, call_id: callId })).status, who).toBe(
      403,
    )
  const bad: Array<[Record<string, unknown>, RegExp]> = [
    [{ ...start, call_id: callId, expert: 'rex' }, /the expert rex must be one of the reviewers/],
    [{ ...start, call_id: callId, reviewers: ['rita', 'max'], expert: undefined }, /cannot calibrate/],
    [{ ...start, call_id: callId, reviewers: ['rita'] }, /reviewers/],
    [
      { ...start, call_id: api.idOf.get('call-08-clean-zh-refund.flac') },
      /has no automatic evaluation on scorecard "inbound-support-en"/,
    ],
  ]
  for (const [body, message] of bad) {
    const res = await api.call('POST', '/v1/calibrations', 'max', body)
    expect(res.status, JSON.stringify(body)).toBe(400)
    expect(`${res.body.error.message} ${JSON.stringify(res.body.error.details ?? '')}`).toMatch(message)
  }
})

test('a session starts open; each participant opens a blind review of their own', async () => {
  const created = await api.call('POST', '/v1/calibrations', 'max', { ...start, call_id: callId })
  expect(created.status).toBe(201)
  sessionId = created.body.id
  expect(created.body).toMatchObject({
    status: 'open',
    expert: 'ed',
    results: null,
    scorecard: 'inbound-support-en',
  })
  expect(
    created.body.participants.map((p: { reviewer: string; submitted: boolean }) => [p.reviewer, p.submitted]),
  ).toEqual([
    ['ed', false],
    ['rita', false],
    ['rob', false],
  ])
  // A reviewer outside the session can neither see it nor take part.
  expect((await api.call('GET', `/v1/calibrations/${sessionId}`, 'rex')).status).toBe(404)
  expect((await api.call('POST', `/v1/calibrations/${sessionId}/review`, 'rex')).status).toBe(403)
  expect((await api.call('GET', '/v1/calibrations', 'rex')).body).toEqual([])
  expect((await api.call('GET', '/v1/calibrations', 'rita')).body.map((s: { id: number }) => s.id)).toEqual([
    sessionId,
  ])

  for (const who of ['rita', 'rob', 'ed']) {
    const opened = await api.call('POST', `/v1/calibrations/${sessionId}/review`, who)
    expect(opened.status, who).toBe(201)
    expect(opened.body.calibration_id).toBe(sessionId)
    reviewIds[who] = opened.body.id
    itemKeys = opened.body.items.map((i: { item_key: string }) => i.item_key)
    const again = await api.call('POST', `/v1/calibrations/${sessionId}/review`, who)
    expect([again.status, again.body.id]).toEqual([200, opened.body.id])
  }
  // Rita's own (non-calibration) review of the same call is a different evaluation.
  const own = await api.call('POST', `/v1/evaluations/${autoId}/reviews`, 'rita')
  expect(own.status).toBe(201)
  expect(own.body.id).not.toBe(reviewIds.rita)
  expect(itemKeys.length).toBeGreaterThan(5)
})

/** Everyone passes every item except: rob fails the 2nd item, ed (the expert) fails the 3rd. */
function answers(who: string) {
  return itemKeys.map((key, i) => ({
    item_key: key,
    result: (who === 'rob' && i === 1) || (who === 'ed' && i === 2) ? 'fail' : 'pass',
  }))
}

test('blind until all have submitted, then the figures show', async () => {
  for (const who of ['rita', 'rob', 'ed'])
    expect(
      (await api.call('PATCH', `/v1/reviews/${reviewIds[who]}`, who, { items: answers(who) })).status,
    ).toBe(200)
  expect((await api.call('POST', `/v1/reviews/${reviewIds.rita}/submit`, 'rita')).status).toBe(200)
  expect((await api.call('POST', `/v1/reviews/${reviewIds.rob}/submit`, 'rob')).status).toBe(200)

  // Ed has not submitted: nobody but the author sees a calibration review, not even a manager.
  const peek = await api.call('GET', `/v1/evaluations/${reviewIds.rob}`, 'rita')
  expect(peek.status).toBe(403)
  expect(peek.body.error.message).toMatch(/blind calibration review/)
  expect((await api.call('GET', `/v1/evaluations/${reviewIds.rob}/audit`, 'max')).status).toBe(403)
  expect((await api.call('GET', `/v1/evaluations/${reviewIds.rob}`, 'rob')).status).toBe(200)
  const detail = await api.call('GET', `/v1/calls/${callId}`, 'rita')
  const visible = detail.body.evaluations.map((e: { id: number }) => e.id)
  expect(visible).toContain(reviewIds.rita)
  expect(visible).not.toContain(reviewIds.rob)
  expect(visible).not.toContain(reviewIds.ed)
  const open = await api.call('GET', `/v1/calibrations/${sessionId}`, 'max')
  expect(open.body.status).toBe('open')
  expect(open.body.results).toBeNull()
  expect(open.body.participants.find((p: { reviewer: string }) => p.reviewer === 'rob')).toEqual({
    reviewer: 'rob',
    submitted: true,
  })

  expect((await api.call('POST', `/v1/reviews/${reviewIds.ed}/submit`, 'ed')).status).toBe(200)
  const done = await api.call('GET', `/v1/calibrations/${sessionId}`, 'rita')
  expect(done.body.status).toBe('complete')
  const r = done.body.results
  const k = itemKeys.length
  expect(r.reviewers).toBe(3)
  expect(r.expert).toBe('ed')
  // k − 2 unanimous items, two at 2/3.
  expect(r.agreement).toBeCloseTo((k - 2 + 4 / 3) / k, 3)
  expect(r.items[1]).toMatchObject({
    majority: 'pass',
    agreement: 0.6667,
    expert: 'pass',
    expert_agreement: 0.5,
  })
  expect(r.items[2]).toMatchObject({
    majority: 'pass',
    agreement: 0.6667,
    expert: 'fail',
    expert_agreement: 0,
  })
  expect(r.items[0]).toMatchObject({ unanimous: true, agreement: 1 })
  const percent = (who: string) =>
    done.body.participants.find((p: { reviewer: string }) => p.reviewer === who).percent
  const by = (who: string) => r.by_reviewer.find((x: { reviewer: string }) => x.reviewer === who)
  expect(by('rita')).toMatchObject({ matches_expert: Math.round(((k - 1) / k) * 1e4) / 1e4 })
  expect(by('rob')).toMatchObject({ matches_expert: Math.round(((k - 2) / k) * 1e4) / 1e4 })
  expect(by('rita').deviation).toBeCloseTo(percent('rita') - percent('ed'), 2)
  // Rita passed everything: the highest score; the spread is between the extremes.
  expect(r.spread.max).toBe(percent('rita'))
  expect(r.spread.range).toBeCloseTo(percent('rita') - Math.min(percent('rob'), percent('ed')), 2)
  expect(percent('rita')).toBeGreaterThan(percent('rob'))

  // Now everyone involved sees every review.
  expect((await api.call('GET', `/v1/evaluations/${reviewIds.rob}`, 'rita')).status).toBe(200)
  expect((await api.call('POST', `/v1/calibrations/${sessionId}/review`, 'rita')).status).toBe(409)
  const log = await api.db.query<{ action: string }>(
    "SELECT action FROM audit_log WHERE entity = 'calibration' AND entity_id = $1 ORDER BY id",
    [sessionId],
  )
  expect(log.rows.map((x) => x.action)).toEqual(['calibration.create', 'calibration.complete'])
})

test("each reviewer's agreement over time; reviewers see only their own", async () => {
  const all = await api.call('GET', '/v1/calibrations/reviewers?period=week', 'max')
  expect(all.status).toBe(200)
  const k = itemKeys.length
  expect(all.body.map((x: { reviewer: string }) => x.reviewer)).toEqual(['rita', 'rob'])
  expect(all.body[0]).toMatchObject({ sessions: 1, matches_expert: Math.round(((k - 1) / k) * 1e4) / 1e4 })
  expect(all.body[0].period).toMatch(/^\d{4}-W\d{2}$/)
  const mine = await api.call('GET', '/v1/calibrations/reviewers', 'rob')
  expect(mine.body.map((x: { reviewer: string }) => x.reviewer)).toEqual(['rob'])
  expect((await api.call('GET', '/v1/calibrations/reviewers', 'tom')).status).toBe(403)
})
