/**
 * Submitting a review, and the moment a human evaluation starts to stand for its call. A workflow
 * over several aggregates: the review itself (evaluations.ts), the calibration session it may
 * belong to, the reviewer's assignment of the call (samples.ts) and the trends.
 */
import type { Queryable } from '../db/index.js'
import { daysOfCalls, refreshDailyStats } from '../db/queries/daily-stats.js'
import { markSubmitted } from '../db/queries/evaluations.js'
import { audit, type UserRow } from '../db/queries/users.js'
import { ValidationError } from '../errors.js'
import { completeCalibrationIfDone } from './calibration-sessions.js'
import { lockDraft } from './evaluations.js'
import { completeAssignments } from './samples.js'

/**
 * The one place a human evaluation starts to stand for its call (a review submitted, a dispute
 * decided with changes): the trends of the call's day are recomputed in the same transaction. A
 * path that changes what stands without coming through here would leave the trends silently wrong.
 */
export async function evaluationStands(tx: Queryable, callId: number): Promise<void> {
  await refreshDailyStats(tx, await daysOfCalls(tx, [callId]))
}

/**
 * Submits a draft review: every manual item answered, then submitted and audited. A calibration
 * review completes its session once every participant has submitted, and never counts in the
 * trends (it grades the reviewer, not the agent); any other review closes the reviewer's
 * assignment of the call and now stands for it.
 */
export async function submitReview(tx: Queryable, id: number, user: UserRow): Promise<void> {
  const { evaluation, items } = await lockDraft(tx, id, user, 'submit')
  const pending = items.filter((i) => i.result === 'pending').map((i) => i.item_key)
  if (pending.length > 0)
    throw new ValidationError('answer every manual item before submitting', { details: { pending } })
  await markSubmitted(tx, id)
  await audit(tx, {
    userId: user.id,
    action: 'review.submit',
    entity: 'evaluation',
    entityId: id,
    before: { status: 'draft' },
    after: { status: 'submitted', percent: evaluation.percent, passed: evaluation.passed },
  })
  if (evaluation.calibration_id !== null) {
    await completeCalibrationIfDone(tx, evaluation.calibration_id, user.id)
    return
  }
  if (evaluation.reviewer_id !== null)
    await completeAssignments(tx, {
      evaluationId: id,
      callId: evaluation.call_id,
      reviewerId: evaluation.reviewer_id,
      scorecardKey: evaluation.scorecard_key,
    })
  await evaluationStands(tx, evaluation.call_id)
}
