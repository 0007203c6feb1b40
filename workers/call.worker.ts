/**
 * piscina entry: narrows the task and hands it to the stages. No logic lives here.
 * Failures come back as data: an Error's own `code` does not survive the thread boundary.
 */

import {
  type AnalyzeCallResult,
  analyzeCall,
  assertAnalyzeCallTask,
  prepareAnalysis,
} from '../analysis/analyze-call.js'
import { coerceError, errorCode } from '../errors.js'

prepareAnalysis()

export type AnalyzeCallOutcome =
  | { ok: true; result: AnalyzeCallResult }
  | { ok: false; code: string; message: string }

export default async function analyzeCallTask(task: unknown): Promise<AnalyzeCallOutcome> {
  try {
    assertAnalyzeCallTask(task)
    return { ok: true, result: await analyzeCall(task) }
  } catch (thrown) {
    return { ok: false, code: errorCode(thrown), message: coerceError(thrown).message }
  }
}
