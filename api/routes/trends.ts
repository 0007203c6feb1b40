/**
 * Trends for managers: QA percent, customer sentiment, CSAT, handle time, dead air, overtalk and
 * talk ratio, grouped by agent, team, queue or language per day, week or month, with counts; the
 * most failed items. Any list here is also CSV (`?format=csv`).
 */
import { Type } from 'typebox'
import type { Database } from '../../db/index.js'
import { type Api, ApiError } from '../server.js'

const MANAGERS = ['admin', 'manager'] as const
const ErrorBody = Type.Object({
  error: Type.Object({ code: Type.String(), message: Type.String(), details: Type.Optional(Type.Unknown()) }),
})
const errors = { 400: ErrorBody, 401: ErrorBody, 403: ErrorBody }

const GROUPS = { agent: 'c.agent_id', team: 'c.team', queue: 'c.queue', language: 'c.language' } as const

const Filters = {
  from: Type.String({ format: 'date-time' }),
  to: Type.String({ format: 'date-time' }),
  scorecard: Type.Optional(
    Type.String({ description: 'scorecard key for QA figures (default: all automatic)' }),
  ),
  team: Type.Optional(Type.String()),
  queue: Type.Optional(Type.String()),
  format: Type.Optional(Type.Union([Type.Literal('json'), Type.Literal('csv')])),
}

/** RFC 4180 CSV of rows (columns from the first row). */
export function toCsv(rows: ReadonlyArray<Record<string, unknown>>): string {
  if (rows.length === 0) return ''
  const columns = Object.keys(rows[0] as object)
  const cell = (v: unknown) => {
    const s = v === null || v === undefined ? '' : v instanceof Date ? v.toISOString() : String(v)
    return /[",\r\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s
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
      if (Date.parse(q.to) <= Date.parse(q.from))
        throw new ApiError(400, 'QA_ERR_VALIDATION', '"to" must be after "from"')
      const group = GROUPS[q.group_by as keyof typeof GROUPS]
      const params: unknown[] = [q.from, q.to, q.period, q.scorecard ?? null]
      const extra: string[] = []
      if (q.team) {
        params.push(q.team)
        extra.push(`c.team = $${params.length}`)
      }
      if (q.queue) {
        params.push(q.queue)
        extra.push(`c.queue = $${params.length}`)
      }
      const res = await db.query<Record<string, unknown>>(
        `WITH qa AS (
           SELECT e.call_id, avg(e.percent) AS percent, bool_or(e.fatal_failed) AS fatal
           FROM evaluations e JOIN scorecards s ON s.id = e.scorecard_id
           WHERE e.source = 'auto' AND ($4::text IS NULL OR s.key = $4)
           GROUP BY e.call_id)
         SELECT to_char(date_trunc($3, coalesce(c.started_at, c.created_at) AT TIME ZONE 'UTC'), 'YYYY-MM-DD') AS period,
                ${group} AS "group",
                count(*)::int AS calls,
                round(avg(qa.percent)::numeric, 2)::float8 AS qa_percent,
                count(qa.call_id)::int AS qa_calls,
                round(avg(m.customer_sentiment_end)::numeric, 3)::float8 AS customer_sentiment_end,
                round(avg(m.customer_sentiment_trend)::numeric, 3)::float8 AS customer_sentiment_trend,
                round(avg(c.csat)::numeric, 2)::float8 AS csat,
                count(c.csat)::int AS csat_responses,
                round(avg(c.duration_ms))::int AS aht_ms,
                round(avg((m.dead_air_longest_ms > 10000)::int)::numeric, 3)::float8 AS dead_air_rate,
                round(avg(m.overtalk_ms::float8 / nullif(c.duration_ms, 0))::numeric, 4)::float8 AS overtalk_share,
                round(avg(m.agent_talk_ratio)::numeric, 3)::float8 AS agent_talk_ratio
         FROM calls c
           LEFT JOIN call_metrics m ON m.call_id = c.id
           LEFT JOIN qa ON qa.call_id = c.id
         WHERE c.status = 'done' AND coalesce(c.started_at, c.created_at) >= $1::timestamptz
           AND coalesce(c.started_at, c.created_at) < $2::timestamptz${extra.map((e) => ` AND ${e}`).join('')}
         GROUP BY 1, 2 ORDER BY 1, 2`,
        params,
      )
      if (q.format === 'csv') return reply.type('text/csv; charset=utf-8').send(toCsv(res.rows))
      return { items: res.rows }
    },
  )

  app.get(
    '/trends/failed-items',
    {
      config: { roles: MANAGERS },
      schema: {
        summary: 'The scorecard items failed most often (automatic evaluations), with pass rates',
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
      const params: unknown[] = [q.from, q.to, q.scorecard ?? null, q.limit ?? 10]
      const extra: string[] = []
      if (q.team) {
        params.push(q.team)
        extra.push(`c.team = $${params.length}`)
      }
      if (q.queue) {
        params.push(q.queue)
        extra.push(`c.queue = $${params.length}`)
      }
      const res = await db.query<Record<string, unknown>>(
        `SELECT s.key AS scorecard, i.item_key,
                count(*) FILTER (WHERE i.result = 'fail')::int AS failed,
                count(*) FILTER (WHERE i.result IN ('pass', 'fail'))::int AS answered,
                round((count(*) FILTER (WHERE i.result = 'pass'))::numeric
                      / nullif(count(*) FILTER (WHERE i.result IN ('pass', 'fail')), 0), 3)::float8 AS pass_rate
         FROM evaluation_items i
           JOIN evaluations e ON e.id = i.evaluation_id AND e.source = 'auto'
           JOIN scorecards s ON s.id = e.scorecard_id
           JOIN calls c ON c.id = e.call_id
         WHERE coalesce(c.started_at, c.created_at) >= $1::timestamptz AND coalesce(c.started_at, c.created_at) < $2::timestamptz
           AND ($3::text IS NULL OR s.key = $3)${extra.map((e) => ` AND ${e}`).join('')}
         GROUP BY s.key, i.item_key
         HAVING count(*) FILTER (WHERE i.result = 'fail') > 0
         ORDER BY failed DESC, s.key, i.item_key
         LIMIT $4`,
        params,
      )
      if (q.format === 'csv') return reply.type('text/csv; charset=utf-8').send(toCsv(res.rows))
      return { items: res.rows }
    },
  )
}
