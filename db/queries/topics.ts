/**
 * What calls are about, stored: each call's category paths (call_topics) and its urgency,
 * summary and conduct (call_insights), written for a batch of calls in a few statements; the
 * repeat contacts that urgency reads; and the inputs of the TOP issues report and of emerging
 * topic discovery.
 */
import type { Category, CategoryEvidence } from '../../topics/classify.js'
import type { ConductResult } from '../../topics/conduct.js'
import type { SummaryLine } from '../../topics/summary.js'
import type { UrgencyResult, UrgencySignal } from '../../topics/urgency.js'
import type { Queryable } from '../index.js'

export interface CallDescription {
  callId: number
  categories: Category[]
  urgency: UrgencyResult | null
  summary: SummaryLine[] | null
  summaryNote: string | null
  conduct: ConductResult
}

const LEVEL = { P0: 0, P1: 1, P2: 2, P3: 3 } as const

/** Replaces the descriptions of these calls (their topics and insights) under `taxonomyId`. */
export async function saveDescriptions(
  db: Queryable,
  taxonomyId: number,
  rows: readonly CallDescription[],
): Promise<void> {
  if (rows.length === 0) return
  const ids = rows.map((r) => r.callId)
  await db.query('DELETE FROM call_topics WHERE call_id = ANY($1::bigint[])', [ids])
  const topics = rows.flatMap((r) => r.categories.map((c, i) => ({ callId: r.callId, rank: i + 1, c })))
  if (topics.length > 0)
    await db.query(
      `INSERT INTO call_topics (call_id, rank, taxonomy_id, path, score, evidence)
       SELECT t.call_id, t.rank, $1, ARRAY(SELECT jsonb_array_elements_text(t.path::jsonb)), t.score, t.evidence::jsonb
       FROM unnest($2::bigint[], $3::int[], $4::text[], $5::real[], $6::text[]) AS t (call_id, rank, path, score, evidence)`,
      [
        taxonomyId,
        topics.map((t) => t.callId),
        topics.map((t) => t.rank),
        topics.map((t) => JSON.stringify(t.c.path)),
        topics.map((t) => t.c.score),
        topics.map((t) =>
          JSON.stringify({ labels: t.c.labels, labels_zh: t.c.labels_zh, said: t.c.evidence }),
        ),
      ],
    )
  await db.query(
    `INSERT INTO call_insights (call_id, taxonomy_id, urgency, urgency_evidence, summary, summary_note, conduct,
       conduct_flags, computed_at)
     SELECT i.call_id, $1, i.urgency, i.urgency_evidence::jsonb, i.summary::jsonb, i.summary_note, i.conduct::jsonb,
       i.conduct_flags, now()
     FROM unnest($2::bigint[], $3::int[], $4::text[], $5::text[], $6::text[], $7::text[], $8::int[])
       AS i (call_id, urgency, urgency_evidence, summary, summary_note, conduct, conduct_flags)
     ON CONFLICT (call_id) DO UPDATE SET taxonomy_id = EXCLUDED.taxonomy_id, urgency = EXCLUDED.urgency,
       urgency_evidence = EXCLUDED.urgency_evidence, summary = EXCLUDED.summary,
       summary_note = EXCLUDED.summary_note, conduct = EXCLUDED.conduct,
       conduct_flags = EXCLUDED.conduct_flags, computed_at = now()`,
    [
      taxonomyId,
      ids,
      rows.map((r) => (r.urgency ? LEVEL[r.urgency.level] : null)),
      rows.map((r) => JSON.stringify(r.urgency?.evidence ?? [])),
      rows.map((r) => (r.summary ? JSON.stringify(r.summary) : null)),
      rows.map((r) => r.summaryNote),
      rows.map((r) => JSON.stringify(r.conduct)),
      rows.map((r) => r.conduct.flags.length),
    ],
  )
}

/** For each call with a customer id: the latest earlier call of that customer within `days`. */
export async function repeatContacts(
  db: Queryable,
  callIds: readonly number[],
  days: number,
): Promise<Map<number, { previousCallId: number; days: number }>> {
  const res = await db.query<{ id: number; previous_id: number; days: number }>(
    `SELECT c.id, p.id AS previous_id,
            (extract(epoch FROM (coalesce(c.started_at, c.created_at) - p.at)) / 86400)::float8 AS days
     FROM calls c
     CROSS JOIN LATERAL (
       SELECT q.id, coalesce(q.started_at, q.created_at) AS at FROM calls q
       WHERE q.customer_id = c.customer_id AND q.id <> c.id
         AND (coalesce(q.started_at, q.created_at), q.id) < (coalesce(c.started_at, c.created_at), c.id)
         AND coalesce(q.started_at, q.created_at) >= coalesce(c.started_at, c.created_at) - make_interval(days => $2::int)
       ORDER BY coalesce(q.started_at, q.created_at) DESC, q.id DESC LIMIT 1) p
     WHERE c.id = ANY($1::bigint[]) AND c.customer_id IS NOT NULL`,
    [callIds, days],
  )
  return new Map(
    res.rows.map((r) => [r.id, { previousCallId: r.previous_id, days: Math.round(r.days * 10) / 10 }]),
  )
}

export interface StoredDescription {
  taxonomy: { key: string; version: number } | null
  categories: Array<{
    rank: number
    path: string[]
    labels: string[]
    labels_zh: Array<string | null>
    score: number
    evidence: CategoryEvidence[]
  }>
  urgency: string | null
  urgency_evidence: UrgencySignal[]
  summary: SummaryLine[] | null
  summary_note: string | null
  conduct: ConductResult | null
}

/** A call's stored description; null when it was never described (no transcript analysed yet). */
export async function callDescription(db: Queryable, callId: number): Promise<StoredDescription | null> {
  const insight = await db.query<{
    urgency: number | null
    urgency_evidence: UrgencySignal[]
    summary: SummaryLine[] | null
    summary_note: string | null
    conduct: ConductResult
    key: string | null
    version: number | null
  }>(
    `SELECT i.urgency, i.urgency_evidence, i.summary, i.summary_note, i.conduct, t.key, t.version
     FROM call_insights i LEFT JOIN taxonomies t ON t.id = i.taxonomy_id WHERE i.call_id = $1`,
    [callId],
  )
  const row = insight.rows[0]
  if (!row) return null
  const topics = await db.query<{
    rank: number
    path: string[]
    score: number
    evidence: { labels: string[]; labels_zh: Array<string | null>; said: CategoryEvidence[] }
  }>('SELECT rank, path, score, evidence FROM call_topics WHERE call_id = $1 ORDER BY rank', [callId])
  return {
    taxonomy: row.key && row.version ? { key: row.key, version: row.version } : null,
    categories: topics.rows.map((t) => ({
      rank: t.rank,
      path: t.path,
      labels: t.evidence.labels,
      labels_zh: t.evidence.labels_zh,
      score: t.score,
      evidence: t.evidence.said,
    })),
    urgency: row.urgency === null ? null : `P${row.urgency}`,
    urgency_evidence: row.urgency_evidence,
    summary: row.summary,
    summary_note: row.summary_note,
    conduct: row.conduct,
  }
}

export interface TopIssueRow {
  /** node keys joined by "/" down to the report's level; "" for calls the taxonomy did not file */
  category: string
  calls: number
  previous_calls: number
  csat: number | null
  csat_responses: number
  customer_sentiment: number | null
  complaint_rate: number
  aht_ms: number | null
  urgent_calls: number
  example_calls: number[]
  /** follow-ups its calls opened; of them resolved; promises come due and kept */
  follow_ups: number
  follow_ups_resolved: number
  follow_ups_due: number
  follow_ups_kept: number
}

/**
 * Calls per main category (cut to `level` node keys) in [from, to), with the previous period of
 * the same length, CSAT, customer sentiment at the end, complaint rate (the call is also filed
 * under a complaint node, or its disposition says complaint), average handle time, P0–P1 calls
 * and up to three example calls (most urgent, then newest), and what became of the follow-ups
 * its calls opened (resolved, promises kept); a category only the previous period
 * had is a row with 0 calls. Done calls only.
 */
export async function topIssues(
  db: Queryable,
  q: {
    from: string
    to: string
    previousFrom: string
    level: number
    complaintPaths: readonly string[]
    team?: string | undefined
    queue?: string | undefined
  },
): Promise<TopIssueRow[]> {
  const res = await db.query<TopIssueRow>(
    `WITH scoped AS (
       SELECT c.id, c.csat, c.duration_ms, c.disposition, coalesce(c.started_at, c.created_at) AS at,
              coalesce(array_to_string(t.path[1:$4::int], '/'), '') AS category
       FROM calls c LEFT JOIN call_topics t ON t.call_id = c.id AND t.rank = 1
       WHERE c.status = 'done' AND coalesce(c.started_at, c.created_at) >= $3::timestamptz
         AND coalesce(c.started_at, c.created_at) < $2::timestamptz
         AND ($6::text IS NULL OR c.team = $6) AND ($7::text IS NULL OR c.queue = $7)
     ), previous AS (
       SELECT category, count(*)::int AS n FROM scoped WHERE at < $1::timestamptz GROUP BY category
     ), current AS (
       SELECT s.*, m.customer_sentiment_end, ci.urgency, fu.id AS follow_up, fu.resolved_at AS fu_resolved_at,
              fu.resolve_due_at AS fu_due_at,
              (coalesce(s.disposition ILIKE '%complaint%', false) OR EXISTS (
                 SELECT 1 FROM call_topics t2 WHERE t2.call_id = s.id
                   AND array_to_string(t2.path, '/') || '/' LIKE ANY ($5::text[]))) AS complaint
       FROM scoped s LEFT JOIN call_metrics m ON m.call_id = s.id LEFT JOIN call_insights ci ON ci.call_id = s.id
            -- the follow-up the call opened (one at most)
            LEFT JOIN follow_ups fu ON fu.call_id = s.id
       WHERE s.at >= $1::timestamptz
     ), totals AS (
       SELECT cur.category, count(*)::int AS calls,
              avg(cur.csat)::float8 AS csat, count(cur.csat)::int AS csat_responses,
              avg(cur.customer_sentiment_end)::float8 AS customer_sentiment,
              avg(cur.complaint::int)::float8 AS complaint_rate, avg(cur.duration_ms)::float8 AS aht_ms,
              count(*) FILTER (WHERE cur.urgency <= 1)::int AS urgent_calls,
              count(cur.follow_up)::int AS follow_ups,
              count(cur.fu_resolved_at)::int AS follow_ups_resolved,
              count(*) FILTER (WHERE cur.fu_resolved_at <= cur.fu_due_at)::int AS follow_ups_kept,
              count(*) FILTER (WHERE cur.fu_resolved_at IS NOT NULL OR cur.fu_due_at < now())::int AS follow_ups_due,
              (array_agg(cur.id ORDER BY cur.urgency NULLS LAST, cur.at DESC, cur.id DESC))[1:3] AS example_calls
       FROM current cur GROUP BY cur.category
     )
     -- A category only the previous period had is a row with 0 calls.
     SELECT coalesce(t.category, p.category) AS category, coalesce(t.calls, 0) AS calls,
            coalesce(p.n, 0) AS previous_calls, t.csat, coalesce(t.csat_responses, 0) AS csat_responses,
            t.customer_sentiment, coalesce(t.complaint_rate, 0) AS complaint_rate, t.aht_ms,
            coalesce(t.urgent_calls, 0) AS urgent_calls, coalesce(t.example_calls, '{}') AS example_calls,
            coalesce(t.follow_ups, 0) AS follow_ups, coalesce(t.follow_ups_resolved, 0) AS follow_ups_resolved,
            coalesce(t.follow_ups_kept, 0) AS follow_ups_kept, coalesce(t.follow_ups_due, 0) AS follow_ups_due
     FROM totals t FULL JOIN previous p ON p.category = t.category
     ORDER BY calls DESC, coalesce(t.category, p.category) = '', coalesce(t.category, p.category)`,
    [
      q.from,
      q.to,
      q.previousFrom,
      q.level,
      q.complaintPaths.map(
        (p) => `${p.replaceAll('\\', '\\\\').replaceAll('%', '\\%').replaceAll('_', '\\_')}/%`,
      ),
      q.team ?? null,
      q.queue ?? null,
    ],
  )
  return res.rows
}

/**
 * The period's calls with a trusted transcript, as emerging-topic discovery reads them: the
 * customer's turns (what they called about) and whether the taxonomy filed the call. Newest first,
 * at most `limit`.
 */
export async function emergingInputs(
  db: Queryable,
  q: { from: string; to: string; limit: number },
): Promise<Array<{ id: number; text: string; covered: boolean }>> {
  const res = await db.query<{ id: number; text: string | null; covered: boolean }>(
    `SELECT c.id,
            (SELECT string_agg(u.text_redacted, ' ' ORDER BY u.seq) FROM utterances u
             WHERE u.call_id = c.id AND u.speaker = 'customer') AS text,
            EXISTS (SELECT 1 FROM call_topics t WHERE t.call_id = c.id) AS covered
     FROM calls c
     WHERE c.status = 'done' AND c.transcript_status IN ('supplied', 'asr') AND c.transcript_trusted IS NOT FALSE
       AND coalesce(c.started_at, c.created_at) >= $1::timestamptz
       AND coalesce(c.started_at, c.created_at) < $2::timestamptz
     ORDER BY coalesce(c.started_at, c.created_at) DESC, c.id DESC LIMIT $3`,
    [q.from, q.to, q.limit],
  )
  return res.rows.map((r) => ({ id: r.id, text: r.text ?? '', covered: r.covered }))
}

/** Done calls not (yet) filed under this taxonomy version: what a refile has left to do. */
export async function unfiledCalls(db: Queryable, taxonomyId: number): Promise<number> {
  const res = await db.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM calls c
     WHERE c.status = 'done'
       AND NOT EXISTS (SELECT 1 FROM call_insights i WHERE i.call_id = c.id AND i.taxonomy_id = $1)`,
    [taxonomyId],
  )
  return res.rows[0]?.n ?? 0
}
