/**
 * Disputes over HTTP: raise one on a submitted review, list and read the ones the caller may see,
 * and decide one. The rules (window, cap, who decides, what an accepted item changes) are in
 * review/disputes.ts.
 */
import { Type } from 'typebox'
import { type DisputeRow, listDisputes } from '../../db/queries/disputes.js'
import { agentScope } from '../../review/access.js'
import { type DisputePolicy, decideDispute, openDispute, readableDispute } from '../../review/disputes.js'
import { ERRORS_AND_CONFLICT, IdParams } from '../schemas.js'
import type { Api } from '../types.js'
import { Dispute } from '../wire.js'

export type { DisputePolicy } from '../../review/disputes.js'

const errors = ERRORS_AND_CONFLICT
const Answer = Type.Union([Type.Literal('pass'), Type.Literal('fail'), Type.Literal('na')])

function present(d: DisputeRow) {
  const { reviewer_id: _r, agent_id: _a, raised_by: _b, ...rest } = d
  return {
    ...rest,
    created_at: new Date(d.created_at).toISOString(),
    decided_at: d.decided_at ? new Date(d.decided_at).toISOString() : null,
  }
}

export async function disputeRoutes(app: Api, { policy }: { policy: DisputePolicy }): Promise<void> {
  const { db } = app
  app.post(
    '/evaluations/:id/disputes',
    {
      config: { roles: ['agent', 'manager', 'admin'] },
      schema: {
        summary: 'Dispute items of a submitted review (within the window, up to the cap per evaluation)',
        tags: ['disputes'],
        params: IdParams,
        body: Type.Object(
          {
            comment: Type.String({ minLength: 1, maxLength: 10_000 }),
            items: Type.Array(
              Type.Object(
                {
                  item_key: Type.String({ minLength: 1 }),
                  proposed: Type.Optional(Answer),
                  comment: Type.Optional(Type.String({ maxLength: 5_000 })),
                },
                { additionalProperties: false },
              ),
              { minItems: 1, maxItems: 200 },
            ),
          },
          { additionalProperties: false },
        ),
        response: { 201: Dispute, ...errors },
      },
    },
    async (request, reply) => {
      const user = request.user
      const id = await db.withTransaction((tx) =>
        openDispute(tx, request.params.id, request.body, user, policy),
      )
      return reply.code(201).send(present(await readableDispute(db, id, user)))
    },
  )

  app.get(
    '/disputes',
    {
      config: { roles: ['admin', 'manager', 'reviewer', 'agent'] },
      schema: {
        summary:
          'Disputes the caller may see (agents: their calls; reviewers: on their reviews), newest first',
        tags: ['disputes'],
        querystring: Type.Object(
          {
            status: Type.Optional(
              Type.Union([
                Type.Literal('open'),
                Type.Literal('accepted'),
                Type.Literal('partially_accepted'),
                Type.Literal('rejected'),
              ]),
            ),
            evaluation_id: Type.Optional(Type.Integer({ minimum: 1 })),
          },
          { additionalProperties: false },
        ),
        response: { 200: Type.Array(Dispute), ...errors },
      },
    },
    async (request) => {
      const user = request.user
      const rows = await listDisputes(
        db,
        { status: request.query.status, evaluationId: request.query.evaluation_id },
        { agent: agentScope(user), reviewer: user.role === 'reviewer' ? user.id : null },
      )
      return rows.map(present)
    },
  )

  app.get(
    '/disputes/:id',
    {
      config: { roles: ['admin', 'manager', 'reviewer', 'agent'] },
      schema: {
        summary: 'One dispute',
        tags: ['disputes'],
        params: IdParams,
        response: { 200: Dispute, ...errors },
      },
    },
    async (request) => present(await readableDispute(db, request.params.id, request.user)),
  )

  app.post(
    '/disputes/:id/decision',
    {
      config: { roles: ['admin', 'reviewer'] },
      schema: {
        summary: "Decide a dispute (the review's reviewer or an admin): accept, partially accept, reject",
        tags: ['disputes'],
        params: IdParams,
        body: Type.Object(
          {
            decision: Type.Union([Type.Literal('accept'), Type.Literal('partial'), Type.Literal('reject')]),
            accepted_items: Type.Optional(
              Type.Array(Type.String({ minLength: 1 }), { minItems: 1, uniqueItems: true }),
            ),
            comment: Type.Optional(Type.String({ maxLength: 10_000 })),
          },
          { additionalProperties: false },
        ),
        response: { 200: Dispute, ...errors },
      },
    },
    async (request) => {
      const user = request.user
      await db.withTransaction((tx) => decideDispute(tx, request.params.id, request.body, user))
      return present(await readableDispute(db, request.params.id, user))
    },
  )
}
