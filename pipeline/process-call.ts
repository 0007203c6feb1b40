/**
 * One call through a worker and into the database: mark it processing, analyse it in the pool,
 * then save the result in one transaction, or mark the call failed with its reason. Used by local
 * ingest and by queue workers alike.
 */
import { randomBytes } from 'node:crypto'
import os from 'node:os'
import path from 'node:path'
import type { Piscina } from 'piscina'
import type { AnalyzeCallResult, AnalyzeCallTask, AsrTaskOptions } from '../analysis/analyze-call.js'
import type { CallContext } from '../analysis/conclude.js'
import type { ResolvedMetricsOptions } from '../analysis/stages/compute-metrics.js'
import type { ResolvedVadOptions } from '../analysis/stages/detect-voice-activity.js'
import type { LayoutOption } from '../analysis/types.js'
import type { Database } from '../db/index.js'
import {
  type CallRow,
  type Claim,
  claimCall,
  DEFAULT_LEASE_MS,
  markFailed,
  renewLease,
} from '../db/queries/calls.js'
import { callContext } from '../db/queries/conclusions.js'
import { coerceError, errorCode, isTransientDbError, LeaseLostError, retryTransient } from '../errors.js'
import type { AnalyzeCallOutcome } from '../workers/call.worker.js'
import { saveCallResult } from './persist.js'
import { writeRedactedAudio } from './transcript.js'

export const PIPELINE_VERSION = '0.1.0'

export type CallOutcome =
  | { status: 'done'; durationMs: number; result: AnalyzeCallResult }
  | { status: 'failed'; code: string; message: string }
  /** Not this process's to analyse: another holds its claim, or it is finished already. */
  | { status: 'skipped'; reason: string }

/** This process, as the owner of the calls it claims: host, pid and a random part. */
export const PROCESS_OWNER = `${os.hostname()}:${process.pid}:${randomBytes(4).toString('hex')}`

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

/** How one call is analysed: its VAD and metric options, resolved once where the run starts. */
export interface AnalysisOptions {
  vad: ResolvedVadOptions
  metrics: ResolvedMetricsOptions
}

/** What every analysis in a process shares: built once from config (cli/options.ts analyserSettings). */
export interface AnalyserConfig {
  db: Database
  pool: Piscina
  storageDir: string
  ffmpegPath: string
  /** Local speech recognition for calls without a supplied transcript; undefined = off. */
  asr?: Omit<AsrTaskOptions, 'language'> | undefined
  /** Write a redacted copy of the recording when local ASR found personal data. */
  redactAudio?: 'silence' | 'beep' | undefined
  /** How long a claim lasts unless renewed (renewed every quarter of it). */
  leaseMs?: number | undefined
  /** How long an analysed call's save waits for an unreachable database (default 30 minutes). */
  saveRetryMs?: number | undefined
}

/** How long a finished analysis waits for the database to come back before it is handed on. */
export const DEFAULT_SAVE_RETRY_MS = 30 * 60_000

/**
 * The one door into analysis: ingest, an upload, a swap (CLI or API) and a queue worker all hand
 * a stored call to `analyse`, so a setting (ASR, audio redaction, the lease) cannot differ by door.
 */
export interface CallAnalyser {
  analyse(call: CallRow, options: AnalysisOptions): Promise<CallOutcome>
}

export function callAnalyser(config: AnalyserConfig): CallAnalyser {
  const { asr, redactAudio, leaseMs, saveRetryMs, ...shared } = config
  return {
    analyse: (call, options) =>
      processCall({
        ...shared,
        call,
        ...options,
        ...(asr ? { asr } : {}),
        ...(redactAudio ? { redactAudio } : {}),
        ...(leaseMs ? { leaseMs } : {}),
        ...(saveRetryMs ? { saveRetryMs } : {}),
      }),
  }
}

/** One call to analyse, and how (callAnalyser fills the process's settings in). */
export interface ProcessCallInput {
  db: Database
  pool: Piscina
  storageDir: string
  ffmpegPath: string
  call: CallRow
  vad: ResolvedVadOptions
  metrics: ResolvedMetricsOptions
  /** Local speech recognition for calls without a supplied transcript; undefined = off. */
  asr?: Omit<AsrTaskOptions, 'language'>
  /** Write a redacted copy of the recording when local ASR found personal data. */
  redactAudio?: 'silence' | 'beep'
  /** How long a claim lasts unless renewed (renewed every quarter of it). */
  leaseMs?: number
  /** How long an analysed call's save waits for an unreachable database. */
  saveRetryMs?: number
}

export async function processCall(input: ProcessCallInput): Promise<CallOutcome> {
  const { db, call, leaseMs = DEFAULT_LEASE_MS } = input
  const owner = PROCESS_OWNER
  // The claim is atomic: two ingests, two workers, or an ingest beside a server never analyse one
  // call at once. Transient database errors (a restart, a dropped connection) are retried.
  const claim = await retryTransient(() => claimCall(db, call.id, owner, PIPELINE_VERSION, leaseMs))
  if (!claim) return { status: 'skipped', reason: await whyNotClaimed(db, call.id) }
  const lease = keepLease(db, call.id, owner, leaseMs)
  const began = performance.now()
  let outcome: CallOutcome | undefined
  try {
    outcome = await analyseClaimed(input, claim, lease.lost)
    return outcome
  } finally {
    lease.stop()
    const status = outcome?.status === 'done' ? 'done' : 'failed'
    const seconds = (performance.now() - began) / 1000
    for (const observe of analysedObservers) observe(status, seconds)
  }
}

type AnalysedObserver = (status: 'done' | 'failed', seconds: number) => void
const analysedObservers = new Set<AnalysedObserver>()

/**
 * Tells `observe` of every call this process claims and finishes (done, or failed, thrown
 * included), with the seconds from its claim to its save: the server's metrics. Returns how to stop.
 */
export function observeAnalysed(observe: AnalysedObserver): () => void {
  analysedObservers.add(observe)
  return () => analysedObservers.delete(observe)
}

async function whyNotClaimed(db: Database, id: number): Promise<string> {
  const now = await retryTransient(() =>
    db.query<{ status: string }>('SELECT status FROM calls WHERE id = $1', [id]),
  )
  const status = now.rows[0]?.status
  return status === 'processing'
    ? 'being analysed by another process right now'
    : `already ${status ?? 'deleted'}`
}

/**
 * The claim is renewed while the worker runs; if it is lost (this process stalled past its lease
 * and another took the call), the analysis is abandoned and nothing is saved. The worker is not
 * aborted: terminating a thread in the middle of an ONNX run takes the whole process down
 * (onnxruntime-node throws from its finaliser), so the analysis finishes and its result is dropped.
 */
function keepLease(db: Database, id: number, owner: string, leaseMs: number) {
  let lost = false
  const heartbeat = setInterval(() => {
    renewLease(db, id, owner, leaseMs)
      .then((held) => {
        if (!held) lost = true
      })
      .catch(() => {
        // A database blip: the next beat tries again; the save checks the claim anyway.
      })
  }, leaseMs / 4)
  heartbeat.unref()
  return { lost: () => lost, stop: () => clearInterval(heartbeat) }
}

/** The worker's task for a claimed call. */
function taskFor(input: ProcessCallInput, claim: Claim, conclude: CallContext): AnalyzeCallTask {
  const { call, storageDir, ffmpegPath, vad, metrics, asr } = input
  return {
    conclude,
    inputPath: path.join(storageDir, call.storage_uri ?? ''),
    displayName: call.source_name,
    layout: call.requested_layout as LayoutOption,
    ffmpegPath,
    vad,
    metrics,
    swapSpeakers: claim.speakers_swapped !== claim.swap_pending,
    direction: claim.direction,
    ...(asr && claim.transcript_status === 'none' ? { asr: { ...asr, language: claim.language } } : {}),
  }
}

async function analyseClaimed(
  input: ProcessCallInput,
  claim: Claim,
  lost: () => boolean,
): Promise<CallOutcome> {
  const { db, pool, call } = input
  // A swap (requestSwap) is stored on the call, so a swap whose process died is still one. What
  // the call has stored (its transcript, who is who) goes with the task: the worker draws the
  // call's conclusions too, and the save only writes them.
  const conclude = await retryTransient(() => callContext(db, call.id, claim.swap_pending))
  let outcome: AnalyzeCallOutcome
  try {
    outcome = (await pool.run(taskFor(input, claim, conclude))) as AnalyzeCallOutcome
    if (lost()) return { status: 'skipped', reason: 'claimed by another process meanwhile' }
  } catch (thrown) {
    // The worker itself died (crash, out of memory): the call fails, the batch goes on.
    outcome = { ok: false, code: 'QA_ERR_WORKER', message: `worker failed: ${coerceError(thrown).message}` }
  }
  const failed = outcome.ok ? await saveAnalysed(input, claim, outcome.result) : outcome
  if (!('ok' in failed)) return failed
  const marked = await retryTransient(() =>
    markFailed(db, call.id, failed.code, failed.message, PROCESS_OWNER),
  )
  if (!marked) return { status: 'skipped', reason: 'claimed by another process meanwhile' }
  return { status: 'failed', code: failed.code, message: failed.message }
}

/**
 * Saves an analysed call under its claim: its outcome, or why it failed to save. A transient
 * database error (a restart, an outage of minutes) retries the whole transaction while the result
 * waits here; the claim is this process's as long as no other took the call (the save checks the
 * owner, not the clock). An outage longer than the window leaves the call claimed, not failed: its
 * lease runs out and it is analysed again.
 */
async function saveAnalysed(
  input: ProcessCallInput,
  claim: Claim,
  result: AnalyzeCallResult,
): Promise<CallOutcome | { ok: false; code: string; message: string }> {
  const {
    db,
    call,
    vad,
    metrics,
    storageDir,
    ffmpegPath,
    redactAudio,
    saveRetryMs = DEFAULT_SAVE_RETRY_MS,
  } = input
  try {
    await retryTransient(
      () =>
        saveCallResult(
          db,
          call.id,
          result,
          // What was asked for (a re-run asks the same) and what voice activity actually ran.
          { pipelineVersion: PIPELINE_VERSION, vad, metrics, vadUsed: result.vad },
          { toggleSwap: claim.swap_pending, owner: PROCESS_OWNER },
        ),
      { totalMs: saveRetryMs },
    )
    await redactRecognisedAudio(db, call, result, storageDir, ffmpegPath, redactAudio)
    return { status: 'done', durationMs: result.durationMs, result }
  } catch (thrown) {
    if (thrown instanceof LeaseLostError) return { status: 'skipped', reason: thrown.message }
    if (isTransientDbError(thrown))
      return {
        status: 'skipped',
        reason: `the database stayed unreachable for ${Math.round(saveRetryMs / 60_000)} min; the call is analysed again once its lease runs out`,
      }
    return { ok: false, code: errorCode(thrown), message: `could not save: ${coerceError(thrown).message}` }
  }
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
