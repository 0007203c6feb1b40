/**
 * The one table from error code to HTTP status. Domain code throws coded errors (errors.ts) and
 * never picks a status; the server's error handler looks it up here. A code missing from this
 * table does not compile (the record is keyed by every code there is).
 */
import type { ErrorCode } from '../errors.js'

export const HTTP_STATUS: Readonly<Record<ErrorCode, number>> = {
  QA_ERR_VALIDATION: 400,
  QA_ERR_METADATA: 400,
  QA_ERR_SCORECARD: 400,
  QA_ERR_TAXONOMY: 400,
  QA_ERR_UNAUTHENTICATED: 401,
  QA_ERR_FORBIDDEN: 403,
  QA_ERR_NOT_FOUND: 404,
  QA_ERR_CONFLICT: 409,
  QA_ERR_LEASE_LOST: 409,
  QA_ERR_DISPUTE_WINDOW: 409,
  QA_ERR_DISPUTE_CAP: 409,
  QA_ERR_TOO_LARGE: 413,
  QA_ERR_RANGE: 416,
  // A stored recording ffmpeg cannot read (a playable copy, a clip): the content's fault.
  QA_ERR_INPUT_UNREADABLE: 422,
  QA_ERR_INPUT_EMPTY: 422,
  QA_ERR_AUDIO_DECODE: 422,
  QA_ERR_AUDIO_EMPTY: 422,
  QA_ERR_CHANNEL_LAYOUT: 422,
  QA_ERR_TRANSCRIPT: 422,
  QA_ERR_DB_UNAVAILABLE: 503,
  QA_ERR_NO_PROCESSOR: 503,
  QA_ERR_LIMIT: 503,
  // The server's own faults.
  QA_ERR_FFMPEG_MISSING: 500,
  QA_ERR_MODEL: 500,
  QA_ERR_ASR: 500,
  QA_ERR_CONFIG: 500,
  QA_ERR_MIGRATION: 500,
  QA_ERR_WORKER: 500,
  QA_ERR_ABANDONED: 500,
  QA_ERR_INTERNAL: 500,
}
