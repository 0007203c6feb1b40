import type { Database } from '../db/index.js'
import { upsertCallMetrics } from '../db/queries/call-metrics.js'
import { markDone } from '../db/queries/calls.js'
import { replaceSegments } from '../db/queries/segments.js'
import type { AnalyzeCallResult } from '../workers/analyze-call.js'

/**
 * Writes one call's derived data in ONE transaction: segments and metrics are replaced and the
 * call marked done together, so a crash leaves either the old result or the new one, never half.
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
    await markDone(tx, callId, {
      durationMs: result.durationMs,
      channelLayout: result.layout,
      audioFormat: result.source,
    })
  })
}
