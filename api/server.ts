/**
 * The review API: fastify, versioned under /v1, TypeBox schemas on every route (so requests are
 * validated and the OpenAPI document at /docs/json is generated from the same source), one error
 * format `{error: {code, message, details}}`, bearer tokens checked against their sha256 and a
 * role list on every route.
 */
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import fastifyStatic from '@fastify/static'
import swagger from '@fastify/swagger'
import swaggerUi from '@fastify/swagger-ui'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify'
import type { Database } from '../db/index.js'
import { listMigrations } from '../db/migrate.js'
import { type Role, type UserRow, userById, userByToken } from '../db/queries/users.js'
import { AudioDecodeError } from '../errors.js'
import type { CallProcessor } from '../pipeline/processor.js'
import { resolveFfmpeg } from '../workers/ffmpeg.js'
import { type LinkSigner, linkSigner } from './links.js'
import { calibrationRoutes } from './routes/calibrations.js'
import { callRoutes } from './routes/calls.js'
import { coachingRoutes } from './routes/coaching.js'
import { type DisputePolicy, disputeRoutes } from './routes/disputes.js'
import { reviewRoutes } from './routes/reviews.js'
import { sampleRoutes } from './routes/samples.js'
import { trendRoutes } from './routes/trends.js'
import { uploadRoutes } from './routes/uploads.js'
import { userRoutes } from './routes/users.js'

export class ApiError extends Error {
  constructor(
    readonly statusCode: number,
    readonly code: string,
    message: string,
    readonly details?: unknown,
  ) {
    super(message)
  }
}

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Roles allowed on the route; absent = public (health checks and docs only). */
    roles?: readonly Role[]
    /** The route also takes a signed link (api/links.ts) in place of a bearer token. */
    signedLinks?: boolean
  }
  interface FastifyRequest {
    user?: UserRow
  }
}

export interface ServerOptions {
  db: Database
  storageDir: string
  /** fastify's logger; off in tests */
  logger?: boolean
  /** dispute window and cap; default 14 days, 2 per evaluation */
  disputes?: DisputePolicy
  /** ffmpeg for cutting clips; default: system ffmpeg, else the npm one */
  ffmpegPath?: string
  /** where uploaded and swapped calls go to be analysed; without one those routes answer 503 */
  processor?: CallProcessor
  /** largest upload in bytes; default 500 MB */
  maxUploadBytes?: number
  /** key signing audio links; default random per process */
  linkSecret?: string
}

/** The review page's static files. */
const webDir = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'web')

export type Api = FastifyInstance<
  import('node:http').Server,
  import('node:http').IncomingMessage,
  import('node:http').ServerResponse,
  import('fastify').FastifyBaseLogger,
  TypeBoxTypeProvider
>

function sendError(reply: FastifyReply, status: number, code: string, message: string, details?: unknown) {
  return reply.code(status).send({ error: { code, message, ...(details === undefined ? {} : { details }) } })
}

/** The user a request speaks for (a bearer token, or a signed link where the route takes one), else why not. */
async function requestUser(
  db: Database,
  links: LinkSigner,
  request: FastifyRequest,
): Promise<UserRow | { refused: string; challenge?: string }> {
  const token = /^Bearer\s+(\S+)$/i.exec(request.headers.authorization ?? '')?.[1]
  if (!token && request.routeOptions.config.signedLinks && /[?&]sig=/.test(request.url)) {
    const userId = links.verify(request.url)
    const user = userId === undefined ? undefined : await userById(db, userId)
    return user ?? { refused: 'the link is not valid or has expired' }
  }
  if (!token) return { refused: 'a bearer token is required (Authorization: Bearer …)', challenge: 'Bearer' }
  return (
    (await userByToken(db, token)) ?? {
      refused: 'the bearer token is not valid',
      challenge: 'Bearer error="invalid_token"',
    }
  )
}

async function authenticate(
  db: Database,
  links: LinkSigner,
  request: FastifyRequest,
  reply: FastifyReply,
): Promise<void> {
  const { roles } = request.routeOptions.config
  if (!roles) return
  const user = await requestUser(db, links, request)
  if ('refused' in user) {
    if (user.challenge) reply.header('www-authenticate', user.challenge)
    await sendError(reply, 401, 'QA_ERR_UNAUTHENTICATED', user.refused)
    return
  }
  if (!roles.includes(user.role)) {
    await sendError(
      reply,
      403,
      'QA_ERR_FORBIDDEN',
      `role ${user.role} may not ${request.method} ${request.routeOptions.url}`,
    )
    return
  }
  request.user = user
}

export async function buildServer({
  db,
  storageDir,
  logger = false,
  disputes = { windowDays: 14, cap: 2 },
  ffmpegPath = resolveFfmpeg().path,
  processor,
  maxUploadBytes = 500 * 1024 * 1024,
  linkSecret,
}: ServerOptions): Promise<Api> {
  const links = linkSigner(linkSecret)
  const app = Fastify({
    logger,
    ajv: { customOptions: { coerceTypes: 'array', allErrors: true, removeAdditional: false } },
  }).withTypeProvider<TypeBoxTypeProvider>()

  await app.register(swagger, {
    openapi: {
      info: { title: 'callqa review API', version: '1' },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
      security: [{ bearer: [] }],
    },
  })
  await app.register(swaggerUi, { routePrefix: '/docs' })

  app.addHook('onRequest', async (request, reply) => authenticate(db, links, request, reply))
  // The roles of every route go into its OpenAPI description, so the docs say who may call what
  // (and the auth test walks every documented route with every role).
  app.addHook('onRoute', (route) => {
    const roles = route.config?.roles
    if (!roles || !route.schema) return
    const line = `Roles: ${roles.join(', ')}.`
    route.schema = {
      ...route.schema,
      description: route.schema.description ? `${route.schema.description}\n\n${line}` : line,
    }
  })

  app.setErrorHandler(
    (error: Error & { validation?: unknown[]; statusCode?: number; code?: string }, _request, reply) => {
      if (error instanceof ApiError)
        return sendError(reply, error.statusCode, error.code, error.message, error.details)
      // A stored recording ffmpeg cannot read (a playable copy, a clip): say so, not "internal".
      if (error instanceof AudioDecodeError) return sendError(reply, 422, error.code, error.message)
      if (error.validation) {
        const details = (
          error.validation as Array<{ instancePath: string; message?: string; params?: unknown }>
        ).map((v) => ({ path: v.instancePath || '/', message: v.message ?? 'invalid', params: v.params }))
        return sendError(reply, 400, 'QA_ERR_VALIDATION', error.message, details)
      }
      const status =
        error.statusCode && error.statusCode >= 400 && error.statusCode < 500 ? error.statusCode : 500
      if (status === 500) app.log.error(error)
      return sendError(
        reply,
        status,
        status === 500 ? 'QA_ERR_INTERNAL' : `QA_ERR_HTTP_${status}`,
        status === 500 ? 'internal error' : error.message,
      )
    },
  )
  app.setNotFoundHandler((request, reply) =>
    sendError(reply, 404, 'QA_ERR_NOT_FOUND', `no route ${request.method} ${request.url.split('?')[0]}`),
  )

  app.get('/healthz', { schema: { hide: true } }, async () => ({ status: 'ok' }))
  app.get('/readyz', { schema: { hide: true } }, async (_request, reply) => {
    try {
      const applied = await db.query<{ version: number }>('SELECT version FROM callqa_migrations')
      const have = new Set(applied.rows.map((r) => r.version))
      const missing = listMigrations()
        .filter((m) => !have.has(m.version))
        .map((m) => m.name)
      if (missing.length > 0)
        return sendError(reply, 503, 'QA_ERR_NOT_READY', 'migrations are not applied', { missing })
      return { status: 'ready', migrations: have.size }
    } catch (cause) {
      return sendError(reply, 503, 'QA_ERR_NOT_READY', `database unreachable: ${(cause as Error).message}`)
    }
  })

  await app.register(
    async (v1) => {
      await callRoutes(v1 as unknown as Api, { db, storageDir, ffmpegPath, links })
      await userRoutes(v1 as unknown as Api, { db })
      await reviewRoutes(v1 as unknown as Api, { db })
      await trendRoutes(v1 as unknown as Api, { db })
      await sampleRoutes(v1 as unknown as Api, { db })
      await calibrationRoutes(v1 as unknown as Api, { db })
      await disputeRoutes(v1 as unknown as Api, { db, policy: disputes })
      await coachingRoutes(v1 as unknown as Api, { db, storageDir, ffmpegPath })
      await uploadRoutes(v1 as unknown as Api, { db, storageDir, processor, maxUploadBytes })
    },
    { prefix: '/v1' },
  )
  // The review page at /: static files, public like /docs (the data behind it needs a token).
  await app.register(fastifyStatic, {
    root: webDir,
    prefix: '/',
    index: 'index.html',
    wildcard: false,
    // Only the page's own files run, load and style it: no inline script or style, no framing.
    setHeaders: (reply) => {
      reply.header(
        'content-security-policy',
        "default-src 'self'; script-src 'self'; style-src 'self'; media-src 'self'; img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
      )
      reply.header('x-content-type-options', 'nosniff')
      reply.header('referrer-policy', 'no-referrer')
    },
  })
  return app as Api
}
