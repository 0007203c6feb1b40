/** Coaching playlists over HTTP: clips in a trainer's order; the rules are in review/coaching.ts. */
import { Type } from 'typebox'
import { listPlaylists } from '../../db/queries/clips.js'
import { agentScope } from '../../review/access.js'
import {
  assertAgentMayOpen,
  changePlaylistClips,
  createPlaylist,
  loadPlaylist,
  removePlaylist,
  sharePlaylist,
} from '../../review/coaching.js'
import { IdParams } from '../schemas.js'
import type { Api } from '../types.js'
import { Playlist } from '../wire.js'
import { Clip, errors, Nullable, SHARED_READERS, TRAINERS } from './coaching-schemas.js'

const PlaylistWithClips = Type.Object({ ...Playlist.properties, clips: Type.Array(Clip) })

export async function playlistRoutes(app: Api): Promise<void> {
  const { db } = app
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
        response: { 201: PlaylistWithClips, ...errors },
      },
    },
    async (request, reply) => {
      const id = await createPlaylist(db, request.body, request.user.id ?? null)
      return reply.code(201).send(await loadPlaylist(db, id))
    },
  )

  app.get(
    '/playlists',
    {
      config: { roles: SHARED_READERS },
      schema: {
        summary: "Playlists with their clip counts (agents: those shared with their calls' teams)",
        tags: ['coaching'],
        response: {
          200: Type.Array(Type.Object({ ...Playlist.properties, clips: Type.Integer() })),
          ...errors,
        },
      },
    },
    async (request) =>
      (await listPlaylists(db, agentScope(request.user))).map((r) => ({
        ...r,
        created_at: new Date(r.created_at).toISOString(),
      })),
  )

  app.get(
    '/playlists/:id',
    {
      config: { roles: SHARED_READERS },
      schema: {
        summary: 'A playlist and its clips in order',
        tags: ['coaching'],
        params: IdParams,
        response: { 200: PlaylistWithClips, ...errors },
      },
    },
    async (request) => {
      await assertAgentMayOpen(db, request.user, { playlistId: request.params.id })
      return loadPlaylist(db, request.params.id, request.user)
    },
  )

  app.put(
    '/playlists/:id/team',
    {
      config: { roles: TRAINERS },
      schema: {
        summary: "Share a playlist with a team's agents (null: stop sharing)",
        tags: ['coaching'],
        params: IdParams,
        body: Type.Object(
          { team: Nullable(Type.String({ minLength: 1, maxLength: 200 })) },
          { additionalProperties: false },
        ),
        response: { 200: PlaylistWithClips, ...errors },
      },
    },
    async (request) => {
      await sharePlaylist(db, request.params.id, request.body.team, request.user.id ?? null)
      return loadPlaylist(db, request.params.id, request.user)
    },
  )

  app.put(
    '/playlists/:id/clips',
    {
      config: { roles: TRAINERS },
      schema: {
        summary: "Set a playlist's clips and their order",
        tags: ['coaching'],
        params: IdParams,
        body: Type.Object(
          { clip_ids: Type.Array(Type.Integer({ minimum: 1 }), { maxItems: 500, uniqueItems: true }) },
          { additionalProperties: false },
        ),
        response: { 200: PlaylistWithClips, ...errors },
      },
    },
    async (request) => {
      await changePlaylistClips(db, request.params.id, request.body.clip_ids, request.user.id ?? null)
      return loadPlaylist(db, request.params.id, request.user)
    },
  )

  app.delete(
    '/playlists/:id',
    {
      config: { roles: TRAINERS },
      schema: {
        summary: 'Delete a playlist (its clips stay)',
        tags: ['coaching'],
        params: IdParams,
        response: { 204: Type.Null(), ...errors },
      },
    },
    async (request, reply) => {
      await removePlaylist(db, request.params.id, request.user.id ?? null)
      return reply.code(204).send(null)
    },
  )
}
