/**
 * Spreading calls over processes and machines with pg-boss (a Postgres-backed job queue: jobs are
 * claimed with SKIP LOCKED, retried with backoff, and survive restarts). `callqa ingest --queue`
 * stores recordings and enqueues their calls; `callqa worker` on any machine with the same database
 * and the same (shared) recordings folder processes them with its local piscina pool.
 * Needs a Postgres server: PGlite is one connection in one process.
 */

import PgBoss from 'pg-boss'
import type { ResolvedMetricsOptions } from '../analysis/stages/compute-metrics.js'
import type { ResolvedVadOptions } from '../analysis/stages/detect-voice-activity.js'
import { type Database, withServerLock } from '../db/index.js'
import { type CallRow, getCall } from '../db/queries/calls.js'
import { ConfigError, retryTransient, WorkerError } from '../errors.js'
import { type CallAnalyser, type CallOutcome, isInputError } from './process-call.js'

/**
 * The queue of calls to analyse. Policy `short`: at most one job per call waits in it (a call
 * enqueued twice by two `ingest --queue` runs is one job); a job that arrives while another is
 * being worked on finds the call claimed or done and completes without analysing it. (The earlier
 * queue, `callqa-analyze-call`, was a standard queue, where singletonKey does nothing; calls left
 * in it are found by the sweeper and enqueued here.)
 */
export const ANALYZE_QUEUE = 'callqa-analyze'

/** A job's data: which call, and the options it was ingested with. */
export interface AnalyzeJob {
  callId: number
  vad: ResolvedVadOptions
  metrics: ResolvedMetricsOptions
}

export async function openQueue({
  databaseUrl,
  schema,
}: {
  databaseUrl: string | undefined
  /** pg-boss's own schema; default `callqa_queue`. */
  schema?: string
}): Promise<PgBoss> {
  if (!databaseUrl) throw new ConfigError('the job queue needs a Postgres server: set DATABASE_URL')
  const queueSchema = schema ?? 'callqa_queue'
  // Setting up is retried as a whole: a database blip while starting must not stop a worker.
  return retryTransient(async () => {
    // pg-boss hands its whole config to pg.Pool: a broken connection must not hang a worker, so
    // connecting gives up after 10 s (and is tried again), and no statement runs longer than 60 s.
    const boss = new PgBoss({
      connectionString: databaseUrl,
      schema: queueSchema,
      max: 4,
      connectionTimeoutMillis: 10_000,
      statement_timeout: 60_000,
    } as PgBoss.ConstructorOptions)
    // Background maintenance errors must not crash the process; report them.
    boss.on('error', (err: Error) => console.error(`callqa: job queue: ${err.message}`))
    try {
      // pg-boss creates a queue's table without a lock: two processes starting on a fresh database
      // (workers and `ingest --queue` launched together) deadlock there. One at a time, then.
      await withServerLock(databaseUrl, `callqa.queue-setup:${queueSchema}`, async () => {
        await boss.start()
        if (await boss.getQueue(ANALYZE_QUEUE)) return
        await boss.createQueue(ANALYZE_QUEUE, {
          name: ANALYZE_QUEUE,
          policy: 'short',
          // Only infrastructure failures are retried (bad recordings complete as failed calls).
          retryLimit: 3,
          retryDelay: 5,
          retryBackoff: true,
          // A job held by a dead worker is not waited for: its call's lease runs out within a minute
          // and the sweeper enqueues the call again (pipeline/sweeper.ts). This only tidies the old job.
          expireInSeconds: 3600,
        })
      })
    } catch (thrown) {
      // A half-started queue keeps timers and connections: the process would never exit.
      await boss.stop({ graceful: false, wait: true }).catch(() => {})
      throw thrown
    }
    return boss
  })
}

export async function enqueueCall(
  boss: PgBoss,
  call: CallRow,
  options: Omit<AnalyzeJob, 'callId'>,
): Promise<void> {
  // singletonKey on a `short` queue: a call already waiting in the queue is not queued twice
  // (send returns null then).
  await boss.send(ANALYZE_QUEUE, { callId: call.id, ...options } satisfies AnalyzeJob, {
    singletonKey: String(call.id),
  })
}

export interface QueueWorkerEvent {
  callId: number
  sourceName: string
  outcome: CallOutcome
}

/**
 * Processes queued calls until `stop()`: `concurrency` polling loops, each running one call at a
 * time in the pool. Returns once polling has started.
 */
export async function startQueueWorker({
  boss,
  db,
  analyser,
  concurrency,
  pollingIntervalSeconds = 2,
  onCall,
}: {
  boss: PgBoss
  db: Database
  /** this worker's analysis (its pool, ASR and redaction settings), built once from its config */
  analyser: CallAnalyser
  concurrency: number
  pollingIntervalSeconds?: number
  onCall?: (event: QueueWorkerEvent) => void
}): Promise<{ stop(): Promise<void> }> {
  const handle = async (jobs: PgBoss.Job<AnalyzeJob>[]) => {
    for (const job of jobs) {
      const call = await retryTransient(() => getCall(db, job.data.callId))
      // Deleted since, or already finished by an earlier delivery of the same job: nothing to do.
      if (!call || call.status === 'done') continue
      const outcome = await analyser.analyse(call, { vad: job.data.vad, metrics: job.data.metrics })
      onCall?.({ callId: call.id, sourceName: call.source_name, outcome })
      // A bad recording stays failed; anything else (worker crash, database) is worth a retry.
      // Skipped (another process holds the call, or finished it): nothing more to do here.
      if (outcome.status === 'failed' && !isInputError(outcome.code)) {
        throw new WorkerError(`call ${call.id} failed with ${outcome.code}: ${outcome.message}`)
      }
    }
  }
  for (let i = 0; i < concurrency; i++) {
    await boss.work<AnalyzeJob>(ANALYZE_QUEUE, { batchSize: 1, pollingIntervalSeconds }, handle)
  }
  return {
    async stop() {
      await boss.offWork(ANALYZE_QUEUE)
    },
  }
}
