import type { AnalyzeCallResult } from '../analysis/analyze-call.js'
import { type Conclusions, concludeCall } from '../analysis/conclude.js'
import type { ComputeMetricsOptions } from '../analysis/stages/compute-metrics.js'
import type { Database } from '../db/index.js'
import { callContext, writeConclusions } from '../db/queries/conclusions.js'
import { LeaseLostError } from '../errors.js'
import { callsConcluded } from './concluded.js'

/**
 * Writes one analysed call in ONE transaction, under its lease: the conclusions the worker drew
 * (transcript, roles, segments, holds, metrics, arousal, sentiment, language: analysis/conclude.ts)
 * are written as they are, the call is marked done, and the calls-concluded step scores it, files
 * what it is about and marks its day's trends for refreshing (pipeline/concluded.ts). A crash leaves
 * either the old result or the new one. A result without conclusions (a caller that analysed
 * without a context) is concluded here first, outside the transaction.
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
  const conclusions: Conclusions =
    result.conclusions ?? concludeCall(result, await callContext(db, callId, toggleSwap), params.metrics)
  await db.withTransaction(async (tx) => {
    if (!(await writeConclusions(tx, callId, conclusions, { result, params, toggleSwap, owner })))
      throw new LeaseLostError(`call ${callId} was claimed by another process; this result is not saved`)
    await callsConcluded(tx, [callId])
  })
}
