/**
 * Every failure callqa reports has a class here with a stable `code`.
 * Codes are stored on failed calls (`calls.error_code`), so never rename one.
 */

export class CallqaError extends Error {
  readonly code: string = 'QA_ERR_INTERNAL'
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

/** Local speech recognition failed or is not available. */
export class AsrError extends CallqaError {
  override readonly code = 'QA_ERR_ASR'
}

/** The worker did not finish the call (crash, out of memory, cancelled). */
export class WorkerError extends CallqaError {
  override readonly code = 'QA_ERR_WORKER'
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
  ConfigError,
  MigrationError,
  WorkerError,
} as const

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
