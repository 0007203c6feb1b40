/**
 * Evaluations and reviews, the human-QA aggregate at the centre: loading an evaluation with its
 * items, who may read it (agents their own calls only; blind calibration reviews their reviewer
 * only), opening a reviewer's draft from the automatic evaluation (once, however many clicks),
 * locking a draft for a change, and applying changes with their audit. No HTTP here: failures are
 * coded errors (errors.ts) that the API maps to statuses.
 */
import type { Database, Queryable } from '../db/index.js'
import { callForReader } from '../db/queries/call-search.js'
import {
  copyToDraft,
  type EvaluationRow,
  evaluationById,
  findReview,
  type ItemRow,
  lockEvaluation,
  markAcknowledged,
  saveItems,
  saveScore,
} from '../db/queries/evaluations.js'
import { audit, auditMany, type UserRow } from '../db/queries/users.js'
import { ConflictError, ForbiddenError, NotFoundError, ValidationError } from '../errors.js'
import { type ItemResult, rescoreItems } from '../scorecards/evaluate.js'
import { agentScope, calibrationReviewVisible } from './access.js'

export type { EvaluationRow, ItemRow } from '../db/queries/evaluations.js'

export async function loadEvaluation(
  db: Queryable,
  id: number,
): Promise<{ evaluation: EvaluationRow; items: ItemRow[] }> {
  const loaded = await evaluationById(db, id)
  if (!loaded) throw new NotFoundError(`no evaluation ${id}`)
  return loaded
}

/**
 * Locks a draft review for a change (two saves cannot interleave their read-modify-write) and
 * checks that it is a review, the caller's own (or the caller is an admin), and still a draft.
 */
export async function lockDraft(tx: Queryable, id: number, user: UserRow, verb: 'change' | 'submit') {
  await lockEvaluation(tx, id)
  const loaded = await loadEvaluation(tx, id)
  const { evaluation } = loaded
  if (evaluation.source !== 'review') throw new ValidationError(`evaluation ${id} is not a review`)
  // A calibration review is blind to everyone but its reviewer, admins included, until every
  // participant has submitted: nobody else may change it, submit it, or read it in the answer.
  if (evaluation.calibration_id !== null && evaluation.reviewer_id !== user.id)
    throw new ForbiddenError(
      `review ${id} is a blind calibration review; only its own reviewer may ${verb} it`,
    )
  if (evaluation.reviewer_id !== user.id && user.role !== 'admin')
    throw new ForbiddenError(`only the review’s own reviewer (or an admin) may ${verb} it`)
  if (evaluation.status !== 'draft')
    throw new ConflictError(
      verb === 'change'
        ? `review ${id} is ${evaluation.status}; only drafts change`
        : `review ${id} is already ${evaluation.status}`,
    )
  return loaded
}

/**
 * Whether the caller may read an evaluation: a calibration review stays with its reviewer until
 * the session completes; an agent reads only the automatic and submitted evaluations of their own
 * calls (anything else is "not found" to them).
 */
export async function assertMayRead(
  db: Queryable,
  evaluation: Pick<EvaluationRow, 'id' | 'call_id' | 'calibration_id' | 'reviewer_id' | 'status' | 'source'>,
  user: UserRow,
): Promise<void> {
  const agent = agentScope(user)
  if (agent !== null) {
    const own = await callForReader(db, evaluation.call_id, agent)
    if (!own || evaluation.calibration_id !== null || evaluation.status === 'draft')
      throw new NotFoundError(`no evaluation ${evaluation.id}`)
    return
  }
  if (!(await calibrationReviewVisible(db, evaluation, user)))
    throw new ForbiddenError(
      `evaluation ${evaluation.id} is a blind calibration review until every participant has submitted`,
    )
}

/**
 * Opens (or finds) a reviewer's draft review of an automatic evaluation: a copy of the evaluation
 * and its items, each item keeping the machine's answer as auto_result. `calibrationId` keeps a
 * calibration review apart from the reviewer's own review of the same call.
 */
export async function openReview(
  db: Database,
  auto: { id: number; call_id: number; scorecard_id: number; percent: number },
  reviewer: number,
  calibrationId: number | null,
): Promise<{ id: number; created: boolean }> {
  const key = { callId: auto.call_id, scorecardId: auto.scorecard_id, reviewerId: reviewer, calibrationId }
  const existing = await findReview(db, key)
  if (existing !== undefined) return { id: existing, created: false }
  try {
    const id = await db.withTransaction(async (tx) => {
      const draft = await copyToDraft(tx, auto.id, reviewer, calibrationId)
      await audit(tx, {
        userId: reviewer,
        action: 'review.open',
        entity: 'evaluation',
        entityId: draft.id,
        after: {
          based_on: auto.id,
          percent: auto.percent,
          items: draft.items,
          ...(calibrationId === null ? {} : { calibration_id: calibrationId }),
        },
      })
      return draft.id
    })
    return { id, created: true }
  } catch (err) {
    // Opened twice at once (a double click): the other request made the draft; this one returns it.
    if ((err as { code?: string }).code !== '23505') throw err
    const made = await findReview(db, key)
    if (made === undefined) throw err
    return { id: made, created: false }
  }
}

/**
 * Applies item overrides and comments to a locked review, recomputes its score from the card and
 * audits every change (`prefix`.item per item, `prefix`.save for the score and overall comment).
 * Returns the score before and after.
 */
export async function applyChanges(
  tx: Queryable,
  { evaluation, items }: { evaluation: EvaluationRow; items: ItemRow[] },
  changes: {
    comment?: string | null
    items?: Array<{ item_key: string; result?: 'pass' | 'fail' | 'na'; comment?: string | null }>
  },
  userId: number | null,
  prefix: 'review' | 'dispute',
): Promise<{ before: number; after: number }> {
  const id = evaluation.id
  const byKey = new Map(items.map((i) => [i.item_key, i]))
  const itemAudits: Array<Parameters<typeof audit>[1]> = []
  // Every change is applied in memory first; a bad key refuses the whole save before any write.
  for (const change of changes.items ?? []) {
    const item = byKey.get(change.item_key)
    if (!item) throw new ValidationError(`no item "${change.item_key}" on this scorecard`)
    const before = { result: item.result, comment: item.comment }
    if (change.result !== undefined) item.result = change.result
    if (change.comment !== undefined) item.comment = change.comment
    const after = { result: item.result, comment: item.comment }
    if (before.result === after.result && before.comment === after.comment) continue
    itemAudits.push({
      userId,
      action: `${prefix}.item`,
      entity: 'evaluation',
      entityId: id,
      before: { item_key: item.item_key, ...before },
      after: { item_key: item.item_key, ...after },
    })
  }
  const results: ItemResult[] = items.map((i) => ({
    section: i.section_key,
    key: i.item_key,
    label: i.item_key,
    kind: i.kind,
    result: i.result,
    points: i.points,
    maxPoints: i.max_points,
    occurrences: i.occurrences,
    critical: i.critical,
    fatal: i.fatal,
    evidence: i.evidence,
  }))
  // The score always comes from the card, never from the client: one overridden answer can move
  // points elsewhere (a fatal item zeroes the call, a deduction cap spreads).
  const scored = rescoreItems(evaluation.definition, results)
  const points = new Map(scored.items.map((i) => [i.key, i.points]))
  const changed = items.filter(
    (i) =>
      itemAudits.some((a) => (a.after as { item_key: string }).item_key === i.item_key) ||
      points.get(i.item_key) !== i.points,
  )
  await saveItems(
    tx,
    id,
    changed.map((i) => ({
      item_key: i.item_key,
      result: i.result,
      comment: i.comment,
      points: points.get(i.item_key) ?? i.points,
    })),
  )
  await auditMany(tx, itemAudits)
  const comment = changes.comment === undefined ? evaluation.comment : changes.comment
  await saveScore(tx, id, scored, comment)
  if (comment !== evaluation.comment || scored.percent !== evaluation.percent)
    await audit(tx, {
      userId,
      action: `${prefix}.save`,
      entity: 'evaluation',
      entityId: id,
      before: { percent: evaluation.percent, comment: evaluation.comment },
      after: { percent: scored.percent, comment },
    })
  return { before: evaluation.percent, after: scored.percent }
}

/** An evaluation as the API shows it: items with their card's labels, the card itself left out. */

/**
 * An agent acknowledges a submitted review of their own call: they have read it. Once: a second
 * acknowledgement changes nothing. Acknowledging is not agreeing (a dispute is how they disagree).
 */
export async function acknowledgeEvaluation(tx: Queryable, id: number, user: UserRow): Promise<void> {
  await lockEvaluation(tx, id)
  const { evaluation } = await loadEvaluation(tx, id)
  // Another agent's evaluation, a draft or a calibration review: not theirs to see.
  await assertMayRead(tx, evaluation, user)
  if (
    evaluation.source !== 'review' ||
    evaluation.status !== 'submitted' ||
    evaluation.calibration_id !== null
  )
    throw new ConflictError(`evaluation ${id} is not a submitted review; only those are acknowledged`)
  if (await markAcknowledged(tx, id, user.id))
    await audit(tx, {
      userId: user.id,
      action: 'evaluation.acknowledge',
      entity: 'evaluation',
      entityId: id,
      after: { percent: evaluation.percent },
    })
}
