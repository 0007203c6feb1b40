/**
 * Live calls over HTTP and WebSocket: the three ways audio comes in (Genesys AudioHook, Twilio
 * Media Streams, a plain stream), the supervisors' event stream (server-sent events), the calls in
 * progress, live transcript lines, and acknowledging an alert. The protocols themselves live in
 * live/; these routes check who is asking, before any audio is taken, and hand the socket over.
 */
import websocket from '@fastify/websocket'
import type { FastifyReply, FastifyRequest } from 'fastify'
import { Type } from 'typebox'
import { acknowledgeAlert, callAlerts, liveSession, sessionAlerts } from '../../db/queries/live.js'
import { audit } from '../../db/queries/users.js'
import { ConflictError, NoProcessorError, NotFoundError } from '../../errors.js'
import { AudiohookSession, checkUpgrade } from '../../live/audiohook.js'
import type { LiveEvent, LiveSnapshot } from '../../live/events.js'
import type { LiveHub } from '../../live/hub.js'
import type { LiveSettings } from '../../live/settings.js'
import { PlainStream } from '../../live/stream.js'
import {
  TwilioStream,
  transcriptionLine,
  twilioFormSignatureValid,
  twilioSignatureValid,
} from '../../live/twilio.js'
import { agentScope } from '../../review/access.js'
import { readableCall } from '../../review/calls.js'
import { undelivered } from '../../webhooks/outbox.js'
import { type LinkSigner, signedLink } from '../links.js'
import { ERRORS, IdParams } from '../schemas.js'
import type { Api } from '../types.js'
import { LiveAlertRow, LiveSessionDetail } from '../wire.js'

const WATCHERS = ['admin', 'manager', 'reviewer'] as const
const LIST_READERS = ['admin', 'manager', 'reviewer', 'agent'] as const
const CALL_READERS = ['admin', 'manager', 'trainer', 'reviewer', 'agent'] as const
/** A browser this far behind on its event stream is dropped (it reconnects and starts fresh). */
const MAX_BUFFERED = 1 << 20

export interface LiveRouteOptions {
  links: LinkSigner
  hub: LiveHub | undefined
  settings: LiveSettings | undefined
}

/** An alert row with its times as ISO 8601 text. */
const wireAlert = <A extends { raised_at: Date; acknowledged_at: Date | null }>(a: A) => ({
  ...a,
  raised_at: new Date(a.raised_at).toISOString(),
  acknowledged_at: a.acknowledged_at ? new Date(a.acknowledged_at).toISOString() : null,
})

const refuse = (reply: FastifyReply, status: number, code: string, message: string) =>
  reply.code(status).send({ error: { code, message } })

export async function liveRoutes(app: Api, { links, hub, settings }: LiveRouteOptions): Promise<void> {
  const { db } = app
  await app.register(websocket, {
    options: { maxPayload: (settings?.maxFrameBytes ?? 65_536) + 1024, perMessageDeflate: false },
  })
  const need = () => {
    if (!hub || !settings) throw new NoProcessorError('this server takes no live calls')
    return { hub, settings }
  }
  const log = (request: FastifyRequest) => (msg: string) => request.log.warn(msg)
  // Event streams never end by themselves: the server ends them when it closes.
  const streams = new Set<import('node:http').ServerResponse>()
  app.addHook('preClose', (done) => {
    for (const raw of streams) raw.end()
    done()
  })

  app.get(
    '/live/audiohook',
    {
      websocket: true,
      // Who is calling is decided on the upgrade request: a refusal is a plain HTTP answer.
      onRequest: async (request, reply) => {
        if (!hub || !settings)
          return refuse(reply, 503, 'QA_ERR_NO_PROCESSOR', 'this server takes no live calls')
        const check = checkUpgrade(
          { method: request.method, url: request.url, headers: request.headers },
          settings.audiohookKeys,
        )
        if (!check.ok)
          return refuse(
            reply,
            check.status,
            check.status === 401 ? 'QA_ERR_UNAUTHENTICATED' : 'QA_ERR_VALIDATION',
            check.message,
          )
      },
    },
    (socket, request) => {
      const { hub, settings } = need()
      const sessionId = String(request.headers['audiohook-session-id'])
      new AudiohookSession(socket, sessionId, hub, settings, log(request))
    },
  )

  app.get(
    '/live/twilio',
    {
      websocket: true,
      onRequest: async (request, reply) => {
        if (!hub || !settings)
          return refuse(reply, 503, 'QA_ERR_NO_PROCESSOR', 'this server takes no live calls')
        if (!settings.twilioAuthToken)
          return refuse(reply, 401, 'QA_ERR_UNAUTHENTICATED', 'Twilio streams need CALLQA_TWILIO_AUTH_TOKEN')
        if (
          !twilioSignatureValid(
            request.raw as { url: string; headers: FastifyRequest['headers'] },
            settings.twilioAuthToken,
          )
        )
          return refuse(
            reply,
            401,
            'QA_ERR_UNAUTHENTICATED',
            'X-Twilio-Signature is missing or does not match',
          )
      },
    },
    (socket, request) => {
      const { hub, settings } = need()
      new TwilioStream(socket, hub, settings, log(request))
    },
  )

  // Twilio's real-time transcription posts form parameters (here only: no other /v1 route takes forms).
  app.addContentTypeParser(
    'application/x-www-form-urlencoded',
    { parseAs: 'string', bodyLimit: 65_536 },
    (_request, body, done) => done(null, Object.fromEntries(new URLSearchParams(String(body)))),
  )
  app.post(
    '/live/twilio/transcriptions',
    {
      schema: {
        summary:
          'Twilio real-time transcription callbacks (statusCallbackUrl): a final line goes to the live call with that CallSid; signed with X-Twilio-Signature',
        tags: ['live'],
        // Signed by Twilio, not called with a token: outside the token-and-role API (docs/live.md).
        hide: true,
        body: Type.Record(Type.String(), Type.String()),
        response: { 200: Type.Object({ taken: Type.Boolean() }), ...ERRORS },
      },
      preHandler: async (request, reply) => {
        if (
          !twilioFormSignatureValid(
            request.raw as { url: string; headers: FastifyRequest['headers'] },
            request.body as Record<string, string>,
            settings?.twilioAuthToken,
          )
        )
          return refuse(
            reply,
            401,
            'QA_ERR_UNAUTHENTICATED',
            'X-Twilio-Signature is missing or does not match',
          )
      },
    },
    async (request) => {
      const { hub } = need()
      const params = request.body as Record<string, string>
      const call = [...hub.calls.values()].find(
        (c) => c.protocol === 'twilio' && c.conversationId === params.CallSid,
      )
      if (!call) return { taken: false }
      const line = transcriptionLine(params, call.startedAt)
      if (!line) return { taken: false }
      call.addLine(line)
      await hub.written(call)
      return { taken: true }
    },
  )

  app.get(
    '/live/stream',
    {
      websocket: true,
      config: { roles: ['telephony', 'admin'] },
      onRequest: async (_request, reply) => {
        if (!hub || !settings)
          return refuse(reply, 503, 'QA_ERR_NO_PROCESSOR', 'this server takes no live calls')
      },
    },
    (socket, request) => {
      const { hub, settings } = need()
      new PlainStream(socket, hub, settings, log(request))
    },
  )

  app.get(
    '/live/events',
    {
      config: { roles: WATCHERS, signedLinks: true },
      schema: {
        summary:
          'Server-sent events of live calls: call.started, call.state, call.update, alert, alert.acknowledged, call.ended, call.filed (also by a signed link from POST /live/events-link, for EventSource)',
        tags: ['live'],
        querystring: Type.Object(
          {
            exp: Type.Optional(Type.String()),
            u: Type.Optional(Type.String()),
            sig: Type.Optional(Type.String()),
          },
          { additionalProperties: false },
        ),
      },
    },
    async (request, reply) => {
      const { hub } = need()
      const current = await hub.snapshots()
      reply.hijack()
      const raw = reply.raw
      raw.writeHead(200, {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-store',
        'x-content-type-options': 'nosniff',
        'x-accel-buffering': 'no',
        connection: 'keep-alive',
      })
      const write = (event: LiveEvent) => {
        if (raw.writableLength > MAX_BUFFERED) return raw.destroy()
        raw.write(`event: ${event.type}\ndata: ${JSON.stringify(event)}\n\n`)
      }
      raw.write('retry: 2000\n\n')
      for (const call of current) write({ type: 'call.started', session: call.session, call })
      const unsubscribe = hub.subscribe(write)
      const heartbeat = setInterval(() => raw.write(': keep-alive\n\n'), 15_000)
      heartbeat.unref()
      streams.add(raw)
      request.raw.on('close', () => {
        clearInterval(heartbeat)
        unsubscribe()
        streams.delete(raw)
      })
    },
  )

  app.post(
    '/live/events-link',
    {
      config: { roles: WATCHERS },
      schema: {
        summary: 'A signed link to GET /live/events for EventSource, which cannot send a token (15 minutes)',
        tags: ['live'],
        response: {
          200: Type.Object({ url: Type.String(), expires_at: Type.String({ format: 'date-time' }) }),
          ...ERRORS,
        },
      },
    },
    async (request) => {
      const { url, expiresAt } = await signedLink(db, links, '/v1/live/events', request.user.id)
      return { url, expires_at: expiresAt.toISOString() }
    },
  )

  app.get(
    '/live/calls',
    {
      config: { roles: LIST_READERS },
      schema: {
        summary: 'Calls in progress, on every server (agents: their own)',
        tags: ['live'],
        response: { 200: Type.Object({ items: Type.Array(Type.Any()) }), ...ERRORS },
      },
    },
    async (request) => {
      const { hub } = need()
      const scope = agentScope(request.user)
      const items: LiveSnapshot[] = (await hub.snapshots()).filter(
        (c) => scope === null || c.agent_id === scope,
      )
      return { items }
    },
  )

  app.get(
    '/live/calls/:id',
    {
      config: { roles: LIST_READERS },
      schema: {
        summary: 'One live session: its figures now (when in progress), its stretches and its alerts',
        tags: ['live'],
        params: IdParams,
        response: { 200: LiveSessionDetail, ...ERRORS },
      },
    },
    async (request) => {
      const row = await liveSession(db, request.params.id)
      const scope = agentScope(request.user)
      if (!row || (scope !== null && row.agent_id !== scope))
        throw new NotFoundError(`no live session ${request.params.id}`)
      const held = hub?.calls.get(row.id)
      return {
        session: row.id,
        protocol: row.protocol,
        state: row.state,
        agent_id: row.agent_id,
        queue: row.queue,
        started_at: new Date(row.started_at).toISOString(),
        ended_at: row.ended_at ? new Date(row.ended_at).toISOString() : null,
        audio_ms: held ? held.positionMs : row.audio_ms,
        call_id: row.call_id,
        stretches: held ? held.stretches : row.stretches,
        now: held ? (held.snapshot() as unknown as Record<string, unknown>) : null,
        alerts: (await sessionAlerts(db, row.id)).map(wireAlert),
      }
    },
  )

  app.post(
    '/live/:id/utterances',
    {
      config: { roles: ['telephony', 'admin'] },
      schema: {
        summary:
          "A line of a live call's transcript (from the platform's recogniser): scored and read by the live rules",
        tags: ['live'],
        params: IdParams,
        body: Type.Object(
          {
            speaker: Type.Union([Type.Literal('agent'), Type.Literal('customer')]),
            text: Type.String({ minLength: 1, maxLength: 5000 }),
            start_ms: Type.Integer({ minimum: 0 }),
            end_ms: Type.Integer({ minimum: 0 }),
          },
          { additionalProperties: false },
        ),
        response: {
          202: Type.Object({ session: Type.Integer(), sentiment: Type.Union([Type.Number(), Type.Null()]) }),
          ...ERRORS,
          409: ERRORS[400],
        },
      },
    },
    async (request, reply) => {
      const { hub } = need()
      const call = hub.calls.get(request.params.id)
      if (!call) {
        const row = await liveSession(db, request.params.id)
        if (!row) throw new NotFoundError(`no live session ${request.params.id}`)
        throw new ConflictError(
          row.state === 'live'
            ? 'that call is held by another server: send its lines there'
            : 'that call has ended',
        )
      }
      const { speaker, text, start_ms, end_ms } = request.body
      if (end_ms < start_ms) throw new ConflictError('end_ms is before start_ms')
      const scored = call.addLine({ speaker, text, startMs: start_ms, endMs: end_ms })
      // A line's alerts are stored before it is answered, so the caller can read them back.
      await hub.written(call)
      return reply.code(202).send({ session: call.id, sentiment: scored.sentiment })
    },
  )

  app.post(
    '/live/alerts/:id/acknowledge',
    {
      config: { roles: WATCHERS },
      schema: {
        summary: 'Acknowledge a live alert (audited; the first acknowledgement stands)',
        tags: ['live'],
        params: IdParams,
        response: { 200: LiveAlertRow, ...ERRORS },
      },
    },
    async (request) => {
      const row = await acknowledgeAlert(db, request.params.id, request.user.id)
      if (!row) throw new NotFoundError(`no alert ${request.params.id}`)
      await audit(db, {
        userId: request.user.id,
        action: 'live.alert.acknowledge',
        entity: 'live_alert',
        entityId: row.id,
        after: { rule: row.rule, session: row.session_id },
      })
      hub?.publish({
        type: 'alert.acknowledged',
        session: row.session_id,
        id: row.id,
        by: request.user.name,
        at: new Date(row.acknowledged_at ?? Date.now()).toISOString(),
      })
      return wireAlert(row)
    },
  )

  app.get(
    '/webhooks/outbox',
    {
      config: { roles: ['admin'] },
      schema: {
        summary: 'Webhook events not delivered (yet): attempts, the next try, the last error',
        tags: ['live'],
        response: { 200: Type.Object({ items: Type.Array(Type.Any()) }), ...ERRORS },
      },
    },
    async () => ({ items: await undelivered(db) }),
  )

  app.get(
    '/calls/:id/alerts',
    {
      config: { roles: CALL_READERS },
      schema: {
        summary: 'The live alerts raised while the call was going on, by position',
        tags: ['live'],
        params: IdParams,
        response: { 200: Type.Object({ items: Type.Array(Type.Any()) }), ...ERRORS },
      },
    },
    async (request) => {
      const call = await readableCall(db, request.params.id, request.user)
      return { items: await callAlerts(db, call.id as number) }
    },
  )
}
