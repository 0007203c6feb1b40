/**
 * Trends for managers: QA percent, customer sentiment, CSAT, handle time, dead air, overtalk and
 * talk ratio, grouped by agent, team, queue or language per day, week or month, with counts; the
 * most failed items. QA figures count the evaluation that stands for each call and card (SQL
 * function standing_evaluations). Both read the per-day rollups (db/queries/daily-stats.ts), whole
 * UTC days. Any list here is also CSV (`?format=csv`).
 */
import type { FastifyReply } from 'fastify'
import { Type } from 'typebox'
import {
  failedItems,
  itemAgreement,
  kpiTrends,
  TREND_GROUPS,
  type TrendGroup,
} from '../../db/queries/trends.js'
import { refreshMarkedDays } from '../../pipeline/rollups.js'
import { checkedPeriod } from '../../review/period.js'
import { ErrorBody } from '../schemas.js'
import type { Api } from '../types.js'

const MANAGERS = ['admin', 'manager'] as const
/** QA leads (reviewers) decide where to trust the machine too. */
const MANAGERS_AND_LEADS = ['admin', 'manager', 'reviewer'] as const
const errors = { 400: ErrorBody, 401: ErrorBody, 403: ErrorBody }

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

/** Every trend list answers as JSON (`{items}`), or as a CSV download with `format=csv`. */
export function listOrCsv(
  reply: FastifyReply,
  format: string | undefined,
  fileName: string,
  rows: readonly object[],
) {
  if (format !== 'csv') return { items: rows }
  return sendCsv(reply, fileName, rows as ReadonlyArray<Record<string, unknown>>)
}

/** Rows as a CSV download. */
export function sendCsv(reply: FastifyReply, fileName: string, rows: ReadonlyArray<Record<string, unknown>>) {
  return reply
    .type('text/csv; charset=utf-8')
    .header('content-disposition', `attachment; filename="${fileName}"`)
    .send(toCsv(rows))
}

export async function trendRoutes(app: Api): Promise<void> {
  const { db } = app
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
            group_by: Type.Union(Object.keys(TREND_GROUPS).map((g) => Type.Literal(g))),
            period: Type.Union([Type.Literal('day'), Type.Literal('week'), Type.Literal('month')]),
          },
          { additionalProperties: false },
        ),
        response: { 200: Type.Any(), ...errors },
      },
    },
    async (request, reply) => {
      const q = request.query
      checkedPeriod(q.from, q.to)
      // Days whose calls changed since their rollups were built are rebuilt first: trends are exact.
      await refreshMarkedDays(db)
      const rows = await kpiTrends(db, { ...q, group_by: q.group_by as TrendGroup })
      return listOrCsv(reply, q.format, 'callqa-trends.csv', rows)
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
      checkedPeriod(q.from, q.to)
      await refreshMarkedDays(db)
      const rows = await failedItems(db, q)
      return listOrCsv(reply, q.format, 'callqa-failed-items.csv', rows)
    },
  )

  app.get(
    '/trends/agreement',
    {
      config: { roles: MANAGERS_AND_LEADS },
      schema: {
        summary:
          'Automatic against human per scorecard item and period: how often reviewers keep or override the automatic answer',
        tags: ['trends'],
        querystring: Type.Object(
          {
            from: Filters.from,
            to: Filters.to,
            scorecard: Filters.scorecard,
            period: Type.Optional(
              Type.Union([Type.Literal('day'), Type.Literal('week'), Type.Literal('month')]),
            ),
            format: Filters.format,
          },
          { additionalProperties: false },
        ),
        response: { 200: Type.Any({ description: '{items: AgreementRow[]} as JSON, or CSV' }), ...errors },
      },
    },
    async (request, reply) => {
      const q = request.query
      checkedPeriod(q.from, q.to)
      // Days whose calls changed since their rollups were built are rebuilt first: trends are exact.
      await refreshMarkedDays(db)
      const rows = await itemAgreement(db, { ...q, period: q.period ?? 'month' })
      return listOrCsv(reply, q.format, 'callqa-agreement.csv', rows)
    },
  )
}
