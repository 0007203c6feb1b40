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
 * Rebuilds the trend rollups of the given days from calls, metrics and automatic evaluations.
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
    `INSERT INTO daily_qa_stats
     SELECT ${DAY}, c.agent_id, c.team, c.queue, c.language, s.key, sum(e.percent), count(*)
     FROM calls c JOIN evaluations e ON e.call_id = c.id AND e.source = 'auto'
       JOIN scorecards s ON s.id = e.scorecard_id
     WHERE c.status = 'done' AND ${DAY} = ANY($1::date[])
     GROUP BY 1, 2, 3, 4, 5, 6`,
    [sorted],
  )
}
