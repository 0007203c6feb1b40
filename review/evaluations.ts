/**
 * Evaluations and reviews, the human-QA aggregate at the centre: loading an evaluation with its
 * items, who may read it (agents their own calls only; blind calibration reviews their reviewer
 * only), opening a reviewer's draft from the automatic evaluation (once, however many clicks),
 * locking a draft for a change, and applying changes with their audit. No HTTP here: failures are
 * coded errors (errors.ts) that the API maps to statuses.
 */
import type { Database, Queryable } from '../db/index.js'
import { audit, type UserRow } from '../db/queries/users.js'
import { ConflictError, ForbiddenError, NotFoundError, ValidationError } from '../errors.js'
import { type ItemResult, rescoreItems } from '../scorecards/evaluate.js'
import type { ScorecardDefinition } from '../scorecards/schema.js'
import { calibrationReviewVisible } from './calibration-sessions.js'

export interface ItemRow {
  seq: number
  section_key: string
  item_key: string
  kind: ItemResult['kind']
  result: ItemResult['result']
  auto_result: ItemResult['result'] | null
  points: number
  max_points: number
  occurrences: number
  critical: boolean
  fatal: boolean
  evidence: ItemResult['evidence']
  comment: string | null
}

export interface EvaluationRow {
  id: number
  call_id: number
  scorecard_id: number
  source: 'auto' | 'review'
  status: 'draft' | 'submitted' | 'final'
  reviewer_id: number | null
  based_on: number | null
  calibration_id: number | null
  score: number
  max_score: number
  percent: number
  passed: boolean
  fatal_failed: boolean
  critical_failed: string[]
  pending: number
  comment: string | null
  submitted_at: string | null
  definition: ScorecardDefinition
  scorecard_key: string
  scorecard_version: number
}

export async function loadEvaluation(
  db: Queryable,
  id: number,
): Promise<{ evaluation: EvaluationRow; items: ItemRow[] }> {
  const res = await db.query<EvaluationRow>(
    `SELECT e.id, e.call_id, e.scorecard_id, e.source, e.status, e.reviewer_id, e.based_on, e.calibration_id, e.score, e.max_score,
            e.percent, e.passed, e.fatal_failed, e.critical_failed, e.pending, e.comment, e.submitted_at,
            s.definition, s.key AS scorecard_key, s.version AS scorecard_version
     FROM evaluations e JOIN scorecards s ON s.id = e.scorecard_id WHERE e.id = $1`,
    [id],
  )
  const evaluation = res.rows[0]
  if (!evaluation) throw new NotFoundError(`no evaluation ${id}`)
  const items = await db.query<ItemRow>(
    `SELECT seq, section_key, item_key, kind, result, auto_result, points, max_points, occurrences, critical, fatal,
            evidence, comment
     FROM evaluation_items WHERE evaluation_id = $1 ORDER BY seq`,
    [id],
  )
  return { evaluation, items: items.rows }
}

/**
 * Locks a draft review for a change (two saves cannot interleave their read-modify-write) and
 * checks that it is a review, the caller's own (or the caller is an admin), and still a draft.
 */
export async function lockDraft(
  tx: Queryable,
  id: number,
  user: UserRow | undefined,
  verb: 'change' | 'submit',
) {
  await tx.query('SELECT id FROM evaluations WHERE id = $1 FOR UPDATE', [id])
  const loaded = await loadEvaluation(tx, id)
  const { evaluation } = loaded
  if (evaluation.source !== 'review') throw new ValidationError(`evaluation ${id} is not a review`)
  // A calibration review is blind to everyone but its reviewer, admins included, until every
  // participant has submitted: nobody else may change it, submit it, or read it in the answer.
  if (evaluation.calibration_id !== null && evaluation.reviewer_id !== user?.id)
    throw new ForbiddenError(
      `review ${id} is a blind calibration review; only its own reviewer may ${verb} it`,
    )
  if (evaluation.reviewer_id !== user?.id && user?.role !== 'admin')
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
  user: UserRow | undefined,
): Promise<void> {
  if (user?.role === 'agent') {
    const own = await db.query(`SELECT 1 FROM calls WHERE id = $1 AND agent_id = $2`, [
      evaluation.call_id,
      user.agent_id ?? user.name,
    ])
    if (own.rows.length === 0 || evaluation.calibration_id !== null || evaluation.status === 'draft')
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
  const existing = await db.query<{ id: number }>(
    `SELECT id FROM evaluations WHERE source = 'review' AND call_id = $1 AND scorecard_id = $2 AND reviewer_id = $3
       AND calibration_id IS NOT DISTINCT FROM $4`,
    [auto.call_id, auto.scorecard_id, reviewer, calibrationId],
  )
  if (existing.rows[0]) return { id: existing.rows[0].id, created: false }
  let id: number
  try {
    id = await createReview()
  } catch (err) {
    // Opened twice at once (a double click): the other request made the draft; this one returns it.
    if ((err as { code?: string }).code !== '23505') throw err
    const made = await db.query<{ id: number }>(
      `SELECT id FROM evaluations WHERE source = 'review' AND call_id = $1 AND scorecard_id = $2 AND reviewer_id = $3
         AND calibration_id IS NOT DISTINCT FROM $4`,
      [auto.call_id, auto.scorecard_id, reviewer, calibrationId],
    )
    if (!made.rows[0]) throw err
    return { id: made.rows[0].id, created: false }
  }
  return { id, created: true }

  function createReview() {
    return db.withTransaction(async (tx) => {
      const created = await tx.query<{ id: number }>(
        `INSERT INTO evaluations (call_id, scorecard_id, source, status, reviewer_id, based_on, calibration_id, score,
         max_score, percent, passed, fatal_failed, critical_failed, pending)
       SELECT call_id, scorecard_id, 'review', 'draft', $2, id, $3, score, max_score, percent, passed, fatal_failed,
         critical_failed, pending
       FROM evaluations WHERE id = $1 RETURNING id`,
        [auto.id, reviewer, calibrationId],
      )
      const reviewId = created.rows[0]?.id as number
      const copied = await tx.query(
        `INSERT INTO evaluation_items (evaluation_id, seq, section_key, item_key, kind, result, auto_result, points,
         max_points, occurrences, critical, fatal, evidence)
       SELECT $2, seq, section_key, item_key, kind, result, result, points, max_points, occurrences, critical,
         fatal, evidence
       FROM evaluation_items WHERE evaluation_id = $1`,
        [auto.id, reviewId],
      )
      await audit(tx, {
        userId: reviewer,
        action: 'review.open',
        entity: 'evaluation',
        entityId: reviewId,
        after: {
          based_on: auto.id,
          percent: auto.percent,
          items: copied.rowCount ?? null,
          ...(calibrationId === null ? {} : { calibration_id: calibrationId }),
        },
      })
      return reviewId
    })
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
  for (const change of changes.items ?? []) {
    const item = byKey.get(change.item_key)
    if (!item) throw new ValidationError(`no item "${change.item_key}" on this scorecard`)
    const before = { result: item.result, comment: item.comment }
    if (change.result !== undefined) item.result = change.result
    if (change.comment !== undefined) item.comment = change.comment
    const after = { result: item.result, comment: item.comment }
    if (before.result === after.result && before.comment === after.comment) continue
    await tx.query(
      'UPDATE evaluation_items SET result = $3, comment = $4 WHERE evaluation_id = $1 AND item_key = $2',
      [id, item.item_key, item.result, item.comment],
    )
    await audit(tx, {
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
  const scored = rescoreItems(evaluation.definition, results)
  for (const item of scored.items)
    await tx.query('UPDATE evaluation_items SET points = $3 WHERE evaluation_id = $1 AND item_key = $2', [
      id,
      item.key,
      item.points,
    ])
  const comment = changes.comment === undefined ? evaluation.comment : changes.comment
  await tx.query(
    `UPDATE evaluations SET score = $2, percent = $3, passed = $4, fatal_failed = $5, critical_failed = $6::text[],
         pending = $7, comment = $8, updated_at = now() WHERE id = $1`,
    [
      id,
      scored.score,
      scored.percent,
      scored.passed,
      scored.fatalFailed,
      scored.criticalFailed,
      scored.pending,
      comment,
    ],
  )
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
