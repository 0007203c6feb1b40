/**
 * Calibration sessions as stored: a session, its participants and their blind reviews, who may
 * see it, and the moment it completes (every participant submitted: the figures are computed,
 * by review/calibration.ts, and stored once). No HTTP here.
 */
import type { Queryable } from '../db/index.js'
import { audit, type UserRow } from '../db/queries/users.js'
import { NotFoundError } from '../errors.js'
import type { Answer, CalibrationReview } from './calibration.js'

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
  reviewer_id: number
  reviewer: string
  evaluation_id: number | null
  status: 'draft' | 'submitted' | 'final' | null
  percent: number | null
  items: Array<{ item_key: string; result: Answer }> | null
}

export async function loadSession(db: Queryable, id: number): Promise<SessionRow> {
  const res = await db.query<SessionRow>(
    `SELECT cs.id, cs.call_id, cs.scorecard_id, s.key AS scorecard_key, s.version AS scorecard_version, cs.title,
            cs.expert_id, cs.status, cs.created_by, cs.created_at, cs.completed_at
     FROM calibration_sessions cs JOIN scorecards s ON s.id = cs.scorecard_id WHERE cs.id = $1`,
    [id],
  )
  const session = res.rows[0]
  if (!session) throw new NotFoundError(`no calibration session ${id}`)
  return session
}

export async function participants(db: Queryable, sessionId: number): Promise<ParticipantRow[]> {
  const res = await db.query<ParticipantRow>(
    `SELECT p.reviewer_id, u.name AS reviewer, e.id AS evaluation_id, e.status, e.percent,
            (SELECT json_agg(json_build_object('item_key', i.item_key, 'result', i.result) ORDER BY i.seq)
               FROM evaluation_items i WHERE i.evaluation_id = e.id) AS items
     FROM calibration_participants p
     JOIN users u ON u.id = p.reviewer_id
     LEFT JOIN evaluations e ON e.calibration_id = p.session_id AND e.reviewer_id = p.reviewer_id AND e.source = 'review'
     WHERE p.session_id = $1 ORDER BY u.name`,
    [sessionId],
  )
  return res.rows
}

export function toReviews(rows: readonly ParticipantRow[]): CalibrationReview[] {
  return rows.map((p) => ({
    reviewerId: p.reviewer_id,
    reviewer: p.reviewer,
    percent: p.percent ?? 0,
    items: new Map((p.items ?? []).map((i) => [i.item_key, i.result])),
  }))
}

/** Who may look at a session: admins and managers, its organiser, its participants. */
export function mayView(
  session: SessionRow,
  people: readonly ParticipantRow[],
  user: UserRow | undefined,
): boolean {
  if (!user) return false
  if (user.role === 'admin' || user.role === 'manager' || session.created_by === user.id) return true
  return people.some((p) => p.reviewer_id === user.id)
}

export async function completeCalibrationIfDone(tx: Queryable, sessionId: number, userId: number | null) {
  await tx.query('SELECT id FROM calibration_sessions WHERE id = $1 FOR UPDATE', [sessionId])
  const people = await participants(tx, sessionId)
  if (people.some((p) => p.status !== 'submitted')) return
  await tx.query("UPDATE calibration_sessions SET status = 'complete', completed_at = now() WHERE id = $1", [
    sessionId,
  ])
  await audit(tx, {
    userId,
    action: 'calibration.complete',
    entity: 'calibration',
    entityId: sessionId,
    before: { status: 'open' },
    after: { status: 'complete', participants: people.length },
  })
}

/** Whether a calibration review may be shown to this user (blind until the session completes). */
export async function calibrationReviewVisible(
  db: Queryable,
  evaluation: { calibration_id: number | null; reviewer_id: number | null },
  user: UserRow | undefined,
): Promise<boolean> {
  if (evaluation.calibration_id === null) return true
  if (evaluation.reviewer_id === user?.id) return true
  const session = await loadSession(db, evaluation.calibration_id)
  return session.status === 'complete' && user?.role !== 'agent'
}
