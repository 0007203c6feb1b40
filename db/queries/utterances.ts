import type { ScoredUtterance } from '../../analysis/stages/score-sentiment.js'
import type { SentimentTerm } from '../../models/sentiment/explain.js'
import type { Queryable } from '../index.js'

/** Replaces a call's utterances in one statement (arrays as parameters). */
export async function replaceUtterances(
  db: Queryable,
  callId: number,
  utterances: readonly ScoredUtterance[],
): Promise<void> {
  await db.query('DELETE FROM utterances WHERE call_id = $1', [callId])
  if (utterances.length === 0) return
  await db.query(
    `INSERT INTO utterances
       (call_id, seq, speaker, start_ms, end_ms, text, text_redacted, words, redactions, language, sentiment,
        sentiment_terms)
     SELECT $1, u.seq, u.speaker, u.start_ms, u.end_ms, u.text, u.text_redacted, u.words::jsonb, u.redactions::jsonb,
       u.language, u.sentiment, u.sentiment_terms::jsonb
     FROM unnest($2::int[], $3::text[], $4::int[], $5::int[], $6::text[], $7::text[], $8::text[], $9::text[],
       $10::text[], $11::real[], $12::text[])
       AS u (seq, speaker, start_ms, end_ms, text, text_redacted, words, redactions, language, sentiment, sentiment_terms)`,
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
      utterances.map((u) => u.language),
      utterances.map((u) => u.sentiment),
      utterances.map((u) => (u.sentimentTerms ? JSON.stringify(u.sentimentTerms) : null)),
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
  language: string | null
  sentiment: number | null
  sentiment_terms: SentimentTerm[] | null
  arousal: number | null
}

/** Stored word times (`words` of a row) as the analysis reads them. */
export function wordTimes(
  words: UtteranceRow['words'],
): Array<{ word: string; startMs: number; endMs: number }> | null {
  return words?.map((w) => ({ word: w.word, startMs: w.start_ms, endMs: w.end_ms })) ?? null
}

/** A call's utterances in order; a page of them with `afterSeq`/`limit` (large calls are paged). */
export async function listUtterances(
  db: Queryable,
  callId: number,
  { afterSeq = -1, limit }: { afterSeq?: number; limit?: number } = {},
): Promise<UtteranceRow[]> {
  const res = await db.query<UtteranceRow>(
    `SELECT seq, speaker, start_ms, end_ms, text, text_redacted, words, redactions, language, sentiment,
            sentiment_terms, arousal
     FROM utterances WHERE call_id = $1 AND seq > $2 ORDER BY seq LIMIT $3`,
    [callId, afterSeq, limit ?? null],
  )
  return res.rows
}

/**
 * What is stored of a call's transcript (calls.transcript_*): its outcome; `redactedAudio` is the
 * silenced copy's storage key (none: NULL).
 */
export interface TranscriptStatus {
  status: 'none' | 'supplied' | 'asr' | 'failed'
  format?: string | null
  source?: string | null
  error?: string | null
  redactedAudio?: string | null
  /** Local recognition: the decoder's mean word posterior. */
  confidence?: number | null
  /** Whether anything automatic may be derived from the text (default: supplied or recognised). */
  trusted?: boolean | null
}

/** The calls columns a transcript status sets, in the order of `transcriptValues`. */
export const TRANSCRIPT_COLUMNS = [
  'transcript_status',
  'transcript_format',
  'transcript_source',
  'transcript_error',
  'redacted_audio_uri',
  'transcript_confidence',
  'transcript_trusted',
] as const

export function transcriptValues(status: TranscriptStatus): unknown[] {
  const hasText = status.status === 'supplied' || status.status === 'asr'
  return [
    status.status,
    status.format ?? null,
    status.source ?? null,
    status.error ?? null,
    status.redactedAudio ?? null,
    status.confidence ?? null,
    hasText ? (status.trusted ?? true) : null,
  ]
}

const SET_TRANSCRIPT = `UPDATE calls SET ${TRANSCRIPT_COLUMNS.map((c, i) => `${c} = $${i + 2}`).join(', ')} WHERE id = $1`

export async function setTranscriptStatus(
  db: Queryable,
  callId: number,
  status: TranscriptStatus,
): Promise<void> {
  await db.query(SET_TRANSCRIPT, [callId, ...transcriptValues(status)])
}

/** Sets utterances' arousal, matched by seq (arrays as parameters). */
export async function setUtteranceArousal(
  db: Queryable,
  callId: number,
  values: ReadonlyArray<{ seq: number; arousal: number | null }>,
): Promise<void> {
  if (values.length === 0) return
  await db.query(
    `UPDATE utterances u SET arousal = v.arousal
     FROM unnest($2::int[], $3::real[]) AS v (seq, arousal)
     WHERE u.call_id = $1 AND u.seq = v.seq`,
    [callId, values.map((v) => v.seq), values.map((v) => v.arousal)],
  )
}
