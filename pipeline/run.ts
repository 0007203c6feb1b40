/**
 * ingest → pool → persist for a batch of recordings. The main thread hashes, stores and writes
 * to Postgres; the workers decode and analyse. One bad file fails its own call, never the batch.
 */
import path from 'node:path'
import type { Piscina } from 'piscina'
import type { AnalyzeCallResult, AsrTaskOptions } from '../analysis/analyze-call.js'
import {
  type ComputeMetricsOptions,
  type ResolvedMetricsOptions,
  resolveMetricsOptions,
} from '../analysis/stages/compute-metrics.js'
import {
  type DetectVoiceActivityOptions,
  type ResolvedVadOptions,
  resolveVadOptions,
} from '../analysis/stages/detect-voice-activity.js'
import type { LayoutOption } from '../analysis/types.js'
import type { Database } from '../db/index.js'
import {
  type CallMetadata,
  type CallRow,
  claimIsLive,
  insertUnreadableCall,
  requeueCall,
} from '../db/queries/calls.js'
import { coerceError, errorCode, InputUnreadableError, retryTransient } from '../errors.js'
import { type DiscoveredInput, discoverInputs } from './discover.js'
import { storeRecording } from './intake.js'
import { emptyMetadata, type MetadataIndex } from './metadata.js'
import { sweepOrphans } from './orphans.js'
import { type CallOutcome, callAnalyser } from './process-call.js'
import { refreshMarkedDays } from './rollups.js'
import { openRegularFile, receiveFile } from './storage.js'
import { ingestTranscript, type TranscriptOutcome } from './transcript.js'

export interface IngestOptions {
  layout?: LayoutOption
  /** Run calls again even when the same recording was processed before. */
  reprocess?: boolean
  metadata?: MetadataIndex
  vad?: DetectVoiceActivityOptions
  metrics?: ComputeMetricsOptions
  /** Store the original transcript text beside the redacted one (off: only redacted text is kept). */
  keepOriginalText?: boolean
  /** Also write a copy of each recording with its redacted spans silenced. */
  redactAudio?: boolean | 'silence' | 'beep'
  /** Local speech recognition for calls without a supplied transcript; undefined = off. */
  asr?: Omit<AsrTaskOptions, 'language'>
  /** Calls in flight at once; default: twice the pool's threads, so the next call is hashed,
   * stored and queued while the current ones decode (one worker never waits for the main thread). */
  concurrency?: number
  onProgress?: (event: ProgressEvent) => void
  /** How long a claim on a call lasts unless renewed (CALLQA_LEASE_SECONDS); default 60 s. */
  leaseMs?: number
  /**
   * Hand calls to a job queue instead of the local pool (`callqa ingest --queue`); workers on any
   * machine then process them (`callqa worker`).
   */
  enqueue?: (
    call: CallRow,
    options: { vad: ResolvedVadOptions; metrics: ResolvedMetricsOptions },
  ) => Promise<void>
}

export type ItemStatus = 'done' | 'failed' | 'skipped' | 'queued'

export interface IngestItem {
  path: string
  callId: number | null
  status: ItemStatus
  /** Why a call was skipped: it was already processed (same sha256). */
  note?: string
  durationMs?: number
  errorCode?: string
  errorMessage?: string
  result?: AnalyzeCallResult
  /** What happened to the transcript supplied beside the recording, if any. */
  transcript?: TranscriptOutcome
}

export interface ProgressEvent {
  item: IngestItem
  done: number
  failed: number
  skipped: number
  queued: number
  total: number
  audioMs: number
  elapsedMs: number
}

export interface IngestReport {
  items: IngestItem[]
  done: number
  failed: number
  skipped: number
  queued: number
  audioMs: number
  elapsedMs: number
}

/** A tiny semaphore: at most `limit` promises from `run` at once. */
function limiter(limit: number) {
  let active = 0
  const waiting: Array<() => void> = []
  return async function run<T>(fn: () => Promise<T>): Promise<T> {
    while (active >= limit) await new Promise<void>((resolve) => waiting.push(resolve))
    active++
    try {
      return await fn()
    } finally {
      active--
      waiting.shift()?.()
    }
  }
}

/** What one ingest run shares across its recordings. */
interface Run {
  db: Database
  storageDir: string
  ffmpegPath: string
  layout: LayoutOption
  options: IngestOptions
}

/** What became of one call's analysis, as a line of the report. */
function outcomeItem(
  source: string,
  call: CallRow,
  outcome: CallOutcome,
  transcript: TranscriptOutcome,
): IngestItem {
  const base = { path: source, callId: call.id, transcript }
  if (outcome.status === 'done')
    return { ...base, status: 'done', durationMs: outcome.durationMs, result: outcome.result }
  if (outcome.status === 'skipped') return { ...base, status: 'skipped', note: outcome.reason }
  return { ...base, status: 'failed', errorCode: outcome.code, errorMessage: outcome.message }
}

/**
 * One recording in: received into storage (hashed on the way), its call row inserted (or found by
 * sha256 and, with --reprocess, queued again). Returns the call to analyse, or the report line of a
 * recording that is not analysed (unreadable, a duplicate, being analysed elsewhere).
 */
async function intake(
  run: Run,
  input: DiscoveredInput,
  meta: CallMetadata,
): Promise<{ call: CallRow } | { item: IngestItem }> {
  const { db, storageDir, layout, options } = run
  const sourceName = path.basename(input.path)
  if (input.skipped)
    return { item: { path: input.path, callId: null, status: 'skipped', note: input.skipped } }
  try {
    if (input.error) throw new InputUnreadableError(`cannot read ${sourceName}: ${input.error}`)
    const received = await openRegularFile(input.path)
      .then((source) => receiveFile(storageDir, source, input.path))
      .catch((cause: Error) => {
        throw new InputUnreadableError(`cannot read ${sourceName}: ${cause.message}`, { cause })
      })
    // The call row first, then the recording into storage (the same door as an upload's).
    const inserted = await storeRecording(db, storageDir, received, { sourceName, layout, meta })
    if (inserted.created) return { call: inserted.call }
    const id = inserted.call.id
    const requeued = options.reprocess
      ? await retryTransient(() => requeueCall(db, id, layout, meta))
      : inserted.call
    const skip = (note: string) => ({
      item: {
        path: input.path,
        callId: id,
        status: 'skipped' as const,
        note: `${note} (same recording as call ${id})`,
      },
    })
    // Another live process is analysing it: leave it (and its transcript) alone.
    if (!requeued || claimIsLive(requeued)) return skip('being analysed by another process right now')
    if (!options.reprocess && (requeued.status === 'done' || requeued.status === 'failed'))
      return skip(`already ${requeued.status}; use --reprocess to run it again`)
    // queued/processing: a previous run stopped before finishing it; run it now.
    return { call: requeued }
  } catch (thrown) {
    const err = coerceError(thrown)
    const code = errorCode(thrown)
    const failed = { path: input.path, status: 'failed' as const, errorCode: code, errorMessage: err.message }
    // The database failed, not the file: report it without writing a misleading row.
    if (!(thrown instanceof InputUnreadableError)) return { item: { ...failed, callId: null } }
    const row = await retryTransient(() =>
      insertUnreadableCall(db, { sourceName, errorCode: code, errorMessage: err.message, meta }),
    )
    return { item: { ...failed, callId: row.id } }
  }
}

/**
 * The transcript supplied with a recording, read on the main thread so its text is redacted before
 * it is stored or handed to any queue; a malformed one is recorded on the call and never stops the
 * audio. A database failure here fails the call (the report line is returned).
 */
async function readTranscript(
  run: Run,
  call: CallRow,
  input: DiscoveredInput,
  meta: CallMetadata,
): Promise<{ transcript: TranscriptOutcome } | { item: IngestItem }> {
  const { db, storageDir, ffmpegPath, options } = run
  try {
    const transcript = await retryTransient(() =>
      ingestTranscript({
        db,
        call,
        recordingPath: input.path,
        namedTranscript: meta.transcript ?? null,
        direction: meta.direction ?? null,
        keepOriginalText: options.keepOriginalText ?? false,
        ...(options.redactAudio
          ? {
              redactAudio: {
                storageDir,
                ffmpegPath,
                mode: options.redactAudio === 'beep' ? ('beep' as const) : ('silence' as const),
              },
            }
          : {}),
      }),
    )
    return { transcript }
  } catch (thrown) {
    return {
      item: {
        path: input.path,
        callId: call.id,
        status: 'failed',
        errorCode: errorCode(thrown),
        errorMessage: coerceError(thrown).message,
      },
    }
  }
}

/** The door into analysis for this run's calls (its ASR, audio redaction and lease settings). */
function analyserFor({ db, storageDir, ffmpegPath, options }: Run, pool: Piscina) {
  return callAnalyser({
    db,
    pool,
    storageDir,
    ffmpegPath,
    asr: options.asr,
    redactAudio: options.redactAudio ? (options.redactAudio === 'beep' ? 'beep' : 'silence') : undefined,
    leaseMs: options.leaseMs,
  })
}

export async function ingest({
  db,
  pool,
  storageDir,
  ffmpegPath,
  inputs,
  options = {},
}: {
  db: Database
  pool: Piscina
  storageDir: string
  ffmpegPath: string
  inputs: readonly string[]
  options?: IngestOptions
}): Promise<IngestReport> {
  const began = Date.now()
  const run: Run = { db, storageDir, ffmpegPath, layout: options.layout ?? 'auto', options }
  const metadata = options.metadata ?? emptyMetadata
  // Validate options once, up front, rather than failing every call in the workers.
  const analysis = { vad: resolveVadOptions(options.vad), metrics: resolveMetricsOptions(options.metrics) }
  const analyser = analyserFor(run, pool)
  // What a process that died left behind (partial copies, ASR folders with unredacted text).
  await sweepOrphans(storageDir)
  const discovered = await discoverInputs(inputs)
  // Metadata from file names is checked for every recording before any is ingested, as a
  // metadata file's rows are when it is loaded: a bad value stops the run and names the file.
  const metas = new Map(discovered.map((input) => [input.path, metadata.lookup(input.path)]))
  const items: IngestItem[] = []
  const counts = { done: 0, failed: 0, skipped: 0, queued: 0, audioMs: 0 }
  const finish = (item: IngestItem) => {
    items.push(item)
    counts[item.status]++
    counts.audioMs += item.durationMs ?? 0
    options.onProgress?.({ item, ...counts, total: discovered.length, elapsedMs: Date.now() - began })
  }
  const analyse = async (call: CallRow, source: string, transcript: TranscriptOutcome) => {
    if (!options.enqueue)
      return finish(outcomeItem(source, call, await analyser.analyse(call, analysis), transcript))
    await options.enqueue(call, analysis)
    finish({ path: source, callId: call.id, status: 'queued', transcript })
  }

  const limit = limiter(options.concurrency ?? Math.max(1, pool.options.maxThreads) * 2)
  const running: Array<Promise<void>> = []
  for (const input of discovered) {
    const meta = metas.get(input.path) ?? {}
    const taken = await intake(run, input, meta)
    if ('item' in taken) {
      finish(taken.item)
      continue
    }
    const { call } = taken
    const read = await readTranscript(run, call, input, meta)
    if ('item' in read) {
      finish(read.item)
      continue
    }
    const { transcript } = read
    const job = limit(() => analyse(call, input.path, transcript)).catch((thrown: unknown) => {
      // Only the database failing can land here; report the call, keep the batch going.
      finish({
        path: input.path,
        callId: call.id,
        status: 'failed',
        errorCode: errorCode(thrown),
        errorMessage: coerceError(thrown).message,
        transcript,
      })
    })
    running.push(job)
    // Do not race ahead of the workers: wait for a free slot before hashing and copying the next file.
    await limit(async () => {})
  }
  await Promise.all(running)
  // The days of the calls saved get their trend rollups rebuilt once each, now that all are in.
  await refreshMarkedDays(db)
  return { items, ...counts, elapsedMs: Date.now() - began }
}
