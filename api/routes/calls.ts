/**
 * Calls: list and search (filters, transcript search, cursor pagination), detail, and the audio
 * with HTTP Range so a player can seek. Agents see only their own calls.
 */
import { createReadStream } from 'node:fs'
import { stat } from 'node:fs/promises'
import path from 'node:path'
import { type Static, Type } from 'typebox'
import { addCallFilters, Conditions } from '../../db/conditions.js'
import type { Database } from '../../db/index.js'
import { listEvaluations } from '../../db/queries/scorecards.js'
import { listProsodicSegments } from '../../db/queries/segments.js'
import type { UserRow } from '../../db/queries/users.js'
import { listUtterances } from '../../db/queries/utterances.js'
import { ConflictError, NotFoundError, RangeNotSatisfiableError, ValidationError } from '../../errors.js'
import { writePlayableCopy } from '../../media/ffmpeg.js'
import { deleteCalls } from '../../pipeline/lifecycle.js'
import { strictIsoDate } from '../../pipeline/metadata.js'
import { playableCopy, storagePath } from '../../pipeline/storage.js'
import type { LinkSigner } from '../links.js'
import { ErrorBody } from '../schemas.js'
import type { Api } from '../types.js'

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
    scorecard: Type.Optional(Type.String({ description: 'scorecard key the QA filters refer to' })),
    qa_min: Type.Optional(Type.Number({ minimum: 0, maximum: 100 })),
    qa_max: Type.Optional(Type.Number({ minimum: 0, maximum: 100 })),
    failed_item: Type.Optional(Type.String({ description: 'item key failed in an automatic evaluation' })),
    sentiment_end_max: Type.Optional(Type.Number({ minimum: -1, maximum: 1 })),
    sentiment_end_min: Type.Optional(Type.Number({ minimum: -1, maximum: 1 })),
    trend_max: Type.Optional(Type.Number({ minimum: -2, maximum: 2 })),
    dead_air_min_ms: Type.Optional(Type.Integer({ minimum: 0 })),
    q: Type.Optional(Type.String({ minLength: 1, maxLength: 200, description: 'words in the transcript' })),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200, default: 50 })),
    cursor: Type.Optional(Type.String({ maxLength: 200 })),
  },
  { additionalProperties: false },
)

const CallSummary = Type.Object({
  id: Type.Integer(),
  external_id: Type.Union([Type.String(), Type.Null()]),
  source_name: Type.String(),
  status: Type.String(),
  started_at: Type.Union([Type.String(), Type.Null()]),
  duration_ms: Type.Union([Type.Integer(), Type.Null()]),
  agent_id: Type.Union([Type.String(), Type.Null()]),
  team: Type.Union([Type.String(), Type.Null()]),
  queue: Type.Union([Type.String(), Type.Null()]),
  direction: Type.Union([Type.String(), Type.Null()]),
  language: Type.Union([Type.String(), Type.Null()]),
  transcript_status: Type.String(),
  qa_percent: Type.Union([Type.Number(), Type.Null()]),
  customer_sentiment_end: Type.Union([Type.Number(), Type.Null()]),
  customer_sentiment_trend: Type.Union([Type.Number(), Type.Null()]),
  dead_air_longest_ms: Type.Union([Type.Integer(), Type.Null()]),
})

const errors = { 400: ErrorBody, 401: ErrorBody, 403: ErrorBody, 404: ErrorBody }

/** Utterances per response: a 61,000-utterance transcript made one 30 MB answer. */
export const UTTERANCE_PAGE = 1000

async function utterancePage(db: Database, callId: number, afterSeq: number, limit: number) {
  const rows = await listUtterances(db, callId, { afterSeq, limit: limit + 1 })
  const items = rows.slice(0, limit).map(({ text: _t, ...u }) => ({ ...u }))
  const next = rows.length > limit ? (items.at(-1)?.seq ?? null) : null
  const total =
    afterSeq < 0 && next === null
      ? items.length
      : Number(
          (
            await db.query<{ n: number }>('SELECT count(*)::int AS n FROM utterances WHERE call_id = $1', [
              callId,
            ])
          ).rows[0]?.n ?? 0,
        )
  return { items, next, asDetail: { utterances: items, utterances_total: total, utterances_next: next } }
}

function encodeCursor(sortKey: string, id: number): string {
  return Buffer.from(JSON.stringify([sortKey, id])).toString('base64url')
}
function decodeCursor(cursor: string): [string, number] {
  try {
    const value = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown
    // Exactly what encodeCursor writes: a UTC timestamp and a call id; anything else (a forged
    // cursor) is refused here rather than failing in the database.
    if (
      Array.isArray(value) &&
      value.length === 2 &&
      typeof value[0] === 'string' &&
      /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/.test(value[0]) &&
      strictIsoDate(value[0]) !== undefined &&
      Number.isSafeInteger(value[1]) &&
      value[1] > 0 &&
      value[1] <= 2 ** 53
    )
      return [value[0], value[1]]
  } catch {
    // fall through
  }
  throw new ValidationError('cursor is not one this API returned')
}

/** Agents are limited to their own calls: an extra condition on every query. */
function ownership(user: UserRow | undefined, params: unknown[]): string {
  if (user?.role !== 'agent') return ''
  params.push(user.agent_id ?? user.name)
  return ` AND c.agent_id = $${params.length}`
}

async function loadCall(db: Database, id: number, user: UserRow | undefined) {
  const params: unknown[] = [id]
  const own = ownership(user, params)
  const res = await db.query<Record<string, unknown>>(
    `SELECT c.id, c.external_id, c.source_name, c.status, c.started_at, c.duration_ms, c.agent_id, c.team, c.queue,
            c.direction, c.language, c.csat, c.disposition, c.channel_layout, c.transcript_status,
            c.transcript_format, c.transcript_error, c.error_code, c.error_message, c.storage_uri,
            c.redacted_audio_uri, c.speakers_swapped, c.audio_format, c.channel_check, c.transcript_confidence,
            c.transcript_trusted, c.role_decision, c.diarization, c.created_at, c.processed_at
     FROM calls c WHERE c.id = $1${own}`,
    params,
  )
  // Another agent's call is "not found", not "forbidden": its existence is not theirs to know.
  const call = res.rows[0]
  if (!call) throw new NotFoundError(`no call ${id}`)
  return call
}

export async function callRoutes(
  app: Api,
  {
    db,
    storageDir,
    ffmpegPath,
    links,
  }: { db: Database; storageDir: string; ffmpegPath: string; links: LinkSigner },
): Promise<void> {
  app.get(
    '/calls',
    {
      config: { roles: ALL_READERS },
      schema: {
        summary: 'List and search calls, newest first',
        tags: ['calls'],
        querystring: ListQuery,
        response: {
          200: Type.Object({
            items: Type.Array(CallSummary),
            next_cursor: Type.Union([Type.String(), Type.Null()]),
          }),
          ...errors,
        },
      },
    },
    async (request) => {
      const q = request.query
      const where = addCallFilters(new Conditions(), q)
      if (q.status) where.add('c.status = ?', q.status)
      if (q.sentiment_end_max !== undefined) where.add('m.customer_sentiment_end <= ?', q.sentiment_end_max)
      if (q.sentiment_end_min !== undefined) where.add('m.customer_sentiment_end >= ?', q.sentiment_end_min)
      if (q.trend_max !== undefined) where.add('m.customer_sentiment_trend <= ?', q.trend_max)
      if (q.dead_air_min_ms !== undefined) where.add('m.dead_air_longest_ms >= ?', q.dead_air_min_ms)
      const scorecardParam = q.scorecard ? where.param(q.scorecard) : 'NULL'
      const qa = `(SELECT max(e.percent) FROM evaluations e JOIN scorecards s ON s.id = e.scorecard_id
                   WHERE e.call_id = c.id AND e.source = 'auto' AND (${scorecardParam}::text IS NULL OR s.key = ${scorecardParam}))`
      if (q.qa_min !== undefined) where.add(`${qa} >= ?`, q.qa_min)
      if (q.qa_max !== undefined) where.add(`${qa} <= ?`, q.qa_max)
      if (q.failed_item)
        where.add(
          `EXISTS (SELECT 1 FROM evaluations e JOIN evaluation_items i ON i.evaluation_id = e.id
                   WHERE e.call_id = c.id AND e.source = 'auto' AND i.result = 'fail' AND i.item_key = ?)`,
          q.failed_item,
        )
      if (q.q) {
        // Han text has no spaces for a word index: substring search; otherwise full-text search.
        if (/\p{Script=Han}/u.test(q.q))
          where.add(
            `EXISTS (SELECT 1 FROM utterances u WHERE u.call_id = c.id AND strpos(u.text_redacted, ?) > 0)`,
            q.q,
          )
        else
          where.add(
            `EXISTS (SELECT 1 FROM utterances u WHERE u.call_id = c.id
                     AND to_tsvector('simple', u.text_redacted) @@ plainto_tsquery('simple', ?))`,
            q.q,
          )
      }
      const sortKey = 'coalesce(c.started_at, c.created_at)'
      if (q.cursor) {
        const [at, id] = decodeCursor(q.cursor)
        where.raw(`(${sortKey}, c.id) < (${where.param(at)}::timestamptz, ${where.param(id)})`)
      }
      const own = ownership(request.user, where.params)
      const limit = q.limit ?? 50
      const limitParam = where.param(limit + 1)
      const res = await db.query<Record<string, unknown> & { id: number; sort_key: string }>(
        `SELECT c.id, c.external_id, c.source_name, c.status, c.started_at, c.duration_ms, c.agent_id, c.team,
                c.queue, c.direction, c.language, c.transcript_status, ${qa} AS qa_percent,
                m.customer_sentiment_end, m.customer_sentiment_trend, m.dead_air_longest_ms,
                to_char(${sortKey} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS sort_key
         FROM calls c LEFT JOIN call_metrics m ON m.call_id = c.id
         WHERE ${where.sql}${own}
         ORDER BY ${sortKey} DESC, c.id DESC
         LIMIT ${limitParam}`,
        where.params,
      )
      const rows = res.rows.slice(0, limit)
      const last = rows[rows.length - 1]
      return {
        items: rows.map(({ sort_key: _, ...row }) => ({
          ...(row as unknown as Static<typeof CallSummary>),
          started_at: row.started_at ? new Date(row.started_at as string).toISOString() : null,
        })),
        next_cursor: res.rows.length > limit && last ? encodeCursor(last.sort_key, last.id) : null,
      }
    },
  )

  app.get(
    '/calls/:id',
    {
      config: { roles: ALL_READERS },
      schema: {
        summary: 'One call: metadata, metrics, segments, utterances (redacted), evaluations',
        tags: ['calls'],
        params: Type.Object({ id: Type.Integer({ minimum: 1 }) }),
        response: {
          200: Type.Object({
            call: Type.Record(Type.String(), Type.Unknown()),
            metrics: Type.Union([Type.Record(Type.String(), Type.Unknown()), Type.Null()]),
            segments: Type.Array(Type.Record(Type.String(), Type.Unknown())),
            utterances: Type.Array(Type.Record(Type.String(), Type.Unknown())),
            utterances_total: Type.Integer({ description: 'how many utterances the call has' }),
            utterances_next: Type.Union([Type.Integer(), Type.Null()], {
              description: `more than ${UTTERANCE_PAGE}: the rest from GET /calls/{id}/utterances?after=this`,
            }),
            evaluations: Type.Array(Type.Record(Type.String(), Type.Unknown())),
          }),
          ...errors,
        },
      },
    },
    async (request) => {
      const call = await loadCall(db, request.params.id, request.user)
      const metrics = await db.query('SELECT * FROM call_metrics WHERE call_id = $1', [call.id])
      const { storage_uri: _, redacted_audio_uri: redacted, ...rest } = call
      return {
        call: { ...rest, has_redacted_audio: redacted !== null },
        metrics: metrics.rows[0] ?? null,
        segments: (await listProsodicSegments(db, call.id as number)).map((s) => ({ ...s })),
        // Only the redacted text leaves the server; a long transcript comes in pages.
        ...(await utterancePage(db, call.id as number, -1, UTTERANCE_PAGE)).asDetail,
        // Blind calibration reviews stay with their reviewer until the session completes; agents
        // see automatic and submitted evaluations only.
        evaluations: (await listEvaluations(db, call.id as number))
          .filter((e) =>
            request.user?.role === 'agent'
              ? e.calibration_id === null && e.status !== 'draft'
              : e.calibration_status !== 'open' || e.reviewer_id === request.user?.id,
          )
          .map((e) => ({ ...e })),
      }
    },
  )

  app.get(
    '/calls/:id/audio',
    {
      config: { roles: ALL_READERS, signedLinks: true },
      schema: {
        summary:
          'The recording (or its redacted copy), with HTTP Range support; also reachable by a signed link (POST /calls/{id}/audio-link) instead of a bearer token',
        tags: ['calls'],
        params: Type.Object({ id: Type.Integer({ minimum: 1 }) }),
        querystring: Type.Object(
          {
            ...AudioQuery.properties,
            // A signed link's own parameters (see POST /calls/{id}/audio-link).
            exp: Type.Optional(Type.String()),
            u: Type.Optional(Type.String()),
            sig: Type.Optional(Type.String()),
          },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Any({ description: 'the whole file' }),
          206: Type.Any({ description: 'the requested byte range' }),
          ...errors,
          416: ErrorBody,
        },
      },
    },
    async (request, reply) => {
      const call = await loadCall(db, request.params.id, request.user)
      // Only what decoded as audio is ever served as audio: a stored file that failed to decode
      // (not audio at all, perhaps not even meant to be) is not played back.
      if (call.audio_format === null || call.audio_format === undefined)
        throw new ConflictError(
          call.status === 'failed'
            ? `call ${call.id} did not decode as audio; there is nothing to play`
            : `call ${call.id} is ${call.status}; it can be played once it has been analysed`,
        )
      const stored = request.query.redacted ? call.redacted_audio_uri : call.storage_uri
      if (typeof stored !== 'string')
        throw new NotFoundError(
          request.query.redacted ? 'this call has no redacted copy' : 'no recording stored',
        )
      // Redacted copies are 16-bit WAV already; recordings in codecs browsers do not play get one.
      const key =
        request.query.playable && !request.query.redacted
          ? await playableCopy(
              storageDir,
              stored,
              (call.audio_format as { codec?: string } | null)?.codec,
              (inputPath, outputPath) => writePlayableCopy({ inputPath, outputPath, ffmpegPath }),
            )
          : stored
      const file = storagePath(storageDir, key)
      const size = (await stat(file)).size
      const type = AUDIO_TYPES[path.extname(file).toLowerCase()] ?? 'application/octet-stream'
      reply.header('accept-ranges', 'bytes').header('content-type', type)
      const range = request.headers.range
      if (range === undefined) {
        reply.header('content-length', size)
        return reply.send(createReadStream(file))
      }
      const parsed = parseRange(range, size)
      // RFC 9110 §14.2: a Range the server does not support (another unit, several ranges, bad
      // syntax) is ignored, and the whole file is sent.
      if (parsed === 'ignore') {
        reply.header('content-length', size)
        return reply.send(createReadStream(file))
      }
      if (!parsed) {
        reply.header('content-range', `bytes */${size}`)
        throw new RangeNotSatisfiableError(`range "${range}" cannot be satisfied (size ${size})`)
      }
      const [start, end] = parsed
      reply
        .code(206)
        .header('content-range', `bytes ${start}-${end}/${size}`)
        .header('content-length', end - start + 1)
      return reply.send(createReadStream(file, { start, end }))
    },
  )

  app.get(
    '/calls/:id/utterances',
    {
      config: { roles: ALL_READERS },
      schema: {
        summary: `A call's utterances (redacted), ${UTTERANCE_PAGE} at a time, after a given seq`,
        tags: ['calls'],
        params: Type.Object({ id: Type.Integer({ minimum: 1 }) }),
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
            items: Type.Array(Type.Record(Type.String(), Type.Unknown())),
            next: Type.Union([Type.Integer(), Type.Null()]),
          }),
          ...errors,
        },
      },
    },
    async (request) => {
      const call = await loadCall(db, request.params.id, request.user)
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
        params: Type.Object({ id: Type.Integer({ minimum: 1 }) }),
        response: {
          200: Type.Object({ call_id: Type.Integer(), deleted: Type.Boolean(), files: Type.Integer() }),
          ...errors,
        },
      },
    },
    async (request) => {
      const report = await deleteCalls(db, storageDir, [request.params.id], {
        userId: request.user?.id ?? null,
        reason: 'request',
      })
      if (report.missing.length > 0) throw new NotFoundError(`no call ${request.params.id}`)
      return { call_id: request.params.id, deleted: true, files: report.files }
    },
  )

  app.post(
    '/calls/:id/audio-link',
    {
      config: { roles: ALL_READERS },
      schema: {
        summary:
          'A signed link to the audio (15 minutes, this user, this variant) for players that cannot send a token',
        tags: ['calls'],
        params: Type.Object({ id: Type.Integer({ minimum: 1 }) }),
        body: AudioQuery,
        response: {
          200: Type.Object({ url: Type.String(), expires_at: Type.String({ format: 'date-time' }) }),
          ...errors,
        },
      },
    },
    async (request) => {
      // The same checks as the audio itself: the call exists and this user may see it.
      const call = await loadCall(db, request.params.id, request.user)
      if (request.body.redacted && call.redacted_audio_uri === null)
        throw new NotFoundError('this call has no redacted copy')
      const query = new URLSearchParams()
      if (request.body.playable) query.set('playable', 'true')
      if (request.body.redacted) query.set('redacted', 'true')
      const base = `/v1/calls/${call.id}/audio${query.size ? `?${query}` : ''}`
      const { url, expiresAt } = links.sign(base, request.user?.id as number)
      return { url, expires_at: expiresAt.toISOString() }
    },
  )
}

const AudioQuery = Type.Object(
  {
    redacted: Type.Optional(Type.Boolean({ description: 'the copy with personal data silenced' })),
    playable: Type.Optional(
      Type.Boolean({
        description: 'a copy browsers play (16-bit WAV) when the recording is in another codec',
      }),
    ),
  },
  { additionalProperties: false },
)

const AUDIO_TYPES: Record<string, string> = {
  '.wav': 'audio/wav',
  '.flac': 'audio/flac',
  '.mp3': 'audio/mpeg',
  '.ogg': 'audio/ogg',
  '.opus': 'audio/ogg',
  '.m4a': 'audio/mp4',
}

/**
 * One `bytes=` range (first-last, first-, or -suffix) → inclusive [start, end]; undefined when it
 * cannot be satisfied (416); 'ignore' for a Range this server does not serve (another unit,
 * several ranges, bad syntax), which gets the whole file.
 */
export function parseRange(header: string, size: number): [number, number] | undefined | 'ignore' {
  const m = /^bytes=(\d*)-(\d*)$/i.exec(header.trim())
  if (!m || (m[1] === '' && m[2] === '')) return 'ignore'
  if (size === 0) return undefined
  if (m[1] === '') {
    const suffix = Number(m[2])
    if (suffix === 0) return undefined
    return [Math.max(0, size - suffix), size - 1]
  }
  const start = Number(m[1])
  if (m[2] !== '' && Number(m[2]) < start) return 'ignore'
  const end = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1)
  if (start >= size || end < start) return undefined
  return [start, end]
}
