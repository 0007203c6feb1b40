import type { RedactedUtterance } from '../../workers/stages/redact-utterances.js'
import type { Queryable } from '../index.js'

/** Replaces a call's utterances in one statement (arrays as parameters). */
export async function replaceUtterances(
  db: Queryable,
  callId: number,
  utterances: readonly RedactedUtterance[],
  language: string | null,
): Promise<void> {
  await db.query('DELETE FROM utterances WHERE call_id = $1', [callId])
  if (utterances.length === 0) return
  await db.query(
    `INSERT INTO utterances (call_id, seq, speaker, start_ms, end_ms, text, text_redacted, words, redactions, language)
     SELECT $1, u.seq, u.speaker, u.start_ms, u.end_ms, u.text, u.text_redacted, u.words::jsonb, u.redactions::jsonb, $10
     FROM unnest($2::int[], $3::text[], $4::int[], $5::int[], $6::text[], $7::text[], $8::text[], $9::text[])
       AS u (seq, speaker, start_ms, end_ms, text, text_redacted, words, redactions)`,
    [
      callId,
      utterances.map((u) => u.seq),
      utterances.map((u) => u.speaker),
      utterances.map((u) => u.startMs),
      utterances.map((u) => u.endMs),
      utterances.map((u) => u.text),
      utterances.map((u) => u.textRedacted),
      utterances.map((u) =>
        u.words
          ? JSON.stringify(u.words.map((w) => ({ word: w.word, start_ms: w.startMs, end_ms: w.endMs })))
          : null,
      ),
      utterances.map((u) =>
        JSON.stringify(u.redactions.map((r) => ({ kind: r.kind, start_ms: r.startMs, end_ms: r.endMs }))),
      ),
      language,
    ],
  )
}

export interface UtteranceRow {
  seq: number
  speaker: string
  start_ms: number
  end_ms: number
  text: string | null
  text_redacted: string
  words: Array<{ word: string; start_ms: number; end_ms: number }> | null
  redactions: Array<{ kind: string; start_ms: number; end_ms: number }>
}

export async function listUtterances(db: Queryable, callId: number): Promise<UtteranceRow[]> {
  const res = await db.query<UtteranceRow>(
    'SELECT seq, speaker, start_ms, end_ms, text, text_redacted, words, redactions FROM utterances WHERE call_id = $1 ORDER BY seq',
    [callId],
  )
  return res.rows
}

/** The call's transcript outcome; `redactedAudio` is the silenced copy's storage key (none: NULL). */
export async function setTranscriptStatus(
  db: Queryable,
  callId: number,
  status: {
    status: 'none' | 'supplied' | 'failed'
    format?: string | null
    source?: string | null
    error?: string | null
    redactedAudio?: string | null
  },
): Promise<void> {
  await db.query(
    `UPDATE calls SET transcript_status = $2, transcript_format = $3, transcript_source = $4, transcript_error = $5,
       redacted_audio_uri = $6
     WHERE id = $1`,
    [
      callId,
      status.status,
      status.format ?? null,
      status.source ?? null,
      status.error ?? null,
      status.redactedAudio ?? null,
    ],
  )
}
