/**
 * A call's recording over HTTP: the original or its redacted copy, a copy browsers play when the
 * codec is one they do not, HTTP Range so a player can seek, and short-lived signed links for
 * players that cannot send a bearer token (an <audio> element). Who may hear a call is who may read
 * it (review/access.ts).
 */
import { createReadStream } from 'node:fs'
import { stat } from 'node:fs/promises'
import path from 'node:path'
import { Type } from 'typebox'
import { ConflictError, NotFoundError, RangeNotSatisfiableError } from '../../errors.js'
import { writePlayableCopy } from '../../media/ffmpeg.js'
import { bucketPeaks } from '../../media/peaks.js'
import { peaksCache } from '../../pipeline/peaks-cache.js'
import { playableCopy, storagePath } from '../../pipeline/storage.js'
import { readableCall } from '../../review/calls.js'
import { type LinkSigner, signedLink } from '../links.js'
import { ERRORS, ErrorBody, IdParams } from '../schemas.js'
import type { Api } from '../types.js'

const ALL_READERS = ['admin', 'manager', 'trainer', 'reviewer', 'agent'] as const
const errors = ERRORS

export async function audioRoutes(
  app: Api,
  { storageDir, ffmpegPath, links }: { storageDir: string; ffmpegPath: string; links: LinkSigner },
): Promise<void> {
  const { db } = app
  const peaks = peaksCache(storageDir, ffmpegPath)
  app.get(
    '/calls/:id/audio',
    {
      config: { roles: ALL_READERS, signedLinks: true },
      schema: {
        summary:
          'The recording (or its redacted copy), with HTTP Range support; also reachable by a signed link (POST /calls/{id}/audio-link) instead of a bearer token',
        tags: ['calls'],
        params: IdParams,
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
      const call = await readableCall(db, request.params.id, request.user)
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
    '/calls/:id/peaks',
    {
      config: { roles: ALL_READERS },
      schema: {
        summary:
          "The recording's waveform: per channel, the peak level in each of `buckets` equal slices (what the page draws)",
        tags: ['calls'],
        params: IdParams,
        querystring: Type.Object(
          {
            buckets: Type.Optional(Type.Integer({ minimum: 10, maximum: 8000, default: 1000 })),
            redacted: Type.Optional(Type.Boolean({ description: 'of the copy with personal data silenced' })),
          },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object({
            duration_ms: Type.Integer(),
            channels: Type.Array(Type.Array(Type.Number({ minimum: 0, maximum: 1 })), {
              description: 'one array per channel of the recording (left first), `buckets` long',
            }),
          }),
          ...errors,
        },
      },
    },
    async (request) => {
      const call = await readableCall(db, request.params.id, request.user)
      if (call.audio_format === null)
        throw new ConflictError(`call ${call.id} is ${call.status}; it has no decoded audio to draw`)
      const stored = request.query.redacted ? call.redacted_audio_uri : call.storage_uri
      if (typeof stored !== 'string')
        throw new NotFoundError(
          request.query.redacted ? 'this call has no redacted copy' : 'no recording stored',
        )
      // Decoded once per recording (kept beside it), at most two decodes at a time.
      const drawn = bucketPeaks(await peaks.blocks(stored, call.source_name), request.query.buckets ?? 1000)
      return { duration_ms: drawn.durationMs, channels: drawn.channels }
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
        params: IdParams,
        body: AudioQuery,
        response: {
          200: Type.Object({ url: Type.String(), expires_at: Type.String({ format: 'date-time' }) }),
          ...errors,
        },
      },
    },
    async (request) => {
      // The same checks as the audio itself: the call exists and this user may see it.
      const call = await readableCall(db, request.params.id, request.user)
      if (request.body.redacted && call.redacted_audio_uri === null)
        throw new NotFoundError('this call has no redacted copy')
      const query = new URLSearchParams()
      if (request.body.playable) query.set('playable', 'true')
      if (request.body.redacted) query.set('redacted', 'true')
      const base = `/v1/calls/${call.id}/audio${query.size ? `?${query}` : ''}`
      const { url, expiresAt } = await signedLink(db, links, base, request.user.id)
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
