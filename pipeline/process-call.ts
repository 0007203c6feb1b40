/**
 * One call through a worker and into the database: mark it processing, analyse it in the pool,
 * then save the result in one transaction, or mark the call failed with its reason. Used by local
 * ingest and by queue workers alike.
 */
import path from 'node:path'
import type { Piscina } from 'piscina'
import type { Database } from '../db/index.js'
import { type CallRow, markFailed, markProcessing } from '../db/queries/calls.js'
import { coerceError, errorCode } from '../errors.js'
import type { AnalyzeCallResult, AnalyzeCallTask, AsrTaskOptions } from '../workers/analyze-call.js'
import type { AnalyzeCallOutcome } from '../workers/call.worker.js'
import type { ResolvedMetricsOptions } from '../workers/stages/compute-metrics.js'
import type { ResolvedVadOptions } from '../workers/stages/detect-voice-activity.js'
import type { LayoutOption } from '../workers/types.js'
import { saveCallResult } from './persist.js'
import { writeRedactedAudio } from './transcript.js'

export const PIPELINE_VERSION = '0.1.0'

export type CallOutcome =
  | { status: 'done'; durationMs: number; result: AnalyzeCallResult }
  | { status: 'failed'; code: string; message: string }

/** Codes that say the recording itself is bad: running it again gives the same answer. */
const INPUT_ERRORS = new Set([
  'QA_ERR_INPUT_UNREADABLE',
  'QA_ERR_INPUT_EMPTY',
  'QA_ERR_AUDIO_DECODE',
  'QA_ERR_AUDIO_EMPTY',
  'QA_ERR_CHANNEL_LAYOUT',
])

export function isInputError(code: string): boolean {
  return INPUT_ERRORS.has(code)
}

export async function processCall({
  db,
  pool,
  storageDir,
  ffmpegPath,
  call,
  vad,
  metrics,
  asr,
  toggleSwap = false,
  redactAudio,
}: {
  db: Database
  pool: Piscina
  storageDir: string
  ffmpegPath: string
  call: CallRow
  vad: ResolvedVadOptions
  metrics: ResolvedMetricsOptions
  /** Local speech recognition for calls without a supplied transcript; undefined = off. */
  asr?: Omit<AsrTaskOptions, 'language'>
  /** Re-run with agent and customer the other way round, and store the call so (`callqa swap`). */
  toggleSwap?: boolean
  /** Write a redacted copy of the recording when local ASR found personal data. */
  redactAudio?: 'silence' | 'beep'
}): Promise<CallOutcome> {
  const current = await markProcessing(db, call.id, PIPELINE_VERSION)
  const task: AnalyzeCallTask = {
    inputPath: path.join(storageDir, call.storage_uri ?? ''),
    displayName: call.source_name,
    layout: call.requested_layout as LayoutOption,
    ffmpegPath,
    vad,
    metrics,
    swapSpeakers: current.speakers_swapped !== toggleSwap,
    direction: current.direction,
    ...(asr && current.transcript_status === 'none' ? { asr: { ...asr, language: current.language } } : {}),
  }
  let outcome: AnalyzeCallOutcome
  try {
    outcome = (await pool.run(task)) as AnalyzeCallOutcome
  } catch (thrown) {
    // The worker itself died (crash, out of memory): the call fails, the batch goes on.
    outcome = { ok: false, code: 'QA_ERR_WORKER', message: `worker failed: ${coerceError(thrown).message}` }
  }
  if (outcome.ok) {
    try {
      await saveCallResult(
        db,
        call.id,
        outcome.result,
        // What was asked for (a re-run asks the same) and what voice activity actually ran.
        { pipelineVersion: PIPELINE_VERSION, vad, metrics, vadUsed: outcome.result.vad },
        { toggleSwap },
      )
      await redactRecognisedAudio(db, call, outcome.result, storageDir, ffmpegPath, redactAudio)
      return { status: 'done', durationMs: outcome.result.durationMs, result: outcome.result }
    } catch (thrown) {
      outcome = {
        ok: false,
        code: errorCode(thrown),
        message: `could not save: ${coerceError(thrown).message}`,
      }
    }
  }
  await markFailed(db, call.id, outcome.code, outcome.message)
  return { status: 'failed', code: outcome.code, message: outcome.message }
}

/**
 * A transcript from local ASR is redacted in the worker; the audio copy with those spans silenced
 * (or beeped) is file work for the main thread, after the text is safely stored. Its failure is
 * noted on the call's transcript, never the call's.
 */
async function redactRecognisedAudio(
  db: Database,
  call: CallRow,
  result: AnalyzeCallResult,
  storageDir: string,
  ffmpegPath: string,
  mode: 'silence' | 'beep' | undefined,
): Promise<void> {
  const transcript = result.transcript
  if (!mode || transcript?.status !== 'asr') return
  if (!transcript.utterances.some((u) => u.redactions.length > 0)) return
  try {
    const key = await writeRedactedAudio(storageDir, call, transcript.utterances, ffmpegPath, mode)
    await db.query('UPDATE calls SET redacted_audio_uri = $2 WHERE id = $1', [call.id, key])
  } catch (thrown) {
    await db.query('UPDATE calls SET transcript_error = $2 WHERE id = $1', [
      call.id,
      `redacted audio copy failed: ${coerceError(thrown).message}`,
    ])
  }
}
