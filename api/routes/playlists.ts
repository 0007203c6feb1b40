import { Type } from 'typebox'
import type { Database } from '../../db/index.js'
import { audit } from '../../db/queries/users.js'
import { loadPlaylist, setPlaylistClips } from '../../review/coaching.js'
import type { Api } from '../types.js'
import { errors, Nullable, READERS, TRAINERS } from './coaching-schemas.js'

export async function playlistRoutes(app: Api, { db }: { db: Database }): Promise<void> {
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
}
