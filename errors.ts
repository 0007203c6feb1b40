/**
 * Every failure callqa reports has a class here with a stable `code`.
 * Codes are stored on failed calls (`calls.error_code`), so never rename one.
 */

export class CallqaError extends Error {
  readonly code: string = 'QA_ERR_INTERNAL'
  /** Structured detail for the caller (which fields, which items); never personal data. */
  readonly details?: unknown
  constructor(message?: string, options?: ErrorOptions & { details?: unknown }) {
    super(message, options)
    if (options?.details !== undefined) this.details = options.details
  }
}

/** The input path does not exist, is a directory where a file was expected, or cannot be read. */
export class InputUnreadableError extends CallqaError {
  override readonly code = 'QA_ERR_INPUT_UNREADABLE'
}

/** The file is empty (0 bytes). */
export class InputEmptyError extends CallqaError {
  override readonly code = 'QA_ERR_INPUT_EMPTY'
}

/** ffmpeg could not read the file as audio (not audio, truncated header, unknown codec). */
export class AudioDecodeError extends CallqaError {
  override readonly code = 'QA_ERR_AUDIO_DECODE'
}

/** The file decodes but holds no audio samples (0 seconds). */
export class AudioEmptyError extends CallqaError {
  override readonly code = 'QA_ERR_AUDIO_EMPTY'
}

/** The channel count does not fit the requested layout (e.g. 3 channels, or mono with a stereo layout). */
export class ChannelLayoutError extends CallqaError {
  override readonly code = 'QA_ERR_CHANNEL_LAYOUT'
}

/** No ffmpeg binary was found on PATH nor in the optional npm package. */
export class FfmpegMissingError extends CallqaError {
  override readonly code = 'QA_ERR_FFMPEG_MISSING'
}

/** The VAD model could not be loaded or run. */
export class ModelError extends CallqaError {
  override readonly code = 'QA_ERR_MODEL'
}

/** A transcript file is malformed or in an unknown format. */
export class TranscriptError extends CallqaError {
  override readonly code = 'QA_ERR_TRANSCRIPT'
}

/** The metadata file (CSV/JSON) is malformed. */
export class MetadataError extends CallqaError {
  override readonly code = 'QA_ERR_METADATA'
}

/** A configuration value or option is invalid. */
export class ConfigError extends CallqaError {
  override readonly code = 'QA_ERR_CONFIG'
}

/** A database migration failed. */
export class MigrationError extends CallqaError {
  override readonly code = 'QA_ERR_MIGRATION'
}

/** A scorecard definition is invalid (the message names file, line and column). */
export class ScorecardError extends CallqaError {
  override readonly code = 'QA_ERR_SCORECARD'
}

/** A problem taxonomy file is invalid (every problem with its line and column). */
export class TaxonomyError extends CallqaError {
  override readonly code = 'QA_ERR_TAXONOMY'
}

/** Local speech recognition failed or is not available. */
export class AsrError extends CallqaError {
  override readonly code = 'QA_ERR_ASR'
}

/** The worker did not finish the call (crash, out of memory, cancelled). */
export class WorkerError extends CallqaError {
  override readonly code = 'QA_ERR_WORKER'
}

/** The database could not be reached, or dropped the connection (a restart, a network blip). */
export class DatabaseUnavailableError extends CallqaError {
  override readonly code = 'QA_ERR_DB_UNAVAILABLE'
}

/** Another process holds the claim on this call (it is being analysed there). */
export class LeaseLostError extends CallqaError {
  override readonly code = 'QA_ERR_LEASE_LOST'
}

/** The call was claimed MAX_ATTEMPTS times by processes that died before finishing it. */
export class AbandonedError extends CallqaError {
  override readonly code = 'QA_ERR_ABANDONED'
}

// Failures of a request to the review API (and of the domain behind it). Each has its HTTP status
// in api/status.ts; the domain never chooses a status itself.

/** The request is malformed or a value is out of range; `details` says which. */
export class ValidationError extends CallqaError {
  override readonly code = 'QA_ERR_VALIDATION'
}

/** No such object, or one the caller may not know exists (an agent and another agent's call). */
export class NotFoundError extends CallqaError {
  override readonly code = 'QA_ERR_NOT_FOUND'
}

/** The caller's role, or the object's rules (a blind calibration review), do not allow it. */
export class ForbiddenError extends CallqaError {
  override readonly code = 'QA_ERR_FORBIDDEN'
}

/** The object is in the wrong state for this (already submitted, being analysed, name taken). */
export class ConflictError extends CallqaError {
  override readonly code = 'QA_ERR_CONFLICT'
}

/** No valid credentials. */
export class UnauthenticatedError extends CallqaError {
  override readonly code = 'QA_ERR_UNAUTHENTICATED'
}

/** An upload over the size limit. */
export class TooLargeError extends CallqaError {
  override readonly code = 'QA_ERR_TOO_LARGE'
}

/** A byte range outside the file. */
export class RangeNotSatisfiableError extends CallqaError {
  override readonly code = 'QA_ERR_RANGE'
}

/** The server has no way to analyse uploads. */
export class NoProcessorError extends CallqaError {
  override readonly code = 'QA_ERR_NO_PROCESSOR'
}

/** The evaluation's dispute window has closed. */
export class DisputeWindowError extends CallqaError {
  override readonly code = 'QA_ERR_DISPUTE_WINDOW'
}

/** The evaluation has had all the disputes it may have. */
export class DisputeCapError extends CallqaError {
  override readonly code = 'QA_ERR_DISPUTE_CAP'
}

/** A configured limit is reached (live calls a server holds at once): try another server or later. */
export class LimitError extends CallqaError {
  override readonly code = 'QA_ERR_LIMIT'
}

export const errorClasses = {
  CallqaError,
  InputUnreadableError,
  InputEmptyError,
  AudioDecodeError,
  AudioEmptyError,
  ChannelLayoutError,
  FfmpegMissingError,
  ModelError,
  MetadataError,
  TranscriptError,
  AsrError,
  ScorecardError,
  TaxonomyError,
  ConfigError,
  MigrationError,
  WorkerError,
  DatabaseUnavailableError,
  LeaseLostError,
  AbandonedError,
  ValidationError,
  NotFoundError,
  ForbiddenError,
  ConflictError,
  UnauthenticatedError,
  TooLargeError,
  RangeNotSatisfiableError,
  NoProcessorError,
  DisputeWindowError,
  DisputeCapError,
  LimitError,
} as const

/** Every code an error class carries, and the fallback for anything else. */
export type ErrorCode =
  | InstanceType<(typeof errorClasses)[Exclude<keyof typeof errorClasses, 'CallqaError'>]>['code']
  | 'QA_ERR_INTERNAL'

/** Turns anything thrown into an Error, keeping the original as `cause`. */
export function coerceError(thrown: unknown): Error {
  if (thrown instanceof Error) return thrown
  return new Error(typeof thrown === 'string' ? thrown : JSON.stringify(thrown), { cause: thrown })
}

/**
 * The stable code of a thrown value. Errors crossing the piscina boundary are
 * structured-cloned and lose their class, but keep own properties such as `code`.
 */
export function errorCode(thrown: unknown): string {
  if (thrown && typeof thrown === 'object' && 'code' in thrown) {
    const code = (thrown as { code: unknown }).code
    if (typeof code === 'string' && code.startsWith('QA_ERR_')) return code
  }
  return 'QA_ERR_INTERNAL'
}

/**
 * Database failures worth trying again: the server restarting or unreachable (connection refused
 * or reset, admin shutdown, cannot connect now), a serialization failure or a deadlock. Node's
 * socket errors carry `code` too (ECONNREFUSED …); Postgres's carry the SQLSTATE.
 */
const TRANSIENT_SQLSTATES = new Set([
  // statement timeout (a locked table, an overloaded server) and a lock not granted in time
  '57014',
  '55P03',
  // a transaction rolled back for idling (a client of the embedded owner stalled): run it again
  '25P03',
  '40001',
  '40P01',
  '57P01',
  '57P02',
  '57P03',
  '53300',
  '08000',
  '08003',
  '08006',
  '08001',
  '08004',
])
const TRANSIENT_NODE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ENOENT',
])
const TRANSIENT_MESSAGES = [
  /Connection terminated/i,
  /connection timeout/i,
  /Client has encountered a connection error/i,
  /terminating connection/i,
  /the database system is (starting up|shutting down)/i,
]

export function isTransientDbError(thrown: unknown): boolean {
  if (thrown instanceof DatabaseUnavailableError) return true
  if (!thrown || typeof thrown !== 'object') return false
  const code = (thrown as { code?: unknown }).code
  if (typeof code === 'string' && (TRANSIENT_SQLSTATES.has(code) || TRANSIENT_NODE_CODES.has(code))) {
    // ENOENT only for a Unix socket that is not there (the owner of an embedded database restarting).
    if (code === 'ENOENT') return /\.s\.PGSQL\./.test(String((thrown as { message?: unknown }).message))
    return true
  }
  const message = (thrown as { message?: unknown }).message
  return typeof message === 'string' && TRANSIENT_MESSAGES.some((re) => re.test(message))
}

/**
 * Runs `fn` again after transient database errors, with exponential backoff (0.25 s doubling up
 * to 5 s) for up to `totalMs` (default 60 s); any other error, or the last transient one, is thrown.
 */
export async function retryTransient<T>(
  fn: () => Promise<T>,
  { totalMs = 60_000, onRetry }: { totalMs?: number; onRetry?: (err: Error, attempt: number) => void } = {},
): Promise<T> {
  const began = Date.now()
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn()
    } catch (thrown) {
      const wait = Math.min(5000, 250 * 2 ** (attempt - 1))
      if (!isTransientDbError(thrown) || Date.now() - began + wait > totalMs) throw thrown
      onRetry?.(coerceError(thrown), attempt)
      await new Promise((resolve) => setTimeout(resolve, wait))
    }
  }
}
