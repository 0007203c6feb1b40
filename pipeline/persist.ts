import type { Database } from '../db/index.js'
import { updateSentimentSummary, upsertCallMetrics } from '../db/queries/call-metrics.js'
import { markDone } from '../db/queries/calls.js'
import { replaceSegments } from '../db/queries/segments.js'
import { listUtterances, setUtteranceArousal } from '../db/queries/utterances.js'
import type { AnalyzeCallResult } from '../workers/analyze-call.js'
import { summarizeSentiment, utteranceArousal } from '../workers/stages/summarize-sentiment.js'

/**
 * Writes one call's derived data in ONE transaction: segments and metrics are replaced, the
 * utterances (stored at ingest) get their arousal, the call-level sentiment summary is computed,
 * and the call marked done, together — a crash leaves either the old result or the new one.
 */
export async function saveCallResult(
  db: Database,
  callId: number,
  result: AnalyzeCallResult,
  params: unknown,
): Promise<void> {
  await db.withTransaction(async (tx) => {
    await replaceSegments(tx, callId, result.segments)
    await upsertCallMetrics(tx, callId, result.metrics, params)
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
    })
  })
}
