/**
 * Coaching, the trainer's aggregate: clips (a span of an analysed call, what it illustrates and
 * whether done well or badly, tags), playlists of clips in order, and the checks a clip must pass
 * (its span inside its call, its item on the card). Every change is audited with its before and
 * after. No HTTP here; the routes in api/routes/clips.ts, playlists.ts and suggestions.ts call
 * these, and the SQL is db/queries/clips.ts.
 */

import type { Database, Queryable } from '../db/index.js'
import {
  type ClipFields,
  type ClipRow,
  callSpan,
  clipById,
  deleteClip,
  deletePlaylist,
  existingClips,
  insertClip,
  insertPlaylist,
  playlistById,
  replacePlaylistItems,
  setPlaylistTeam,
  sharedWithAgent,
  updateClip,
} from '../db/queries/clips.js'
import { latestScorecard } from '../db/queries/scorecards.js'
import { audit, type UserRow } from '../db/queries/users.js'
import { NotFoundError, ValidationError } from '../errors.js'
import type { Item, ScorecardDefinition } from '../scorecards/schema.js'
import { agentScope } from './access.js'

export type { ClipRow } from '../db/queries/clips.js'

/** A clip is an example, not a call: ten minutes at most. */
export const MAX_CLIP_MS = 10 * 60_000

/** Tags are compared as people mean them: trimmed, lower case, each once. */
export const normaliseTags = (tags: readonly string[] | undefined) => [
  ...new Set((tags ?? []).map((t) => t.trim().toLowerCase())),
]
export const iso = (row: ClipRow) => ({ ...row, created_at: new Date(row.created_at).toISOString() })

export async function loadClip(db: Queryable, id: number): Promise<ClipRow> {
  const clip = await clipById(db, id)
  if (!clip) throw new NotFoundError(`no clip ${id}`)
  return iso(clip)
}

export function findItem(definition: ScorecardDefinition, key: string): Item | undefined {
  for (const section of definition.sections)
    for (const item of section.items) if (item.key === key) return item
  return undefined
}

/** Checks the item a clip illustrates exists on the newest version of its card. */
export async function checkItem(
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

/** Checks a clip's span lies inside its (analysed) call; all problems at once. */
export async function checkSpan(db: Queryable, callId: number, startMs: number, endMs: number) {
  const call = await callSpan(db, callId)
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
export function itemWindow(item: Item | undefined, durationMs: number): [number, number] {
  const w = item && 'window' in item ? item.window : undefined
  if (w?.first_s) return [0, Math.min(durationMs, w.first_s * 1000)]
  if (w?.last_s) return [Math.max(0, durationMs - w.last_s * 1000), durationMs]
  if (w?.first_pct) return [0, Math.round((durationMs * w.first_pct) / 100)]
  if (w?.last_pct) return [Math.round(durationMs * (1 - w.last_pct / 100)), durationMs]
  return [0, Math.min(durationMs, 30_000)]
}

type ClipInput = Partial<Omit<ClipFields, 'title'>> & { title?: string | undefined }

/** Cuts a clip: checked against its call and card, stored and audited. */
export async function createClip(
  db: Database,
  input: ClipInput & { call_id: number; start_ms: number; end_ms: number; title: string },
  userId: number | null,
): Promise<number> {
  await checkSpan(db, input.call_id, input.start_ms, input.end_ms)
  await checkItem(db, input.scorecard_key, input.item_key)
  const fields: ClipFields = {
    start_ms: input.start_ms,
    end_ms: input.end_ms,
    title: input.title,
    note: input.note ?? null,
    tags: normaliseTags(input.tags),
    scorecard_key: input.scorecard_key ?? null,
    item_key: input.item_key ?? null,
    polarity: input.polarity ?? null,
  }
  return db.withTransaction(async (tx) => {
    const clipId = await insertClip(tx, input.call_id, fields, userId)
    await audit(tx, { userId, action: 'clip.create', entity: 'clip', entityId: clipId, after: input })
    return clipId
  })
}

/** Changes a clip: what is not given stays; a null clears it; the result is checked as a new clip. */
export async function changeClip(
  db: Database,
  id: number,
  input: ClipInput,
  userId: number | null,
): Promise<void> {
  const before = await loadClip(db, id)
  const next: ClipFields = {
    start_ms: input.start_ms ?? before.start_ms,
    end_ms: input.end_ms ?? before.end_ms,
    title: input.title ?? before.title,
    note: input.note === undefined ? before.note : input.note,
    tags: input.tags === undefined ? before.tags : normaliseTags(input.tags),
    scorecard_key: input.scorecard_key === undefined ? before.scorecard_key : input.scorecard_key,
    item_key: input.item_key === undefined ? before.item_key : input.item_key,
    polarity: input.polarity === undefined ? before.polarity : input.polarity,
  }
  await checkSpan(db, before.call_id, next.start_ms, next.end_ms)
  await checkItem(db, next.scorecard_key, next.item_key)
  await db.withTransaction(async (tx) => {
    await updateClip(tx, before.id, next)
    const { created_at: _c, created_by: _b, agent_id: _a, ...old } = before
    await audit(tx, {
      userId,
      action: 'clip.update',
      entity: 'clip',
      entityId: before.id,
      before: old,
      after: { id: before.id, call_id: before.call_id, ...next },
    })
  })
}

/** Deletes a clip; it leaves every playlist (the foreign key cascades). */
export async function removeClip(db: Database, id: number, userId: number | null): Promise<void> {
  const before = await loadClip(db, id)
  await db.withTransaction(async (tx) => {
    await deleteClip(tx, before.id)
    await audit(tx, { userId, action: 'clip.delete', entity: 'clip', entityId: before.id, before })
  })
}

export async function loadPlaylist(db: Queryable, id: number, user?: UserRow) {
  const found = await playlistById(db, id)
  if (!found) throw new NotFoundError(`no playlist ${id}`)
  return {
    ...found.playlist,
    created_at: new Date(found.playlist.created_at).toISOString(),
    clips: found.clips.map((c) => clipAsSeenBy(user, iso(c))),
  }
}

/**
 * What an agent sees of a clip in a playlist shared with their team: what it teaches (title, tags,
 * the scorecard item, its length) and who cut it, to play it. Not whose call it is, nor the call,
 * nor how the trainer judged it ("bad") or their note: a clip of another agent's call is that
 * agent's performance, not theirs to read. On a clip of their own call they see the call too.
 * Everyone else sees the clip as stored.
 */
export function clipAsSeenBy<
  T extends { call_id: number; agent_id: string | null; note: string | null; polarity: string | null },
>(user: UserRow | undefined, clip: T): Omit<T, 'call_id'> & { call_id: number | null } {
  const agent = agentScope(user)
  if (agent === null) return clip
  const own = clip.agent_id === agent
  return {
    ...clip,
    note: null,
    polarity: null,
    call_id: own ? clip.call_id : null,
    agent_id: own ? clip.agent_id : null,
  }
}

/** Sets a playlist's clips in order; every clip must exist, and the missing ones are named. */
export async function setPlaylistClips(tx: Queryable, playlistId: number, clipIds: readonly number[]) {
  const have = await existingClips(tx, clipIds)
  const missing = clipIds.filter((id) => !have.has(id))
  if (missing.length > 0) throw new ValidationError(`no clips ${missing.join(', ')}`, { details: missing })
  await replacePlaylistItems(tx, playlistId, clipIds)
}

export async function createPlaylist(
  db: Database,
  input: { name: string; description?: string | null | undefined; clip_ids?: number[] | undefined },
  userId: number | null,
): Promise<number> {
  return db.withTransaction(async (tx) => {
    const playlistId = await insertPlaylist(tx, {
      name: input.name,
      description: input.description ?? null,
      createdBy: userId,
    })
    if (input.clip_ids) await setPlaylistClips(tx, playlistId, input.clip_ids)
    await audit(tx, {
      userId,
      action: 'playlist.create',
      entity: 'playlist',
      entityId: playlistId,
      after: input,
    })
    return playlistId
  })
}

export async function changePlaylistClips(
  db: Database,
  id: number,
  clipIds: number[],
  userId: number | null,
): Promise<void> {
  const before = await loadPlaylist(db, id)
  await db.withTransaction(async (tx) => {
    await setPlaylistClips(tx, before.id, clipIds)
    await audit(tx, {
      userId,
      action: 'playlist.clips',
      entity: 'playlist',
      entityId: before.id,
      before: { clip_ids: before.clips.map((c) => c.id) },
      after: { clip_ids: clipIds },
    })
  })
}

export async function removePlaylist(db: Database, id: number, userId: number | null): Promise<void> {
  const before = await loadPlaylist(db, id)
  await db.withTransaction(async (tx) => {
    await deletePlaylist(tx, before.id)
    await audit(tx, {
      userId,
      action: 'playlist.delete',
      entity: 'playlist',
      entityId: before.id,
      before: { name: before.name, clip_ids: before.clips.map((c) => c.id) },
    })
  })
}

/** Shares a playlist with a team's agents (or, with null, stops sharing it), audited. */
export async function sharePlaylist(db: Database, id: number, team: string | null, userId: number | null) {
  const before = await loadPlaylist(db, id)
  await db.withTransaction(async (tx) => {
    await setPlaylistTeam(tx, before.id, team)
    await audit(tx, {
      userId,
      action: 'playlist.share',
      entity: 'playlist',
      entityId: before.id,
      before: { shared_with_team: before.shared_with_team },
      after: { shared_with_team: team },
    })
  })
}

/**
 * Agents reach coaching only through playlists shared with a team their calls carry: such a
 * playlist, and the clips in it. Anything else is "not found" to them, as another agent's call is.
 */
export async function assertAgentMayOpen(
  db: Queryable,
  user: UserRow,
  what: { playlistId: number } | { clipId: number },
): Promise<void> {
  const agent = agentScope(user)
  if (agent === null) return
  if (!(await sharedWithAgent(db, agent, what)))
    throw new NotFoundError(
      'playlistId' in what ? `no playlist ${what.playlistId}` : `no clip ${what.clipId}`,
    )
}
