/**
 * The save of an analysed call, as SQL: what the call had stored when it was claimed (for the
 * worker to conclude from), and the worker's conclusions written as they are (analysis/conclude.ts).
 */
import type { AnalyzeCallResult } from '../../analysis/analyze-call.js'
import type { CallContext, Conclusions } from '../../analysis/conclude.js'
import type { Queryable } from '../index.js'
import { updateSentimentSummary, upsertCallMetrics } from './call-metrics.js'
import { markDone } from './calls.js'
import { replaceSegments } from './segments.js'
import { replaceUtterances, setTranscriptStatus, setUtteranceArousal } from './utterances.js'

/** The stored call a worker concludes from: its transcript and who-is-who facts. */
export async function callContext(db: Queryable, callId: number, toggleSwap: boolean): Promise<CallContext> {
  const call = (
    await db.query<{
      transcript_status: CallContext['transcriptStatus']
      transcript_format: string | null
      transcript_source: string | null
      transcript_trusted: boolean | null
      requested_layout: string
      direction: 'inbound' | 'outbound' | null
      role_source: string | null
    }>(
      `SELECT transcript_status, transcript_format, transcript_source, transcript_trusted, requested_layout,
              direction, role_decision->>'source' AS role_source
       FROM calls WHERE id = $1`,
      [callId],
    )
  ).rows[0]
  const utterances = await db.query<{
    seq: number
    speaker: string
    start_ms: number
    end_ms: number
    text_redacted: string
    words: Array<{ word: string; start_ms: number; end_ms: number }> | null
    sentiment: number | null
    language: string | null
  }>(
    `SELECT seq, speaker, start_ms, end_ms, text_redacted, words, sentiment, language
     FROM utterances WHERE call_id = $1 ORDER BY seq`,
    [callId],
  )
  // A live call's stretches without audio (pauses, discarded audio, gaps), from its session.
  const live = await db.query<{ stretches: Array<{ start_ms: number; end_ms: number }> }>(
    'SELECT stretches FROM live_sessions WHERE call_id = $1',
    [callId],
  )
  return {
    excluded: live.rows.flatMap((r) => r.stretches.map((s) => ({ startMs: s.start_ms, endMs: s.end_ms }))),
    transcriptStatus: call?.transcript_status ?? 'none',
    transcriptFormat: call?.transcript_format ?? null,
    transcriptSource: call?.transcript_source ?? null,
    transcriptTrusted: call?.transcript_trusted ?? null,
    requestedLayout: call?.requested_layout ?? 'auto',
    direction: call?.direction ?? null,
    roleDecided: call?.role_source === 'metadata' || call?.role_source === 'manual',
    toggleSwap,
    utterances: utterances.rows.map((u) => ({
      seq: u.seq,
      speaker: u.speaker,
      startMs: u.start_ms,
      endMs: u.end_ms,
      text: u.text_redacted,
      words: u.words?.map((w) => ({ word: w.word, startMs: w.start_ms, endMs: w.end_ms })) ?? null,
      sentiment: u.sentiment,
      language: u.language,
    })),
  }
}

/** Writes a call's conclusions and marks it done (in the caller's transaction, under its lease). */
export async function writeConclusions(
  tx: Queryable,
  callId: number,
  c: Conclusions,
  { result, params, toggleSwap }: { result: AnalyzeCallResult; params: unknown; toggleSwap: boolean },
): Promise<void> {
  if (c.transcript?.kind === 'replace') {
    await replaceUtterances(tx, callId, c.transcript.utterances)
    await setTranscriptStatus(tx, callId, c.transcript.status)
  } else if (c.transcript?.kind === 'misfit') {
    await replaceUtterances(tx, callId, [])
    await setTranscriptStatus(tx, callId, c.transcript.status)
  }
  if (c.speakers.length > 0)
    await tx.query(
      `UPDATE utterances u SET speaker = v.speaker
       FROM unnest($2::int[], $3::text[]) AS v(seq, speaker)
       WHERE u.call_id = $1 AND u.seq = v.seq`,
      [callId, c.speakers.map((s) => s.seq), c.speakers.map((s) => s.speaker)],
    )
  // A swap asked for by a person: no evidence overrides it afterwards.
  const decision = toggleSwap ? { source: 'manual' } : c.roleDecision
  await tx.query(
    `UPDATE calls SET speakers_swapped = CASE WHEN $2 THEN NOT speakers_swapped ELSE speakers_swapped END,
       role_decision = coalesce($3::jsonb, role_decision),
       language = coalesce(language, $4)
     WHERE id = $1`,
    [callId, c.flips % 2 === 1, decision ? JSON.stringify(decision) : null, c.language],
  )
  await replaceSegments(tx, callId, c.segments)
  await upsertCallMetrics(tx, callId, c.metrics, params, c.holds, c.episodes)
  await setUtteranceArousal(tx, callId, c.arousal)
  await updateSentimentSummary(tx, callId, c.sentiment)
  await markDone(tx, callId, {
    durationMs: result.durationMs,
    channelLayout: result.layout,
    audioFormat: result.source,
    channelCheck: result.channelCheck,
    diarization: result.diarization,
  })
}
