/**
 * The human-QA domain on a seeded database, below HTTP and without decoding audio (issue "one
 * redesign step"): calls and their automatic evaluations are stored as analysis would store them,
 * then a QA lead samples, a reviewer reviews, an agent disputes, and the trends follow. Runs on
 * PGlite and on the Postgres server like the rest of the suite.
 */

import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import type { Database } from '../../db/index.js'
import { installBuiltins } from '../../db/queries/builtins.js'
import { refreshDailyStats } from '../../db/queries/daily-stats.js'
import { reviewerQueue } from '../../db/queries/samples.js'
import { latestScorecard, saveAutoEvaluation } from '../../db/queries/scorecards.js'
import { itemAgreement, kpiTrends } from '../../db/queries/trends.js'
import { createUser, type UserRow } from '../../db/queries/users.js'
import { DisputeWindowError, NotFoundError } from '../../errors.js'
import { readableCall } from '../../review/calls.js'
import { decideDispute, openDispute, readableDispute } from '../../review/disputes.js'
import { applyChanges, loadEvaluation, lockDraft, openReview } from '../../review/evaluations.js'
import { createSample, getSample, planSample } from '../../review/samples.js'
import { submitReview } from '../../review/submission.js'
import { type CallFacts, evaluate } from '../../scorecards/evaluate.js'
import type { ScorecardDefinition } from '../../scorecards/schema.js'
import { openTestDb } from '../helpers/db.js'

const CARD = 'inbound-support-en'
const DAY = '2026-11-10'
let db: Database
const users = {} as Record<'lead' | 'rita' | 'ravi' | 'ann' | 'bob', UserRow>
const calls: number[] = []

/** What analysis would have found on a short call: a polite agent, or a curt one. */
function facts(polite: boolean): CallFacts {
  const agent = polite
    ? [
        'Thank you for calling Acme, my name is Dana, how can I help you today?',
        'I understand. Let me check that for you, one moment please.',
        'Is there anything else I can help you with? Thank you for calling, goodbye.',
      ]
    : ['Yeah.', 'Hold on.', 'Bye.']
  const utterances = agent.flatMap((text, i) => [
    { speaker: 'agent', startMs: i * 20_000, endMs: i * 20_000 + 6000, text },
    {
      speaker: 'customer',
      startMs: i * 20_000 + 7000,
      endMs: i * 20_000 + 12_000,
      text: 'My bill is wrong.',
    },
  ])
  return {
    durationMs: 60_000,
    direction: 'inbound',
    language: 'en',
    queue: 'billing',
    team: 'north',
    hasTranscript: true,
    metrics: {},
    customerSentimentStart: 0,
    customerSentimentEnd: 0.2,
    segments: utterances.map((u) => ({ speaker: u.speaker, startMs: u.startMs, endMs: u.endMs })),
    utterances,
  }
}

beforeAll(async () => {
  db = await openTestDb('review/domain')
  await installBuiltins(db)
  for (const [name, role, agentId] of [
    ['lead', 'manager', null],
    ['rita', 'reviewer', null],
    ['ravi', 'reviewer', null],
    ['ann', 'agent', 'A1'],
    ['bob', 'agent', 'A2'],
  ] as const)
    users[name] = (await createUser(db, { name, role, agentId })).user
  const card = (await latestScorecard(db, CARD)) as { id: number; definition: unknown }
  for (let i = 0; i < 6; i++) {
    const res = await db.query<{ id: number }>(
      `INSERT INTO calls (sha256, source_name, status, agent_id, team, queue, direction, language, started_at,
         duration_ms, transcript_status)
       VALUES ($1, $2, 'done', $3, 'north', 'billing', 'inbound', 'en', $4, 60000, 'supplied') RETURNING id`,
      [`seed-${i}`, `call-${i}.wav`, i % 2 === 0 ? 'A1' : 'A2', `${DAY}T0${i}:00:00Z`],
    )
    const id = res.rows[0]?.id as number
    calls.push(id)
    await saveAutoEvaluation(
      db,
      id,
      card.id,
      evaluate(card.definition as ScorecardDefinition, facts(i % 3 !== 0)),
    )
  }
  await refreshDailyStats(db, [DAY])
})
afterAll(async () => db?.close())

const range = { from: `${DAY}T00:00:00Z`, to: '2026-11-11T00:00:00Z' }

describe('sample → review → dispute → trends', () => {
  let reviewId: number
  let overridden: string[] = []
  let manualKeys: string[] = []

  test('a sample is reproducible by its seed, spread over the reviewers, and lands in their queues', async () => {
    const request = {
      name: 'week 46',
      scorecard: CARD,
      method: 'random' as const,
      n: 4,
      seed: 'fixed',
      assign: { reviewers: ['rita', 'ravi'], start_on: '2026-01-01' },
    }
    const first = await planSample(db, request)
    const again = await planSample(db, request)
    expect(first.population).toBe(6)
    expect(again.drawn.map((d) => d.call_id)).toEqual(first.drawn.map((d) => d.call_id))
    const id = await db.withTransaction((tx) => createSample(tx, request, users.lead?.id ?? null))
    const sample = await getSample(db, id)
    expect(sample.drawn).toBe(4)
    expect(new Set(sample.assignments.map((a) => a.reviewer))).toEqual(new Set(['rita', 'ravi']))
    const queue = await reviewerQueue(db, users.rita?.id as number, true)
    expect(queue.length).toBe(sample.assignments.filter((a) => a.reviewer === 'rita').length)
    expect(queue.every((q) => q.auto_evaluation_id !== null && q.draft_review_id === null)).toBe(true)
  })

  test('a review overrides items in one save, is scored from the card, submitted, and counts in the trends', async () => {
    const queue = await reviewerQueue(db, users.rita?.id as number, true)
    const entry = queue[0] as (typeof queue)[number]
    const auto = await loadEvaluation(db, entry.auto_evaluation_id as number)
    const opened = await openReview(db, auto.evaluation, users.rita?.id as number, null)
    // Opening twice returns the same draft.
    expect(await openReview(db, auto.evaluation, users.rita?.id as number, null)).toEqual({
      id: opened.id,
      created: false,
    })
    reviewId = opened.id
    const toFail = auto.items.filter((i) => i.result === 'pass').slice(0, 2)
    expect(toFail.length).toBe(2)
    // Manual items (the machine cannot judge them) are answered by the reviewer.
    const manual = auto.items.filter((i) => i.result === 'pending')
    overridden = toFail.map((i) => i.item_key)
    manualKeys = manual.map((i) => i.item_key)
    const { before, after } = await db.withTransaction(async (tx) =>
      applyChanges(
        tx,
        await lockDraft(tx, reviewId, users.rita, 'change'),
        {
          items: [
            ...toFail.map((i) => ({ item_key: i.item_key, result: 'fail' as const, comment: 'not heard' })),
            ...manual.map((i) => ({ item_key: i.item_key, result: 'pass' as const })),
          ],
        },
        users.rita?.id ?? null,
        'review',
      ),
    )
    expect(after).toBeLessThan(before)
    const saved = await loadEvaluation(db, reviewId)
    for (const i of toFail)
      expect(saved.items.find((s) => s.item_key === i.item_key)).toMatchObject({
        result: 'fail',
        auto_result: 'pass',
        comment: 'not heard',
        points: expect.any(Number),
      })
    expect(saved.evaluation.percent).toBe(after)
    const audits = await db.query<{ action: string }>(
      "SELECT action FROM audit_log WHERE entity = 'evaluation' AND entity_id = $1 ORDER BY id",
      [reviewId],
    )
    // One audit row per changed item, then the save: written in one statement, in order.
    expect(audits.rows.map((a) => a.action)).toEqual([
      'review.open',
      ...Array(toFail.length + manual.length).fill('review.item'),
      'review.save',
    ])

    const reviewedBefore = (await kpiTrends(db, { ...range, group_by: 'team', period: 'day' }))[0]
      ?.qa_reviewed
    await db.withTransaction((tx) => submitReview(tx, reviewId, users.rita))
    const trend = (await kpiTrends(db, { ...range, group_by: 'team', period: 'day' }))[0]
    expect(trend?.qa_reviewed).toBe((reviewedBefore ?? 0) + 1)
    const closed = await reviewerQueue(db, users.rita?.id as number, true)
    expect(closed.map((q) => q.call_id)).not.toContain(entry.call_id)
  })

  test('the agent disputes within the window, the reviewer accepts part, the score and trends move', async () => {
    const review = await loadEvaluation(db, reviewId)
    const call = await db.query<{ agent_id: string }>('SELECT agent_id FROM calls WHERE id = $1', [
      review.evaluation.call_id,
    ])
    const owner = call.rows[0]?.agent_id === 'A1' ? users.ann : users.bob
    const other = owner === users.ann ? users.bob : users.ann
    const failed = review.items.filter((i) => i.result === 'fail' && i.auto_result === 'pass')
    const request = { comment: 'I did say it', items: failed.map((i) => ({ item_key: i.item_key })) }
    const policy = { windowDays: 7, cap: 2 }
    // Another agent's review is not theirs to know of.
    await expect(
      db.withTransaction((tx) => openDispute(tx, reviewId, request, other as UserRow, policy)),
    ).rejects.toBeInstanceOf(NotFoundError)
    await expect(
      db.withTransaction((tx) =>
        openDispute(tx, reviewId, request, owner as UserRow, { ...policy, windowDays: -1 }),
      ),
    ).rejects.toBeInstanceOf(DisputeWindowError)
    const disputeId = await db.withTransaction((tx) =>
      openDispute(tx, reviewId, request, owner as UserRow, policy),
    )
    await expect(readableDispute(db, disputeId, other)).rejects.toBeInstanceOf(NotFoundError)

    const qaBefore = (await kpiTrends(db, { ...range, group_by: 'team', period: 'day' }))[0]?.qa_percent
    await db.withTransaction((tx) =>
      decideDispute(
        tx,
        disputeId,
        { decision: 'partial', accepted_items: [failed[0]?.item_key as string], comment: 'one was said' },
        users.rita as UserRow,
      ),
    )
    const decided = await readableDispute(db, disputeId, owner)
    expect(decided).toMatchObject({ status: 'partially_accepted', accepted_items: [failed[0]?.item_key] })
    expect(decided.percent_after).toBeGreaterThan(decided.percent_before as number)
    const after = await loadEvaluation(db, reviewId)
    expect(after.items.find((i) => i.item_key === failed[0]?.item_key)?.result).toBe('pass')
    expect(after.items.find((i) => i.item_key === failed[1]?.item_key)?.result).toBe('fail')
    const qaAfter = (await kpiTrends(db, { ...range, group_by: 'team', period: 'day' }))[0]?.qa_percent
    expect(qaAfter).toBeGreaterThan(qaBefore as number)
  })

  test("automatic against human: per item, how often reviewers keep the machine's answer", async () => {
    const day = 86_400_000
    const rows = await itemAgreement(db, {
      from: new Date(Date.now() - day).toISOString(),
      to: new Date(Date.now() + day).toISOString(),
      scorecard: CARD,
      period: 'month',
    })
    const of = (key: string | undefined) => rows.find((r) => r.item_key === key)
    // The first override was taken back by the dispute; the second stands; the rest were kept.
    expect(of(overridden[0])).toMatchObject({ reviewed: 1, kept: 1, pass_to_fail: 0, agreement: 1 })
    expect(of(overridden[1])).toMatchObject({ reviewed: 1, kept: 0, pass_to_fail: 1, agreement: 0 })
    // What the machine left to a person is no agreement and no disagreement.
    for (const key of manualKeys) expect(of(key)).toBeUndefined()
    const others = rows.filter((r) => !overridden.includes(r.item_key))
    expect(others.length).toBeGreaterThan(5)
    expect(others.every((r) => r.kept === r.reviewed && r.agreement === 1)).toBe(true)
  })

  test("an agent reads their own calls only; another agent's call is not found", async () => {
    const annCall = calls[0] as number
    expect((await readableCall(db, annCall, users.ann)).agent_id).toBe('A1')
    await expect(readableCall(db, annCall, users.bob)).rejects.toBeInstanceOf(NotFoundError)
    expect((await readableCall(db, annCall, users.lead)).id).toBe(annCall)
  })
})
