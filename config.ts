import os from 'node:os'
import path from 'node:path'
import { ConfigError } from './errors.js'

/**
 * The only reader of process.env. Everything else receives a ResolvedConfig.
 */
export interface ResolvedConfig {
  /** Postgres connection string; undefined means embedded PGlite in `dataDir`. */
  databaseUrl: string | undefined
  /** Postgres schema for callqa's tables (CALLQA_DB_SCHEMA); default: the server's search_path. */
  databaseSchema: string | undefined
  /** Folder for PGlite data and (by default) stored recordings. */
  dataDir: string
  /** Folder the recordings are copied into, named by sha256. */
  storageDir: string
  /** Worker threads in the piscina pool. */
  workers: number
  /** Keep the original transcript text beside the redacted one (CALLQA_KEEP_ORIGINAL_TEXT=1). */
  keepOriginalText: boolean
  /**
   * Write a copy of each recording with the redacted spans silenced (CALLQA_REDACT_AUDIO=1 or
   * silence) or covered by a 1 kHz beep (CALLQA_REDACT_AUDIO=beep); false: no copy.
   */
  redactAudio: false | 'silence' | 'beep'
  /**
   * Local speech recognition for calls without a transcript (CALLQA_ASR): `pocketsphinx` (default;
   * skipped with a note on the call when it is not installed) or `off`.
   */
  asr: 'pocketsphinx' | 'off'
  /** PocketSphinx model folder (CALLQA_POCKETSPHINX_MODEL); default Debian's en-us model. */
  pocketsphinxModel: string | undefined
  /** Port of `callqa serve` and the demo's server (CALLQA_PORT, default 8080). */
  port: number
  /** Days after a review is submitted during which it may be disputed (CALLQA_DISPUTE_WINDOW_DAYS, 14). */
  disputeWindowDays: number
  /** Disputes allowed per evaluation (CALLQA_DISPUTE_CAP, 2). */
  disputeCap: number
  /** Largest recording the API accepts in an upload, in MB (CALLQA_MAX_UPLOAD_MB, 500). */
  maxUploadMb: number
  /** Key that signs audio links (CALLQA_LINK_SECRET); unset: random per server process. */
  linkSecret: string | undefined
  /**
   * Metadata from file names for recordings no metadata row matches (CALLQA_NAME_PATTERN): a
   * regular expression with named groups, or a preset name (`pca`); see pipeline/metadata.ts.
   */
  namePattern: string | undefined
  /**
   * How long a process's claim on a call lasts unless renewed, in ms (CALLQA_LEASE_SECONDS, 60):
   * a call whose process died is taken up again this long after it stopped renewing.
   */
  leaseMs: number
  /** Longest a single SQL statement may run on the Postgres server, ms (CALLQA_STATEMENT_TIMEOUT_SECONDS, 30). */
  statementTimeoutMs: number
  /** Longest an API request may take in all, uploads included, ms (CALLQA_REQUEST_TIMEOUT_SECONDS, 600). */
  requestTimeoutMs: number
  /**
   * Embedded database: how long a client's open transaction may wait for its next statement before
   * the owner rolls it back, ms (CALLQA_EMBEDDED_IDLE_TX_SECONDS, 10).
   */
  embeddedIdleTxMs: number
  /**
   * The proxies whose X-Forwarded-For the server believes (CALLQA_TRUST_PROXY): `true` (all),
   * a number of hops, or a comma list of addresses and CIDRs; unset: none.
   */
  trustProxy: boolean | number | string[] | undefined
  /**
   * Calls older than this many days (by start time, else by arrival) are deleted by the server's
   * retention job (CALLQA_RETENTION_DAYS; unset or 0 keeps everything).
   */
  retentionDays: number
  /** Per-queue retention overriding retentionDays (CALLQA_RETENTION_QUEUES="billing=30,sales=365"). */
  retentionByQueue: Record<string, number>
  /** The server's log level (CALLQA_LOG_LEVEL: error, warn, info, debug; default info). */
  logLevel: string
  /** How often a server looks for follow-up reminders and escalations due (CALLQA_FOLLOW_UP_INTERVAL_SECONDS, 15). */
  followUpIntervalMs: number
  /** Lifetime of new API tokens in days (CALLQA_TOKEN_DAYS; unset or 0: until revoked). */
  tokenDays: number
}

function nonNegativeInt(name: string, raw: string | undefined, fallback: number): number {
  if (raw === undefined || raw === '') return fallback
  const n = Number(raw)
  if (!Number.isInteger(n) || n < 0)
    throw new ConfigError(`${name} must be a whole number of days, got "${raw}"`)
  return n
}

function logLevel(raw: string | undefined): string {
  if (raw === undefined || raw === '') return 'info'
  if (!['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].includes(raw))
    throw new ConfigError(`CALLQA_LOG_LEVEL must be error, warn, info, debug or silent, got "${raw}"`)
  return raw
}

function retentionQueues(raw: string | undefined): Record<string, number> {
  const out: Record<string, number> = {}
  for (const part of (raw ?? '')
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean)) {
    const m = /^([^=]+)=(\d+)$/.exec(part)
    if (!m?.[1] || m[2] === undefined)
      throw new ConfigError(
        `CALLQA_RETENTION_QUEUES takes queue=days pairs separated by commas, got "${part}"`,
      )
    out[m[1].trim()] = Number(m[2])
  }
  return out
}

export function positiveInt(name: string, raw: string | undefined, fallback: number): number {
  if (raw === undefined || raw === '') return fallback
  const n = Number(raw)
  if (!Number.isInteger(n) || n < 1) throw new ConfigError(`${name} must be a positive integer, got "${raw}"`)
  return n
}

function asrEngine(raw: string | undefined): 'pocketsphinx' | 'off' {
  if (raw === undefined || raw === '' || raw === 'pocketsphinx' || raw === 'auto') return 'pocketsphinx'
  if (raw === 'off' || raw === '0' || raw === 'false') return 'off'
  throw new ConfigError(`CALLQA_ASR must be pocketsphinx or off, got "${raw}"`)
}

function redactAudioMode(raw: string | undefined): false | 'silence' | 'beep' {
  if (raw === undefined || raw === '' || raw === '0' || raw === 'false') return false
  if (raw === '1' || raw === 'true' || raw === 'silence') return 'silence'
  if (raw === 'beep') return 'beep'
  throw new ConfigError(`CALLQA_REDACT_AUDIO must be silence, beep or 0, got "${raw}"`)
}

function trustProxy(raw: string | undefined): boolean | number | string[] | undefined {
  if (raw === undefined || raw.trim() === '') return undefined
  const value = raw.trim()
  if (value === 'true') return true
  if (value === 'false') return false
  if (/^\d+$/.test(value)) return Number(value)
  const list = value.split(',').map((v) => v.trim())
  const address = /^(?:[0-9.]+|[0-9a-fA-F:]+)(?:\/\d{1,3})?$|^(?:loopback|linklocal|uniquelocal)$/
  const bad = list.find((v) => !address.test(v))
  if (bad !== undefined)
    throw new ConfigError(
      `CALLQA_TRUST_PROXY must be true, a number of hops, or addresses/CIDRs separated by commas; "${bad}" is none`,
    )
  return list
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): ResolvedConfig {
  const dataDir = path.resolve(env.CALLQA_DATA_DIR ?? '.callqa')
  return {
    databaseUrl: env.DATABASE_URL || undefined,
    databaseSchema: env.CALLQA_DB_SCHEMA || undefined,
    dataDir,
    storageDir: path.resolve(env.CALLQA_STORAGE_DIR ?? path.join(dataDir, 'recordings')),
    keepOriginalText: env.CALLQA_KEEP_ORIGINAL_TEXT === '1' || env.CALLQA_KEEP_ORIGINAL_TEXT === 'true',
    redactAudio: redactAudioMode(env.CALLQA_REDACT_AUDIO),
    asr: asrEngine(env.CALLQA_ASR),
    pocketsphinxModel: env.CALLQA_POCKETSPHINX_MODEL || undefined,
    port: positiveInt('CALLQA_PORT', env.CALLQA_PORT, 8080),
    disputeWindowDays: positiveInt('CALLQA_DISPUTE_WINDOW_DAYS', env.CALLQA_DISPUTE_WINDOW_DAYS, 14),
    disputeCap: positiveInt('CALLQA_DISPUTE_CAP', env.CALLQA_DISPUTE_CAP, 2),
    maxUploadMb: positiveInt('CALLQA_MAX_UPLOAD_MB', env.CALLQA_MAX_UPLOAD_MB, 500),
    linkSecret: env.CALLQA_LINK_SECRET || undefined,
    namePattern: env.CALLQA_NAME_PATTERN || undefined,
    leaseMs: positiveInt('CALLQA_LEASE_SECONDS', env.CALLQA_LEASE_SECONDS, 60) * 1000,
    statementTimeoutMs:
      positiveInt('CALLQA_STATEMENT_TIMEOUT_SECONDS', env.CALLQA_STATEMENT_TIMEOUT_SECONDS, 30) * 1000,
    requestTimeoutMs:
      positiveInt('CALLQA_REQUEST_TIMEOUT_SECONDS', env.CALLQA_REQUEST_TIMEOUT_SECONDS, 600) * 1000,
    embeddedIdleTxMs:
      positiveInt('CALLQA_EMBEDDED_IDLE_TX_SECONDS', env.CALLQA_EMBEDDED_IDLE_TX_SECONDS, 10) * 1000,
    trustProxy: trustProxy(env.CALLQA_TRUST_PROXY),
    retentionDays: nonNegativeInt('CALLQA_RETENTION_DAYS', env.CALLQA_RETENTION_DAYS, 0),
    retentionByQueue: retentionQueues(env.CALLQA_RETENTION_QUEUES),
    logLevel: logLevel(env.CALLQA_LOG_LEVEL),
    followUpIntervalMs:
      positiveInt('CALLQA_FOLLOW_UP_INTERVAL_SECONDS', env.CALLQA_FOLLOW_UP_INTERVAL_SECONDS, 15) * 1000,
    tokenDays: nonNegativeInt('CALLQA_TOKEN_DAYS', env.CALLQA_TOKEN_DAYS, 0),
    workers: positiveInt('CALLQA_WORKERS', env.CALLQA_WORKERS, Math.max(1, os.availableParallelism())),
  }
}
