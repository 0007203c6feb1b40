import type { Database } from '../db/index.js'
import { updateSentimentSummary, upsertCallMetrics } from '../db/queries/call-metrics.js'
import { markDone } from '../db/queries/calls.js'
import { daysOfCalls, refreshDailyStats } from '../db/queries/daily-stats.js'
import { replaceSegments } from '../db/queries/segments.js'
import {
  listUtterances,
  replaceUtterances,
  setTranscriptStatus,
  setUtteranceArousal,
} from '../db/queries/utterances.js'
import type { AnalyzeCallResult } from '../workers/analyze-call.js'
import { summarizeSentiment, utteranceArousal } from '../workers/stages/summarize-sentiment.js'
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
  params: unknown,
  { toggleSwap = false }: { toggleSwap?: boolean } = {},
): Promise<void> {
  await db.withTransaction(async (tx) => {
    if (toggleSwap) {
      // The audio was analysed swapped; the stored transcript turns round in the same transaction.
      await tx.query('UPDATE calls SET speakers_swapped = NOT speakers_swapped WHERE id = $1', [callId])
      await tx.query(
        `UPDATE utterances SET speaker = CASE speaker WHEN 'agent' THEN 'customer' WHEN 'customer' THEN 'agent'
           ELSE speaker END
         WHERE call_id = $1`,
        [callId],
      )
    }
    await replaceSegments(tx, callId, result.segments)
    await upsertCallMetrics(tx, callId, result.metrics, params)
    const asr = result.transcript
    if (asr?.status === 'asr') {
      await replaceUtterances(tx, callId, asr.utterances)
      await setTranscriptStatus(tx, callId, {
        status: 'asr',
        format: asr.engine,
        source: 'local speech recognition',
      })
    } else if (asr) {
      // No recogniser, or it failed: the call still completes, acoustic-only, and says why.
      await replaceUtterances(tx, callId, [])
      await setTranscriptStatus(tx, callId, { status: asr.status, source: asr.engine, error: asr.error })
    }
    const utterances = (await listUtterances(tx, callId)).map((u) => ({
      seq: u.seq,
      speaker: u.speaker,
      startMs: u.start_ms,
      endMs: u.end_ms,
      sentiment: u.sentiment,
    }))
    await setUtteranceArousal(
      tx,
      callId,
      utterances.map((u) => ({ seq: u.seq, arousal: utteranceArousal(u, result.segments) })),
    )
    await updateSentimentSummary(
      tx,
      callId,
      summarizeSentiment({ utterances, segments: result.segments, durationMs: result.durationMs }),
    )
    await markDone(tx, callId, {
      durationMs: result.durationMs,
      channelLayout: result.layout,
      audioFormat: result.source,
      channelCheck: result.channelCheck,
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
    await evaluateCall(tx, callId)
    await refreshDailyStats(tx, await daysOfCalls(tx, [callId]))
  })
}
