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
import { Conditions } from '../../db/conditions.js'
import type { Database } from '../../db/index.js'
import { audit } from '../../db/queries/users.js'
import { NotFoundError } from '../../errors.js'
import { writeClip } from '../../media/ffmpeg.js'
import { storagePath } from '../../pipeline/storage.js'
import {
  CLIP_SELECT,
  type ClipRow,
  checkItem,
  checkSpan,
  iso,
  loadClip,
  normaliseTags,
} from '../../review/coaching.js'
import type { Api } from '../types.js'
import { Clip, ClipFields, errors, Polarity, READERS, TRAINERS } from './coaching-schemas.js'

export async function clipRoutes(
  app: Api,
  { db, storageDir, ffmpegPath }: { db: Database; storageDir: string; ffmpegPath: string },
): Promise<void> {
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
      const b = request.body
      await checkSpan(db, b.call_id, b.start_ms, b.end_ms)
      await checkItem(db, b.scorecard_key, b.item_key)
      const id = await db.withTransaction(async (tx) => {
        const res = await tx.query<{ id: number }>(
          `INSERT INTO clips (call_id, start_ms, end_ms, title, note, tags, scorecard_key, item_key, polarity, created_by)
           VALUES ($1, $2, $3, $4, $5, $6::text[], $7, $8, $9, $10) RETURNING id`,
          [
            b.call_id,
            b.start_ms,
            b.end_ms,
            b.title,
            b.note ?? null,
            normaliseTags(b.tags),
            b.scorecard_key ?? null,
            b.item_key ?? null,
            b.polarity ?? null,
            request.user?.id ?? null,
          ],
        )
        const clipId = res.rows[0]?.id as number
        await audit(tx, {
          userId: request.user?.id ?? null,
          action: 'clip.create',
          entity: 'clip',
          entityId: clipId,
          after: b,
        })
        return clipId
      })
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
      const q = request.query
      const where = new Conditions()
      if (q.tag?.length) where.add('k.tags @> ?::text[]', normaliseTags(q.tag))
      if (q.scorecard) where.add('k.scorecard_key = ?', q.scorecard)
      if (q.item) where.add('k.item_key = ?', q.item)
      if (q.polarity) where.add('k.polarity = ?', q.polarity)
      if (q.call_id) where.add('k.call_id = ?', q.call_id)
      if (q.q)
        where.add(
          "(k.title ILIKE ? ESCAPE '\\' OR k.note ILIKE ? ESCAPE '\\')",
          `%${q.q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`,
        )
      const limit = where.param(q.limit ?? 50)
      const res = await db.query<ClipRow>(
        `${CLIP_SELECT} WHERE ${where.sql} ORDER BY k.id DESC LIMIT ${limit}`,
        where.params,
      )
      return res.rows.map(iso)
    },
  )

  app.get(
    '/clips/:id',
    {
      config: { roles: READERS },
      schema: {
        summary: 'One clip',
        tags: ['coaching'],
        params: Type.Object({ id: Type.Integer({ minimum: 1 }) }),
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
        params: Type.Object({ id: Type.Integer({ minimum: 1 }) }),
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
      const before = await loadClip(db, request.params.id)
      const b = request.body
      const next = {
        start_ms: b.start_ms ?? before.start_ms,
        end_ms: b.end_ms ?? before.end_ms,
        title: b.title ?? before.title,
        note: b.note === undefined ? before.note : b.note,
        tags: b.tags === undefined ? before.tags : normaliseTags(b.tags),
        scorecard_key: b.scorecard_key === undefined ? before.scorecard_key : b.scorecard_key,
        item_key: b.item_key === undefined ? before.item_key : b.item_key,
        polarity: b.polarity === undefined ? before.polarity : b.polarity,
      }
      await checkSpan(db, before.call_id, next.start_ms, next.end_ms)
      await checkItem(db, next.scorecard_key, next.item_key)
      await db.withTransaction(async (tx) => {
        await tx.query(
          `UPDATE clips SET start_ms = $2, end_ms = $3, title = $4, note = $5, tags = $6::text[], scorecard_key = $7,
             item_key = $8, polarity = $9 WHERE id = $1`,
          [
            before.id,
            next.start_ms,
            next.end_ms,
            next.title,
            next.note,
            next.tags,
            next.scorecard_key,
            next.item_key,
            next.polarity,
          ],
        )
        const { created_at: _c, created_by: _b, agent_id: _a, ...old } = before
        await audit(tx, {
          userId: request.user?.id ?? null,
          action: 'clip.update',
          entity: 'clip',
          entityId: before.id,
          before: old,
          after: { id: before.id, call_id: before.call_id, ...next },
        })
      })
      return loadClip(db, before.id)
    },
  )

  app.delete(
    '/clips/:id',
    {
      config: { roles: TRAINERS },
      schema: {
        summary: 'Delete a clip (it leaves every playlist)',
        tags: ['coaching'],
        params: Type.Object({ id: Type.Integer({ minimum: 1 }) }),
        response: { 204: Type.Null(), ...errors },
      },
    },
    async (request, reply) => {
      const before = await loadClip(db, request.params.id)
      await db.withTransaction(async (tx) => {
        await tx.query('DELETE FROM clips WHERE id = $1', [before.id])
        await audit(tx, {
          userId: request.user?.id ?? null,
          action: 'clip.delete',
          entity: 'clip',
          entityId: before.id,
          before,
        })
      })
      return reply.code(204).send(null)
    },
  )

  app.get(
    '/clips/:id/audio',
    {
      config: { roles: READERS },
      schema: {
        summary: "The clip as WAV, cut from the call's redacted copy when there is one",
        tags: ['coaching'],
        params: Type.Object({ id: Type.Integer({ minimum: 1 }) }),
        response: { 200: Type.Any({ description: 'audio/wav' }), ...errors },
      },
    },
    async (request, reply) => {
      const clip = await loadClip(db, request.params.id)
      const res = await db.query<{ storage_uri: string | null; redacted_audio_uri: string | null }>(
        'SELECT storage_uri, redacted_audio_uri FROM calls WHERE id = $1',
        [clip.call_id],
      )
      const key = res.rows[0]?.redacted_audio_uri ?? res.rows[0]?.storage_uri
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
