/**
 * Where a stored call goes to be analysed when it arrives other than by `callqa ingest`: an
 * upload or a swap over the API. Either a piscina pool inside the server process (the default,
 * and the only choice on embedded PGlite), or the pg-boss queue that `callqa worker` processes
 * on any machine (`callqa serve --queue`).
 */
import type PgBoss from 'pg-boss'
import type { AsrTaskOptions } from '../analysis/analyze-call.js'
import { type ComputeMetricsOptions, resolveMetricsOptions } from '../analysis/stages/compute-metrics.js'
import {
  type DetectVoiceActivityOptions,
  resolveVadOptions,
} from '../analysis/stages/detect-voice-activity.js'
import type { Database, Queryable } from '../db/index.js'
import { type CallRow, CLAIM_LIVE } from '../db/queries/calls.js'
import { createPool } from './pool.js'
import { type AnalysisOptions, callAnalyser } from './process-call.js'
import { enqueueCall } from './queue.js'

/** The options a call is analysed with (process-call.ts). */
export type SubmitOptions = AnalysisOptions

export interface CallProcessor {
  readonly kind: 'local' | 'queue'
  /** Hands a stored, queued call over for analysis; resolves once it is handed over. */
  submit(call: CallRow, options: SubmitOptions): Promise<void>
  /** Resolves when nothing handed to this process is still running (local only). */
  idle(): Promise<void>
  close(): Promise<void>
}

/** The analysis options a call was last run with (for a re-run), else the defaults. */
export async function storedOptions(db: Queryable, callId: number): Promise<SubmitOptions> {
  const stored = await db.query<{
    params: { vad?: DetectVoiceActivityOptions; metrics?: ComputeMetricsOptions }
  }>('SELECT params FROM call_metrics WHERE call_id = $1', [callId])
  const params = stored.rows[0]?.params ?? {}
  return { vad: resolveVadOptions(params.vad), metrics: resolveMetricsOptions(params.metrics) }
}

export function defaultOptions(): SubmitOptions {
  return { vad: resolveVadOptions(undefined), metrics: resolveMetricsOptions(undefined) }
}

/**
 * Analyses calls in this process, in the background, with its own pool. A call that fails is
 * recorded failed by processCall; a database failure is logged (the call stays queued, and
 * `callqa ingest --reprocess` or a restart picks it up).
 */
export function localProcessor({
  db,
  storageDir,
  ffmpegPath,
  threads,
  asr,
  redactAudio,
  leaseMs,
  onError = (err) => console.error(`callqa: background analysis: ${err.message}`),
}: {
  db: Database
  storageDir: string
  ffmpegPath: string
  threads: number
  asr?: Omit<AsrTaskOptions, 'language'>
  redactAudio?: 'silence' | 'beep'
  leaseMs?: number
  onError?: (err: Error) => void
}): CallProcessor {
  const pool = createPool({ threads })
  const analyser = callAnalyser({ db, pool, storageDir, ffmpegPath, asr, redactAudio, leaseMs })
  const running = new Set<Promise<void>>()
  return {
    kind: 'local',
    async submit(call, options) {
      const job = analyser
        .analyse(call, options)
        .then(() => undefined)
        .catch((err: Error) => onError(err))
      running.add(job)
      void job.finally(() => running.delete(job))
    },
    async idle() {
      while (running.size > 0) await Promise.all([...running])
    },
    async close() {
      await this.idle()
      await pool.destroy()
    },
  }
}

/** Hands calls to the pg-boss queue; `callqa worker` processes them. */
export function queueProcessor(boss: PgBoss): CallProcessor {
  return {
    kind: 'queue',
    async submit(call, options) {
      await enqueueCall(boss, call, { vad: options.vad, metrics: options.metrics })
    },
    async idle() {},
    async close() {
      await boss.stop({ graceful: true })
    },
  }
}

/**
 * Calls the API handed over (uploaded or swapped) that a stopped server left queued or half
 * analysed, with no live claim: hands them over again (a swap is stored on the call, so it stays a
 * swap). The call itself says it is the server's (server_pending); calls an `ingest` run stored
 * are that run's. Returns how many.
 */
export async function resumeInterrupted(db: Queryable, processor: CallProcessor): Promise<number> {
  const res = await db.query<CallRow>(
    `SELECT * FROM calls
     WHERE server_pending AND storage_uri IS NOT NULL
       AND (status = 'queued' OR (status = 'processing' AND NOT ${CLAIM_LIVE}))
     ORDER BY id`,
  )
  for (const call of res.rows) await processor.submit(call, await storedOptions(db, call.id))
  return res.rows.length
}
