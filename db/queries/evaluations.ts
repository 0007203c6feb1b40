/**
 * Evaluations and their items as stored: reading one with its card, locking it for a change,
 * copying an automatic evaluation into a reviewer's draft, and saving changed items and the score.
 * Saving is set-based: one statement for every changed item of a card, one for the score, one for
 * the audit rows, whatever the card's size.
 */
import type { ItemResult } from '../../scorecards/evaluate.js'
import type { ScorecardDefinition } from '../../scorecards/schema.js'
import type { Queryable } from '../index.js'

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
  acknowledged_at: string | null
  definition: ScorecardDefinition
  scorecard_key: string
  scorecard_version: number
}

export async function evaluationById(
  db: Queryable,
  id: number,
): Promise<{ evaluation: EvaluationRow; items: ItemRow[] } | undefined> {
  const res = await db.query<EvaluationRow>(
    `SELECT e.id, e.call_id, e.scorecard_id, e.source, e.status, e.reviewer_id, e.based_on, e.calibration_id, e.score, e.max_score,
            e.percent, e.passed, e.fatal_failed, e.critical_failed, e.pending, e.comment, e.submitted_at,
            e.acknowledged_at, s.definition, s.key AS scorecard_key, s.version AS scorecard_version
     FROM evaluations e JOIN scorecards s ON s.id = e.scorecard_id WHERE e.id = $1`,
    [id],
  )
  const evaluation = res.rows[0]
  if (!evaluation) return undefined
  const items = await db.query<ItemRow>(
    `SELECT seq, section_key, item_key, kind, result, auto_result, points, max_points, occurrences, critical, fatal,
            evidence, comment
     FROM evaluation_items WHERE evaluation_id = $1 ORDER BY seq`,
    [id],
  )
  return { evaluation, items: items.rows }
}

/** Holds the evaluation's row until the transaction ends: two changes cannot interleave. */
export async function lockEvaluation(tx: Queryable, id: number): Promise<void> {
  await tx.query('SELECT id FROM evaluations WHERE id = $1 FOR UPDATE', [id])
}

/** The reviewer's review of this call on this card (in this calibration session, or outside any). */
export async function findReview(
  db: Queryable,
  key: { callId: number; scorecardId: number; reviewerId: number; calibrationId: number | null },
): Promise<number | undefined> {
  const res = await db.query<{ id: number }>(
    `SELECT id FROM evaluations WHERE source = 'review' AND call_id = $1 AND scorecard_id = $2 AND reviewer_id = $3
       AND calibration_id IS NOT DISTINCT FROM $4`,
    [key.callId, key.scorecardId, key.reviewerId, key.calibrationId],
  )
  return res.rows[0]?.id
}

/**
 * A reviewer's draft copied from an automatic evaluation, each item keeping the machine's answer
 * as auto_result (what agreement with the machine is measured against). Returns the draft's id and
 * how many items it has.
 */
export async function copyToDraft(
  tx: Queryable,
  autoId: number,
  reviewerId: number,
  calibrationId: number | null,
): Promise<{ id: number; items: number }> {
  const created = await tx.query<{ id: number }>(
    `INSERT INTO evaluations (call_id, scorecard_id, source, status, reviewer_id, based_on, calibration_id, score,
       max_score, percent, passed, fatal_failed, critical_failed, pending)
     SELECT call_id, scorecard_id, 'review', 'draft', $2, id, $3, score, max_score, percent, passed, fatal_failed,
       critical_failed, pending
     FROM evaluations WHERE id = $1 RETURNING id`,
    [autoId, reviewerId, calibrationId],
  )
  const id = created.rows[0]?.id as number
  const copied = await tx.query(
    `INSERT INTO evaluation_items (evaluation_id, seq, section_key, item_key, kind, result, auto_result, points,
       max_points, occurrences, critical, fatal, evidence)
     SELECT $2, seq, section_key, item_key, kind, result, result, points, max_points, occurrences, critical,
       fatal, evidence
     FROM evaluation_items WHERE evaluation_id = $1`,
    [autoId, id],
  )
  return { id, items: copied.rowCount }
}

/** Items' answers, comments and points, in one statement for all of them. */
export async function saveItems(
  tx: Queryable,
  evaluationId: number,
  items: ReadonlyArray<{ item_key: string; result: string; comment: string | null; points: number }>,
): Promise<void> {
  if (items.length === 0) return
  await tx.query(
    `UPDATE evaluation_items i SET result = v.result, comment = v.comment, points = v.points
     FROM unnest($2::text[], $3::text[], $4::text[], $5::real[]) AS v(item_key, result, comment, points)
     WHERE i.evaluation_id = $1 AND i.item_key = v.item_key`,
    [
      evaluationId,
      items.map((i) => i.item_key),
      items.map((i) => i.result),
      items.map((i) => i.comment),
      items.map((i) => i.points),
    ],
  )
}

export async function saveScore(
  tx: Queryable,
  evaluationId: number,
  scored: {
    score: number
    percent: number
    passed: boolean
    fatalFailed: boolean
    criticalFailed: string[]
    pending: number
  },
  comment: string | null,
): Promise<void> {
  await tx.query(
    `UPDATE evaluations SET score = $2, percent = $3, passed = $4, fatal_failed = $5, critical_failed = $6::text[],
       pending = $7, comment = $8, updated_at = now() WHERE id = $1`,
    [
      evaluationId,
      scored.score,
      scored.percent,
      scored.passed,
      scored.fatalFailed,
      scored.criticalFailed,
      scored.pending,
      comment,
    ],
  )
}

export async function markSubmitted(tx: Queryable, evaluationId: number): Promise<void> {
  await tx.query(
    "UPDATE evaluations SET status = 'submitted', submitted_at = now(), updated_at = now() WHERE id = $1",
    [evaluationId],
  )
}

/** Every recorded change to an evaluation, oldest first, with who made it. */
export async function evaluationAuditTrail(db: Queryable, evaluationId: number) {
  const res = await db.query<{
    id: number
    at: string
    action: string
    before: unknown
    after: unknown
    user_name: string | null
  }>(
    `SELECT a.id, a.at, a.action, a.before, a.after, u.name AS user_name
     FROM audit_log a LEFT JOIN users u ON u.id = a.user_id
     WHERE a.entity = 'evaluation' AND a.entity_id = $1 ORDER BY a.id`,
    [evaluationId],
  )
  return res.rows
}

/** Records the acknowledgement once: a second one leaves the first's time. */
export async function markAcknowledged(
  tx: Queryable,
  evaluationId: number,
  userId: number,
): Promise<boolean> {
  const res = await tx.query(
    `UPDATE evaluations SET acknowledged_at = now(), acknowledged_by = $2
     WHERE id = $1 AND acknowledged_at IS NULL RETURNING id`,
    [evaluationId, userId],
  )
  return res.rows.length > 0
}
