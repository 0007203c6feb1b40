/**
 * Disputes as stored: one with who raised and decided it, the call's agent and the review's
 * reviewer (which decide who may see it); the disputes of an evaluation; the list a user may see,
 * read in one query; opening and deciding one.
 */
import type { Queryable } from '../index.js'

export type DisputeStatus = 'open' | 'accepted' | 'partially_accepted' | 'rejected'
export type Answer = 'pass' | 'fail' | 'na'

export interface DisputedItem {
  item_key: string
  proposed: Answer
  current: string
  comment: string | null
}

export interface DisputeRow {
  id: number
  evaluation_id: number
  call_id: number
  raised_by: number
  raised_by_name: string
  items: DisputedItem[]
  comment: string
  status: DisputeStatus
  accepted_items: string[]
  decided_by_name: string | null
  decision_comment: string | null
  percent_before: number | null
  percent_after: number | null
  created_at: string
  decided_at: string | null
  reviewer_id: number | null
  agent_id: string | null
}

const SELECT_DISPUTE = `
  SELECT d.id, d.evaluation_id, e.call_id, d.raised_by, ru.name AS raised_by_name, d.items, d.comment, d.status,
         d.accepted_items, du.name AS decided_by_name, d.decision_comment, d.percent_before, d.percent_after,
         d.created_at, d.decided_at, e.reviewer_id, c.agent_id
  FROM disputes d
  JOIN evaluations e ON e.id = d.evaluation_id
  JOIN calls c ON c.id = e.call_id
  JOIN users ru ON ru.id = d.raised_by
  LEFT JOIN users du ON du.id = d.decided_by`

export async function disputeById(db: Queryable, id: number): Promise<DisputeRow | undefined> {
  return (await db.query<DisputeRow>(`${SELECT_DISPUTE} WHERE d.id = $1`, [id])).rows[0]
}

/**
 * The newest 200 disputes a user may see: an agent those on their calls (`agent`), a reviewer those
 * on their reviews or raised by them (`reviewer`), anyone else all. One query, not one per dispute.
 */
export async function listDisputes(
  db: Queryable,
  filter: { status?: DisputeStatus | undefined; evaluationId?: number | undefined },
  scope: { agent: string | null; reviewer: number | null },
): Promise<DisputeRow[]> {
  const res = await db.query<DisputeRow>(
    `${SELECT_DISPUTE}
     WHERE ($1::text IS NULL OR d.status = $1) AND ($2::bigint IS NULL OR d.evaluation_id = $2)
       AND ($3::text IS NULL OR c.agent_id = $3)
       AND ($4::bigint IS NULL OR e.reviewer_id = $4 OR d.raised_by = $4)
     ORDER BY d.id DESC LIMIT 200`,
    [filter.status ?? null, filter.evaluationId ?? null, scope.agent, scope.reviewer],
  )
  return res.rows
}

/** Holds the dispute's row until the transaction ends: two decisions cannot both apply. */
export async function lockDispute(tx: Queryable, id: number): Promise<void> {
  await tx.query('SELECT id FROM disputes WHERE id = $1 FOR UPDATE', [id])
}

export async function disputeStatuses(db: Queryable, evaluationId: number): Promise<DisputeStatus[]> {
  const res = await db.query<{ status: DisputeStatus }>(
    'SELECT status FROM disputes WHERE evaluation_id = $1',
    [evaluationId],
  )
  return res.rows.map((r) => r.status)
}

export async function insertDispute(
  tx: Queryable,
  d: {
    evaluationId: number
    raisedBy: number
    items: DisputedItem[]
    comment: string
    percentBefore: number
  },
): Promise<number> {
  const created = await tx.query<{ id: number }>(
    `INSERT INTO disputes (evaluation_id, raised_by, items, comment, percent_before)
     VALUES ($1, $2, $3::jsonb, $4, $5) RETURNING id`,
    [d.evaluationId, d.raisedBy, JSON.stringify(d.items), d.comment, d.percentBefore],
  )
  return created.rows[0]?.id as number
}

export async function saveDecision(
  tx: Queryable,
  id: number,
  d: {
    status: DisputeStatus
    accepted: string[]
    decidedBy: number
    comment: string | null
    percentAfter: number
  },
): Promise<void> {
  await tx.query(
    `UPDATE disputes SET status = $2, accepted_items = $3::text[], decided_by = $4, decision_comment = $5,
       percent_after = $6, decided_at = now() WHERE id = $1`,
    [id, d.status, d.accepted, d.decidedBy, d.comment, d.percentAfter],
  )
}
