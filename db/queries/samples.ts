/**
 * Samples and their review assignments: the calls a sample may draw from, storing a drawn sample
 * with all its assignments in two statements, and reading samples and a reviewer's queue back.
 */
import { addCallFilters, type CallFilter, Conditions } from '../conditions.js'
import type { Queryable } from '../index.js'

/** What the draw needs to know of one eligible call (review/sampling.ts). */
export interface Candidate {
  id: number
  agent_id: string | null
  team: string | null
  queue: string | null
  language: string | null
  direction: string | null
  /** ISO timestamp the call started (or was stored) */
  started: string
  qa_percent: number | null
  fatal_failed: boolean | null
  sentiment_trend: number | null
  dead_air_longest_ms: number | null
  /** 0 = P0 … 3 = P3; null: not judged */
  urgency: number | null
}

/**
 * The calls a sample may draw from: analysed, evaluated automatically on the card (so the card
 * applies and a review can start from that evaluation), inside the filters, and, unless asked
 * otherwise, not yet reviewed on it (calibration reviews do not count: they judge reviewers).
 */
export async function sampleCandidates(
  db: Queryable,
  scorecardKey: string,
  filters: CallFilter,
  includeReviewed: boolean,
): Promise<Candidate[]> {
  const where = addCallFilters(new Conditions([scorecardKey]).raw("c.status = 'done'"), filters)
  if (!includeReviewed)
    where.raw(`NOT EXISTS (SELECT 1 FROM evaluations r JOIN scorecards rs ON rs.id = r.scorecard_id
                 WHERE r.call_id = c.id AND r.source = 'review' AND r.calibration_id IS NULL AND rs.key = $1)`)
  const res = await db.query<Candidate>(
    `SELECT c.id, c.agent_id, c.team, c.queue, c.language, c.direction,
            to_char(coalesce(c.started_at, c.created_at) AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') AS started,
            a.percent AS qa_percent, a.fatal_failed, m.customer_sentiment_trend AS sentiment_trend,
            m.dead_air_longest_ms, ci.urgency
     FROM calls c
     LEFT JOIN call_metrics m ON m.call_id = c.id
     LEFT JOIN call_insights ci ON ci.call_id = c.id
     JOIN LATERAL (
       SELECT e.percent, e.fatal_failed FROM evaluations e JOIN scorecards s ON s.id = e.scorecard_id
       WHERE e.call_id = c.id AND e.source = 'auto' AND s.key = $1 ORDER BY s.version DESC LIMIT 1
     ) a ON true
     WHERE ${where.sql}`,
    where.params,
  )
  return res.rows
}

export interface ReviewerRow {
  id: number
  name: string
  role: string
}

/** Enabled users by name (any role: the caller says why a role cannot review), or every enabled reviewer. */
export async function reviewersFor(db: Queryable, names: string[] | undefined): Promise<ReviewerRow[]> {
  const res = await db.query<ReviewerRow>(
    names
      ? 'SELECT id, name, role FROM users WHERE name = ANY($1::text[]) AND NOT disabled'
      : "SELECT id, name, role FROM users WHERE role = 'reviewer' AND NOT disabled ORDER BY id",
    names ? [names] : [],
  )
  return res.rows
}

export interface NewAssignment {
  callId: number
  rank: number
  weight: number
  stratum: string | null
  reviewerId: number | null
  dueOn: string | null
}

/** A sample and all its assignments: two statements whatever the sample's size. */
export async function insertSample(
  tx: Queryable,
  sample: {
    name: string
    rule: Record<string, unknown>
    seed: string
    scorecardId: number
    population: number
    createdBy: number | null
  },
  assignments: NewAssignment[],
): Promise<number> {
  const created = await tx.query<{ id: number }>(
    `INSERT INTO samples (name, rule, seed, scorecard_id, population, created_by)
     VALUES ($1, $2::jsonb, $3, $4, $5, $6) RETURNING id`,
    [
      sample.name,
      JSON.stringify(sample.rule),
      sample.seed,
      sample.scorecardId,
      sample.population,
      sample.createdBy,
    ],
  )
  const sampleId = created.rows[0]?.id as number
  if (assignments.length > 0)
    await tx.query(
      `INSERT INTO review_assignments (sample_id, call_id, rank, weight, stratum, reviewer_id, due_on)
       SELECT $1, * FROM unnest($2::bigint[], $3::int[], $4::real[], $5::text[], $6::bigint[], $7::date[])`,
      [
        sampleId,
        assignments.map((a) => a.callId),
        assignments.map((a) => a.rank),
        assignments.map((a) => a.weight),
        assignments.map((a) => a.stratum),
        assignments.map((a) => a.reviewerId),
        assignments.map((a) => a.dueOn),
      ],
    )
  return sampleId
}

export interface SampleRow {
  id: number
  name: string
  rule: Record<string, unknown>
  seed: string
  population: number
  created_at: string
  scorecard: string
}

export interface AssignmentRow {
  call_id: number
  rank: number
  weight: number
  stratum: string | null
  reviewer: string | null
  due_on: string | null
  status: string
  evaluation_id: number | null
}

export async function sampleById(
  db: Queryable,
  id: number,
): Promise<{ sample: SampleRow; assignments: AssignmentRow[] } | undefined> {
  const res = await db.query<SampleRow>(
    `SELECT s.id, s.name, s.rule, s.seed, s.population, s.created_at, sc.key AS scorecard
     FROM samples s JOIN scorecards sc ON sc.id = s.scorecard_id WHERE s.id = $1`,
    [id],
  )
  const sample = res.rows[0]
  if (!sample) return undefined
  const rows = await db.query<AssignmentRow>(
    `SELECT a.call_id, a.rank, a.weight, a.stratum, u.name AS reviewer, to_char(a.due_on, 'YYYY-MM-DD') AS due_on,
            a.status, a.evaluation_id
     FROM review_assignments a LEFT JOIN users u ON u.id = a.reviewer_id WHERE a.sample_id = $1 ORDER BY a.rank`,
    [id],
  )
  return { sample, assignments: rows.rows }
}

export interface SampleListRow {
  id: number
  name: string
  scorecard: string
  seed: string
  population: number
  drawn: number
  done: number
  created_at: string
}

/** The newest 200 samples with how many calls each drew and how many are reviewed. */
export async function listSamples(db: Queryable): Promise<SampleListRow[]> {
  const res = await db.query<SampleListRow>(
    `SELECT s.id, s.name, sc.key AS scorecard, s.seed, s.population, s.created_at,
            (SELECT count(*)::int FROM review_assignments a WHERE a.sample_id = s.id) AS drawn,
            (SELECT count(*)::int FROM review_assignments a WHERE a.sample_id = s.id AND a.status = 'done') AS done
     FROM samples s JOIN scorecards sc ON sc.id = s.scorecard_id ORDER BY s.id DESC LIMIT 200`,
  )
  return res.rows
}

export interface QueueRow {
  assignment_id: number
  sample_id: number
  sample: string
  scorecard: string
  call_id: number
  due_on: string | null
  agent_id: string | null
  started_at: string | null
  duration_ms: number | null
  auto_evaluation_id: number | null
  draft_review_id: number | null
}

/**
 * A reviewer's open assignments, due first, each with the automatic evaluation a review starts from
 * and the reviewer's own draft if one is open. `all`: also those due after today.
 */
export async function reviewerQueue(db: Queryable, reviewerId: number, all: boolean): Promise<QueueRow[]> {
  const res = await db.query<QueueRow>(
    `SELECT a.id AS assignment_id, s.id AS sample_id, s.name AS sample, sc.key AS scorecard, a.call_id,
            to_char(a.due_on, 'YYYY-MM-DD') AS due_on, c.agent_id, c.started_at, c.duration_ms,
            (SELECT e.id FROM evaluations e JOIN scorecards es ON es.id = e.scorecard_id
              WHERE e.call_id = a.call_id AND e.source = 'auto' AND es.key = sc.key
              ORDER BY es.version DESC LIMIT 1) AS auto_evaluation_id,
            (SELECT e.id FROM evaluations e JOIN scorecards es ON es.id = e.scorecard_id
              WHERE e.call_id = a.call_id AND e.source = 'review' AND e.reviewer_id = a.reviewer_id
                AND e.calibration_id IS NULL AND es.key = sc.key AND e.status = 'draft'
              ORDER BY e.id DESC LIMIT 1) AS draft_review_id
     FROM review_assignments a
     JOIN samples s ON s.id = a.sample_id
     JOIN scorecards sc ON sc.id = s.scorecard_id
     JOIN calls c ON c.id = a.call_id
     WHERE a.reviewer_id = $1 AND a.status = 'open' AND ($2::boolean OR a.due_on IS NULL OR a.due_on <= current_date)
     ORDER BY a.due_on NULLS FIRST, a.sample_id, a.rank`,
    [reviewerId, all],
  )
  return res.rows
}

/**
 * A submitted review closes the reviewer's open assignments of that call on that scorecard key.
 * Called inside the submit transaction, so an assignment is never done without its review.
 */
export async function completeAssignments(
  tx: Queryable,
  {
    evaluationId,
    callId,
    reviewerId,
    scorecardKey,
  }: { evaluationId: number; callId: number; reviewerId: number; scorecardKey: string },
): Promise<void> {
  await tx.query(
    `UPDATE review_assignments a SET status = 'done', evaluation_id = $1
     FROM samples s JOIN scorecards sc ON sc.id = s.scorecard_id
     WHERE a.sample_id = s.id AND a.call_id = $2 AND a.reviewer_id = $3 AND sc.key = $4 AND a.status = 'open'`,
    [evaluationId, callId, reviewerId, scorecardKey],
  )
}
