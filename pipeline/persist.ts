import type { AnalyzeCallResult } from '../analysis/analyze-call.js'
import {
  type ComputeMetricsOptions,
  computeMetrics,
  metricEpisodes,
} from '../analysis/stages/compute-metrics.js'
import { detectHolds } from '../analysis/stages/detect-holds.js'
import { detectRoles, partyOf } from '../analysis/stages/detect-roles.js'
import { summarizeSentiment, utteranceArousal } from '../analysis/stages/summarize-sentiment.js'
import type { Database } from '../db/index.js'
import { updateSentimentSummary, upsertCallMetrics } from '../db/queries/call-metrics.js'
import { holdsLease, markDone } from '../db/queries/calls.js'
import { daysOfCalls, refreshDailyStats } from '../db/queries/daily-stats.js'
import { loadCallFacts } from '../db/queries/scorecards.js'
import { replaceSegments } from '../db/queries/segments.js'
import {
  listUtterances,
  replaceUtterances,
  setTranscriptStatus,
  setUtteranceArousal,
} from '../db/queries/utterances.js'
import { LeaseLostError } from '../errors.js'
import { describeCalls } from './describe.js'
import { evaluateCall } from './rescore.js'

/**
 * Writes one call's derived data in ONE transaction: segments and metrics are replaced, a local
 * ASR transcript (if any) stored, the utterances get their arousal, the call-level sentiment
 * summary is computed, the call marked done and every active scorecard that applies evaluated,
 * together — a crash leaves either the old result or the new one.
 */
export async function saveCallResult(
  db: Database,
  callId: number,
  result: AnalyzeCallResult,
  params: { metrics?: ComputeMetricsOptions } & Record<string, unknown>,
  {
    toggleSwap = false,
    owner,
  }: {
    toggleSwap?: boolean
    /** The claim the result is saved under: nothing is written unless it is still this owner's. */
    owner?: string
  } = {},
): Promise<void> {
  const metricsOptions = params.metrics
  await db.withTransaction(async (tx) => {
    if (owner !== undefined && !(await holdsLease(tx, callId, owner)))
      throw new LeaseLostError(`call ${callId} was claimed by another process; this result is not saved`)
    if (toggleSwap) {
      // The audio was analysed swapped; the stored transcript turns round in the same transaction.
      // A person said which side is the agent: no evidence overrides that afterwards.
      await tx.query(
        `UPDATE calls SET speakers_swapped = NOT speakers_swapped, role_decision = '{"source": "manual"}'
         WHERE id = $1`,
        [callId],
      )
      await tx.query(
        `UPDATE utterances SET speaker = CASE speaker WHEN 'agent' THEN 'customer' WHEN 'customer' THEN 'agent'
           ELSE speaker END
         WHERE call_id = $1`,
        [callId],
      )
    }
    const asr = result.transcript
    if (asr?.status === 'asr') {
      await replaceUtterances(tx, callId, asr.utterances)
      await setTranscriptStatus(tx, callId, {
        status: 'asr',
        format: asr.engine,
        source: 'local speech recognition',
        confidence: asr.quality.confidence,
        trusted: asr.quality.trusted,
      })
    } else if (asr) {
      // No recogniser, or it failed: the call still completes, acoustic-only, and says why.
      await replaceUtterances(tx, callId, [])
      await setTranscriptStatus(tx, callId, { status: asr.status, source: asr.engine, error: asr.error })
    }
    // A supplied transcript must fit the audio it came with (times within its length, with a
    // little tolerance for rounding and trailing silence); one that does not is of another call,
    // or broken: it fails with the reason and feeds nothing (the call completes acoustic-only).
    const supplied = (
      await tx.query<{
        transcript_status: string
        transcript_format: string | null
        transcript_source: string | null
        last_ms: number | null
      }>(
        `SELECT c.transcript_status, c.transcript_format, c.transcript_source,
                (SELECT max(u.end_ms) FROM utterances u WHERE u.call_id = c.id) AS last_ms
         FROM calls c WHERE c.id = $1`,
        [callId],
      )
    ).rows[0]
    const tolerance = Math.max(2000, result.durationMs * 0.02)
    if (
      supplied?.transcript_status === 'supplied' &&
      supplied.last_ms !== null &&
      supplied.last_ms > result.durationMs + tolerance
    ) {
      await replaceUtterances(tx, callId, [])
      await setTranscriptStatus(tx, callId, {
        status: 'failed',
        format: supplied.transcript_format,
        source: supplied.transcript_source,
        error: `the transcript's times reach ${(supplied.last_ms / 1000).toFixed(1)} s but the recording lasts ${(result.durationMs / 1000).toFixed(1)} s: it does not belong to this recording`,
      })
    }
    const call = (
      await tx.query<{
        transcript_trusted: boolean | null
        requested_layout: string
        direction: 'inbound' | 'outbound' | null
        role_decision: { source: string } | null
      }>('SELECT transcript_trusted, requested_layout, direction, role_decision FROM calls WHERE id = $1', [
        callId,
      ])
    ).rows[0]
    let stored = await listUtterances(tx, callId)
    // Only trusted text feeds anything automatic (roles, announced holds).
    const textOf = (rows: typeof stored) =>
      call?.transcript_trusted === true
        ? rows.map((u) => ({
            speaker: u.speaker,
            startMs: u.start_ms,
            endMs: u.end_ms,
            text: u.text_redacted,
            words: u.words?.map((w) => ({ word: w.word, startMs: w.start_ms, endMs: w.end_ms })) ?? null,
          }))
        : []

    // Who is the agent, when nobody said: the evidence of the call (analysis/stages/detect-roles.ts).
    let segments = result.segments
    // Two parties: one per channel, or two voices told apart on one channel.
    const twoParties =
      result.layout === 'stereo-agent-left' ||
      result.layout === 'stereo-agent-right' ||
      result.diarization !== undefined
    const decided = call?.role_decision?.source === 'metadata' || call?.role_decision?.source === 'manual'
    if (twoParties && call?.requested_layout === 'auto' && !decided && !toggleSwap) {
      const decision = detectRoles({ segments, utterances: textOf(stored), direction: call.direction })
      if (decision.swap) {
        segments = segments.map((seg) => ({
          ...seg,
          speaker: seg.speaker === 'agent' ? 'customer' : 'agent',
        }))
        // Each utterance goes with the party whose speech it overlaps, whatever the transcript said.
        const relabelled = stored.map((u) => ({
          seq: u.seq,
          speaker: partyOf({ startMs: u.start_ms, endMs: u.end_ms }, segments) ?? swapRole(u.speaker),
        }))
        await tx.query(
          `UPDATE utterances u SET speaker = v.speaker
           FROM unnest($2::int[], $3::text[]) AS v(seq, speaker)
           WHERE u.call_id = $1 AND u.seq = v.seq`,
          [callId, relabelled.map((r) => r.seq), relabelled.map((r) => r.speaker)],
        )
        await tx.query('UPDATE calls SET speakers_swapped = NOT speakers_swapped WHERE id = $1', [callId])
        stored = await listUtterances(tx, callId)
      }
      // On one channel the parties are voices: the first to speak (the agent's on inbound calls
      // and when the direction is unknown, as the worker named them), or the other one.
      const firstIsAgent = (call.direction !== 'outbound') !== decision.swap
      const agentChannel = result.diarization
        ? firstIsAgent
          ? 'first voice'
          : 'second voice'
        : (result.layout === 'stereo-agent-left') !== decision.swap
          ? 'left'
          : 'right'
      await tx.query('UPDATE calls SET role_decision = $2 WHERE id = $1', [
        callId,
        JSON.stringify({
          source: decision.evidence.some((e) => e.cue.endsWith('said')) ? 'transcript' : 'turn-taking',
          agent: agentChannel,
          swapped: decision.swap,
          margin: decision.margin,
          evidence: decision.evidence.slice(0, 20),
        }),
      ])
    }
    await replaceSegments(tx, callId, segments)
    const utterances = stored.map((u) => ({
      seq: u.seq,
      speaker: u.speaker,
      startMs: u.start_ms,
      endMs: u.end_ms,
      sentiment: u.sentiment,
    }))
    // Holds the agent announced are found in the transcript, when it can be trusted; with those
    // of music from the audio, the call's silences are split into holds and dead air.
    const holds = detectHolds({ segments, utterances: textOf(stored), music: result.music })
    const metrics = computeMetrics({
      segments,
      durationMs: result.durationMs,
      mono: result.layout === 'mono' && !result.diarization,
      oneChannel: result.diarization !== undefined,
      options: metricsOptions,
      holds,
    })
    const episodes = metricEpisodes({ segments, options: metricsOptions, holds })
    await upsertCallMetrics(tx, callId, metrics, params, holds, {
      deadAir: episodes.deadAir,
      // One channel told apart in two voices: overlap is not measured, so none is marked either.
      overtalk: metrics.overtalkCount === null ? null : episodes.overtalk,
    })
    await setUtteranceArousal(
      tx,
      callId,
      utterances.map((u) => ({ seq: u.seq, arousal: utteranceArousal(u, segments) })),
    )
    await updateSentimentSummary(
      tx,
      callId,
      summarizeSentiment({ utterances, segments, durationMs: result.durationMs }),
    )
    await markDone(tx, callId, {
      durationMs: result.durationMs,
      channelLayout: result.layout,
      audioFormat: result.source,
      channelCheck: result.channelCheck,
      diarization: result.diarization,
    })
    // Without a language in the metadata, the transcript's (most utterances) stands in, so
    // language-specific scorecards can apply.
    await tx.query(
      `UPDATE calls SET language = (
         SELECT u.language FROM utterances u WHERE u.call_id = $1 AND u.language IS NOT NULL
         GROUP BY u.language ORDER BY count(*) DESC, u.language LIMIT 1)
       WHERE id = $1 AND language IS NULL`,
      [callId],
    )
    // The scorecards and the call's description read the same stored facts: loaded once.
    const facts = await loadCallFacts(tx, [callId])
    await evaluateCall(tx, callId, facts.get(callId))
    await describeCalls(tx, [callId], { facts })
    await refreshDailyStats(tx, await daysOfCalls(tx, [callId]))
  })
}

function swapRole(speaker: string): string {
  return speaker === 'agent' ? 'customer' : speaker === 'customer' ? 'agent' : speaker
}
