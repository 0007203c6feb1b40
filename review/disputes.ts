/**
 * Disputes: an agent (their own calls) or a manager contests items of a submitted review, with a
 * comment, within a window after submission and up to a cap per evaluation. The review's reviewer
 * (or an admin) accepts, partially accepts or rejects; accepted items take the proposed answer,
 * the score is recomputed from the card, and every step is audited.
 *
 *   open ──accept──────────▶ accepted            (every disputed item changes)
 *        ──partial (items)─▶ partially_accepted  (the listed items change)
 *        ──reject──────────▶ rejected            (nothing changes)
 *
 * No HTTP here: failures are coded errors that the API maps to statuses.
 */
import type { Queryable } from '../db/index.js'
import { callForReader } from '../db/queries/call-search.js'
import {
  type Answer,
  type DisputedItem,
  type DisputeRow,
  type DisputeStatus,
  disputeById,
  disputeStatuses,
  insertDispute,
  lockDispute,
  saveDecision,
} from '../db/queries/disputes.js'
import { lockEvaluation } from '../db/queries/evaluations.js'
import { audit, type UserRow } from '../db/queries/users.js'
import {
  ConflictError,
  DisputeCapError,
  DisputeWindowError,
  ForbiddenError,
  NotFoundError,
  ValidationError,
} from '../errors.js'
import { agentScope, mayViewDispute } from './access.js'
import { applyChanges, loadEvaluation } from './evaluations.js'
import { evaluationStands } from './submission.js'

export interface DisputePolicy {
  /** days after submission a review may be disputed */
  windowDays: number
  /** disputes allowed per evaluation */
  cap: number
}

/** A dispute this user may see; one they may not is "not found", as for calls. */
export async function readableDispute(db: Queryable, id: number, user: UserRow): Promise<DisputeRow> {
  const dispute = await disputeById(db, id)
  if (!dispute || !mayViewDispute(user, dispute)) throw new NotFoundError(`no dispute ${id}`)
  return dispute
}

/**
 * The items as disputed: each must be on the card, listed once, and change something. A disputed
 * pass or fail without a proposal proposes the other; an n/a must say what it should be. Every
 * problem is reported at once.
 */
function disputedItems(
  current: ReadonlyArray<{ item_key: string; result: string }>,
  asked: ReadonlyArray<{ item_key: string; proposed?: Answer | undefined; comment?: string | undefined }>,
): DisputedItem[] {
  const byKey = new Map(current.map((i) => [i.item_key, i]))
  const problems: string[] = []
  const seen = new Set<string>()
  const disputed = asked.flatMap((change) => {
    const item = byKey.get(change.item_key)
    if (seen.has(change.item_key)) problems.push(`${change.item_key}: listed twice`)
    seen.add(change.item_key)
    if (!item) {
      problems.push(`${change.item_key}: no such item on this scorecard`)
      return []
    }
    const proposed =
      change.proposed ?? (item.result === 'pass' ? 'fail' : item.result === 'fail' ? 'pass' : undefined)
    if (!proposed) problems.push(`${change.item_key}: is ${item.result}; say what it should be (proposed)`)
    else if (proposed === item.result) problems.push(`${change.item_key}: is already ${item.result}`)
    return proposed
      ? [{ item_key: change.item_key, proposed, current: item.result, comment: change.comment ?? null }]
      : []
  })
  if (problems.length > 0) throw new ValidationError('cannot dispute these items', { details: problems })
  return disputed
}

/** Opens a dispute on a submitted review, in the caller's transaction; returns its id. */
export async function openDispute(
  tx: Queryable,
  evaluationId: number,
  request: {
    comment: string
    items: ReadonlyArray<{ item_key: string; proposed?: Answer | undefined; comment?: string | undefined }>
  },
  user: UserRow,
  policy: DisputePolicy,
): Promise<number> {
  await lockEvaluation(tx, evaluationId)
  const { evaluation, items } = await loadEvaluation(tx, evaluationId)
  // An agent disputes reviews of their own calls only; another agent's review is "not found".
  if (!(await callForReader(tx, evaluation.call_id, agentScope(user))))
    throw new NotFoundError(`no evaluation ${evaluation.id}`)
  if (evaluation.source !== 'review' || evaluation.calibration_id !== null)
    throw new ValidationError('only a submitted review can be disputed')
  if (evaluation.status !== 'submitted' || !evaluation.submitted_at)
    throw new ConflictError(`review ${evaluation.id} is ${evaluation.status}, not submitted`)
  const closes = new Date(evaluation.submitted_at).getTime() + policy.windowDays * 86_400_000
  if (Date.now() > closes)
    throw new DisputeWindowError(
      `the ${policy.windowDays}-day dispute window closed on ${new Date(closes).toISOString()}`,
    )
  const earlier = await disputeStatuses(tx, evaluation.id)
  if (earlier.includes('open')) throw new ConflictError(`review ${evaluation.id} already has an open dispute`)
  if (earlier.length >= policy.cap)
    throw new DisputeCapError(
      `review ${evaluation.id} has been disputed ${earlier.length} times; the limit is ${policy.cap}`,
    )
  const disputed = disputedItems(items, request.items)
  const disputeId = await insertDispute(tx, {
    evaluationId: evaluation.id,
    raisedBy: user.id,
    items: disputed,
    comment: request.comment,
    percentBefore: evaluation.percent,
  })
  await audit(tx, {
    userId: user.id,
    action: 'dispute.open',
    entity: 'evaluation',
    entityId: evaluation.id,
    after: { dispute_id: disputeId, items: disputed, comment: request.comment },
  })
  return disputeId
}

/** Which disputed items a decision accepts; a partial decision must be truly partial. */
function acceptedBy(
  decision: 'accept' | 'partial' | 'reject',
  disputedKeys: string[],
  acceptedItems: string[] | undefined,
  comment: string | undefined,
): string[] {
  let accepted: string[]
  if (decision === 'accept') accepted = disputedKeys
  else if (decision === 'reject') accepted = []
  else {
    if (!acceptedItems) throw new ValidationError('a partial decision lists the accepted_items')
    const unknown = acceptedItems.filter((k) => !disputedKeys.includes(k))
    if (unknown.length > 0)
      throw new ValidationError('accepted_items must be items of the dispute', { details: unknown })
    if (acceptedItems.length === disputedKeys.length)
      throw new ValidationError('every item is accepted: decide "accept"')
    accepted = acceptedItems
  }
  if (decision !== 'partial' && acceptedItems)
    throw new ValidationError('accepted_items belongs to a partial decision')
  if (decision !== 'accept' && !comment?.trim())
    throw new ValidationError('say why in a comment when not accepting everything')
  return accepted
}

/**
 * Decides an open dispute, in the caller's transaction: accepted items take the proposed answer
 * through the same path as a reviewer's change (rescored from the card, audited as dispute.*), and
 * the changed review then stands for the call.
 */
export async function decideDispute(
  tx: Queryable,
  id: number,
  request: {
    decision: 'accept' | 'partial' | 'reject'
    accepted_items?: string[] | undefined
    comment?: string | undefined
  },
  user: UserRow,
): Promise<void> {
  await lockDispute(tx, id)
  const d = await disputeById(tx, id)
  if (!d) throw new NotFoundError(`no dispute ${id}`)
  if (d.reviewer_id !== user.id && user.role !== 'admin')
    throw new ForbiddenError("only the review's reviewer (or an admin) decides its disputes")
  if (d.status !== 'open') throw new ConflictError(`dispute ${d.id} is already ${d.status}`)
  const { decision, comment } = request
  // Every check comes before the first write: a refused decision changes nothing.
  const accepted = acceptedBy(
    decision,
    d.items.map((i) => i.item_key),
    request.accepted_items,
    comment,
  )
  await lockEvaluation(tx, d.evaluation_id)
  const loaded = await loadEvaluation(tx, d.evaluation_id)
  let after = loaded.evaluation.percent
  if (accepted.length > 0) {
    const changes = d.items
      .filter((i) => accepted.includes(i.item_key))
      .map((i) => ({ item_key: i.item_key, result: i.proposed }))
    after = (await applyChanges(tx, loaded, { items: changes }, user.id, 'dispute')).after
    await evaluationStands(tx, loaded.evaluation.call_id)
  }
  const status: DisputeStatus =
    decision === 'accept' ? 'accepted' : decision === 'reject' ? 'rejected' : 'partially_accepted'
  await saveDecision(tx, d.id, {
    status,
    accepted,
    decidedBy: user.id,
    comment: comment ?? null,
    percentAfter: after,
  })
  await audit(tx, {
    userId: user.id,
    action: 'dispute.decide',
    entity: 'evaluation',
    entityId: d.evaluation_id,
    before: { dispute_id: d.id, status: 'open', percent: loaded.evaluation.percent },
    after: { dispute_id: d.id, status, accepted_items: accepted, percent: after, comment: comment ?? null },
  })
}
