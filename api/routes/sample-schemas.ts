/** The wire shapes of sampling: what a QA lead sends to draw a sample and what comes back. */
import { type Static, Type } from 'typebox'

const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(t: T) => Type.Union([t, Type.Null()])

export const Filters = Type.Object(
  {
    from: Type.Optional(Type.String({ format: 'date-time' })),
    to: Type.Optional(Type.String({ format: 'date-time' })),
    agent: Type.Optional(Type.String()),
    team: Type.Optional(Type.String()),
    queue: Type.Optional(Type.String()),
    direction: Type.Optional(Type.Union([Type.Literal('inbound'), Type.Literal('outbound')])),
    language: Type.Optional(Type.String()),
    urgency: Type.Optional(
      Type.String({ maxLength: 20, description: 'urgency levels, comma-separated: P0,P1' }),
    ),
    category: Type.Optional(
      Type.String({ maxLength: 200, description: 'a taxonomy path or its start: billing/refund' }),
    ),
  },
  { additionalProperties: false },
)

export const SampleBody = Type.Object(
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
          urgent: Type.Optional(
            Type.Object({
              at_most: Type.Integer({ minimum: 0, maximum: 3, description: '1: P0 and P1 calls' }),
              weight: Type.Number({ minimum: 0 }),
            }),
          ),
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
export type SampleBody = Static<typeof SampleBody>

export const Assignment = Type.Object({
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

export const Sample = Type.Object({
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

export const SampleSummary = Type.Object({
  id: Type.Integer(),
  name: Type.String(),
  scorecard: Type.String(),
  seed: Type.String(),
  population: Type.Integer(),
  drawn: Type.Integer(),
  done: Type.Integer(),
  created_at: Type.String(),
})

export const QueueEntry = Type.Object({
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
})
