import type { Queryable } from '../index.js'

const DAY = "(coalesce(c.started_at, c.created_at) AT TIME ZONE 'UTC')::date"

/** The UTC days (YYYY-MM-DD) the given calls belong to. */
export async function daysOfCalls(db: Queryable, callIds: readonly number[]): Promise<string[]> {
  const res = await db.query<{ day: string }>(
    `SELECT DISTINCT to_char(${DAY}, 'YYYY-MM-DD') AS day FROM calls c WHERE c.id = ANY($1::bigint[])`,
    [callIds],
  )
  return res.rows.map((r) => r.day)
}

/**
 * The evaluations that stand for call `call` (an SQL expression), one per scorecard key, as a
 * LATERAL subquery with columns id, percent, source, scorecard: the newest submitted review
 * outside calibration (a dispute's decision changes it in place) before the automatic one, and
 * of several card versions the newest. Migration 000009 holds the same rule, for its rebuild.
 */
export function finalEvaluations(call: string): string {
  return `LATERAL (
    SELECT DISTINCT ON (s.key) e.id, e.percent, e.source, s.key AS scorecard
    FROM evaluations e JOIN scorecards s ON s.id = e.scorecard_id
    WHERE e.call_id = ${call}
      AND (e.source = 'auto' OR (e.status = 'submitted' AND e.calibration_id IS NULL))
    ORDER BY s.key, (e.source = 'review') DESC, e.submitted_at DESC NULLS LAST, s.version DESC, e.id DESC
  )`
}

/**
 * Rebuilds the trend rollups of the given days from calls, metrics and the evaluations that
 * stand (see finalEvaluations). Called when calls are saved or re-scored and when a review is
 * submitted or a dispute decided.
 * Each day is rebuilt under its own advisory lock (taken in a fixed order), so two transactions
 * saving calls of the same day cannot both insert it.
 */
export async function refreshDailyStats(db: Queryable, days: readonly string[]): Promise<void> {
  const sorted = [...new Set(days)].sort()
  if (sorted.length === 0) return
  for (const day of sorted)
    await db.query("SELECT pg_advisory_xact_lock(hashtext('callqa.daily:' || $1))", [day])
  await db.query('DELETE FROM daily_call_stats WHERE day = ANY($1::date[])', [sorted])
  await db.query('DELETE FROM daily_qa_stats WHERE day = ANY($1::date[])', [sorted])
  await db.query(
    `INSERT INTO daily_call_stats
     SELECT ${DAY}, c.agent_id, c.team, c.queue, c.language,
            count(*), coalesce(sum(c.duration_ms), 0), coalesce(sum(c.csat), 0), count(c.csat),
            coalesce(sum(m.customer_sentiment_end), 0), count(m.customer_sentiment_end),
            coalesce(sum(m.customer_sentiment_trend), 0), count(m.customer_sentiment_trend),
            count(*) FILTER (WHERE m.dead_air_longest_ms > 10000), count(m.call_id),
            coalesce(sum(m.overtalk_ms::float8 / nullif(c.duration_ms, 0)), 0),
            count(m.overtalk_ms::float8 / nullif(c.duration_ms, 0)),
            coalesce(sum(m.agent_talk_ratio), 0), count(m.agent_talk_ratio)
     FROM calls c LEFT JOIN call_metrics m ON m.call_id = c.id
     WHERE c.status = 'done' AND ${DAY} = ANY($1::date[])
     GROUP BY 1, 2, 3, 4, 5`,
    [sorted],
  )
  await db.query(
    `INSERT INTO daily_qa_stats (day, agent_id, team, queue, language, scorecard, qa_sum, qa_n, reviewed_n)
     SELECT ${DAY}, c.agent_id, c.team, c.queue, c.language, f.scorecard, sum(f.percent), count(*),
            count(*) FILTER (WHERE f.source = 'review')
     FROM calls c CROSS JOIN ${finalEvaluations('c.id')} f
     WHERE c.status = 'done' AND ${DAY} = ANY($1::date[])
     GROUP BY 1, 2, 3, 4, 5, 6`,
    [sorted],
  )
}
