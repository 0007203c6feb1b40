import type { Segment } from '../../workers/types.js'
import type { Queryable } from '../index.js'

/** Replaces a call's segments. Arrays as parameters: one statement, whatever the segment count. */
export async function replaceSegments(
  db: Queryable,
  callId: number,
  segments: readonly Segment[],
): Promise<void> {
  await db.query('DELETE FROM segments WHERE call_id = $1', [callId])
  if (segments.length === 0) return
  await db.query(
    `INSERT INTO segments (call_id, speaker, start_ms, end_ms)
     SELECT $1, s.speaker, s.start_ms, s.end_ms
     FROM unnest($2::text[], $3::int[], $4::int[]) AS s (speaker, start_ms, end_ms)`,
    [callId, segments.map((s) => s.speaker), segments.map((s) => s.startMs), segments.map((s) => s.endMs)],
  )
}

export async function listSegments(db: Queryable, callId: number): Promise<Segment[]> {
  const res = await db.query<{ speaker: Segment['speaker']; start_ms: number; end_ms: number }>(
    'SELECT speaker, start_ms, end_ms FROM segments WHERE call_id = $1 ORDER BY start_ms, speaker',
    [callId],
  )
  return res.rows.map((r) => ({ speaker: r.speaker, startMs: r.start_ms, endMs: r.end_ms }))
}
