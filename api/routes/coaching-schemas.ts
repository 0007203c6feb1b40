/** The request and response shapes, and the roles, shared by the coaching routes. */
import { Type } from 'typebox'
import { ERRORS } from '../schemas.js'

export const TRAINERS = ['admin', 'trainer'] as const
export const READERS = ['admin', 'trainer', 'manager', 'reviewer'] as const
/** Agents too, for what a trainer shared with their team (review/coaching.ts assertAgentMayOpen). */
export const SHARED_READERS = [...READERS, 'agent'] as const
export const errors = ERRORS
export const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(t: T) =>
  Type.Union([t, Type.Null()])

export const Tag = Type.String({ minLength: 1, maxLength: 40, pattern: '^[^,\\s][^,]*$' })
export const Polarity = Type.Union([Type.Literal('good'), Type.Literal('bad')])

export const Clip = Type.Object({
  id: Type.Integer(),
  /** null for an agent reading a shared clip of another agent's call */
  call_id: Nullable(Type.Integer()),
  start_ms: Type.Integer(),
  end_ms: Type.Integer(),
  title: Type.String(),
  note: Nullable(Type.String()),
  tags: Type.Array(Type.String()),
  scorecard_key: Nullable(Type.String()),
  item_key: Nullable(Type.String()),
  polarity: Nullable(Type.String()),
  created_by: Nullable(Type.String()),
  created_at: Type.String(),
  agent_id: Nullable(Type.String()),
})

export const ClipFields = {
  title: Type.String({ minLength: 1, maxLength: 200 }),
  note: Type.Optional(Nullable(Type.String({ maxLength: 10_000 }))),
  tags: Type.Optional(Type.Array(Tag, { maxItems: 20, uniqueItems: true })),
  scorecard_key: Type.Optional(Nullable(Type.String({ minLength: 1 }))),
  item_key: Type.Optional(Nullable(Type.String({ minLength: 1 }))),
  polarity: Type.Optional(Nullable(Polarity)),
}
