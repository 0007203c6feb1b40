/**
 * Coaching clips: trainers cut clips of real calls (start/end, title, note, tags, the scorecard
 * item a clip illustrates and whether done well or badly), search them, change them, and play
 * them (cut by ffmpeg from the redacted copy when there is one).
 */
import { randomUUID } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { mkdir, rm, stat } from 'node:fs/promises'
import path from 'node:path'
import { Type } from 'typebox'
import { clipSourceKey, searchClips } from '../../db/queries/clips.js'
import { NotFoundError } from '../../errors.js'
import { writeClip } from '../../media/ffmpeg.js'
import { storagePath } from '../../pipeline/storage.js'
import {
  assertAgentMayOpen,
  changeClip,
  createClip,
  iso,
  loadClip,
  normaliseTags,
  removeClip,
} from '../../review/coaching.js'
import { type LinkSigner, signedLink } from '../links.js'
import { IdParams } from '../schemas.js'
import type { Api } from '../types.js'
import { Clip, ClipFields, errors, Polarity, READERS, SHARED_READERS, TRAINERS } from './coaching-schemas.js'

export async function clipRoutes(
  app: Api,
  { storageDir, ffmpegPath, links }: { storageDir: string; ffmpegPath: string; links: LinkSigner },
): Promise<void> {
  const { db } = app
  app.post(
    '/clips',
    {
      config: { roles: TRAINERS },
      schema: {
        summary: 'Cut a coaching clip from a call',
        tags: ['coaching'],
        body: Type.Object(
          {
            call_id: Type.Integer({ minimum: 1 }),
            start_ms: Type.Integer({ minimum: 0 }),
            end_ms: Type.Integer({ minimum: 1 }),
            ...ClipFields,
          },
          { additionalProperties: false },
        ),
        response: { 201: Clip, ...errors },
      },
    },
    async (request, reply) => {
      const id = await createClip(db, request.body, request.user.id ?? null)
      return reply.code(201).send(await loadClip(db, id))
    },
  )

  app.get(
    '/clips',
    {
      config: { roles: READERS },
      schema: {
        summary: 'Search clips by tag, scorecard item, polarity, call or words in title and note',
        tags: ['coaching'],
        querystring: Type.Object(
          {
            tag: Type.Optional(
              Type.Array(Type.String(), { description: 'every tag given must be on the clip' }),
            ),
            scorecard: Type.Optional(Type.String()),
            item: Type.Optional(Type.String()),
            polarity: Type.Optional(Polarity),
            call_id: Type.Optional(Type.Integer({ minimum: 1 })),
            q: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
            limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200, default: 50 })),
          },
          { additionalProperties: false },
        ),
        response: { 200: Type.Array(Clip), ...errors },
      },
    },
    async (request) => {
      const { tag, ...rest } = request.query
      return (await searchClips(db, { ...rest, tags: normaliseTags(tag) })).map(iso)
    },
  )

  app.get(
    '/clips/:id',
    {
      config: { roles: READERS },
      schema: {
        summary: 'One clip',
        tags: ['coaching'],
        params: IdParams,
        response: { 200: Clip, ...errors },
      },
    },
    async (request) => loadClip(db, request.params.id),
  )

  app.patch(
    '/clips/:id',
    {
      config: { roles: TRAINERS },
      schema: {
        summary: "Change a clip's span, title, note, tags or item",
        tags: ['coaching'],
        params: IdParams,
        body: Type.Object(
          {
            start_ms: Type.Optional(Type.Integer({ minimum: 0 })),
            end_ms: Type.Optional(Type.Integer({ minimum: 1 })),
            ...ClipFields,
            title: Type.Optional(ClipFields.title),
          },
          { additionalProperties: false, minProperties: 1 },
        ),
        response: { 200: Clip, ...errors },
      },
    },
    async (request) => {
      await changeClip(db, request.params.id, request.body, request.user.id ?? null)
      return loadClip(db, request.params.id)
    },
  )

  app.delete(
    '/clips/:id',
    {
      config: { roles: TRAINERS },
      schema: {
        summary: 'Delete a clip (it leaves every playlist)',
        tags: ['coaching'],
        params: IdParams,
        response: { 204: Type.Null(), ...errors },
      },
    },
    async (request, reply) => {
      await removeClip(db, request.params.id, request.user.id ?? null)
      return reply.code(204).send(null)
    },
  )

  app.post(
    '/clips/:id/audio-link',
    {
      config: { roles: SHARED_READERS },
      schema: {
        summary:
          "A signed link to the clip's audio (15 minutes, this user) for players that cannot send a token",
        tags: ['coaching'],
        params: IdParams,
        response: {
          200: Type.Object({ url: Type.String(), expires_at: Type.String({ format: 'date-time' }) }),
          ...errors,
        },
      },
    },
    async (request) => {
      await assertAgentMayOpen(db, request.user, { clipId: request.params.id })
      const clip = await loadClip(db, request.params.id)
      const { url, expiresAt } = await signedLink(db, links, `/v1/clips/${clip.id}/audio`, request.user.id)
      return { url, expires_at: expiresAt.toISOString() }
    },
  )

  app.get(
    '/clips/:id/audio',
    {
      config: { roles: SHARED_READERS, signedLinks: true },
      schema: {
        summary:
          "The clip as WAV, cut from the call's redacted copy when there is one; also reachable by a signed link (POST /clips/{id}/audio-link)",
        tags: ['coaching'],
        params: IdParams,
        querystring: Type.Object(
          {
            exp: Type.Optional(Type.String()),
            u: Type.Optional(Type.String()),
            sig: Type.Optional(Type.String()),
          },
          { additionalProperties: false },
        ),
        response: { 200: Type.Any({ description: 'audio/wav' }), ...errors },
      },
    },
    async (request, reply) => {
      await assertAgentMayOpen(db, request.user, { clipId: request.params.id })
      const clip = await loadClip(db, request.params.id)
      const key = await clipSourceKey(db, clip.call_id)
      if (!key) throw new NotFoundError('no recording stored for this clip')
      const tmpDir = path.join(storageDir, 'tmp')
      await mkdir(tmpDir, { recursive: true })
      const out = path.join(tmpDir, `clip-${randomUUID()}.wav`)
      try {
        await writeClip({
          inputPath: storagePath(storageDir, key),
          outputPath: out,
          startMs: clip.start_ms,
          endMs: clip.end_ms,
          ffmpegPath,
        })
      } catch (cause) {
        await rm(out, { force: true })
        throw cause
      }
      const size = (await stat(out)).size
      const stream = createReadStream(out)
      stream.once('close', () => void rm(out, { force: true }))
      reply
        .header('content-type', 'audio/wav')
        .header('content-length', size)
        .header('content-disposition', `inline; filename="clip-${clip.id}.wav"`)
      return reply.send(stream)
    },
  )
}
