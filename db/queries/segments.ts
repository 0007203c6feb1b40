import type { ProsodicSegment } from '../../analysis/stages/prosody.js'
import type { Segment } from '../../analysis/types.js'
import type { Queryable } from '../index.js'

/** Replaces a call's segments. Arrays as parameters: one statement, whatever the segment count. */
export async function replaceSegments(
  db: Queryable,
  callId: number,
  segments: ReadonlyArray<Segment & Partial<ProsodicSegment>>,
): Promise<void> {
  await db.query('DELETE FROM segments WHERE call_id = $1', [callId])
  if (segments.length === 0) return
  await db.query(
    `INSERT INTO segments (call_id, speaker, start_ms, end_ms, loudness_db, pitch_hz, speech_rate, arousal, agitated)
     SELECT $1, s.speaker, s.start_ms, s.end_ms, s.loudness_db, s.pitch_hz, s.speech_rate, s.arousal, s.agitated
     FROM unnest($2::text[], $3::int[], $4::int[], $5::real[], $6::real[], $7::real[], $8::real[], $9::boolean[])
       AS s (speaker, start_ms, end_ms, loudness_db, pitch_hz, speech_rate, arousal, agitated)`,
    [
      callId,
      segments.map((s) => s.speaker),
      segments.map((s) => s.startMs),
      segments.map((s) => s.endMs),
      segments.map((s) => s.loudnessDb ?? null),
      segments.map((s) => s.pitchHz ?? null),
      segments.map((s) => s.rate ?? null),
      segments.map((s) => s.arousal ?? null),
      segments.map((s) => s.agitated ?? false),
    ],
  )
}

export async function listProsodicSegments(db: Queryable, callId: number): Promise<ProsodicSegment[]> {
  const res = await db.query<{
    speaker: Segment['speaker']
    start_ms: number
    end_ms: number
    loudness_db: number | null
    pitch_hz: number | null
    speech_rate: number | null
    arousal: number | null
    agitated: boolean
  }>(
    `SELECT speaker, start_ms, end_ms, loudness_db, pitch_hz, speech_rate, arousal, agitated
     FROM segments WHERE call_id = $1 ORDER BY start_ms, speaker`,
    [callId],
  )
  return res.rows.map((r) => ({
    speaker: r.speaker,
    startMs: r.start_ms,
    endMs: r.end_ms,
    loudnessDb: r.loudness_db,
    pitchHz: r.pitch_hz,
    rate: r.speech_rate,
    arousal: r.arousal,
    agitated: r.agitated,
  }))
}

export async function listSegments(db: Queryable, callId: number): Promise<Segment[]> {
  const res = await db.query<{ speaker: Segment['speaker']; start_ms: number; end_ms: number }>(
    'SELECT speaker, start_ms, end_ms FROM segments WHERE call_id = $1 ORDER BY start_ms, speaker',
    [callId],
  )
  return res.rows.map((r) => ({ speaker: r.speaker, startMs: r.start_ms, endMs: r.end_ms }))
}
