/**
 * Sampling: draw calls for review by a rule and a seed (reproducible: the same rule and seed over
 * the same calls draws the same calls), assign them evenly to reviewers under a daily cap, and
 * give each reviewer their queue.
 */
import { randomBytes } from 'node:crypto'
import { type Static, Type } from 'typebox'
import { addCallFilters, Conditions } from '../../db/conditions.js'
import type { Database, Queryable } from '../../db/index.js'
import { latestScorecard } from '../../db/queries/scorecards.js'
import { audit } from '../../db/queries/users.js'
import { NotFoundError, ValidationError } from '../../errors.js'
import {
  assign,
  type Candidate,
  DEFAULT_RISK,
  draw,
  type SampleRule,
  stratumOf,
} from '../../review/sampling.js'
import { ErrorBody } from '../schemas.js'
import type { Api } from '../types.js'

const PLANNERS = ['admin', 'manager', 'reviewer'] as const
const errors = { 400: ErrorBody, 401: ErrorBody, 403: ErrorBody, 404: ErrorBody }
const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(t: T) => Type.Union([t, Type.Null()])

const Filters = Type.Object(
  {
    from: Type.Optional(Type.String({ format: 'date-time' })),
    to: Type.Optional(Type.String({ format: 'date-time' })),
    agent: Type.Optional(Type.String()),
    team: Type.Optional(Type.String()),
    queue: Type.Optional(Type.String()),
    direction: Type.Optional(Type.Union([Type.Literal('inbound'), Type.Literal('outbound')])),
    language: Type.Optional(Type.String()),
  },
  { additionalProperties: false },
)

const SampleBody = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 200 }),
    scorecard: Type.String({ minLength: 1, description: 'key of the scorecard the calls are reviewed with' }),
    method: Type.Union([
      Type.Literal('random'),
      Type.Literal('per_agent'),
      Type.Literal('stratified'),
      Type.Literal('risk'),
    ]),
    n: Type.Integer({ minimum: 1, maximum: 10_000, description: 'calls in all, or per agent and period' }),
    period: Type.Optional(Type.Union([Type.Literal('day'), Type.Literal('week'), Type.Literal('month')])),
    strata: Type.Optional(
      Type.Union([
        Type.Literal('agent'),
        Type.Literal('team'),
        Type.Literal('queue'),
        Type.Literal('language'),
        Type.Literal('direction'),
      ]),
    ),
    risk: Type.Optional(
      Type.Object(
        {
          low_score: Type.Optional(
            Type.Object({
              below: Type.Number({ minimum: 0, maximum: 100 }),
              weight: Type.Number({ minimum: 0 }),
            }),
          ),
          negative_trend: Type.Optional(
            Type.Object({
              at_most: Type.Number({ minimum: -2, maximum: 2 }),
              weight: Type.Number({ minimum: 0 }),
            }),
          ),
          dead_air: Type.Optional(
            Type.Object({ min_ms: Type.Integer({ minimum: 0 }), weight: Type.Number({ minimum: 0 }) }),
          ),
          fatal: Type.Optional(Type.Object({ weight: Type.Number({ minimum: 0 }) })),
        },
        { additionalProperties: false },
      ),
    ),
    filters: Type.Optional(Filters),
    seed: Type.Optional(Type.String({ minLength: 1, maxLength: 100, description: 'default: a random one' })),
    include_reviewed: Type.Optional(
      Type.Boolean({ description: 'also draw calls already reviewed on this scorecard (default false)' }),
    ),
    assign: Type.Optional(
      Type.Object(
        {
          reviewers: Type.Optional(
            Type.Array(Type.String({ minLength: 1 }), {
              minItems: 1,
              maxItems: 200,
              description: 'user names; default every enabled reviewer',
            }),
          ),
          cap_per_day: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 })),
          start_on: Type.Optional(Type.String({ format: 'date' })),
        },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false },
)
type SampleBody = Static<typeof SampleBody>

const Assignment = Type.Object({
  call_id: Type.Integer(),
  rank: Type.Integer(),
  weight: Type.Number(),
  stratum: Nullable(Type.String()),
  reasons: Type.Optional(Type.Array(Type.String())),
  reviewer: Nullable(Type.String()),
  due_on: Nullable(Type.String()),
  status: Type.Optional(Type.String()),
  evaluation_id: Type.Optional(Nullable(Type.Integer())),
})

const Sample = Type.Object({
  id: Type.Optional(Type.Integer()),
  name: Type.String(),
  scorecard: Type.String(),
  rule: Type.Record(Type.String(), Type.Unknown()),
  seed: Type.String(),
  population: Type.Integer(),
  drawn: Type.Integer(),
  /** eligible and drawn calls per stratum: shows the draw followed the population */
  strata: Type.Array(
    Type.Object({ stratum: Type.String(), population: Type.Integer(), drawn: Type.Integer() }),
  ),
  assignments: Type.Array(Assignment),
  created_at: Type.Optional(Type.String()),
})

/**
 * The calls a sample may draw from: analysed, evaluated automatically on the card (so the card
 * applies and a review can start from that evaluation), inside the filters, not yet reviewed on it.
 */
async function population(
  db: Queryable,
  scorecardKey: string,
  filters: Static<typeof Filters>,
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
            m.dead_air_longest_ms
     FROM calls c
     LEFT JOIN call_metrics m ON m.call_id = c.id
     JOIN LATERAL (
       SELECT e.percent, e.fatal_failed FROM evaluations e JOIN scorecards s ON s.id = e.scorecard_id
       WHERE e.call_id = c.id AND e.source = 'auto' AND s.key = $1 ORDER BY s.version DESC LIMIT 1
     ) a ON true
     WHERE ${where.sql}`,
    where.params,
  )
  return res.rows
}

function ruleOf(body: SampleBody): SampleRule & Record<string, unknown> {
  return {
    method: body.method,
    n: body.n,
    ...(body.method === 'per_agent' ? { period: body.period ?? 'week' } : {}),
    ...(body.method === 'stratified' ? { strata: body.strata ?? 'team' } : {}),
    ...(body.method === 'risk' ? { risk: { ...DEFAULT_RISK, ...body.risk } } : {}),
    filters: body.filters ?? {},
    include_reviewed: body.include_reviewed ?? false,
  }
}

/** Draws (and plans the assignments of) a sample without writing anything. */
async function plan(db: Queryable, body: SampleBody) {
  const card = await latestScorecard(db, body.scorecard)
  if (!card) throw new ValidationError(`no scorecard "${body.scorecard}"`)
  if (body.method !== 'per_agent' && body.period)
    throw new ValidationError('period applies only to method per_agent')
  if (body.method !== 'stratified' && body.strata)
    throw new ValidationError('strata applies only to method stratified')
  if (body.method !== 'risk' && body.risk) throw new ValidationError('risk applies only to method risk')
  const rule = ruleOf(body)
  const seed = body.seed ?? randomBytes(9).toString('base64url')
  const candidates = await population(db, body.scorecard, body.filters ?? {}, body.include_reviewed ?? false)
  const drawn = draw(candidates, rule, seed)

  let reviewerIds: number[] = []
  const names = new Map<number, string>()
  if (body.assign) {
    const wanted = body.assign.reviewers
    const res = await db.query<{ id: number; name: string; role: string }>(
      wanted
        ? 'SELECT id, name, role FROM users WHERE name = ANY($1::text[]) AND NOT disabled'
        : "SELECT id, name, role FROM users WHERE role = 'reviewer' AND NOT disabled ORDER BY id",
      wanted ? [wanted] : [],
    )
    const found = new Map(res.rows.map((r) => [r.name, r]))
    if (wanted) {
      const problems = wanted.flatMap((name) => {
        const user = found.get(name)
        if (!user) return [`${name}: no such (enabled) user`]
        if (user.role !== 'reviewer' && user.role !== 'admin')
          return [`${name}: role ${user.role} does not review`]
        return []
      })
      if (problems.length > 0)
        throw new ValidationError('cannot assign to these reviewers', { details: problems })
      reviewerIds = [...new Set(wanted)].map((name) => (found.get(name) as { id: number }).id)
    } else reviewerIds = res.rows.map((r) => r.id)
    if (reviewerIds.length === 0) throw new ValidationError('there are no reviewers to assign to')
    for (const r of res.rows) names.set(r.id, r.name)
  }
  const startOn = body.assign?.start_on ?? new Date().toISOString().slice(0, 10)
  const plan = assign(drawn, reviewerIds, {
    startOn,
    ...(body.assign?.cap_per_day ? { capPerDay: body.assign.cap_per_day } : {}),
  })

  const strataCounts = new Map<string, { population: number; drawn: number }>()
  if (rule.method === 'stratified') {
    for (const c of candidates) {
      const key = stratumOf(c, rule.strata ?? 'team')
      const entry = strataCounts.get(key) ?? { population: 0, drawn: 0 }
      entry.population++
      strataCounts.set(key, entry)
    }
    for (const d of drawn) (strataCounts.get(d.stratum as string) as { drawn: number }).drawn++
  }
  return {
    card,
    rule,
    seed,
    population: candidates.length,
    drawn,
    plan,
    names,
    strata: [...strataCounts]
      .map(([stratum, v]) => ({ stratum, ...v }))
      .sort((a, b) => (a.stratum < b.stratum ? -1 : 1)),
  }
}

async function loadSample(db: Queryable, id: number) {
  const res = await db.query<{
    id: number
    name: string
    rule: Record<string, unknown>
    seed: string
    population: number
    created_at: string
    scorecard: string
  }>(
    `SELECT s.id, s.name, s.rule, s.seed, s.population, s.created_at, sc.key AS scorecard
     FROM samples s JOIN scorecards sc ON sc.id = s.scorecard_id WHERE s.id = $1`,
    [id],
  )
  const sample = res.rows[0]
  if (!sample) throw new NotFoundError(`no sample ${id}`)
  const rows = await db.query<Static<typeof Assignment>>(
    `SELECT a.call_id, a.rank, a.weight, a.stratum, u.name AS reviewer, to_char(a.due_on, 'YYYY-MM-DD') AS due_on,
            a.status, a.evaluation_id
     FROM review_assignments a LEFT JOIN users u ON u.id = a.reviewer_id WHERE a.sample_id = $1 ORDER BY a.rank`,
    [id],
  )
  const strata = new Map<string, number>()
  for (const a of rows.rows) if (a.stratum) strata.set(a.stratum, (strata.get(a.stratum) ?? 0) + 1)
  const stored = (sample.rule.strata_population ?? {}) as Record<string, number>
  return {
    id: sample.id,
    name: sample.name,
    scorecard: sample.scorecard,
    rule: sample.rule,
    seed: sample.seed,
    population: sample.population,
    drawn: rows.rows.length,
    strata: Object.entries(stored).map(([stratum, population]) => ({
      stratum,
      population,
      drawn: strata.get(stratum) ?? 0,
    })),
    assignments: rows.rows,
    created_at: new Date(sample.created_at).toISOString(),
  }
}

export async function sampleRoutes(app: Api, { db }: { db: Database }): Promise<void> {
  app.post(
    '/samples/preview',
    {
      config: { roles: PLANNERS },
      schema: {
        summary: 'Draw a sample without saving it (same rule and seed → same calls)',
        tags: ['sampling'],
        body: SampleBody,
        response: { 200: Sample, ...errors },
      },
    },
    async (request) => {
      const p = await plan(db, request.body)
      return {
        name: request.body.name,
        scorecard: p.card.key,
        rule: p.rule,
        seed: p.seed,
        population: p.population,
        drawn: p.drawn.length,
        strata: p.strata,
        assignments: p.drawn.map((d) => {
          const a = p.plan.get(d.id)
          return {
            call_id: d.id,
            rank: d.rank,
            weight: d.weight,
            stratum: d.stratum,
            reasons: d.reasons,
            reviewer: a ? (p.names.get(a.reviewerId) ?? null) : null,
            due_on: a?.dueOn ?? null,
          }
        }),
      }
    },
  )

  app.post(
    '/samples',
    {
      config: { roles: PLANNERS },
      schema: {
        summary: 'Draw a sample by a rule and seed, and assign its calls to reviewers',
        tags: ['sampling'],
        body: SampleBody,
        response: { 201: Sample, ...errors },
      },
    },
    async (request, reply) => {
      const id = await db.withTransaction(async (tx) => {
        const p = await plan(tx, request.body)
        const rule = {
          ...p.rule,
          strata_population: Object.fromEntries(p.strata.map((s) => [s.stratum, s.population])),
        }
        const created = await tx.query<{ id: number }>(
          `INSERT INTO samples (name, rule, seed, scorecard_id, population, created_by)
           VALUES ($1, $2::jsonb, $3, $4, $5, $6) RETURNING id`,
          [
            request.body.name,
            JSON.stringify(rule),
            p.seed,
            p.card.id,
            p.population,
            request.user?.id ?? null,
          ],
        )
        const sampleId = created.rows[0]?.id as number
        if (p.drawn.length > 0) {
          const a = p.drawn.map((d) => p.plan.get(d.id))
          await tx.query(
            `INSERT INTO review_assignments (sample_id, call_id, rank, weight, stratum, reviewer_id, due_on)
             SELECT $1, * FROM unnest($2::bigint[], $3::int[], $4::real[], $5::text[], $6::bigint[], $7::date[])`,
            [
              sampleId,
              p.drawn.map((d) => d.id),
              p.drawn.map((d) => d.rank),
              p.drawn.map((d) => d.weight),
              p.drawn.map((d) => d.stratum),
              a.map((x) => x?.reviewerId ?? null),
              a.map((x) => x?.dueOn ?? null),
            ],
          )
        }
        await audit(tx, {
          userId: request.user?.id ?? null,
          action: 'sample.create',
          entity: 'sample',
          entityId: sampleId,
          after: { rule, seed: p.seed, population: p.population, drawn: p.drawn.length },
        })
        return sampleId
      })
      return reply.code(201).send(await loadSample(db, id))
    },
  )

  app.get(
    '/samples',
    {
      config: { roles: PLANNERS },
      schema: {
        summary: 'Samples, newest first',
        tags: ['sampling'],
        response: {
          200: Type.Array(
            Type.Object({
              id: Type.Integer(),
              name: Type.String(),
              scorecard: Type.String(),
              seed: Type.String(),
              population: Type.Integer(),
              drawn: Type.Integer(),
              done: Type.Integer(),
              created_at: Type.String(),
            }),
          ),
          ...errors,
        },
      },
    },
    async () => {
      const res = await db.query<{
        id: number
        name: string
        scorecard: string
        seed: string
        population: number
        drawn: number
        done: number
        created_at: string
      }>(
        `SELECT s.id, s.name, sc.key AS scorecard, s.seed, s.population, s.created_at,
                (SELECT count(*)::int FROM review_assignments a WHERE a.sample_id = s.id) AS drawn,
                (SELECT count(*)::int FROM review_assignments a WHERE a.sample_id = s.id AND a.status = 'done') AS done
         FROM samples s JOIN scorecards sc ON sc.id = s.scorecard_id ORDER BY s.id DESC LIMIT 200`,
      )
      return res.rows.map((r) => ({ ...r, created_at: new Date(r.created_at).toISOString() }))
    },
  )

  app.get(
    '/samples/:id',
    {
      config: { roles: PLANNERS },
      schema: {
        summary: 'A sample: its rule, seed, population, strata and assignments',
        tags: ['sampling'],
        params: Type.Object({ id: Type.Integer({ minimum: 1 }) }),
        response: { 200: Sample, ...errors },
      },
    },
    async (request) => loadSample(db, request.params.id),
  )

  app.get(
    '/me/queue',
    {
      config: { roles: ['admin', 'reviewer'] },
      schema: {
        summary: "The caller's open review assignments, due first",
        tags: ['sampling'],
        querystring: Type.Object(
          { all: Type.Optional(Type.Boolean({ description: 'also assignments due after today' })) },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Array(
            Type.Object({
              assignment_id: Type.Integer(),
              sample_id: Type.Integer(),
              sample: Type.String(),
              scorecard: Type.String(),
              call_id: Type.Integer(),
              due_on: Nullable(Type.String()),
              agent_id: Nullable(Type.String()),
              started_at: Nullable(Type.String()),
              duration_ms: Nullable(Type.Integer()),
              auto_evaluation_id: Nullable(Type.Integer()),
              draft_review_id: Nullable(Type.Integer()),
            }),
          ),
          ...errors,
        },
      },
    },
    async (request) => {
      const res = await db.query<{
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
      }>(
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
        [request.user?.id, request.query.all ?? false],
      )
      return res.rows.map((r) => ({
        ...r,
        started_at: r.started_at ? new Date(r.started_at).toISOString() : null,
      }))
    },
  )
}
