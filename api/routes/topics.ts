/**
 * What calls are about over HTTP: the TOP issues report of a period (JSON or CSV; the page prints
 * it), emerging topics the taxonomy misses, the taxonomy in use, and promoting a topic into it.
 */
import { Type } from 'typebox'
import { activeTaxonomy, listTaxonomies } from '../../db/queries/taxonomies.js'
import { NotFoundError } from '../../errors.js'
import type { Refiler } from '../../pipeline/refile.js'
import { emergingTopics, promoteTopic, topIssuesReport } from '../../review/topics.js'
import { ERRORS, ErrorBody } from '../schemas.js'
import type { Api } from '../types.js'
import { listOrCsv } from './trends.js'

const LEADS = ['admin', 'manager', 'reviewer'] as const
const STAFF = ['admin', 'manager', 'reviewer', 'trainer'] as const
const EDITORS = ['admin', 'reviewer'] as const
const errors = ERRORS

const PeriodQuery = {
  month: Type.Optional(
    Type.String({ pattern: '^\\d{4}-\\d{2}$', description: 'a calendar month, YYYY-MM (UTC)' }),
  ),
  from: Type.Optional(Type.String({ format: 'date-time', description: 'or a period: from …' })),
  to: Type.Optional(Type.String({ format: 'date-time', description: '… to (exclusive)' })),
}

const TopIssue = Type.Object({
  rank: Type.Integer(),
  category: Type.String({ description: 'node keys joined by "/"; "" for calls the taxonomy did not file' }),
  path: Type.Array(Type.String()),
  label: Type.String(),
  label_zh: Type.Union([Type.String(), Type.Null()]),
  calls: Type.Integer(),
  share: Type.Number({ description: "this category's share of the period's calls" }),
  previous_calls: Type.Integer(),
  change: Type.Integer(),
  change_pct: Type.Union([Type.Number(), Type.Null()], {
    description: 'null when the previous period had none',
  }),
  csat: Type.Union([Type.Number(), Type.Null()]),
  csat_responses: Type.Integer(),
  customer_sentiment: Type.Union([Type.Number(), Type.Null()], {
    description: 'mean customer sentiment at the end',
  }),
  complaint_rate: Type.Number({ description: 'share of its calls that are complaints' }),
  aht_ms: Type.Union([Type.Integer(), Type.Null()], { description: 'average handle time' }),
  urgent_calls: Type.Integer({ description: 'P0 and P1 calls' }),
  example_calls: Type.Array(Type.Integer(), { description: 'call ids: most urgent first, then newest' }),
  follow_ups: Type.Integer({ description: 'follow-ups its calls opened' }),
  follow_ups_resolved: Type.Integer(),
  follow_ups_due: Type.Integer({ description: 'of them, those whose resolution promise has come due' }),
  follow_ups_kept: Type.Integer({ description: 'resolved within the promise' }),
  follow_ups_resolved_rate: Type.Union([Type.Number(), Type.Null()]),
  promises_kept_rate: Type.Union([Type.Number(), Type.Null()], {
    description: 'share of the promises come due that were kept; null when none has',
  }),
})
const PeriodOut = Type.Object({ from: Type.String(), to: Type.String() })

const TaxonomyNode = Type.Object(
  {},
  { additionalProperties: true, description: 'a node: key, label, phrases, children' },
)

export async function topicRoutes(app: Api, { refiler }: { refiler: Refiler }): Promise<void> {
  const { db } = app
  app.get(
    '/reports/top-issues',
    {
      config: { roles: LEADS },
      schema: {
        summary:
          'The TOP issues of a period: volume and change against the previous period, CSAT, customer sentiment, complaint rate, AHT, urgent calls and example calls per category',
        tags: ['topics'],
        querystring: Type.Object(
          {
            ...PeriodQuery,
            level: Type.Optional(
              Type.Integer({ minimum: 1, maximum: 3, default: 2, description: 'taxonomy level to group by' }),
            ),
            team: Type.Optional(Type.String()),
            queue: Type.Optional(Type.String()),
            format: Type.Optional(Type.Union([Type.Literal('json'), Type.Literal('csv')])),
          },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object({
            period: PeriodOut,
            previous: PeriodOut,
            level: Type.Integer(),
            taxonomy: Type.Object({ key: Type.String(), version: Type.Integer() }),
            total_calls: Type.Integer(),
            previous_total_calls: Type.Integer(),
            items: Type.Array(TopIssue),
          }),
          ...errors,
        },
      },
    },
    async (request, reply) => {
      const report = await topIssuesReport(db, request.query)
      if (request.query.format !== 'csv') return report
      const rows = report.items.map(({ path: _, example_calls, ...r }) => ({
        period_from: report.period.from,
        period_to: report.period.to,
        ...r,
        example_calls: example_calls.join(' '),
      }))
      return listOrCsv(
        reply,
        'csv',
        `callqa-top-issues-${report.period.from.slice(0, 10)}.csv`,
        rows,
      ) as never
    },
  )

  app.get(
    '/topics/emerging',
    {
      config: { roles: LEADS },
      schema: {
        summary:
          "Recurring topics in a period's calls that the taxonomy did not file: key phrases, clusters, a label, example calls and a suggested node",
        tags: ['topics'],
        querystring: Type.Object(
          {
            ...PeriodQuery,
            min_calls: Type.Optional(Type.Integer({ minimum: 2, maximum: 1000, default: 3 })),
          },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object({
            period: PeriodOut,
            calls: Type.Integer(),
            unfiled_calls: Type.Integer(),
            truncated: Type.Boolean({
              description: 'the period had more calls than are clustered at once (newest kept)',
            }),
            items: Type.Array(
              Type.Object({
                label: Type.String(),
                phrases: Type.Array(
                  Type.Object({ phrase: Type.String(), calls: Type.Integer(), weight: Type.Number() }),
                ),
                calls: Type.Array(Type.Integer()),
                examples: Type.Array(Type.Integer()),
                suggestion: Type.Object({
                  key: Type.String(),
                  label: Type.String(),
                  phrases: Type.Array(Type.String()),
                }),
              }),
            ),
          }),
          ...errors,
        },
      },
    },
    async (request) => emergingTopics(db, request.query),
  )

  app.get(
    '/taxonomy',
    {
      config: { roles: STAFF },
      schema: {
        summary: 'The taxonomy that files calls, and every stored version',
        tags: ['topics'],
        response: {
          200: Type.Object({
            active: Type.Object({
              key: Type.String(),
              version: Type.Integer(),
              name: Type.String(),
              categories: Type.Array(TaxonomyNode),
            }),
            versions: Type.Array(
              Type.Object({
                key: Type.String(),
                version: Type.Integer(),
                active: Type.Boolean(),
                source: Type.Union([Type.String(), Type.Null()]),
                created_at: Type.String(),
                calls: Type.Integer({ description: 'calls filed under this version' }),
              }),
            ),
          }),
          ...errors,
        },
      },
    },
    async () => {
      const active = await activeTaxonomy(db)
      if (!active) throw new NotFoundError('no taxonomy is stored yet')
      return {
        active: {
          key: active.key,
          version: active.version,
          name: active.name,
          categories: active.definition.categories,
        },
        versions: (await listTaxonomies(db)).map((t) => ({
          key: t.key,
          version: t.version,
          active: t.active,
          source: t.source,
          created_at: new Date(t.created_at).toISOString(),
          calls: t.calls,
        })),
      }
    },
  )

  app.post(
    '/taxonomy/nodes',
    {
      config: { roles: EDITORS },
      schema: {
        summary:
          'Promote a topic into the taxonomy: a new node under a parent (a new version), audited; promotions made at once are serialised (each builds on the one before; a node already there is 409). Every done call is then filed again in the background: 202, and GET /v1/taxonomy/refiling says how many calls are left',
        tags: ['topics'],
        body: Type.Object(
          {
            parent: Type.Array(Type.String({ pattern: '^[a-z0-9][a-z0-9_-]*$', maxLength: 64 }), {
              maxItems: 2,
            }),
            key: Type.String({ pattern: '^[a-z0-9][a-z0-9_-]*$', maxLength: 64 }),
            label: Type.String({ minLength: 1, maxLength: 200 }),
            label_zh: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
            phrases: Type.Array(Type.String({ minLength: 1, maxLength: 200 }), { minItems: 1, maxItems: 50 }),
            urgency: Type.Optional(
              Type.Union([Type.Literal('P0'), Type.Literal('P1'), Type.Literal('P2'), Type.Literal('P3')]),
            ),
          },
          { additionalProperties: false },
        ),
        response: {
          202: Type.Object({
            taxonomy: Type.Object({ key: Type.String(), version: Type.Integer() }),
            path: Type.Array(Type.String()),
            refile: Type.Object({
              pending_calls: Type.Integer({ description: 'done calls to be filed under the new version' }),
            }),
          }),
          ...errors,
          409: ErrorBody,
        },
      },
    },
    async (request, reply) => {
      const result = await promoteTopic(db, request.user, request.body)
      refiler.kick()
      return reply.code(202).send(result)
    },
  )

  app.get(
    '/taxonomy/refiling',
    {
      config: { roles: LEADS },
      schema: {
        summary: 'How far filing history under the active taxonomy version has got (after a promotion)',
        tags: ['topics'],
        response: {
          200: Type.Object({
            taxonomy: Type.Union([Type.Object({ key: Type.String(), version: Type.Integer() }), Type.Null()]),
            pending_calls: Type.Integer({ description: 'done calls not yet filed under this version' }),
            running: Type.Boolean(),
          }),
          ...errors,
        },
      },
    },
    async () => refiler.status(),
  )
}
