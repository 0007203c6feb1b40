/** Reviews over real HTTP: open from the automatic evaluation, override, comment, submit, audit. */

import path from 'node:path'
import type { Piscina } from 'piscina'
import { afterAll, beforeAll, expect, test } from 'vitest'
import { type Api, buildServer } from '../../api/server.js'
import type { Database } from '../../db/index.js'
import { installBuiltins } from '../../db/queries/builtins.js'
import { listEvaluations } from '../../db/queries/scorecards.js'
import { createUser } from '../../db/queries/users.js'
import { loadMetadata } from '../../pipeline/metadata.js'
import { createPool } from '../../pipeline/pool.js'
import { ingest } from '../../pipeline/run.js'
import { samplesDir } from '../../samples/ground-truth.js'
import { ffmpegPath, tempDir } from '../helpers/audio.js'
import { openTestDb } from '../helpers/db.js'

let db: Database
let pool: Piscina
let app: Api
let base: string
const tmp = tempDir()
const tokens: Record<string, string> = {}
let autoId = 0

beforeAll(async () => {
  db = await openTestDb('api/reviews')
  pool = createPool({ threads: 2 })
  await installBuiltins(db)
  const report = await ingest({
    db,
    pool,
    storageDir: path.join(tmp.dir, 'storage'),
    ffmpegPath,
    inputs: [path.join(samplesDir, 'call-04-phone-dead-air.wav')],
    options: { metadata: loadMetadata(path.join(samplesDir, 'metadata.csv')) },
  })
  const evaluations = await listEvaluations(db, report.items[0]?.callId as number)
  autoId = evaluations.find((e) => e.scorecard_key === 'inbound-support-en')?.id as number
  for (const [name, role] of [
    ['rita', 'reviewer'],
    ['rob', 'reviewer'],
    ['ada', 'admin'],
    ['max', 'manager'],
    ['tom', 'trainer'],
    ['a.kim', 'agent'],
  ] as const)
    tokens[name] = (await createUser(db, { name, role })).token
  app = await buildServer({ db, storageDir: path.join(tmp.dir, 'storage') })
  base = await app.listen({ port: 0, host: '127.0.0.1' })
}, 120_000)
afterAll(async () => {
  await app?.close()
  await pool.destroy()
  await db.close()
  tmp.remove()
})

async function call(method: string, url: string, who: string, body?: unknown) {
  const res = await fetch(`${base}${url}`, {
    method,
    headers: {
      authorization: `Bearer ${tokens[who]}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  })
  // biome-ignore lint/suspicious/noExplicitAny: response bodies are checked field by field
  return { status: res.status, body: (await res.json()) as Record<string, any> }
}

/** Weighted percent recomputed here from the item rows, independently of the server. */
function percentOf(items: Array<{ result: string; max_points: number }>): number {
  const counted = items.filter((i) => i.result === 'pass' || i.result === 'fail')
  const earned = counted.filter((i) => i.result === 'pass').reduce((s, i) => s + i.max_points, 0)
  return Math.round((earned / counted.reduce((s, i) => s + i.max_points, 0)) * 10000) / 100
}

test('a reviewer overrides the machine, comments, and submits; everything is audited', async () => {
  // Only reviewers and admins review.
  for (const who of ['max', 'tom', 'a.kim'])
    expect((await call('POST', `/v1/evaluations/${autoId}/reviews`, who)).status).toBe(403)

  const opened = await call('POST', `/v1/evaluations/${autoId}/reviews`, 'rita')
  expect(opened.status).toBe(201)
  const review = opened.body
  expect(review).toMatchObject({ source: 'review', status: 'draft', based_on: autoId })
  const dead = review.items.find((i: { item_key: string }) => i.item_key === 'no-long-dead-air')
  expect(dead).toMatchObject({ result: 'fail', auto_result: 'fail' })
  // Opening again returns the same draft.
  expect((await call('POST', `/v1/evaluations/${autoId}/reviews`, 'rita')).body.id).toBe(review.id)

  // Submitting with the manual item unanswered is refused, naming it.
  const early = await call('POST', `/v1/reviews/${review.id}/submit`, 'rita')
  expect(early).toMatchObject({
    status: 400,
    body: { error: { details: { pending: ['customer-hangs-up-first'] } } },
  })

  // Override: the hold was announced and short for this line of business; answer the manual item.
  const saved = await call('PATCH', `/v1/reviews/${review.id}`, 'rita', {
    comment: 'Hold was announced; fine for a payment-date change.',
    items: [
      { item_key: 'no-long-dead-air', result: 'pass', comment: 'announced hold, not dead air' },
      { item_key: 'customer-hangs-up-first', result: 'pass' },
    ],
  })
  expect(saved.status).toBe(200)
  const overridden = saved.body.items.find((i: { item_key: string }) => i.item_key === 'no-long-dead-air')
  expect(overridden).toMatchObject({
    result: 'pass',
    auto_result: 'fail',
    comment: 'announced hold, not dead air',
  })
  expect(saved.body.percent).toBe(percentOf(saved.body.items))
  expect(saved.body.percent).toBeGreaterThan(review.percent)
  expect(saved.body.pending).toBe(0)
  // The automatic evaluation is untouched.
  const auto = await call('GET', `/v1/evaluations/${autoId}`, 'max')
  expect(auto.body.percent).toBe(review.percent)
  expect(auto.body.items.find((i: { item_key: string }) => i.item_key === 'no-long-dead-air').result).toBe(
    'fail',
  )

  // Someone else's review: another reviewer may not change it, an admin may.
  expect((await call('PATCH', `/v1/reviews/${review.id}`, 'rob', { comment: 'mine now' })).status).toBe(403)
  expect((await call('PATCH', `/v1/reviews/${review.id}`, 'max', { comment: 'x' })).status).toBe(403)
  expect(
    (
      await call('PATCH', `/v1/reviews/${review.id}`, 'ada', {
        items: [{ item_key: 'greeting', comment: 'good' }],
      })
    ).status,
  ).toBe(200)

  // Bad input: unknown item, bad result, empty body.
  expect(
    (
      await call('PATCH', `/v1/reviews/${review.id}`, 'rita', {
        items: [{ item_key: 'nope', result: 'pass' }],
      })
    ).status,
  ).toBe(400)
  expect(
    (
      await call('PATCH', `/v1/reviews/${review.id}`, 'rita', {
        items: [{ item_key: 'greeting', result: 'maybe' }],
      })
    ).status,
  ).toBe(400)
  expect((await call('PATCH', `/v1/reviews/${review.id}`, 'rita', {})).status).toBe(400)
  expect((await call('PATCH', `/v1/reviews/${autoId}`, 'rita', { comment: 'x' })).status).toBe(400)

  const submitted = await call('POST', `/v1/reviews/${review.id}/submit`, 'rita')
  expect(submitted).toMatchObject({ status: 200, body: { status: 'submitted' } })
  expect(submitted.body.submitted_at).not.toBeNull()
  expect((await call('PATCH', `/v1/reviews/${review.id}`, 'rita', { comment: 'late' })).status).toBe(409)
  expect((await call('POST', `/v1/reviews/${review.id}/submit`, 'rita')).status).toBe(409)

  const log = await call('GET', `/v1/evaluations/${review.id}/audit`, 'max')
  expect(log.status).toBe(200)
  const entries = log.body as unknown as Array<{
    action: string
    user_name: string
    before: unknown
    after: unknown
  }>
  expect(entries.map((e) => e.action)).toEqual([
    'review.open',
    'review.item',
    'review.item',
    'review.save',
    'review.item',
    'review.submit',
  ])
  expect(entries[1]).toMatchObject({
    user_name: 'rita',
    before: { item_key: 'no-long-dead-air', result: 'fail', comment: null },
    after: { item_key: 'no-long-dead-air', result: 'pass', comment: 'announced hold, not dead air' },
  })
  expect(entries[4]).toMatchObject({ user_name: 'ada', after: { item_key: 'greeting', comment: 'good' } })
  expect(entries[5]).toMatchObject({ before: { status: 'draft' }, after: { status: 'submitted' } })
  expect((await call('GET', `/v1/evaluations/${review.id}/audit`, 'a.kim')).status).toBe(403)
})
