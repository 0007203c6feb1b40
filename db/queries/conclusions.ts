/**
 * The save of an analysed call, as SQL: what the call had stored when it was claimed (for the
 * worker to conclude from), and the worker's conclusions written as they are (analysis/conclude.ts).
 */
import type { AnalyzeCallResult } from '../../analysis/analyze-call.js'
import type { CallContext, Conclusions } from '../../analysis/conclude.js'
import type { Queryable } from '../index.js'
import { saveCallMetrics } from './call-metrics.js'
import { finishCall } from './calls.js'
import { replaceSegments } from './segments.js'
import { replaceUtterances, setUtteranceArousal, type UtteranceRow, wordTimes } from './utterances.js'

/** The stored call a worker concludes from: its transcript and who-is-who facts (one statement). */
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
      utterances: Array<
        Pick<
          UtteranceRow,
          'seq' | 'speaker' | 'start_ms' | 'end_ms' | 'text_redacted' | 'words' | 'sentiment' | 'language'
        >
      >
      /** a live call's stretches without audio (pauses, discarded audio, gaps), from its session */
      excluded: Array<{ start_ms: number; end_ms: number }>
    }>(
      `SELECT c.transcript_status, c.transcript_format, c.transcript_source, c.transcript_trusted,
              c.requested_layout, c.direction, c.role_decision->>'source' AS role_source,
              coalesce((SELECT json_agg(json_build_object('seq', u.seq, 'speaker', u.speaker,
                          'start_ms', u.start_ms, 'end_ms', u.end_ms, 'text_redacted', u.text_redacted,
                          'words', u.words, 'sentiment', u.sentiment, 'language', u.language) ORDER BY u.seq)
                        FROM utterances u WHERE u.call_id = c.id), '[]') AS utterances,
              coalesce((SELECT jsonb_agg(s.stretch) FROM live_sessions l
                          CROSS JOIN LATERAL jsonb_array_elements(l.stretches) AS s(stretch)
                        WHERE l.call_id = c.id), '[]') AS excluded
       FROM calls c WHERE c.id = $1`,
      [callId],
    )
  ).rows[0]
  return {
    excluded: (call?.excluded ?? []).map((s) => ({ startMs: s.start_ms, endMs: s.end_ms })),
    transcriptStatus: call?.transcript_status ?? 'none',
    transcriptFormat: call?.transcript_format ?? null,
    transcriptSource: call?.transcript_source ?? null,
    transcriptTrusted: call?.transcript_trusted ?? null,
    requestedLayout: call?.requested_layout ?? 'auto',
    direction: call?.direction ?? null,
    roleDecided: call?.role_source === 'metadata' || call?.role_source === 'manual',
    toggleSwap,
    utterances: (call?.utterances ?? []).map((u) => ({
      seq: u.seq,
      speaker: u.speaker,
      startMs: u.start_ms,
      endMs: u.end_ms,
      text: u.text_redacted,
      words: wordTimes(u.words),
      sentiment: u.sentiment,
      language: u.language,
    })),
  }
}

/**
 * Writes a call's conclusions and marks it done, in the caller's transaction. With `owner`, only
 * under that claim: the call's row is updated (and held) first, and false comes back, with nothing
 * else written, when the claim is no longer this owner's.
 */
export async function writeConclusions(
  tx: Queryable,
  callId: number,
  c: Conclusions,
  {
    result,
    params,
    toggleSwap,
    owner,
  }: { result: AnalyzeCallResult; params: unknown; toggleSwap: boolean; owner?: string | undefined },
): Promise<boolean> {
  const transcript =
    c.transcript?.kind === 'replace' || c.transcript?.kind === 'misfit' ? c.transcript : undefined
  // A swap asked for by a person: no evidence overrides it afterwards.
  const decision = toggleSwap ? { source: 'manual' } : c.roleDecision
  const held = await finishCall(tx, callId, owner, {
    flip: c.flips % 2 === 1,
    roleDecision: decision ?? null,
    language: c.language,
    transcript: transcript?.status,
    durationMs: result.durationMs,
    channelLayout: result.layout,
    audioFormat: result.source,
    channelCheck: result.channelCheck,
    diarization: result.diarization,
  })
  if (!held) return false
  if (transcript)
    await replaceUtterances(tx, callId, transcript.kind === 'replace' ? transcript.utterances : [])
  if (c.speakers.length > 0)
    await tx.query(
      `UPDATE utterances u SET speaker = v.speaker
       FROM unnest($2::int[], $3::text[]) AS v(seq, speaker)
       WHERE u.call_id = $1 AND u.seq = v.seq`,
      [callId, c.speakers.map((s) => s.seq), c.speakers.map((s) => s.speaker)],
    )
  await replaceSegments(tx, callId, c.segments)
  await saveCallMetrics(tx, callId, c.metrics, params, c.holds, c.episodes, c.sentiment)
  await setUtteranceArousal(tx, callId, c.arousal)
  return true
}
