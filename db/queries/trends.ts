/**
 * Trends as managers read them, from the per-day rollups (daily-stats.ts): KPIs per group and
 * period, and the items failed most often. Whole UTC days: "from"'s day included, "to"'s day
 * excluded. QA figures count the evaluation that stands for each call and card.
 */
import { Conditions } from '../conditions.js'
import type { Queryable } from '../index.js'

export const TREND_GROUPS = {
  agent: 'd.agent_id',
  team: 'd.team',
  queue: 'd.queue',
  language: 'd.language',
} as const
export type TrendGroup = keyof typeof TREND_GROUPS

export interface TrendRange {
  from: string
  to: string
  /** scorecard key for QA figures (default: every card) */
  scorecard?: string | undefined
  team?: string | undefined
  queue?: string | undefined
}

export interface TrendRow {
  period: string
  group: string | null
  calls: number
  qa_percent: number | null
  qa_evaluations: number
  qa_reviewed: number
  customer_sentiment_end: number | null
  customer_sentiment_trend: number | null
  csat: number | null
  csat_responses: number
  aht_ms: number | null
  dead_air_rate: number | null
  overtalk_share: number | null
  agent_talk_ratio: number | null
  hold_rate: number | null
  hold_ms_per_call: number | null
  low_confidence_transcripts: number
}

export interface FailedItemRow {
  scorecard: string
  item_key: string
  failed: number
  answered: number
  pass_rate: number | null
}

/** Rollup days from $1's day (included) to $2's day (excluded), UTC. */
const WHOLE_DAYS =
  "d.day >= ($1::timestamptz AT TIME ZONE 'UTC')::date AND d.day < ($2::timestamptz AT TIME ZONE 'UTC')::date"

/** The optional team and queue filters on a rollup (alias d). */
function teamAndQueue(
  where: Conditions,
  f: { team?: string | undefined; queue?: string | undefined },
): Conditions {
  if (f.team) where.add('d.team = ?', f.team)
  if (f.queue) where.add('d.queue = ?', f.queue)
  return where
}

/** The rollup columns a trend sums, and the names the sums go by. */
const CALL_SUMS = [
  ['calls', 'calls'],
  ['duration_ms_sum', 'duration'],
  ['csat_sum', 'csat_sum'],
  ['csat_n', 'csat_n'],
  ['sentiment_end_sum', 'se_sum'],
  ['sentiment_end_n', 'se_n'],
  ['sentiment_trend_sum', 'st_sum'],
  ['sentiment_trend_n', 'st_n'],
  ['dead_air_calls', 'dead_air'],
  ['metrics_n', 'metrics_n'],
  ['overtalk_share_sum', 'ot_sum'],
  ['overtalk_share_n', 'ot_n'],
  ['talk_ratio_sum', 'tr_sum'],
  ['talk_ratio_n', 'tr_n'],
  ['low_confidence_calls', 'low_conf'],
  ['hold_ms_sum', 'hold_ms'],
  ['hold_calls', 'hold_calls'],
] as const
const QA_SUMS = [
  ['qa_sum', 'qa_sum'],
  ['qa_n', 'qa_n'],
  ['reviewed_n', 'reviewed_n'],
] as const

export async function kpiTrends(
  db: Queryable,
  q: TrendRange & { group_by: TrendGroup; period: 'day' | 'week' | 'month' },
): Promise<TrendRow[]> {
  const group = TREND_GROUPS[q.group_by]
  const conditions = teamAndQueue(
    new Conditions([q.from, q.to, q.period, q.scorecard ?? null]).raw(WHOLE_DAYS),
    q,
  )
  const where = conditions.sql
  // Summed per day and group first, then the days into periods: the period's text is made once
  // per day and group, not once per rollup row (2.5x faster on a 90-day range at a million calls).
  const perDay = (table: string, sums: ReadonlyArray<readonly [string, string]>, extra = '') =>
    `SELECT period, grp, ${sums.map(([, alias]) => `sum(${alias}) AS ${alias}`).join(', ')}
     FROM (SELECT d.day, ${group} AS grp, ${sums.map(([column, alias]) => `sum(d.${column}) AS ${alias}`).join(', ')}
           FROM ${table} d WHERE ${where}${extra} GROUP BY 1, 2) days
     CROSS JOIN LATERAL (SELECT to_char(date_trunc($3, days.day::timestamp), 'YYYY-MM-DD') AS period) p
     GROUP BY 1, 2`
  const res = await db.query<TrendRow>(
    `WITH base AS (${perDay('daily_call_stats', CALL_SUMS)}),
     qa AS (${perDay('daily_qa_stats', QA_SUMS, ' AND ($4::text IS NULL OR d.scorecard = $4)')})
     SELECT b.period, b.grp AS "group", b.calls::int AS calls,
            round((qa.qa_sum / nullif(qa.qa_n, 0))::numeric, 2)::float8 AS qa_percent,
            coalesce(qa.qa_n, 0)::int AS qa_evaluations,
            coalesce(qa.reviewed_n, 0)::int AS qa_reviewed,
            round((b.se_sum / nullif(b.se_n, 0))::numeric, 3)::float8 AS customer_sentiment_end,
            round((b.st_sum / nullif(b.st_n, 0))::numeric, 3)::float8 AS customer_sentiment_trend,
            round((b.csat_sum::numeric / nullif(b.csat_n, 0)), 2)::float8 AS csat,
            b.csat_n::int AS csat_responses,
            round(b.duration / nullif(b.calls, 0))::int AS aht_ms,
            round((b.dead_air::numeric / nullif(b.metrics_n, 0)), 3)::float8 AS dead_air_rate,
            round((b.ot_sum / nullif(b.ot_n, 0))::numeric, 4)::float8 AS overtalk_share,
            round((b.tr_sum / nullif(b.tr_n, 0))::numeric, 3)::float8 AS agent_talk_ratio,
            round((b.hold_calls::numeric / nullif(b.metrics_n, 0)), 3)::float8 AS hold_rate,
            round(b.hold_ms / nullif(b.metrics_n, 0))::int AS hold_ms_per_call,
            b.low_conf::int AS low_confidence_transcripts
     FROM base b LEFT JOIN qa ON qa.period = b.period AND qa.grp IS NOT DISTINCT FROM b.grp
     ORDER BY 1, 2`,
    conditions.params,
  )
  return res.rows
}

/** The items failed most often, with pass rates (reviewed answers where a review was submitted). */
export async function failedItems(
  db: Queryable,
  q: TrendRange & { limit?: number | undefined },
): Promise<FailedItemRow[]> {
  const where = teamAndQueue(
    new Conditions([q.from, q.to, q.scorecard ?? null, q.limit ?? 10])
      .raw(WHOLE_DAYS)
      .raw('($3::text IS NULL OR d.scorecard = $3)'),
    q,
  )
  const res = await db.query<FailedItemRow>(
    `SELECT d.scorecard, d.item_key, sum(d.failed)::int AS failed, sum(d.passed + d.failed)::int AS answered,
            round(sum(d.passed)::numeric / nullif(sum(d.passed + d.failed), 0), 3)::float8 AS pass_rate
     FROM daily_item_stats d
     WHERE ${where.sql}
     GROUP BY d.scorecard, d.item_key
     HAVING sum(d.failed) > 0
     ORDER BY failed DESC, d.scorecard, d.item_key
     LIMIT $4`,
    where.params,
  )
  return res.rows
}

export interface AgreementRow {
  period: string
  scorecard: string
  item_key: string
  /** submitted reviews that answered the item where the machine had an answer */
  reviewed: number
  /** of those, how many kept the machine's answer */
  kept: number
  pass_to_fail: number
  fail_to_pass: number
  /** kept / reviewed: how far the automatic answer can be trusted on this item */
  agreement: number
}

/**
 * Automatic against human, per scorecard item and period (by when the review was submitted): how
 * often reviewers keep or override the machine's answer. Items the machine left to a person
 * (pending) are not agreements or disagreements and are left out; calibration reviews grade the
 * reviewer, not the machine, and are left out too.
 */
export async function itemAgreement(
  db: Queryable,
  q: { from: string; to: string; scorecard?: string | undefined; period: 'day' | 'week' | 'month' },
): Promise<AgreementRow[]> {
  const res = await db.query<AgreementRow>(
    `SELECT to_char(date_trunc($4, e.submitted_at AT TIME ZONE 'UTC'), 'YYYY-MM-DD') AS period,
            s.key AS scorecard, i.item_key,
            count(*)::int AS reviewed,
            count(*) FILTER (WHERE i.result = i.auto_result)::int AS kept,
            count(*) FILTER (WHERE i.auto_result = 'pass' AND i.result = 'fail')::int AS pass_to_fail,
            count(*) FILTER (WHERE i.auto_result = 'fail' AND i.result = 'pass')::int AS fail_to_pass,
            round(count(*) FILTER (WHERE i.result = i.auto_result)::numeric / count(*), 3)::float8 AS agreement
     FROM evaluations e
     JOIN scorecards s ON s.id = e.scorecard_id
     JOIN evaluation_items i ON i.evaluation_id = e.id
     WHERE e.source = 'review' AND e.calibration_id IS NULL AND e.status IN ('submitted', 'final')
       AND e.submitted_at >= $1::timestamptz AND e.submitted_at < $2::timestamptz
       AND ($3::text IS NULL OR s.key = $3)
       AND i.auto_result IN ('pass', 'fail', 'na') AND i.result <> 'pending'
     GROUP BY 1, 2, 3
     ORDER BY 1, 2, 3`,
    [q.from, q.to, q.scorecard ?? null, q.period],
  )
  return res.rows
}
