/**
 * Calls over HTTP: list and search (filters, transcript search, cursor pagination), one call's
 * detail, its utterances a page at a time, and deletion. Agents see only their own calls
 * (review/access.ts); the recording itself is served by audio.ts.
 */
import { Type } from 'typebox'
import { searchCalls } from '../../db/queries/call-search.js'
import { NotFoundError } from '../../errors.js'
import { deleteCalls } from '../../pipeline/lifecycle.js'
import { agentScope } from '../../review/access.js'
import { callDetail, readableCall, UTTERANCE_PAGE, utterancePage } from '../../review/calls.js'
import { ERRORS, IdParams } from '../schemas.js'
import type { Api } from '../types.js'
import { CallDetail, CallPage, Utterance } from '../wire.js'

const ALL_READERS = ['admin', 'manager', 'trainer', 'reviewer', 'agent'] as const

const ListQuery = Type.Object(
  {
    from: Type.Optional(Type.String({ format: 'date-time', description: 'started at or after (ISO 8601)' })),
    to: Type.Optional(Type.String({ format: 'date-time', description: 'started before (ISO 8601)' })),
    agent: Type.Optional(Type.String()),
    team: Type.Optional(Type.String()),
    queue: Type.Optional(Type.String()),
    direction: Type.Optional(Type.Union([Type.Literal('inbound'), Type.Literal('outbound')])),
    status: Type.Optional(
      Type.Union([
        Type.Literal('queued'),
        Type.Literal('processing'),
        Type.Literal('done'),
        Type.Literal('failed'),
      ]),
    ),
    language: Type.Optional(Type.String()),
    scorecard: Type.Optional(
      Type.String({
        description: 'the card QA % and the QA filters refer to (default: the card that fits each call)',
      }),
    ),
    qa_min: Type.Optional(Type.Number({ minimum: 0, maximum: 100 })),
    qa_max: Type.Optional(Type.Number({ minimum: 0, maximum: 100 })),
    failed_item: Type.Optional(Type.String({ description: 'item key failed in an automatic evaluation' })),
    sentiment_end_max: Type.Optional(Type.Number({ minimum: -1, maximum: 1 })),
    sentiment_end_min: Type.Optional(Type.Number({ minimum: -1, maximum: 1 })),
    trend_max: Type.Optional(Type.Number({ minimum: -2, maximum: 2 })),
    dead_air_min_ms: Type.Optional(Type.Integer({ minimum: 0 })),
    urgency: Type.Optional(
      Type.String({ maxLength: 20, description: 'urgency levels to keep, comma-separated: P0,P1' }),
    ),
    category: Type.Optional(
      Type.String({
        maxLength: 200,
        description: 'a taxonomy path or its start ("billing" or "billing/refund"): any category of the call',
      }),
    ),
    conduct_flagged: Type.Optional(
      Type.Boolean({ description: 'true: calls where the agent said something dismissive or rude' }),
    ),
    q: Type.Optional(Type.String({ minLength: 1, maxLength: 200, description: 'words in the transcript' })),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200, default: 50 })),
    cursor: Type.Optional(Type.String({ maxLength: 200 })),
  },
  { additionalProperties: false },
)

const errors = ERRORS

export async function callRoutes(app: Api, { storageDir }: { storageDir: string }): Promise<void> {
  const { db } = app
  app.get(
    '/calls',
    {
      config: { roles: ALL_READERS },
      schema: {
        summary: 'List and search calls, newest first',
        tags: ['calls'],
        querystring: ListQuery,
        response: { 200: CallPage, ...errors },
      },
    },
    async (request) => searchCalls(db, request.query, agentScope(request.user)),
  )

  app.get(
    '/calls/:id',
    {
      config: { roles: ALL_READERS },
      schema: {
        summary: 'One call: metadata, metrics, segments, utterances (redacted), evaluations',
        tags: ['calls'],
        params: IdParams,
        response: {
          200: CallDetail,
          ...errors,
        },
      },
    },
    async (request) => callDetail(db, request.params.id, request.user),
  )

  app.get(
    '/calls/:id/utterances',
    {
      config: { roles: ALL_READERS },
      schema: {
        summary: `A call's utterances (redacted), ${UTTERANCE_PAGE} at a time, after a given seq`,
        tags: ['calls'],
        params: IdParams,
        querystring: Type.Object(
          {
            after: Type.Optional(Type.Integer({ minimum: -1, default: -1 })),
            limit: Type.Optional(
              Type.Integer({ minimum: 1, maximum: UTTERANCE_PAGE, default: UTTERANCE_PAGE }),
            ),
          },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object({
            items: Type.Array(Utterance),
            next: Type.Union([Type.Integer(), Type.Null()]),
          }),
          ...errors,
        },
      },
    },
    async (request) => {
      const call = await readableCall(db, request.params.id, request.user)
      const page = await utterancePage(
        db,
        call.id as number,
        request.query.after ?? -1,
        request.query.limit ?? UTTERANCE_PAGE,
      )
      return { items: page.items, next: page.next }
    },
  )

  app.delete(
    '/calls/:id',
    {
      config: { roles: ['admin'] },
      schema: {
        summary:
          'Delete a call (admin): its recording and copies, every derived row and its share of the trends; the audit keeps who deleted it and when',
        tags: ['calls'],
        params: IdParams,
        response: {
          200: Type.Object({ call_id: Type.Integer(), deleted: Type.Boolean(), files: Type.Integer() }),
          ...errors,
        },
      },
    },
    async (request) => {
      const report = await deleteCalls(db, storageDir, [request.params.id], {
        userId: request.user.id ?? null,
        reason: 'request',
      })
      if (report.missing.length > 0) throw new NotFoundError(`no call ${request.params.id}`)
      return { call_id: request.params.id, deleted: true, files: report.files }
    },
  )
}
