/**
 * Calibration sessions as stored: a session with its card, its participants with their blind
 * reviews' answers (for one session or many in one query), the sessions a user may list, and
 * creating and completing one.
 */
import type { Queryable } from '../index.js'

/** An item's answer in a review (review/calibration.ts compares them). */
export type Answer = 'pass' | 'fail' | 'na' | 'pending'

export interface SessionRow {
  id: number
  call_id: number
  scorecard_id: number
  scorecard_key: string
  scorecard_version: number
  title: string | null
  expert_id: number | null
  status: 'open' | 'complete'
  created_by: number | null
  created_at: string
  completed_at: string | null
}

export interface ParticipantRow {
  session_id: number
  reviewer_id: number
  reviewer: string
  evaluation_id: number | null
  status: 'draft' | 'submitted' | 'final' | null
  percent: number | null
  items: Array<{ item_key: string; result: Answer }> | null
}

export async function sessionById(db: Queryable, id: number): Promise<SessionRow | undefined> {
  const res = await db.query<SessionRow>(
    `SELECT cs.id, cs.call_id, cs.scorecard_id, s.key AS scorecard_key, s.version AS scorecard_version, cs.title,
            cs.expert_id, cs.status, cs.created_by, cs.created_at, cs.completed_at
     FROM calibration_sessions cs JOIN scorecards s ON s.id = cs.scorecard_id WHERE cs.id = $1`,
    [id],
  )
  return res.rows[0]
}

/** The participants of these sessions with their reviews' answers, by name within a session. */
export async function participantsOf(
  db: Queryable,
  sessionIds: readonly number[],
): Promise<ParticipantRow[]> {
  const res = await db.query<ParticipantRow>(
    `SELECT p.session_id, p.reviewer_id, u.name AS reviewer, e.id AS evaluation_id, e.status, e.percent,
            (SELECT json_agg(json_build_object('item_key', i.item_key, 'result', i.result) ORDER BY i.seq)
               FROM evaluation_items i WHERE i.evaluation_id = e.id) AS items
     FROM calibration_participants p
     JOIN users u ON u.id = p.reviewer_id
     LEFT JOIN evaluations e ON e.calibration_id = p.session_id AND e.reviewer_id = p.reviewer_id AND e.source = 'review'
     WHERE p.session_id = ANY($1::bigint[]) ORDER BY p.session_id, u.name`,
    [sessionIds],
  )
  return res.rows
}

export async function insertSession(
  tx: Queryable,
  s: {
    callId: number
    scorecardId: number
    title: string | null
    expertId: number | null
    createdBy: number | null
    reviewerIds: number[]
  },
): Promise<number> {
  const created = await tx.query<{ id: number }>(
    `INSERT INTO calibration_sessions (call_id, scorecard_id, title, expert_id, created_by)
     VALUES ($1, $2, $3, $4, $5) RETURNING id`,
    [s.callId, s.scorecardId, s.title, s.expertId, s.createdBy],
  )
  const sessionId = created.rows[0]?.id as number
  await tx.query(
    'INSERT INTO calibration_participants (session_id, reviewer_id) SELECT $1, unnest($2::bigint[])',
    [sessionId, s.reviewerIds],
  )
  return sessionId
}

/** Holds the session's row until the transaction ends: two last submissions complete it once. */
export async function lockSession(tx: Queryable, id: number): Promise<void> {
  await tx.query('SELECT id FROM calibration_sessions WHERE id = $1 FOR UPDATE', [id])
}

export async function markSessionComplete(tx: Queryable, id: number): Promise<void> {
  await tx.query("UPDATE calibration_sessions SET status = 'complete', completed_at = now() WHERE id = $1", [
    id,
  ])
}

/** Sessions a user may list (all of them, or those they organised or take part in), newest first. */
export async function listSessions(
  db: Queryable,
  userId: number,
  seesAll: boolean,
  status: 'open' | 'complete' | undefined,
) {
  const res = await db.query<{
    id: number
    call_id: number
    scorecard: string
    title: string | null
    status: string
    created_at: string
    participants: number
    submitted: number
    mine: boolean
  }>(
    `SELECT cs.id, cs.call_id, s.key AS scorecard, cs.title, cs.status, cs.created_at,
            (SELECT count(*)::int FROM calibration_participants p WHERE p.session_id = cs.id) AS participants,
            (SELECT count(*)::int FROM evaluations e WHERE e.calibration_id = cs.id AND e.status = 'submitted') AS submitted,
            EXISTS (SELECT 1 FROM calibration_participants p WHERE p.session_id = cs.id AND p.reviewer_id = $1) AS mine
     FROM calibration_sessions cs JOIN scorecards s ON s.id = cs.scorecard_id
     WHERE ($2::boolean OR cs.created_by = $1
            OR EXISTS (SELECT 1 FROM calibration_participants p WHERE p.session_id = cs.id AND p.reviewer_id = $1))
       AND ($3::text IS NULL OR cs.status = $3)
     ORDER BY cs.id DESC LIMIT 200`,
    [userId, seesAll, status ?? null],
  )
  return res.rows
}

/** Completed sessions in a time range, oldest first. */
export async function completedSessions(db: Queryable, from: string | undefined, to: string | undefined) {
  const res = await db.query<{ id: number; expert_id: number | null; completed_at: string }>(
    `SELECT id, expert_id, completed_at FROM calibration_sessions
     WHERE status = 'complete' AND ($1::timestamptz IS NULL OR completed_at >= $1)
       AND ($2::timestamptz IS NULL OR completed_at < $2)
     ORDER BY completed_at`,
    [from ?? null, to ?? null],
  )
  return res.rows
}

/** The newest card version's automatic evaluation of a call, by card key. */
export async function autoEvaluationOn(db: Queryable, callId: number, scorecardKey: string) {
  const res = await db.query<{ id: number; call_id: number; scorecard_id: number; percent: number }>(
    `SELECT e.id, e.call_id, e.scorecard_id, e.percent FROM evaluations e JOIN scorecards s ON s.id = e.scorecard_id
     WHERE e.call_id = $1 AND e.source = 'auto' AND s.key = $2 ORDER BY s.version DESC LIMIT 1`,
    [callId, scorecardKey],
  )
  return res.rows[0]
}

/** The automatic evaluation of a call on one card version. */
export async function autoEvaluationOfCard(db: Queryable, callId: number, scorecardId: number) {
  const res = await db.query<{ id: number; call_id: number; scorecard_id: number; percent: number }>(
    "SELECT id, call_id, scorecard_id, percent FROM evaluations WHERE call_id = $1 AND scorecard_id = $2 AND source = 'auto'",
    [callId, scorecardId],
  )
  return res.rows[0]
}

/** A calibration review as its reviewer works on it: answers, the machine's answers, evidence. */
export interface CalibrationReviewRow {
  id: number
  status: string
  percent: number
  calibration_id: number
  items: Array<{
    item_key: string
    result: Answer | 'pending'
    auto_result: Answer | 'pending' | null
    evidence: unknown[]
    comment: string | null
  }>
}

export async function calibrationReviewById(db: Queryable, id: number): Promise<CalibrationReviewRow> {
  const res = await db.query<CalibrationReviewRow>(
    `SELECT e.id, e.status, e.percent, e.calibration_id,
            (SELECT json_agg(json_build_object('item_key', i.item_key, 'result', i.result, 'auto_result', i.auto_result,
               'evidence', i.evidence, 'comment', i.comment) ORDER BY i.seq)
               FROM evaluation_items i WHERE i.evaluation_id = e.id) AS items
     FROM evaluations e WHERE e.id = $1`,
    [id],
  )
  return res.rows[0] as CalibrationReviewRow
}
