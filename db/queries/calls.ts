import type { Queryable } from '../index.js'
import { audit } from './users.js'
import { TRANSCRIPT_COLUMNS, type TranscriptStatus, transcriptValues } from './utterances.js'

export type CallStatus = 'queued' | 'processing' | 'done' | 'failed'

/** Metadata a call can carry from ingest (CSV/JSON or flags). */
export interface CallMetadata {
  externalId?: string | null
  startedAt?: string | null
  agentId?: string | null
  team?: string | null
  queue?: string | null
  direction?: 'inbound' | 'outbound' | null
  csat?: number | null
  disposition?: string | null
  language?: string | null
  /** Agent and customer are the other way round on this call (channels and transcript). */
  swapSpeakers?: boolean | null
  /** The customer's id in the centre's systems: two calls of one customer within days are a repeat contact. */
  customerId?: string | null
  /** A transcript file named for this recording (absolute path); not stored. */
  transcript?: string | null
}

export interface CallRow {
  id: number
  external_id: string | null
  sha256: string | null
  source_name: string
  storage_uri: string | null
  status: CallStatus
  requested_layout: string
  channel_layout: string | null
  duration_ms: number | null
  error_code: string | null
  error_message: string | null
  attempts: number
  speakers_swapped: boolean
  /** who holds the call's claim while it is analysed, and until when (migration 000012) */
  lease_owner?: string | null
  lease_expires_at?: Date | string | null
  swap_pending?: boolean
  /** handed to a server's own analysis and not finished (migration 000014) */
  server_pending?: boolean
  /** the stored transcript (migrations 000002, 000003, 000010; utterances.ts TRANSCRIPT_COLUMNS) */
  transcript_status?: string
  transcript_format?: string | null
  transcript_source?: string | null
  transcript_error?: string | null
  redacted_audio_uri?: string | null
  transcript_confidence?: number | null
  transcript_trusted?: boolean | null
}

/**
 * SQL: the call is held by a live claim (a process is analysing it and renewing its lease). Null
 * safe: a call left `processing` with no lease (by a version before leases) is not held. Every
 * query that asks "is someone on this call?" uses this, and claimIsLive below says the same.
 */
export const CLAIM_LIVE = "(status = 'processing' AND coalesce(lease_expires_at > now(), false))"

/** CLAIM_LIVE for a row already read (the database's clock there, this one's here). */
export function claimIsLive(call: Pick<CallRow, 'status' | 'lease_expires_at'>): boolean {
  return (
    call.status === 'processing' &&
    call.lease_expires_at != null &&
    new Date(call.lease_expires_at) > new Date()
  )
}

const metaValues = (m: CallMetadata) => [
  m.externalId ?? null,
  m.startedAt ?? null,
  m.agentId ?? null,
  m.team ?? null,
  m.queue ?? null,
  m.direction ?? null,
  m.csat ?? null,
  m.disposition ?? null,
  m.language ?? null,
  m.swapSpeakers ?? null,
  m.customerId ?? null,
]

/**
 * Inserts a call for a recording unless one with the same sha256 exists.
 * `created` says which: the same file ingested twice is the same call.
 */
export async function insertCall(
  db: Queryable,
  call: {
    sha256: string
    sourceName: string
    storageUri: string
    requestedLayout: string
    meta: CallMetadata
    /** handed to the server's own analysis (an upload): a restarted server resumes it */
    serverPending?: boolean
  },
): Promise<{ call: CallRow; created: boolean }> {
  const inserted = await db.query<CallRow>(
    `INSERT INTO calls (sha256, source_name, storage_uri, requested_layout,
       external_id, started_at, agent_id, team, queue, direction, csat, disposition, language, speakers_swapped,
       customer_id, role_decision, server_pending)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, COALESCE($14, false), $15,
       CASE WHEN $14::boolean IS NOT NULL OR $4 <> 'auto' THEN '{"source": "metadata"}'::jsonb END, $16)
     ON CONFLICT (sha256) DO NOTHING
     RETURNING *`,
    [
      call.sha256,
      call.sourceName,
      call.storageUri,
      call.requestedLayout,
      ...metaValues(call.meta),
      call.serverPending ?? false,
    ],
  )
  const row = inserted.rows[0]
  if (row) return { call: row, created: true }
  const existing = await db.query<CallRow>('SELECT * FROM calls WHERE sha256 = $1', [call.sha256])
  return { call: existing.rows[0] as CallRow, created: false }
}

/**
 * Re-ingest with --reprocess: take the new metadata and layout, queue the call again. Undefined
 * when another process is analysing the call right now (its lease is live).
 */
export async function requeueCall(
  db: Queryable,
  id: number,
  requestedLayout: string,
  meta: CallMetadata,
): Promise<CallRow | undefined> {
  const res = await db.query<CallRow>(
    `UPDATE calls SET status = 'queued', error_code = NULL, error_message = NULL, requested_layout = $2,
       external_id = COALESCE($3, external_id), started_at = COALESCE($4, started_at),
       agent_id = COALESCE($5, agent_id), team = COALESCE($6, team), queue = COALESCE($7, queue),
       direction = COALESCE($8, direction), csat = COALESCE($9, csat),
       disposition = COALESCE($10, disposition), language = COALESCE($11, language),
       speakers_swapped = COALESCE($12, speakers_swapped), customer_id = COALESCE($13, customer_id), attempts = 0,
       role_decision = CASE WHEN $12::boolean IS NOT NULL OR $2 <> 'auto' THEN '{"source": "metadata"}'::jsonb
                            ELSE role_decision END
     WHERE id = $1 AND NOT ${CLAIM_LIVE} RETURNING *`,
    [id, requestedLayout, ...metaValues(meta)],
  )
  return res.rows[0] as CallRow | undefined
}

/** A path that could not even be read has no sha256; it is still recorded, failed, with its reason. */
export async function insertUnreadableCall(
  db: Queryable,
  input: { sourceName: string; errorCode: string; errorMessage: string; meta: CallMetadata },
): Promise<CallRow> {
  const res = await db.query<CallRow>(
    `INSERT INTO calls (source_name, status, error_code, error_message, processed_at,
       external_id, started_at, agent_id, team, queue, direction, csat, disposition, language, speakers_swapped,
       customer_id)
     VALUES ($1, 'failed', $2, $3, now(), $4, $5, $6, $7, $8, $9, $10, $11, $12, COALESCE($13, false), $14)
     RETURNING *`,
    [input.sourceName, input.errorCode, input.errorMessage, ...metaValues(input.meta)],
  )
  return res.rows[0] as CallRow
}

/** How long a claim on a call lasts unless its owner renews it (CALLQA_LEASE_SECONDS). */
export const DEFAULT_LEASE_MS = 60_000
/** Claims of one call before it is failed for good (the process analysing it kept dying). */
export const MAX_ATTEMPTS = 3

export interface Claim {
  transcript_status: string
  language: string | null
  speakers_swapped: boolean
  direction: 'inbound' | 'outbound' | null
  attempts: number
  /** a swap was asked for: analyse with agent and customer the other way round */
  swap_pending: boolean
}

/**
 * Claims a call for analysis, atomically: a queued call, or one whose last claim ran out (its
 * process died). Undefined when someone else holds a live claim, or the call is finished. A call
 * whose claim ran out MAX_ATTEMPTS times is failed here, with the reason, instead of claimed.
 */
export async function claimCall(
  db: Queryable,
  id: number,
  owner: string,
  pipelineVersion: string,
  leaseMs = DEFAULT_LEASE_MS,
): Promise<Claim | undefined> {
  const res = await db.query<Claim>(
    `UPDATE calls SET status = 'processing', attempts = attempts + 1, pipeline_version = $3,
       lease_owner = $2, lease_expires_at = now() + make_interval(secs => $4::float8 / 1000)
     WHERE id = $1 AND (status = 'queued' OR (status = 'processing' AND NOT ${CLAIM_LIVE}
       AND NOT coalesce(lease_expires_at < now() AND attempts >= $5, false)))
     RETURNING transcript_status, language, speakers_swapped, direction, attempts, swap_pending`,
    [id, owner, pipelineVersion, leaseMs, MAX_ATTEMPTS],
  )
  if (res.rows[0]) return res.rows[0]
  // Not claimed: held by another, finished, or its claim ran out MAX_ATTEMPTS times (failed now).
  await failAbandoned(db, id)
  return undefined
}

/** Fails calls (one, or all) whose claim ran out MAX_ATTEMPTS times; returns their ids. */
export async function failAbandoned(db: Queryable, id?: number): Promise<number[]> {
  const res = await db.query<{ id: number }>(
    `UPDATE calls SET status = 'failed', error_code = 'QA_ERR_ABANDONED',
       error_message = 'analysis stopped ' || attempts || ' times without finishing (the process analysing it died each time)',
       lease_owner = NULL, lease_expires_at = NULL, processed_at = now()
     WHERE status = 'processing' AND lease_expires_at < now() AND attempts >= $1
       AND ($2::bigint IS NULL OR id = $2)
     RETURNING id`,
    [MAX_ATTEMPTS, id ?? null],
  )
  return res.rows.map((r) => r.id)
}

/** Renews a claim; false when it is no longer this owner's (it ran out and another took it). */
export async function renewLease(
  db: Queryable,
  id: number,
  owner: string,
  leaseMs = DEFAULT_LEASE_MS,
): Promise<boolean> {
  const res = await db.query(
    `UPDATE calls SET lease_expires_at = now() + make_interval(secs => $3::float8 / 1000)
     WHERE id = $1 AND lease_owner = $2 AND status = 'processing' RETURNING id`,
    [id, owner, leaseMs],
  )
  return res.rows.length > 0
}

/** Calls whose claim ran out (their process died), or queued longer than `queuedForMs`. */
export async function listStalledCalls(db: Queryable, queuedForMs: number): Promise<CallRow[]> {
  return (
    await db.query<CallRow>(
      `SELECT * FROM calls
       WHERE storage_uri IS NOT NULL AND (
         (status = 'processing' AND NOT ${CLAIM_LIVE})
         OR (status = 'queued' AND created_at < now() - make_interval(secs => $1::float8 / 1000)))
       ORDER BY id LIMIT 500`,
      [queuedForMs],
    )
  ).rows
}

/** Fails a call this owner holds (nothing happens when the claim was lost to another process). */
export async function markFailed(
  db: Queryable,
  id: number,
  code: string,
  message: string,
  owner?: string,
): Promise<boolean> {
  const res = await db.query(
    `UPDATE calls SET status = 'failed', error_code = $2, error_message = $3, processed_at = now(),
       lease_owner = NULL, lease_expires_at = NULL, swap_pending = false, server_pending = false
     WHERE id = $1 AND ($4::text IS NULL OR lease_owner = $4) RETURNING id`,
    [id, code, message, owner ?? null],
  )
  return res.rows.length > 0
}

/**
 * Asks for a finished call to be analysed again with agent and customer the other way round
 * (`callqa swap`, `POST /v1/calls/:id/swap`: one door for both), and audits it. Only a finished
 * call: one being analysed would be analysed twice at once. Undefined when the call is not
 * finished. Run it in a transaction (the row is locked between the read and the update).
 */
export async function requestSwap(
  db: Queryable,
  id: number,
  userId: number | null = null,
  /** the server analyses it (a swap over the API), not the process asking (the CLI) */
  serverPending = false,
): Promise<CallRow | undefined> {
  const before = await db.query<CallRow>('SELECT * FROM calls WHERE id = $1 FOR UPDATE', [id])
  const res = await db.query<CallRow>(
    `UPDATE calls SET status = 'queued', swap_pending = true, attempts = 0, server_pending = $2
     WHERE id = $1 AND status IN ('done', 'failed') RETURNING *`,
    [id, serverPending],
  )
  const call = res.rows[0] as CallRow | undefined
  const was = before.rows[0]
  if (call && was)
    await audit(db, {
      userId,
      action: 'call.swap',
      entity: 'call',
      entityId: id,
      before: { speakers_swapped: was.speakers_swapped, status: was.status },
      after: { speakers_swapped: !was.speakers_swapped, status: 'queued' },
    })
  return call
}

/** What an analysed call's row becomes when it is done. */
export interface FinishedCall {
  /** agent and customer change places */
  flip: boolean
  /** why this side is the agent; null: unchanged */
  roleDecision: Record<string, unknown> | null
  /** the transcript's language, for a call whose metadata names none */
  language: string | null
  /** the stored transcript's new status, when it changed */
  transcript?: TranscriptStatus | undefined
  durationMs: number
  channelLayout: string
  audioFormat: unknown
  channelCheck?: unknown
  diarization?: unknown
}

/**
 * Marks an analysed call done with what its analysis found, in one statement. With `owner`, only
 * while the claim is still that owner's (false when it is not; the row is held until the
 * transaction ends either way).
 */
export async function finishCall(
  db: Queryable,
  id: number,
  owner: string | undefined,
  done: FinishedCall,
): Promise<boolean> {
  const values: unknown[] = [
    id,
    owner ?? null,
    done.flip,
    done.roleDecision ? JSON.stringify(done.roleDecision) : null,
    done.language,
    done.durationMs,
    done.channelLayout,
    JSON.stringify(done.audioFormat),
    done.channelCheck === undefined ? null : JSON.stringify(done.channelCheck),
    done.diarization === undefined ? null : JSON.stringify(done.diarization),
  ]
  const transcript = done.transcript
    ? TRANSCRIPT_COLUMNS.map((c, i) => `, ${c} = $${values.length + 1 + i}`).join('')
    : ''
  if (done.transcript) values.push(...transcriptValues(done.transcript))
  const res = await db.query(
    `UPDATE calls SET status = 'done', error_code = NULL, error_message = NULL, processed_at = now(),
       lease_owner = NULL, lease_expires_at = NULL, swap_pending = false, server_pending = false,
       speakers_swapped = CASE WHEN $3 THEN NOT speakers_swapped ELSE speakers_swapped END,
       role_decision = coalesce($4::jsonb, role_decision), language = coalesce(language, $5),
       duration_ms = $6, channel_layout = $7, audio_format = $8, channel_check = $9, diarization = $10${transcript}
     WHERE id = $1 AND ($2::text IS NULL OR (lease_owner = $2 AND status = 'processing'))
     RETURNING id`,
    values,
  )
  return owner === undefined || res.rows.length > 0
}

export async function getCall(db: Queryable, id: number): Promise<CallRow | undefined> {
  return (await db.query<CallRow>('SELECT * FROM calls WHERE id = $1', [id])).rows[0]
}

/** Calls left queued or processing by a run that died; they are picked up again. */
export async function listUnfinishedCalls(db: Queryable): Promise<CallRow[]> {
  return (await db.query<CallRow>(`SELECT * FROM calls WHERE status IN ('queued', 'processing') ORDER BY id`))
    .rows
}

export interface CallSummaryRow {
  id: number
  source_name: string
  status: CallStatus
  channel_layout: string | null
  duration_ms: number | null
  agent_id: string | null
  direction: string | null
  error_code: string | null
  error_message: string | null
  agent_talk_ms: number | null
  customer_talk_ms: number | null
  speaker_talk_ms: number | null
  agent_talk_ratio: number | null
  dead_air_count: number | null
  dead_air_longest_ms: number | null
  overtalk_ms: number | null
  agent_interruptions: number | null
  customer_interruptions: number | null
  agent_response_latency_mean_ms: number | null
  last_speaker: string | null
  transcript_status: string
  transcript_format: string | null
  transcript_error: string | null
  utterance_count: number
  redaction_count: number
  customer_sentiment_start: number | null
  customer_sentiment_end: number | null
  agitated_segments: number | null
  channel_check: { layout: string; silentChannel?: string } | null
  diarization: { separation: number; shareFirst: number } | null
  transcript_trusted: boolean | null
  transcript_confidence: number | null
}

export async function callSummaries(db: Queryable, ids: readonly number[]): Promise<CallSummaryRow[]> {
  const res = await db.query<CallSummaryRow>(
    `SELECT c.id, c.source_name, c.status, c.channel_layout, c.duration_ms, c.agent_id, c.direction,
            c.error_code, c.error_message, m.agent_talk_ms, m.customer_talk_ms, m.speaker_talk_ms,
            m.agent_talk_ratio, m.dead_air_count, m.dead_air_longest_ms, m.overtalk_ms,
            m.agent_interruptions, m.customer_interruptions, m.agent_response_latency_mean_ms, m.last_speaker,
            c.transcript_status, c.transcript_format, c.transcript_error,
            (SELECT count(*) FROM utterances u WHERE u.call_id = c.id)::int AS utterance_count,
            (SELECT coalesce(sum(jsonb_array_length(u.redactions)), 0) FROM utterances u WHERE u.call_id = c.id)::int
              AS redaction_count,
            m.customer_sentiment_start, m.customer_sentiment_end, m.agitated_segments, c.channel_check,
            c.diarization, c.transcript_trusted, c.transcript_confidence
     FROM calls c LEFT JOIN call_metrics m ON m.call_id = c.id
     WHERE c.id = ANY($1::bigint[]) ORDER BY c.id`,
    [ids],
  )
  return res.rows
}
