/**
 * Coaching clips and playlists as stored: a clip with its call's agent and who cut it, searching
 * clips, and a playlist's clips in order (replaced as a whole, in two statements).
 */
import { Conditions } from '../conditions.js'
import type { Queryable } from '../index.js'

/** What a trainer sets on a clip. */
export interface ClipFields {
  start_ms: number
  end_ms: number
  title: string
  note: string | null
  tags: string[]
  scorecard_key: string | null
  item_key: string | null
  polarity: string | null
}

/** A clip as stored and shown: its span of a call, what it illustrates, who cut it. */
export interface ClipRow extends ClipFields {
  id: number
  call_id: number
  created_by: string | null
  created_at: string
  agent_id: string | null
}

const CLIP_SELECT = `SELECT k.id, k.call_id, k.start_ms, k.end_ms, k.title, k.note, k.tags, k.scorecard_key, k.item_key,
         k.polarity, u.name AS created_by, k.created_at, c.agent_id
  FROM clips k JOIN calls c ON c.id = k.call_id LEFT JOIN users u ON u.id = k.created_by`

export async function clipById(db: Queryable, id: number): Promise<ClipRow | undefined> {
  return (await db.query<ClipRow>(`${CLIP_SELECT} WHERE k.id = $1`, [id])).rows[0]
}

export interface ClipSearch {
  /** every tag given must be on the clip (already normalised) */
  tags?: string[] | undefined
  scorecard?: string | undefined
  item?: string | undefined
  polarity?: string | undefined
  call_id?: number | undefined
  /** words in the title or note, matched literally (no LIKE wildcards from the user) */
  q?: string | undefined
  limit?: number | undefined
}

export async function searchClips(db: Queryable, s: ClipSearch): Promise<ClipRow[]> {
  const where = new Conditions()
  if (s.tags?.length) where.add('k.tags @> ?::text[]', s.tags)
  if (s.scorecard) where.add('k.scorecard_key = ?', s.scorecard)
  if (s.item) where.add('k.item_key = ?', s.item)
  if (s.polarity) where.add('k.polarity = ?', s.polarity)
  if (s.call_id) where.add('k.call_id = ?', s.call_id)
  if (s.q)
    where.add(
      "(k.title ILIKE ? ESCAPE '\\' OR k.note ILIKE ? ESCAPE '\\')",
      `%${s.q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`,
    )
  const limit = where.param(s.limit ?? 50)
  return (
    await db.query<ClipRow>(
      `${CLIP_SELECT} WHERE ${where.sql} ORDER BY k.id DESC LIMIT ${limit}`,
      where.params,
    )
  ).rows
}

export async function insertClip(
  tx: Queryable,
  callId: number,
  f: ClipFields,
  createdBy: number | null,
): Promise<number> {
  const res = await tx.query<{ id: number }>(
    `INSERT INTO clips (call_id, start_ms, end_ms, title, note, tags, scorecard_key, item_key, polarity, created_by)
     VALUES ($1, $2, $3, $4, $5, $6::text[], $7, $8, $9, $10) RETURNING id`,
    [
      callId,
      f.start_ms,
      f.end_ms,
      f.title,
      f.note,
      f.tags,
      f.scorecard_key,
      f.item_key,
      f.polarity,
      createdBy,
    ],
  )
  return res.rows[0]?.id as number
}

export async function updateClip(tx: Queryable, id: number, f: ClipFields): Promise<void> {
  await tx.query(
    `UPDATE clips SET start_ms = $2, end_ms = $3, title = $4, note = $5, tags = $6::text[], scorecard_key = $7,
       item_key = $8, polarity = $9 WHERE id = $1`,
    [id, f.start_ms, f.end_ms, f.title, f.note, f.tags, f.scorecard_key, f.item_key, f.polarity],
  )
}

export async function deleteClip(tx: Queryable, id: number): Promise<void> {
  await tx.query('DELETE FROM clips WHERE id = $1', [id])
}

/** The storage key a clip is cut from: the call's redacted copy when there is one. */
export async function clipSourceKey(db: Queryable, callId: number): Promise<string | null> {
  const res = await db.query<{ storage_uri: string | null; redacted_audio_uri: string | null }>(
    'SELECT storage_uri, redacted_audio_uri FROM calls WHERE id = $1',
    [callId],
  )
  return res.rows[0]?.redacted_audio_uri ?? res.rows[0]?.storage_uri ?? null
}

/** A call's length and state, for checking a clip's span. */
export async function callSpan(db: Queryable, callId: number) {
  const res = await db.query<{ duration_ms: number | null; status: string }>(
    'SELECT duration_ms, status FROM calls WHERE id = $1',
    [callId],
  )
  return res.rows[0]
}

export interface PlaylistRow {
  id: number
  name: string
  description: string | null
  /** the team whose agents see it (null: coaching staff only) */
  shared_with_team: string | null
  created_by: string | null
  created_at: string
}

export async function playlistById(db: Queryable, id: number) {
  const res = await db.query<PlaylistRow>(
    `SELECT p.id, p.name, p.description, p.shared_with_team, u.name AS created_by, p.created_at
     FROM playlists p LEFT JOIN users u ON u.id = p.created_by WHERE p.id = $1`,
    [id],
  )
  const playlist = res.rows[0]
  if (!playlist) return undefined
  const clips = await db.query<ClipRow>(
    `${CLIP_SELECT} JOIN playlist_items pi ON pi.clip_id = k.id WHERE pi.playlist_id = $1 ORDER BY pi.position`,
    [id],
  )
  return { playlist, clips: clips.rows }
}

/**
 * Playlists with their clip counts, newest first: all of them, or (`agent`) those shared with a
 * team the agent's calls carry.
 */
export async function listPlaylists(db: Queryable, agent: string | null = null) {
  const res = await db.query<PlaylistRow & { clips: number }>(
    `SELECT p.id, p.name, p.description, p.shared_with_team, u.name AS created_by, p.created_at,
            (SELECT count(*)::int FROM playlist_items pi WHERE pi.playlist_id = p.id) AS clips
     FROM playlists p LEFT JOIN users u ON u.id = p.created_by
     WHERE $1::text IS NULL OR p.shared_with_team IN (SELECT DISTINCT c.team FROM calls c WHERE c.agent_id = $1)
     ORDER BY p.id DESC LIMIT 500`,
    [agent],
  )
  return res.rows
}

/** Whether a playlist, or a playlist holding a clip, is shared with a team this agent's calls carry. */
export async function sharedWithAgent(
  db: Queryable,
  agent: string,
  what: { playlistId: number } | { clipId: number },
): Promise<boolean> {
  const res = await db.query(
    `SELECT 1 FROM playlists p
     WHERE p.shared_with_team IN (SELECT DISTINCT c.team FROM calls c WHERE c.agent_id = $1)
       AND ($2::bigint IS NULL OR p.id = $2)
       AND ($3::bigint IS NULL OR EXISTS (SELECT 1 FROM playlist_items pi WHERE pi.playlist_id = p.id AND pi.clip_id = $3))
     LIMIT 1`,
    [agent, 'playlistId' in what ? what.playlistId : null, 'clipId' in what ? what.clipId : null],
  )
  return res.rows.length > 0
}

export async function setPlaylistTeam(tx: Queryable, id: number, team: string | null): Promise<void> {
  await tx.query('UPDATE playlists SET shared_with_team = $2 WHERE id = $1', [id, team])
}

export async function insertPlaylist(
  tx: Queryable,
  p: { name: string; description: string | null; createdBy: number | null },
): Promise<number> {
  const res = await tx.query<{ id: number }>(
    'INSERT INTO playlists (name, description, created_by) VALUES ($1, $2, $3) RETURNING id',
    [p.name, p.description, p.createdBy],
  )
  return res.rows[0]?.id as number
}

export async function deletePlaylist(tx: Queryable, id: number): Promise<void> {
  await tx.query('DELETE FROM playlists WHERE id = $1', [id])
}

/** Which of these clip ids exist. */
export async function existingClips(db: Queryable, ids: readonly number[]): Promise<Set<number>> {
  const found = await db.query<{ id: number }>('SELECT id FROM clips WHERE id = ANY($1::bigint[])', [ids])
  return new Set(found.rows.map((r) => r.id))
}

/** Replaces a playlist's clips with these, in this order. */
export async function replacePlaylistItems(tx: Queryable, playlistId: number, clipIds: readonly number[]) {
  await tx.query('DELETE FROM playlist_items WHERE playlist_id = $1', [playlistId])
  await tx.query(
    `INSERT INTO playlist_items (playlist_id, clip_id, position)
     SELECT $1, clip_id, position FROM unnest($2::bigint[]) WITH ORDINALITY AS t(clip_id, position)`,
    [playlistId, clipIds],
  )
}

/** Calls where the customer started low and ended high, the biggest rise first. */
export async function recoveryCandidates(db: Queryable, startMax: number, endMin: number, limit: number) {
  const res = await db.query<{
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
    [startMax, endMin, limit],
  )
  return res.rows
}

/** The customer's turns of these calls with their sentiment, in one query whatever their number. */
export async function customerTurns(db: Queryable, callIds: readonly number[]) {
  const res = await db.query<{ call_id: number; start_ms: number; end_ms: number; sentiment: number | null }>(
    `SELECT call_id, start_ms, end_ms, sentiment FROM utterances
     WHERE call_id = ANY($1::bigint[]) AND speaker = 'customer' ORDER BY call_id, seq`,
    [callIds],
  )
  return res.rows
}

/**
 * Automatic evaluations where an item had this result, on one card version: calls with timed
 * evidence first, then those whose score lies furthest from the result (the clearest examples).
 */
export async function itemExamples(
  db: Queryable,
  scorecardId: number,
  itemKey: string,
  result: 'pass' | 'fail',
  limit: number,
) {
  const res = await db.query<{
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
    [scorecardId, itemKey, result, limit],
  )
  return res.rows
}
