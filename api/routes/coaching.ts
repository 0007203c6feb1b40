/**
 * Coaching: trainers cut clips of real calls (start/end, title, note, tags, the scorecard item
 * a clip illustrates and whether done well or badly), group them in playlists, search them, play
 * them (cut by ffmpeg from the redacted copy when there is one), and ask for candidates: best
 * recoveries (customer low at the start, high at the end) and examples of an item failed or passed.
 */
import { randomUUID } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { mkdir, rm, stat } from 'node:fs/promises'
import path from 'node:path'
import { type Static, Type } from 'typebox'
import { Conditions } from '../../db/conditions.js'
import type { Database, Queryable } from '../../db/index.js'
import { latestScorecard } from '../../db/queries/scorecards.js'
import { audit } from '../../db/queries/users.js'
import { NotFoundError, ValidationError } from '../../errors.js'
import { writeClip } from '../../media/ffmpeg.js'
import { storagePath } from '../../pipeline/storage.js'
import type { Item, ScorecardDefinition } from '../../scorecards/schema.js'
import { ErrorBody } from '../schemas.js'
import type { Api } from '../types.js'

const TRAINERS = ['admin', 'trainer'] as const
const READERS = ['admin', 'trainer', 'manager', 'reviewer'] as const
/** A clip is an example, not a call: ten minutes at most. */
const MAX_CLIP_MS = 10 * 60_000
const errors = { 400: ErrorBody, 401: ErrorBody, 403: ErrorBody, 404: ErrorBody }
const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(t: T) => Type.Union([t, Type.Null()])

const Tag = Type.String({ minLength: 1, maxLength: 40, pattern: '^[^,\\s][^,]*$' })
const Polarity = Type.Union([Type.Literal('good'), Type.Literal('bad')])

const Clip = Type.Object({
  id: Type.Integer(),
  call_id: Type.Integer(),
  start_ms: Type.Integer(),
  end_ms: Type.Integer(),
  title: Type.String(),
  note: Nullable(Type.String()),
  tags: Type.Array(Type.String()),
  scorecard_key: Nullable(Type.String()),
  item_key: Nullable(Type.String()),
  polarity: Nullable(Type.String()),
  created_by: Nullable(Type.String()),
  created_at: Type.String(),
  agent_id: Nullable(Type.String()),
})
type ClipRow = Static<typeof Clip>

const ClipFields = {
  title: Type.String({ minLength: 1, maxLength: 200 }),
  note: Type.Optional(Nullable(Type.String({ maxLength: 10_000 }))),
  tags: Type.Optional(Type.Array(Tag, { maxItems: 20, uniqueItems: true })),
  scorecard_key: Type.Optional(Nullable(Type.String({ minLength: 1 }))),
  item_key: Type.Optional(Nullable(Type.String({ minLength: 1 }))),
  polarity: Type.Optional(Nullable(Polarity)),
}

const CLIP_SELECT = `SELECT k.id, k.call_id, k.start_ms, k.end_ms, k.title, k.note, k.tags, k.scorecard_key, k.item_key,
         k.polarity, u.name AS created_by, k.created_at, c.agent_id
  FROM clips k JOIN calls c ON c.id = k.call_id LEFT JOIN users u ON u.id = k.created_by`

const normaliseTags = (tags: readonly string[] | undefined) => [
  ...new Set((tags ?? []).map((t) => t.trim().toLowerCase())),
]
const iso = (row: ClipRow) => ({ ...row, created_at: new Date(row.created_at).toISOString() })

async function loadClip(db: Queryable, id: number): Promise<ClipRow> {
  const res = await db.query<ClipRow>(`${CLIP_SELECT} WHERE k.id = $1`, [id])
  const clip = res.rows[0]
  if (!clip) throw new NotFoundError(`no clip ${id}`)
  return iso(clip)
}

function findItem(definition: ScorecardDefinition, key: string): Item | undefined {
  for (const section of definition.sections)
    for (const item of section.items) if (item.key === key) return item
  return undefined
}

/** Checks the item a clip illustrates exists on the newest version of its card. */
async function checkItem(
  db: Queryable,
  scorecardKey: string | null | undefined,
  itemKey: string | null | undefined,
) {
  if (!itemKey && !scorecardKey) return
  if (!scorecardKey) throw new ValidationError('item_key needs the scorecard_key it belongs to')
  const card = await latestScorecard(db, scorecardKey)
  if (!card) throw new ValidationError(`no scorecard "${scorecardKey}"`)
  if (itemKey && !findItem(card.definition as ScorecardDefinition, itemKey))
    throw new ValidationError(`scorecard "${scorecardKey}" has no item "${itemKey}"`)
}

/** Checks a clip's span lies inside its (analysed) call. */
async function checkSpan(db: Queryable, callId: number, startMs: number, endMs: number) {
  const res = await db.query<{ duration_ms: number | null; status: string }>(
    'SELECT duration_ms, status FROM calls WHERE id = $1',
    [callId],
  )
  const call = res.rows[0]
  if (!call) throw new ValidationError(`no call ${callId}`)
  if (call.status !== 'done' || call.duration_ms === null)
    throw new ValidationError(`call ${callId} is ${call.status}; clips come from analysed calls`)
  const problems: string[] = []
  if (endMs <= startMs) problems.push('end_ms must be after start_ms')
  if (endMs > call.duration_ms)
    problems.push(`end_ms ${endMs} is past the end of the call (${call.duration_ms} ms)`)
  if (endMs - startMs > MAX_CLIP_MS) problems.push(`a clip is at most ${MAX_CLIP_MS / 60_000} minutes`)
  if (problems.length > 0) throw new ValidationError(problems.join('; '), { details: problems })
}

/** Where in a call a scorecard item looks, from its window; the first 30 s when it has none. */
function itemWindow(item: Item | undefined, durationMs: number): [number, number] {
  const w = item && 'window' in item ? item.window : undefined
  if (w?.first_s) return [0, Math.min(durationMs, w.first_s * 1000)]
  if (w?.last_s) return [Math.max(0, durationMs - w.last_s * 1000), durationMs]
  if (w?.first_pct) return [0, Math.round((durationMs * w.first_pct) / 100)]
  if (w?.last_pct) return [Math.round(durationMs * (1 - w.last_pct / 100)), durationMs]
  return [0, Math.min(durationMs, 30_000)]
}

async function loadPlaylist(db: Queryable, id: number) {
  const res = await db.query<{
    id: number
    name: string
    description: string | null
    created_by: string | null
    created_at: string
  }>(
    `SELECT p.id, p.name, p.description, u.name AS created_by, p.created_at
     FROM playlists p LEFT JOIN users u ON u.id = p.created_by WHERE p.id = $1`,
    [id],
  )
  const playlist = res.rows[0]
  if (!playlist) throw new NotFoundError(`no playlist ${id}`)
  const clips = await db.query<ClipRow>(
    `${CLIP_SELECT} JOIN playlist_items pi ON pi.clip_id = k.id WHERE pi.playlist_id = $1 ORDER BY pi.position`,
    [id],
  )
  return { ...playlist, created_at: new Date(playlist.created_at).toISOString(), clips: clips.rows.map(iso) }
}

async function setPlaylistClips(tx: Queryable, playlistId: number, clipIds: readonly number[]) {
  const found = await tx.query<{ id: number }>('SELECT id FROM clips WHERE id = ANY($1::bigint[])', [clipIds])
  const have = new Set(found.rows.map((r) => r.id))
  const missing = clipIds.filter((id) => !have.has(id))
  if (missing.length > 0) throw new ValidationError(`no clips ${missing.join(', ')}`, { details: missing })
  await tx.query('DELETE FROM playlist_items WHERE playlist_id = $1', [playlistId])
  await tx.query(
    `INSERT INTO playlist_items (playlist_id, clip_id, position)
     SELECT $1, clip_id, position FROM unnest($2::bigint[]) WITH ORDINALITY AS t(clip_id, position)`,
    [playlistId, clipIds],
  )
}

export async function coachingRoutes(
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

  app.post(
    '/playlists',
    {
      config: { roles: TRAINERS },
      schema: {
        summary: 'Create a playlist, optionally with its clips in order',
        tags: ['coaching'],
        body: Type.Object(
          {
            name: Type.String({ minLength: 1, maxLength: 200 }),
            description: Type.Optional(Nullable(Type.String({ maxLength: 10_000 }))),
            clip_ids: Type.Optional(
              Type.Array(Type.Integer({ minimum: 1 }), { maxItems: 500, uniqueItems: true }),
            ),
          },
          { additionalProperties: false },
        ),
        response: { 201: Type.Record(Type.String(), Type.Unknown()), ...errors },
      },
    },
    async (request, reply) => {
      const id = await db.withTransaction(async (tx) => {
        const res = await tx.query<{ id: number }>(
          'INSERT INTO playlists (name, description, created_by) VALUES ($1, $2, $3) RETURNING id',
          [request.body.name, request.body.description ?? null, request.user?.id ?? null],
        )
        const playlistId = res.rows[0]?.id as number
        if (request.body.clip_ids) await setPlaylistClips(tx, playlistId, request.body.clip_ids)
        await audit(tx, {
          userId: request.user?.id ?? null,
          action: 'playlist.create',
          entity: 'playlist',
          entityId: playlistId,
          after: request.body,
        })
        return playlistId
      })
      return reply.code(201).send(await loadPlaylist(db, id))
    },
  )

  app.get(
    '/playlists',
    {
      config: { roles: READERS },
      schema: {
        summary: 'Playlists with their clip counts',
        tags: ['coaching'],
        response: { 200: Type.Array(Type.Record(Type.String(), Type.Unknown())), ...errors },
      },
    },
    async () => {
      const res = await db.query<{ created_at: string } & Record<string, unknown>>(
        `SELECT p.id, p.name, p.description, u.name AS created_by, p.created_at,
                (SELECT count(*)::int FROM playlist_items pi WHERE pi.playlist_id = p.id) AS clips
         FROM playlists p LEFT JOIN users u ON u.id = p.created_by ORDER BY p.id DESC LIMIT 500`,
      )
      return res.rows.map((r) => ({ ...r, created_at: new Date(r.created_at).toISOString() }))
    },
  )

  app.get(
    '/playlists/:id',
    {
      config: { roles: READERS },
      schema: {
        summary: 'A playlist and its clips in order',
        tags: ['coaching'],
        params: Type.Object({ id: Type.Integer({ minimum: 1 }) }),
        response: { 200: Type.Record(Type.String(), Type.Unknown()), ...errors },
      },
    },
    async (request) => loadPlaylist(db, request.params.id),
  )

  app.put(
    '/playlists/:id/clips',
    {
      config: { roles: TRAINERS },
      schema: {
        summary: "Set a playlist's clips and their order",
        tags: ['coaching'],
        params: Type.Object({ id: Type.Integer({ minimum: 1 }) }),
        body: Type.Object(
          { clip_ids: Type.Array(Type.Integer({ minimum: 1 }), { maxItems: 500, uniqueItems: true }) },
          { additionalProperties: false },
        ),
        response: { 200: Type.Record(Type.String(), Type.Unknown()), ...errors },
      },
    },
    async (request) => {
      const before = await loadPlaylist(db, request.params.id)
      await db.withTransaction(async (tx) => {
        await setPlaylistClips(tx, before.id, request.body.clip_ids)
        await audit(tx, {
          userId: request.user?.id ?? null,
          action: 'playlist.clips',
          entity: 'playlist',
          entityId: before.id,
          before: { clip_ids: before.clips.map((c) => c.id) },
          after: { clip_ids: request.body.clip_ids },
        })
      })
      return loadPlaylist(db, before.id)
    },
  )

  app.delete(
    '/playlists/:id',
    {
      config: { roles: TRAINERS },
      schema: {
        summary: 'Delete a playlist (its clips stay)',
        tags: ['coaching'],
        params: Type.Object({ id: Type.Integer({ minimum: 1 }) }),
        response: { 204: Type.Null(), ...errors },
      },
    },
    async (request, reply) => {
      const before = await loadPlaylist(db, request.params.id)
      await db.withTransaction(async (tx) => {
        await tx.query('DELETE FROM playlists WHERE id = $1', [before.id])
        await audit(tx, {
          userId: request.user?.id ?? null,
          action: 'playlist.delete',
          entity: 'playlist',
          entityId: before.id,
          before: { name: before.name, clip_ids: before.clips.map((c) => c.id) },
        })
      })
      return reply.code(204).send(null)
    },
  )

  app.get(
    '/coaching/suggestions',
    {
      config: { roles: READERS },
      schema: {
        summary:
          'Candidate clips: recovery (customer low at the start, high at the end), failed_item or passed_item (examples of a scorecard item)',
        tags: ['coaching'],
        querystring: Type.Object(
          {
            kind: Type.Union([
              Type.Literal('recovery'),
              Type.Literal('failed_item'),
              Type.Literal('passed_item'),
            ]),
            scorecard: Type.Optional(Type.String()),
            item: Type.Optional(Type.String()),
            start_max: Type.Optional(
              Type.Number({
                minimum: -1,
                maximum: 1,
                description: 'recovery: customer sentiment at the start at most (default -0.1)',
              }),
            ),
            end_min: Type.Optional(
              Type.Number({
                minimum: -1,
                maximum: 1,
                description: 'recovery: customer sentiment at the end at least (default 0.1)',
              }),
            ),
            limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: 10 })),
          },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Array(
            Type.Object({
              call_id: Type.Integer(),
              agent_id: Nullable(Type.String()),
              start_ms: Type.Integer(),
              end_ms: Type.Integer(),
              title: Type.String(),
              why: Type.String(),
              scorecard_key: Nullable(Type.String()),
              item_key: Nullable(Type.String()),
              polarity: Polarity,
              score: Type.Number(),
            }),
          ),
          ...errors,
        },
      },
    },
    async (request) => {
      const q = request.query
      const limit = q.limit ?? 10
      if (q.kind === 'recovery') {
        const calls = await db.query<{
          id: number
          agent_id: string | null
          duration_ms: number
          start: number
          end: number
        }>(
          `SELECT c.id, c.agent_id, c.duration_ms, m.customer_sentiment_start AS start, m.customer_sentiment_end AS "end"
           FROM calls c JOIN call_metrics m ON m.call_id = c.id
           WHERE c.status = 'done' AND m.customer_sentiment_start <= $1 AND m.customer_sentiment_end >= $2
           ORDER BY m.customer_sentiment_end - m.customer_sentiment_start DESC, c.id LIMIT $3`,
          [q.start_max ?? -0.1, q.end_min ?? 0.1, limit],
        )
        const out = []
        for (const call of calls.rows) {
          // From a little before the customer's lowest moment to the end of their first good one after it.
          const turns = await db.query<{ start_ms: number; end_ms: number; sentiment: number | null }>(
            `SELECT start_ms, end_ms, sentiment FROM utterances WHERE call_id = $1 AND speaker = 'customer' ORDER BY seq`,
            [call.id],
          )
          const scored = turns.rows.filter((t) => t.sentiment !== null)
          const low = scored.reduce<(typeof scored)[number] | undefined>(
            (best, t) =>
              best === undefined || (t.sentiment as number) < (best.sentiment as number) ? t : best,
            undefined,
          )
          const start = Math.max(0, (low?.start_ms ?? 0) - 2000)
          const good = scored.find(
            (t) => t.start_ms > (low?.start_ms ?? 0) && (t.sentiment as number) >= (q.end_min ?? 0.1),
          )
          const end = Math.min(call.duration_ms, (good ?? scored.at(-1))?.end_ms ?? call.duration_ms)
          out.push({
            call_id: call.id,
            agent_id: call.agent_id,
            start_ms: start,
            end_ms: end > start ? end : call.duration_ms,
            title: `Recovery: customer ${call.start.toFixed(2)} → ${call.end.toFixed(2)}`,
            why: `customer sentiment rose from ${call.start.toFixed(2)} at the start to ${call.end.toFixed(2)} at the end`,
            scorecard_key: null,
            item_key: null,
            polarity: 'good' as const,
            score: Math.round((call.end - call.start) * 1000) / 1000,
          })
        }
        return out
      }
      if (!q.scorecard || !q.item) throw new ValidationError(`${q.kind} suggestions need scorecard and item`)
      const card = await latestScorecard(db, q.scorecard)
      if (!card) throw new ValidationError(`no scorecard "${q.scorecard}"`)
      const item = findItem(card.definition as ScorecardDefinition, q.item)
      if (!item) throw new ValidationError(`scorecard "${q.scorecard}" has no item "${q.item}"`)
      const result = q.kind === 'failed_item' ? 'fail' : 'pass'
      // Automatic evaluations on the card's newest version; with timed evidence first, then the
      // calls whose score is furthest from the item's result (the clearest examples).
      const rows = await db.query<{
        call_id: number
        agent_id: string | null
        duration_ms: number
        percent: number
        evidence: Array<{ start_ms?: number; end_ms?: number; type: string; text?: string; what?: string }>
      }>(
        `SELECT c.id AS call_id, c.agent_id, c.duration_ms, e.percent, i.evidence
         FROM evaluations e
         JOIN evaluation_items i ON i.evaluation_id = e.id
         JOIN calls c ON c.id = e.call_id
         WHERE e.scorecard_id = $1 AND e.source = 'auto' AND i.item_key = $2 AND i.result = $3
           AND c.duration_ms IS NOT NULL
         ORDER BY (SELECT count(*) FROM jsonb_array_elements(i.evidence) x WHERE x ? 'start_ms') > 0 DESC,
                  CASE WHEN $3 = 'fail' THEN e.percent ELSE -e.percent END, c.id
         LIMIT $4`,
        [card.id, q.item, result, limit],
      )
      return rows.rows.map((r) => {
        const timed = r.evidence.filter(
          (x): x is typeof x & { start_ms: number; end_ms: number } =>
            typeof x.start_ms === 'number' && typeof x.end_ms === 'number',
        )
        const [start, end] = timed.length
          ? [
              Math.max(0, (timed[0] as { start_ms: number }).start_ms - 2000),
              Math.min(r.duration_ms, (timed[0] as { end_ms: number }).end_ms + 2000),
            ]
          : itemWindow(item, r.duration_ms)
        const first = timed[0]
        return {
          call_id: r.call_id,
          agent_id: r.agent_id,
          start_ms: start,
          end_ms: end,
          title: `${item.label}: ${result === 'fail' ? 'missed' : 'done well'}`,
          why: first
            ? `${first.type === 'phrase' ? `"${first.text ?? ''}"` : (first.what ?? first.type)} at ${(first.start_ms / 1000).toFixed(1)} s`
            : `item ${result === 'fail' ? 'failed' : 'passed'}; clip covers where the card looks`,
          scorecard_key: card.key,
          item_key: item.key,
          polarity: result === 'fail' ? ('bad' as const) : ('good' as const),
          score: r.percent,
        }
      })
    },
  )
}
