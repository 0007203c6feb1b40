/**
 * Trends for managers: QA percent, customer sentiment, CSAT, handle time, dead air, overtalk and
 * talk ratio, grouped by agent, team, queue or language per day, week or month, with counts; the
 * most failed items. QA figures count the evaluation that stands for each call and card (SQL
 * function standing_evaluations). Both read the per-day rollups (db/queries/daily-stats.ts), whole
 * UTC days. Any list here is also CSV (`?format=csv`).
 */
import { Type } from 'typebox'
import { Conditions } from '../../db/conditions.js'
import type { Database } from '../../db/index.js'
import { ValidationError } from '../../errors.js'
import { ErrorBody } from '../schemas.js'
import type { Api } from '../types.js'

const MANAGERS = ['admin', 'manager'] as const
const errors = { 400: ErrorBody, 401: ErrorBody, 403: ErrorBody }

const GROUPS = { agent: 'd.agent_id', team: 'd.team', queue: 'd.queue', language: 'd.language' } as const

const Filters = {
  from: Type.String({ format: 'date-time' }),
  to: Type.String({ format: 'date-time' }),
  scorecard: Type.Optional(
    Type.String({ description: 'scorecard key for QA figures (default: every card)' }),
  ),
  team: Type.Optional(Type.String()),
  queue: Type.Optional(Type.String()),
  format: Type.Optional(Type.Union([Type.Literal('json'), Type.Literal('csv')])),
}

/** Rollup days from $1's day (included) to $2's day (excluded), UTC. */
const WHOLE_DAYS =
  "d.day >= ($1::timestamptz AT TIME ZONE 'UTC')::date AND d.day < ($2::timestamptz AT TIME ZONE 'UTC')::date"

/** The optional team and queue filters on a rollup (alias d). */
function teamAndQueue(where: Conditions, f: { team?: string; queue?: string }): Conditions {
  if (f.team) where.add('d.team = ?', f.team)
  if (f.queue) where.add('d.queue = ?', f.queue)
  return where
}

/** RFC 4180 CSV of rows (columns from the first row). */
export function toCsv(rows: ReadonlyArray<Record<string, unknown>>): string {
  if (rows.length === 0) return ''
  const columns = Object.keys(rows[0] as object)
  const cell = (v: unknown) => {
    let s = v === null || v === undefined ? '' : v instanceof Date ? v.toISOString() : String(v)
    // A text cell a spreadsheet would run as a formula (agent, team and queue names come from
    // metadata files and uploads) is neutralised with a leading quote, as OWASP advises. Numbers
    // are left as they are (-0.5 is a number, not a formula).
    if (typeof v === 'string' && /^[=+\-@\t\r]/.test(s)) s = `'${s}`
    return /[",\r\n\t]/.test(s) || s.startsWith("'") ? `"${s.replaceAll('"', '""')}"` : s
  }
  return `${[columns.join(','), ...rows.map((r) => columns.map((c) => cell(r[c])).join(','))].join('\r\n')}\r\n`
}

export async function trendRoutes(app: Api, { db }: { db: Database }): Promise<void> {
  app.get(
    '/trends',
    {
      config: { roles: MANAGERS },
      schema: {
        summary: 'KPIs grouped by agent, team, queue or language, per day, week or month',
        tags: ['trends'],
        querystring: Type.Object(
          {
            ...Filters,
            group_by: Type.Union(Object.keys(GROUPS).map((g) => Type.Literal(g))),
            period: Type.Union([Type.Literal('day'), Type.Literal('week'), Type.Literal('month')]),
          },
          { additionalProperties: false },
        ),
        response: { 200: Type.Any(), ...errors },
      },
    },
    async (request, reply) => {
      const q = request.query
      if (Date.parse(q.to) <= Date.parse(q.from)) throw new ValidationError('"to" must be after "from"')
      const group = GROUPS[q.group_by as keyof typeof GROUPS]
      // Whole UTC days from the rollups: "from"'s day included, "to"'s day excluded.
      const conditions = teamAndQueue(
        new Conditions([q.from, q.to, q.period, q.scorecard ?? null]).raw(WHOLE_DAYS),
        q,
      )
      const where = conditions.sql
      const params = conditions.params
      const res = await db.query<Record<string, unknown>>(
        `WITH base AS (
           SELECT to_char(date_trunc($3, d.day::timestamp), 'YYYY-MM-DD') AS period, ${group} AS grp,
                  sum(d.calls) AS calls, sum(d.duration_ms_sum) AS duration, sum(d.csat_sum) AS csat_sum,
                  sum(d.csat_n) AS csat_n, sum(d.sentiment_end_sum) AS se_sum, sum(d.sentiment_end_n) AS se_n,
                  sum(d.sentiment_trend_sum) AS st_sum, sum(d.sentiment_trend_n) AS st_n,
                  sum(d.dead_air_calls) AS dead_air, sum(d.metrics_n) AS metrics_n,
                  sum(d.overtalk_share_sum) AS ot_sum, sum(d.overtalk_share_n) AS ot_n,
                  sum(d.talk_ratio_sum) AS tr_sum, sum(d.talk_ratio_n) AS tr_n,
                  sum(d.low_confidence_calls) AS low_conf, sum(d.hold_ms_sum) AS hold_ms,
                  sum(d.hold_calls) AS hold_calls
           FROM daily_call_stats d WHERE ${where} GROUP BY 1, 2),
         qa AS (
           SELECT to_char(date_trunc($3, d.day::timestamp), 'YYYY-MM-DD') AS period, ${group} AS grp,
                  sum(d.qa_sum) AS qa_sum, sum(d.qa_n) AS qa_n, sum(d.reviewed_n) AS reviewed_n
           FROM daily_qa_stats d WHERE ${where} AND ($4::text IS NULL OR d.scorecard = $4) GROUP BY 1, 2)
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
        params,
      )
      if (q.format === 'csv')
        return reply
          .type('text/csv; charset=utf-8')
          .header('content-disposition', 'attachment; filename="callqa-trends.csv"')
          .send(toCsv(res.rows))
      return { items: res.rows }
    },
  )

  app.get(
    '/trends/failed-items',
    {
      config: { roles: MANAGERS },
      schema: {
        summary:
          'The scorecard items failed most often, with pass rates (reviewed answers where a review was submitted)',
        tags: ['trends'],
        querystring: Type.Object(
          { ...Filters, limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: 10 })) },
          { additionalProperties: false },
        ),
        response: { 200: Type.Any(), ...errors },
      },
    },
    async (request, reply) => {
      const q = request.query
      const where = teamAndQueue(
        new Conditions([q.from, q.to, q.scorecard ?? null, q.limit ?? 10])
          .raw(WHOLE_DAYS)
          .raw('($3::text IS NULL OR d.scorecard = $3)'),
        q,
      )
      const res = await db.query<Record<string, unknown>>(
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
      if (q.format === 'csv')
        return reply
          .type('text/csv; charset=utf-8')
          .header('content-disposition', 'attachment; filename="callqa-failed-items.csv"')
          .send(toCsv(res.rows))
      return { items: res.rows }
    },
  )
}
