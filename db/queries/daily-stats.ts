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
 * Rebuilds the trend rollups of the given days from calls, metrics and the evaluations that
 * stand (SQL function standing_evaluations, migration 000009: the newest submitted review outside
 * calibration before the automatic one; of several card versions, the newest). Called when calls
 * are saved or re-scored, a review is submitted or a dispute decided. Each day is rebuilt under
 * its own advisory lock (taken in a fixed order), so two transactions saving calls of the same day
 * cannot both insert it.
 */
export async function refreshDailyStats(db: Queryable, days: readonly string[]): Promise<void> {
  const sorted = [...new Set(days)].sort()
  if (sorted.length === 0) return
  for (const day of sorted)
    await db.query("SELECT pg_advisory_xact_lock(hashtext('callqa.daily:' || $1))", [day])
  await db.query('DELETE FROM daily_call_stats WHERE day = ANY($1::date[])', [sorted])
  await db.query('DELETE FROM daily_qa_stats WHERE day = ANY($1::date[])', [sorted])
  await db.query('DELETE FROM daily_item_stats WHERE day = ANY($1::date[])', [sorted])
  await db.query(
    `INSERT INTO daily_call_stats (day, agent_id, team, queue, language, calls, duration_ms_sum, csat_sum,
       csat_n, sentiment_end_sum, sentiment_end_n, sentiment_trend_sum, sentiment_trend_n, dead_air_calls,
       metrics_n, overtalk_share_sum, overtalk_share_n, talk_ratio_sum, talk_ratio_n, low_confidence_calls,
       hold_ms_sum, hold_calls)
     SELECT ${DAY}, c.agent_id, c.team, c.queue, c.language,
            count(*), coalesce(sum(c.duration_ms), 0), coalesce(sum(c.csat), 0), count(c.csat),
            coalesce(sum(m.customer_sentiment_end), 0), count(m.customer_sentiment_end),
            coalesce(sum(m.customer_sentiment_trend), 0), count(m.customer_sentiment_trend),
            count(*) FILTER (WHERE m.dead_air_longest_ms > 10000), count(m.call_id),
            coalesce(sum(m.overtalk_ms::float8 / nullif(c.duration_ms, 0)), 0),
            count(m.overtalk_ms::float8 / nullif(c.duration_ms, 0)),
            coalesce(sum(m.agent_talk_ratio), 0), count(m.agent_talk_ratio),
            count(*) FILTER (WHERE c.transcript_trusted = false),
            coalesce(sum(m.hold_total_ms), 0), count(*) FILTER (WHERE m.hold_count > 0)
     FROM calls c LEFT JOIN call_metrics m ON m.call_id = c.id
     WHERE c.status = 'done' AND ${DAY} = ANY($1::date[])
     GROUP BY 1, 2, 3, 4, 5`,
    [sorted],
  )
  // One pass over the days' standing evaluations feeds both QA rollups (a data-modifying CTE).
  await db.query(
    `WITH standing AS MATERIALIZED (
       SELECT ${DAY} AS day, c.agent_id, c.team, c.queue, c.language, f.id, f.percent, f.source, f.scorecard
       FROM calls c CROSS JOIN LATERAL standing_evaluations(c.id) f
       WHERE c.status = 'done' AND ${DAY} = ANY($1::date[])
     ), qa AS (
       INSERT INTO daily_qa_stats (day, agent_id, team, queue, language, scorecard, qa_sum, qa_n, reviewed_n)
       SELECT day, agent_id, team, queue, language, scorecard, sum(percent), count(*),
              count(*) FILTER (WHERE source = 'review')
       FROM standing GROUP BY 1, 2, 3, 4, 5, 6
     )
     INSERT INTO daily_item_stats (day, team, queue, scorecard, item_key, passed, failed)
     SELECT s.day, s.team, s.queue, s.scorecard, i.item_key,
            count(*) FILTER (WHERE i.result = 'pass'), count(*) FILTER (WHERE i.result = 'fail')
     FROM standing s JOIN evaluation_items i ON i.evaluation_id = s.id
     GROUP BY 1, 2, 3, 4, 5`,
    [sorted],
  )
}

/**
 * Marks the days of these calls for their rollups to be rebuilt (pipeline/rollups.ts). Run last in
 * a save's transaction: the row it touches stays locked until the save commits, so a rebuild of
 * that day waits for the save and then sees its call (a rebuild that ran first leaves the day
 * marked again).
 */
export async function markCallDaysDirty(db: Queryable, callIds: readonly number[]): Promise<void> {
  if (callIds.length === 0) return
  await db.query(
    `INSERT INTO daily_stats_dirty (day)
     SELECT DISTINCT ${DAY} FROM calls c WHERE c.id = ANY($1::bigint[])
     ORDER BY 1
     ON CONFLICT (day) DO UPDATE SET marked_at = now()`,
    [callIds],
  )
}

/** Rebuilds up to `limit` marked days (oldest first) and unmarks them; returns how many. */
export async function drainDirtyDays(tx: Queryable, limit: number): Promise<number> {
  const taken = await tx.query<{ day: string }>(
    `DELETE FROM daily_stats_dirty
     WHERE day IN (SELECT day FROM daily_stats_dirty ORDER BY day LIMIT $1 FOR UPDATE)
     RETURNING to_char(day, 'YYYY-MM-DD') AS day`,
    [limit],
  )
  await refreshDailyStats(
    tx,
    taken.rows.map((r) => r.day),
  )
  return taken.rows.length
}
