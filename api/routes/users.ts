/** Users: admins create them over HTTP as `callqa users add` does; the token is returned once. */
import { type Static, Type } from 'typebox'
import { ROLES, type UserSummaryRow, userSummaries, userTeam } from '../../db/queries/users.js'
import { NotFoundError } from '../../errors.js'
import { addUser, issueUserToken, revokeUserToken, setUserDisabled } from '../../review/users.js'
import { ERRORS, ErrorBody, IdParams } from '../schemas.js'
import type { Api } from '../types.js'
import { Me } from '../wire.js'

const UserSummary = Type.Object({
  id: Type.Integer(),
  name: Type.String(),
  role: Type.String(),
  agent_id: Type.Union([Type.String(), Type.Null()]),
  disabled: Type.Boolean(),
  token_expires_at: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
  token_revoked: Type.Boolean(),
  team: Type.Union([Type.String(), Type.Null()], { description: 'follow-up team (from the active rules)' }),
})
const errors = ERRORS

export async function userRoutes(app: Api, { tokenDays = 0 }: { tokenDays?: number }): Promise<void> {
  const { db } = app
  const present = (row: UserSummaryRow): Static<typeof UserSummary> => ({
    ...row,
    token_expires_at: row.token_expires_at ? new Date(row.token_expires_at).toISOString() : null,
  })
  const summary = async (id: number): Promise<Static<typeof UserSummary>> => {
    const row = (await userSummaries(db, id))[0]
    if (!row) throw new NotFoundError(`no user ${id}`)
    return present(row)
  }

  app.get(
    '/users',
    {
      config: { roles: ['admin'] },
      schema: {
        summary: 'Users, whether each is disabled, and when their token expires (admin)',
        tags: ['users'],
        response: { 200: Type.Object({ items: Type.Array(UserSummary) }), ...errors },
      },
    },
    async () => {
      // All users in one query (it was one query per user).
      return { items: (await userSummaries(db)).map(present) }
    },
  )

  app.patch(
    '/users/:id',
    {
      config: { roles: ['admin'] },
      schema: {
        summary: 'Disable or enable a user (admin); a disabled user is refused everywhere at once',
        tags: ['users'],
        params: IdParams,
        body: Type.Object({ disabled: Type.Boolean() }, { additionalProperties: false }),
        response: { 200: UserSummary, ...errors },
      },
    },
    async (request) => {
      await setUserDisabled(db, request.user, request.params.id, request.body.disabled)
      return summary(request.params.id)
    },
  )

  app.post(
    '/users/:id/token',
    {
      config: { roles: ['admin'] },
      schema: {
        summary:
          'Issue a user a new token (admin); the old one stops working; the new one is in this response only',
        tags: ['users'],
        params: IdParams,
        response: {
          201: Type.Object({
            token: Type.String(),
            expires_at: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
          }),
          ...errors,
        },
      },
    },
    async (request, reply) => {
      const issued = await issueUserToken(db, request.user, request.params.id, tokenDays)
      return reply.code(201).send({
        token: issued.token,
        expires_at: issued.expiresAt ? new Date(issued.expiresAt).toISOString() : null,
      })
    },
  )

  app.delete(
    '/users/:id/token',
    {
      config: { roles: ['admin'] },
      schema: {
        summary: "Revoke a user's token (admin): it is refused from now on",
        tags: ['users'],
        params: IdParams,
        response: { 200: UserSummary, ...errors },
      },
    },
    async (request) => {
      await revokeUserToken(db, request.user, request.params.id)
      return summary(request.params.id)
    },
  )

  app.get(
    '/me',
    {
      config: { roles: ROLES },
      schema: {
        summary: 'Who the token belongs to',
        tags: ['users'],
        response: {
          200: Me,
          401: ErrorBody,
        },
      },
    },
    async (request) => {
      const { id, name, role, agent_id } = request.user
      return { id, name, role, agent_id, team: await userTeam(db, id) }
    },
  )

  app.post(
    '/users',
    {
      config: { roles: ['admin'] },
      schema: {
        summary: 'Create a user (admin); the bearer token is in this response only',
        tags: ['users'],
        body: Type.Object(
          {
            name: Type.String({ minLength: 1, maxLength: 100, pattern: '^[^\\s]+$' }),
            role: Type.Union(ROLES.map((r) => Type.Literal(r))),
            agent_id: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
          },
          { additionalProperties: false },
        ),
        response: {
          201: Type.Object({
            id: Type.Integer(),
            name: Type.String(),
            role: Type.String(),
            agent_id: Type.Union([Type.String(), Type.Null()]),
            token: Type.String(),
          }),
          400: ErrorBody,
          401: ErrorBody,
          403: ErrorBody,
          409: ErrorBody,
        },
      },
    },
    async (request, reply) => {
      const { name, role, agent_id } = request.body
      const created = await addUser(db, request.user, { name, role, agentId: agent_id ?? null }, tokenDays)
      return reply.code(201).send({
        id: created.user.id,
        name: created.user.name,
        role: created.user.role,
        agent_id: created.user.agent_id,
        token: created.token,
      })
    },
  )
}
