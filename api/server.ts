/**
 * The review API: fastify, versioned under /v1, TypeBox schemas on every route (so requests are
 * validated and the OpenAPI document at /docs/json is generated from the same source), one error
 * format `{error: {code, message, details}}`, bearer tokens checked against their sha256 and a
 * role list on every route.
 */
import rateLimit from '@fastify/rate-limit'
import swagger from '@fastify/swagger'
import swaggerUi from '@fastify/swagger-ui'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import Fastify, {
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
  type FastifyServerOptions,
  LogController,
} from 'fastify'
import type { Database } from '../db/index.js'
import { listMigrations } from '../db/migrate.js'
import { linkUser, type Role, type UserRow, userByToken } from '../db/queries/users.js'
import { CallqaError, type ErrorCode, isTransientDbError, ValidationError } from '../errors.js'
import type { LiveHub } from '../live/hub.js'
import type { LiveSettings } from '../live/settings.js'
import { resolveFfmpeg } from '../media/ffmpeg.js'
import type { CallProcessor } from '../pipeline/processor.js'
import { type Refiler, startRefiler } from '../pipeline/refile.js'
import { type LinkSigner, linkSigner } from './links.js'
import { metricsRegistry } from './metrics.js'
import { audioRoutes } from './routes/audio.js'
import { calibrationRoutes } from './routes/calibrations.js'
import { callRoutes } from './routes/calls.js'
import { clipRoutes } from './routes/clips.js'
import { type DisputePolicy, disputeRoutes } from './routes/disputes.js'
import { followUpRoutes } from './routes/follow-ups.js'
import { liveRoutes } from './routes/live.js'
import { playlistRoutes } from './routes/playlists.js'
import { reviewRoutes } from './routes/reviews.js'
import { sampleRoutes } from './routes/samples.js'
import { suggestionRoutes } from './routes/suggestions.js'
import { topicRoutes } from './routes/topics.js'
import { trendRoutes } from './routes/trends.js'
import { uploadRoutes } from './routes/uploads.js'
import { userRoutes } from './routes/users.js'
import { HTTP_STATUS } from './status.js'
import { webRoutes } from './web.js'

type LoggerOptions = Exclude<FastifyServerOptions['logger'], boolean | undefined>

/** An error message without the server's file-system paths (storage folder, absolute paths). */
export function withoutPaths(message: string, storageDir: string): string {
  return message.replaceAll(storageDir, 'storage').replace(/(?:\/[^\s/:'"]+){2,}\/([^\s/:'"]+)/g, '$1')
}

/**
 * The server's log: pino JSON lines. A request is logged by its method, route and status, never
 * its query string, headers or body (filters, tokens and uploads carry personal data).
 */
export const serverLogger = (level = 'info'): LoggerOptions =>
  ({
    level,
    stream: process.stderr,
    serializers: {
      req: (request: FastifyRequest) => ({
        method: request.method,
        url: request.url.split('?')[0],
        route: request.routeOptions?.url,
      }),
      res: (reply: FastifyReply) => ({ statusCode: reply.statusCode }),
    },
  }) as LoggerOptions

/** Everything under /v1 is personal data or derived from it: never cached, never sniffed. */
const PERSONAL_DATA_HEADERS = { 'cache-control': 'no-store', 'x-content-type-options': 'nosniff' }

/** The path of the first string holding a NUL byte in a parsed request, if any. */
function findNul(value: unknown, at = ''): string | undefined {
  if (typeof value === 'string') return value.includes('\u0000') ? at || '/' : undefined
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const found = findNul(value[i], `${at}[${i}]`)
      if (found) return found
    }
    return undefined
  }
  if (value && typeof value === 'object' && !Buffer.isBuffer(value)) {
    for (const [k, v] of Object.entries(value)) {
      if (k.includes('\u0000')) return `${at}.${k.replaceAll('\u0000', '\\0')}`
      const found = findNul(v, at ? `${at}.${k}` : k)
      if (found) return found
    }
  }
  return undefined
}

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Roles allowed on the route; absent = public (health checks and docs only). */
    roles?: readonly Role[]
    /** The route also takes a signed link (api/links.ts) in place of a bearer token. */
    signedLinks?: boolean
  }
  interface FastifyRequest {
    /**
     * Who the request speaks for: set by the onRequest hook before any route with roles runs (a
     * request it cannot set is answered 401 there), so such routes and the domain take a user that
     * is there. Public routes (health, docs, the page's files) never read it.
     */
    user: UserRow
  }
}

export interface ServerOptions {
  db: Database
  storageDir: string
  /** fastify's (pino) logger; off in tests. `callqa serve` logs JSON lines to stderr. */
  logger?: boolean | LoggerOptions
  /** whole-request limit (uploads included), ms; default 10 minutes (CALLQA_REQUEST_TIMEOUT_SECONDS) */
  requestTimeoutMs?: number
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
  /** files history again after a taxonomy change, in the background; default: one of this server's */
  refiler?: Refiler
  /** lifetime of tokens issued over the API, days; 0 = until revoked (CALLQA_TOKEN_DAYS) */
  tokenDays?: number
  /** after this many failed sign-ins from one client within a minute, its failures are 429; default 20 */
  authFailuresPerMinute?: number
  /**
   * Which proxies in front of callqa to believe about the client's address (X-Forwarded-For):
   * fastify's trustProxy — true, a number of hops, or addresses/CIDRs (CALLQA_TRUST_PROXY). Default:
   * none, the connection's address is the client.
   */
  trustProxy?: boolean | number | string[]
  /** live calls this server takes (AudioHook, Twilio, plain streams) and its settings; without: 503 */
  live?: { hub: LiveHub; settings: LiveSettings }
  /** the time follow-ups are worked at (due times, overdue); tests drive it; default the system clock */
  clock?: () => Date
  /**
   * The server owns the database: `app.close()` closes it, after every other onClose hook (what
   * stops later still writes: live calls filed, webhooks flushed, workers finishing). Default
   * false: the caller (a test) keeps using it.
   */
  closeDatabase?: boolean
}

/** fastify's trustProxy for a setting: a hop count becomes the function fastify takes for it. */
function trustProxyOption(
  trust: boolean | number | string[],
): boolean | string[] | ((address: string, hop: number) => boolean) {
  return typeof trust === 'number' ? (_address, hop) => hop < trust : trust
}

/**
 * The signed-in user's id, for log lines. The hooks that write them run for every request, public
 * routes and refused sign-ins included, where the auth hook set no user.
 */
const userIdOf = (request: FastifyRequest): number | undefined => (request.user as UserRow | undefined)?.id

/** The review page's static files. */

import type { Api } from './types.js'

export type { Api }

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
    // One read of the user gives both what the signature must be bound to and who it is.
    let found: Awaited<ReturnType<typeof linkUser>>
    const userId = await links.verify(request.url, async (id) => {
      found = await linkUser(db, id)
      return found?.stamp
    })
    return (userId !== undefined && found?.user) || { refused: 'the link is not valid or has expired' }
  }
  if (!token) return { refused: 'a bearer token is required (Authorization: Bearer …)', challenge: 'Bearer' }
  return (
    (await userByToken(db, token)) ?? {
      refused: 'the bearer token is not valid',
      challenge: 'Bearer error="invalid_token"',
    }
  )
}

/** Counts one failed sign-in of a request's client; says how long it must wait when over the limit. */
type FailureCounter = (request: FastifyRequest) => Promise<{ isExceeded?: boolean; ttlInSeconds?: number }>

async function authenticate(
  db: Database,
  links: LinkSigner,
  failed: FailureCounter,
  request: FastifyRequest,
  reply: FastifyReply,
): Promise<void> {
  const { roles } = request.routeOptions.config
  if (!roles) return
  const user = await requestUser(db, links, request)
  if ('refused' in user) {
    // Failed sign-ins are counted per client (its address, through the trusted proxies): past the
    // limit its failures are answered 429 until its minute ends. A valid token is never held back:
    // one client's (or one NAT's) guessing cannot lock out the others, and a token of 256 random
    // bits is not found by guessing, only the load of trying is bounded.
    const count = await failed(request)
    if (count.isExceeded) {
      const wait = Math.max(1, count.ttlInSeconds ?? 60)
      reply.header('retry-after', String(wait))
      await sendError(
        reply,
        429,
        'QA_ERR_RATE_LIMITED',
        `too many failed sign-ins from this client; try again in ${wait} s`,
      )
      return
    }
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
  requestTimeoutMs = 10 * 60_000,
  tokenDays = 0,
  authFailuresPerMinute = 20,
  trustProxy,
  refiler: givenRefiler,
  live,
  clock = () => new Date(),
  closeDatabase = false,
}: ServerOptions): Promise<Api> {
  const links = linkSigner(linkSecret)
  const app = Fastify({
    logger,
    // One line per request (below), not fastify's two.
    logController: new LogController({ disableRequestLogging: true }),
    // A request (an upload included) has this long in all; a connection idle for a minute is
    // closed; headers must arrive within 30 s. A 100 B/s upload no longer holds a socket forever.
    requestTimeout: requestTimeoutMs,
    connectionTimeout: 60_000,
    http: { headersTimeout: 30_000 },
    ajv: { customOptions: { coerceTypes: 'array', allErrors: true, removeAdditional: false } },
    ...(trustProxy !== undefined ? { trustProxy: trustProxyOption(trustProxy) } : {}),
  }).withTypeProvider<TypeBoxTypeProvider>()

  // The database, decorated: every route group takes it from the instance. fastify runs onClose
  // hooks last-added first, so this one, added first, closes the database after everything else
  // the server (and `callqa serve`, which adds its services' stops later) shuts down.
  app.decorate('db', db)
  if (closeDatabase) app.addHook('onClose', async () => db.close())

  // Filing history under a new taxonomy version runs beside the requests, not in one (`callqa
  // serve` also starts one run at start-up: a server that stopped half-way finishes the work).
  const refiler =
    givenRefiler ?? startRefiler({ db, onError: (err) => app.log.error({ err }, 'refiling calls failed') })
  app.addHook('onClose', async () => {
    if (!givenRefiler) await refiler.stop()
  })

  await app.register(swagger, {
    openapi: {
      info: { title: 'callqa review API', version: '1' },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
      security: [{ bearer: [] }],
    },
  })
  // The docs page runs only its own scripts and styles (hashes of its inline ones).
  await app.register(swaggerUi, { routePrefix: '/docs', staticCSP: true })

  // (Hooks here take callbacks, not promises: they run on every request.)
  app.addHook('onRequest', (request, reply, done) => {
    if (request.url.startsWith('/v1/')) reply.headers(PERSONAL_DATA_HEADERS)
    done()
  })

  // Failed sign-ins per client and minute, counted by @fastify/rate-limit (its store is bounded);
  // only failures are counted, so the limit applies to nothing else.
  await app.register(rateLimit, { global: false })
  const failures = app.createRateLimit({
    max: authFailuresPerMinute,
    timeWindow: 60_000,
    keyGenerator: (request) => request.ip,
  }) as FailureCounter
  app.addHook('onRequest', async (request, reply) =>
    authenticate(db, links, failures, request as FastifyRequest, reply as FastifyReply),
  )
  // A NUL byte anywhere in a request's query, path or JSON body is refused up front (Postgres
  // cannot store one; it used to become a 500 deep inside a query).
  app.addHook('preValidation', (request, _reply, done) => {
    const where = findNul({ query: request.query, params: request.params, body: request.body })
    done(where ? new ValidationError(`NUL bytes are not accepted (in ${where})`) : undefined)
  })
  // A WebSocket upgrade answered over HTTP (refused: no key, a bad signature, a wrong role) leaves
  // its socket outside the server's connection tracking: it is ended here, or it would hold the
  // server open on close.
  app.addHook('onResponse', (request, _reply, done) => {
    if (request.headers.upgrade && !request.raw.socket?.destroyed) request.raw.socket?.end()
    done()
  })
  app.addHook('onResponse', (request, reply, done) => {
    const failed = reply.statusCode >= 500
    if (failed || (request.log as { isLevelEnabled?: (level: string) => boolean }).isLevelEnabled?.('info')) {
      const line = { req: request, res: reply, ms: Math.round(reply.elapsedTime), user: userIdOf(request) }
      if (failed) request.log.error(line, 'request failed')
      else request.log.info(line, 'request')
    }
    done()
  })
  // A request that never got its answer (the connection timed out, or the client went away) is
  // logged too: without this a dropped request left no line at all.
  app.addHook('onTimeout', (request, reply, done) => {
    request.log.warn(
      { req: request, ms: Math.round(reply.elapsedTime), user: userIdOf(request) },
      'request dropped: the connection timed out before the answer',
    )
    done()
  })
  app.addHook('onRequestAbort', (request, done) => {
    request.log.info({ req: request, user: userIdOf(request) }, 'request abandoned by the client')
    done()
  })
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
    (error: Error & { validation?: unknown[]; statusCode?: number; code?: string }, request, reply) => {
      // The database is restarting or unreachable: try again shortly, not "internal error".
      if (isTransientDbError(error)) {
        request.log.warn({ err: { code: error.code, message: error.message } }, 'database unavailable')
        reply.header('retry-after', '5')
        return sendError(
          reply,
          503,
          'QA_ERR_DB_UNAVAILABLE',
          'the database is unavailable; try again shortly',
        )
      }
      // A coded error: its status comes from the one table (api/status.ts); its message names no
      // server path (a stored recording ffmpeg cannot read says so, without the storage folder).
      if (error instanceof CallqaError) {
        const status = HTTP_STATUS[error.code as ErrorCode] ?? 500
        if (status === 500) {
          request.log.error({ err: error }, 'internal error')
          return sendError(reply, 500, error.code, 'internal error')
        }
        return sendError(reply, status, error.code, withoutPaths(error.message, storageDir), error.details)
      }
      // Two requests creating the same thing at once: the loser's unique violation is a conflict.
      if (error.code === '23505')
        return sendError(reply, 409, 'QA_ERR_CONFLICT', 'this would duplicate something that already exists')
      if (error.validation) {
        const details = (
          error.validation as Array<{ instancePath: string; message?: string; params?: unknown }>
        ).map((v) => ({ path: v.instancePath || '/', message: v.message ?? 'invalid', params: v.params }))
        return sendError(reply, 400, 'QA_ERR_VALIDATION', error.message, details)
      }
      const status =
        error.statusCode && error.statusCode >= 400 && error.statusCode < 500 ? error.statusCode : 500
      if (status === 500) request.log.error({ err: error }, 'internal error')
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
  const { registry: metrics, close: closeMetrics } = metricsRegistry(db, live?.hub)
  app.addHook('onClose', async () => closeMetrics())
  app.get(
    '/metrics',
    {
      config: { roles: ['admin'] },
      schema: {
        summary: 'Prometheus metrics (text format): live calls, alerts, queue, webhooks, the process',
        tags: ['operations'],
      },
    },
    async (_request, reply) => reply.type(metrics.contentType).send(await metrics.metrics()),
  )
  app.get('/readyz', { schema: { hide: true } }, async (_request, reply) => {
    try {
      // Ready means answering: the calls table must be readable within 2 s (a locked table or a
      // stuck server is not ready, however reachable).
      const applied = await db.withTransaction(async (tx) => {
        await tx.query("SET LOCAL statement_timeout = '2s'")
        await tx.query('SELECT 1 FROM calls LIMIT 1')
        return tx.query<{ version: number }>('SELECT version FROM callqa_migrations')
      })
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

  // Each route group is a plugin of its own (fastify encapsulation): what one registers — the
  // upload's multipart parser — applies to its routes only, not to every /v1 route.
  await app.register(
    async (v1) => {
      await v1.register(callRoutes, { storageDir })
      await v1.register(audioRoutes, { storageDir, ffmpegPath, links })
      await v1.register(userRoutes, { tokenDays })
      await v1.register(reviewRoutes)
      await v1.register(trendRoutes)
      await v1.register(topicRoutes, { refiler })
      await v1.register(sampleRoutes)
      await v1.register(calibrationRoutes)
      await v1.register(disputeRoutes, { policy: disputes })
      await v1.register(clipRoutes, { storageDir, ffmpegPath, links })
      await v1.register(playlistRoutes)
      await v1.register(suggestionRoutes)
      await v1.register(uploadRoutes, { storageDir, processor, maxUploadBytes })
      await v1.register(followUpRoutes, { clock })
      await v1.register(liveRoutes, { links, hub: live?.hub, settings: live?.settings })
    },
    { prefix: '/v1' },
  )
  // The review page at /, public like /docs (the data behind it needs a token).
  await webRoutes(app as unknown as FastifyInstance)
  return app as Api
}
