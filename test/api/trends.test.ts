/**
 * Which evaluation the trends count, over real HTTP on one real call: the automatic one until a
 * review is submitted (drafts and calibration reviews never), then the review, then the review
 * as a dispute changed it; one per card key however many versions scored the call.
 */
import { afterAll, beforeAll, expect, test } from 'vitest'
import { latestScorecard, saveScorecard } from '../../db/queries/scorecards.js'
import { rescore } from '../../pipeline/rescore.js'
import type { ScorecardDefinition } from '../../scorecards/schema.js'
import { type ApiHarness, startApi } from '../helpers/api.js'

const CARD = 'inbound-support-en'
const range = 'from=2020-01-01T00:00:00Z&to=2030-01-01T00:00:00Z'
let api: ApiHarness
let callId: number
let autoId: number
let reviewId: number

beforeAll(async () => {
  api = await startApi('api/trends', {
    files: ['call-04-phone-dead-air.wav'],
    users: [
      ['max', 'manager'],
      ['rita', 'reviewer'],
      ['rob', 'reviewer'],
      ['a.kim', 'agent'],
    ],
  })
  callId = api.idOf.get('call-04-phone-dead-air.wav') as number
  const detail = await api.call('GET', `/v1/calls/${callId}`, 'max')
  autoId = detail.body.evaluations.find(
    (e: { source: string; scorecard_key: string }) => e.source === 'auto' && e.scorecard_key === CARD,
  ).id
}, 180_000)
afterAll(async () => api?.close())

/** The one trend row of the card (one call, one agent, one month) and its failed items. */
async function trend() {
  const res = await api.call(
    'GET',
    `/v1/trends?${range}&group_by=agent&period=month&scorecard=${CARD}`,
    'max',
  )
  expect(res.status).toBe(200)
  expect(res.body.items).toHaveLength(1)
  const failed = await api.call('GET', `/v1/trends/failed-items?${range}&scorecard=${CARD}&limit=100`, 'max')
  return {
    row: res.body.items[0] as { qa_percent: number; qa_evaluations: number; qa_reviewed: number },
    failed: (failed.body.items as Array<{ item_key: string }>).map((i) => i.item_key).sort(),
  }
}
const percentOf = async (id: number) =>
  (await api.call('GET', `/v1/evaluations/${id}`, 'max')).body.percent as number
const failedOf = async (id: number) =>
  (
    (await api.call('GET', `/v1/evaluations/${id}`, 'max')).body.items as Array<{
      item_key: string
      result: string
    }>
  )
    .filter((i) => i.result === 'fail')
    .map((i) => i.item_key)
    .sort()

test('automatic at first; a new card version re-scoring the call does not count it twice', async () => {
  const auto = await percentOf(autoId)
  expect((await trend()).row).toMatchObject({ qa_percent: auto, qa_evaluations: 1, qa_reviewed: 0 })
  expect((await trend()).failed).toEqual(await failedOf(autoId))
  // Team and queue filters, on the rollups and on the failed items.
  for (const [filter, rows] of [
    ['team=billing-east&queue=billing', 1],
    ['team=support-west', 0],
    ['queue=sales', 0],
  ] as const) {
    const t = await api.call('GET', `/v1/trends?${range}&group_by=team&period=week&${filter}`, 'max')
    expect(t.body.items, filter).toHaveLength(rows)
    const f = await api.call('GET', `/v1/trends/failed-items?${range}&${filter}`, 'max')
    expect(f.body.items.length > 0, filter).toBe(rows > 0)
  }

  const v1 = (await latestScorecard(api.db, CARD)) as { definition: ScorecardDefinition }
  const v2 = await saveScorecard(api.db, { ...v1.definition, name: `${v1.definition.name} (v2)` }, 'test')
  expect(v2.created).toBe(true)
  expect((await rescore({ db: api.db, scorecard: v2.scorecard })).evaluated).toBe(1)
  const autos = await api.db.query(
    `SELECT count(*)::int AS n FROM evaluations e JOIN scorecards s ON s.id = e.scorecard_id
     WHERE e.call_id = $1 AND e.source = 'auto' AND s.key = $2`,
    [callId, CARD],
  )
  expect(autos.rows[0]).toEqual({ n: 2 })
  expect((await trend()).row).toMatchObject({ qa_percent: auto, qa_evaluations: 1, qa_reviewed: 0 })
})

test('a draft does not count; the submitted review does; a calibration review never', async () => {
  const { row: before } = await trend()
  // Rita passes every failed item but one (left for the dispute below).
  const review = (await api.call('POST', `/v1/evaluations/${autoId}/reviews`, 'rita')).body.id as number
  const toPass = (await failedOf(autoId)).slice(1)
  expect(toPass.length).toBeGreaterThan(1)
  const saved = await api.call('PATCH', `/v1/reviews/${review}`, 'rita', {
    items: [
      ...toPass.map((item_key) => ({ item_key, result: 'pass' })),
      { item_key: 'customer-hangs-up-first', result: 'pass' },
    ],
  })
  expect(saved.status).toBe(200)
  expect((await trend()).row).toEqual(before)

  expect((await api.call('POST', `/v1/reviews/${review}/submit`, 'rita')).status).toBe(200)
  const reviewed = await percentOf(review)
  expect(reviewed).toBeGreaterThan(before.qa_percent)
  const after = await trend()
  expect(after.row).toMatchObject({ qa_percent: reviewed, qa_evaluations: 1, qa_reviewed: 1 })
  expect(after.failed).toEqual(await failedOf(review))
  expect(after.failed).not.toContain(toPass[0])

  // A calibration on the same call: both reviewers fail everything they can; trends do not move.
  const cal = await api.call('POST', '/v1/calibrations', 'max', {
    call_id: callId,
    scorecard: CARD,
    reviewers: ['rita', 'rob'],
  })
  expect(cal.status).toBe(201)
  for (const who of ['rita', 'rob']) {
    const draft = (await api.call('POST', `/v1/calibrations/${cal.body.id}/review`, who)).body.id
    await api.call('PATCH', `/v1/reviews/${draft}`, who, {
      items: [{ item_key: 'customer-hangs-up-first', result: 'fail' }],
    })
    expect((await api.call('POST', `/v1/reviews/${draft}/submit`, who)).status).toBe(200)
  }
  expect((await trend()).row).toMatchObject({ qa_percent: reviewed, qa_reviewed: 1 })
  reviewId = review
})

test('an accepted dispute moves the trend to the changed score', async () => {
  const review = reviewId
  const [item] = await failedOf(review)
  expect(item).toBeDefined()
  // call-04 is a.kim's.
  const dispute = await api.call('POST', `/v1/evaluations/${review}/disputes`, 'a.kim', {
    comment: 'this happened',
    items: [{ item_key: item }],
  })
  expect(dispute.status).toBe(201)
  const before = await percentOf(review)
  expect(
    (await api.call('POST', `/v1/disputes/${dispute.body.id}/decision`, 'rita', { decision: 'accept' }))
      .status,
  ).toBe(200)
  const changed = await percentOf(review)
  expect(changed).toBeGreaterThan(before)
  const { row, failed } = await trend()
  expect(row).toMatchObject({ qa_percent: changed, qa_evaluations: 1, qa_reviewed: 1 })
  expect(failed).not.toContain(item)
})
