/** Coaching suggestions over HTTP; how candidates are found is review/suggestions.ts. */
import { Type } from 'typebox'
import { suggestClips } from '../../review/suggestions.js'
import type { Api } from '../types.js'
import { errors, Nullable, Polarity, READERS } from './coaching-schemas.js'

export async function suggestionRoutes(app: Api): Promise<void> {
  const { db } = app
  app.get(
    '/coaching/suggestions',
    {
      config: { roles: READERS },
      schema: {
        summary:
          'Candidate clips: recovery (customer low at the start, high at the end), failed_item or passed_item (examples of a scorecard item)',
        tags: ['coaching'],
        querystring: Type.Object(
          {
            kind: Type.Union([
              Type.Literal('recovery'),
              Type.Literal('failed_item'),
              Type.Literal('passed_item'),
            ]),
            scorecard: Type.Optional(Type.String()),
            item: Type.Optional(Type.String()),
            start_max: Type.Optional(
              Type.Number({
                minimum: -1,
                maximum: 1,
                description: 'recovery: customer sentiment at the start at most (default -0.1)',
              }),
            ),
            end_min: Type.Optional(
              Type.Number({
                minimum: -1,
                maximum: 1,
                description: 'recovery: customer sentiment at the end at least (default 0.1)',
              }),
            ),
            limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: 10 })),
          },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Array(
            Type.Object({
              call_id: Type.Integer(),
              agent_id: Nullable(Type.String()),
              start_ms: Type.Integer(),
              end_ms: Type.Integer(),
              title: Type.String(),
              why: Type.String(),
              scorecard_key: Nullable(Type.String()),
              item_key: Nullable(Type.String()),
              polarity: Polarity,
              score: Type.Number(),
            }),
          ),
          ...errors,
        },
      },
    },
    async (request) => suggestClips(db, request.query),
  )
}
