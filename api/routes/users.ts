/** Users: admins create them over HTTP as `callqa users add` does; the token is returned once. */
import { Type } from 'typebox'
import type { Database } from '../../db/index.js'
import { audit, createUser, ROLES } from '../../db/queries/users.js'
import { ErrorBody } from '../schemas.js'
import { type Api, ApiError } from '../server.js'

export async function userRoutes(app: Api, { db }: { db: Database }): Promise<void> {
  app.get(
    '/me',
    {
      config: { roles: ROLES },
      schema: {
        summary: 'Who the token belongs to',
        tags: ['users'],
        response: {
          200: Type.Object({
            id: Type.Integer(),
            name: Type.String(),
            role: Type.String(),
            agent_id: Type.Union([Type.String(), Type.Null()]),
          }),
          401: ErrorBody,
        },
      },
    },
    async (request) => {
      const { id, name, role, agent_id } = request.user as NonNullable<typeof request.user>
      return { id, name, role, agent_id }
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
      const created = await db.withTransaction(async (tx) => {
        const exists = await tx.query('SELECT 1 FROM users WHERE name = $1', [name])
        if (exists.rows.length > 0)
          throw new ApiError(409, 'QA_ERR_CONFLICT', `there is already a user "${name}"`)
        const made = await createUser(tx, { name, role, agentId: agent_id ?? null })
        await audit(tx, {
          userId: request.user?.id ?? null,
          action: 'user.create',
          entity: 'user',
          entityId: made.user.id,
          after: { name, role, agent_id: made.user.agent_id },
        })
        return made
      })
      return reply.code(201).send({ ...created.user, token: created.token })
    },
  )
}
