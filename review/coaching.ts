/**
 * Coaching as stored: clips (a span of an analysed call, what it illustrates and whether done well
 * or badly, tags), playlists of clips in order, and the checks a clip must pass (its span inside
 * its call, its item on the card). No HTTP here; the routes in api/routes/clips.ts,
 * playlists.ts and suggestions.ts call these.
 */
import type { Queryable } from '../db/index.js'
import { latestScorecard } from '../db/queries/scorecards.js'
import { NotFoundError, ValidationError } from '../errors.js'
import type { Item, ScorecardDefinition } from '../scorecards/schema.js'

/** A clip as stored and shown: its span of a call, what it illustrates, who cut it. */
export interface ClipRow {
  id: number
  call_id: number
  start_ms: number
  end_ms: number
  title: string
  note: string | null
  tags: string[]
  scorecard_key: string | null
  item_key: string | null
  polarity: string | null
  created_by: string | null
  created_at: string
  agent_id: string | null
}

/** A clip is an example, not a call: ten minutes at most. */
export const MAX_CLIP_MS = 10 * 60_000

export const CLIP_SELECT = `SELECT k.id, k.call_id, k.start_ms, k.end_ms, k.title, k.note, k.tags, k.scorecard_key, k.item_key,
         k.polarity, u.name AS created_by, k.created_at, c.agent_id
  FROM clips k JOIN calls c ON c.id = k.call_id LEFT JOIN users u ON u.id = k.created_by`

export const normaliseTags = (tags: readonly string[] | undefined) => [
  ...new Set((tags ?? []).map((t) => t.trim().toLowerCase())),
]
export const iso = (row: ClipRow) => ({ ...row, created_at: new Date(row.created_at).toISOString() })

export async function loadClip(db: Queryable, id: number): Promise<ClipRow> {
  const res = await db.query<ClipRow>(`${CLIP_SELECT} WHERE k.id = $1`, [id])
  const clip = res.rows[0]
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

/** Checks a clip's span lies inside its (analysed) call. */
export async function checkSpan(db: Queryable, callId: number, startMs: number, endMs: number) {
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
export function itemWindow(item: Item | undefined, durationMs: number): [number, number] {
  const w = item && 'window' in item ? item.window : undefined
  if (w?.first_s) return [0, Math.min(durationMs, w.first_s * 1000)]
  if (w?.last_s) return [Math.max(0, durationMs - w.last_s * 1000), durationMs]
  if (w?.first_pct) return [0, Math.round((durationMs * w.first_pct) / 100)]
  if (w?.last_pct) return [Math.round(durationMs * (1 - w.last_pct / 100)), durationMs]
  return [0, Math.min(durationMs, 30_000)]
}

export async function loadPlaylist(db: Queryable, id: number) {
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

export async function setPlaylistClips(tx: Queryable, playlistId: number, clipIds: readonly number[]) {
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
