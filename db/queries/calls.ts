import type { Queryable } from '../index.js'

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
  },
): Promise<{ call: CallRow; created: boolean }> {
  const inserted = await db.query<CallRow>(
    `INSERT INTO calls (sha256, source_name, storage_uri, requested_layout,
       external_id, started_at, agent_id, team, queue, direction, csat, disposition, language, speakers_swapped,
       role_decision)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, COALESCE($14, false),
       CASE WHEN $14::boolean IS NOT NULL OR $4 <> 'auto' THEN '{"source": "metadata"}'::jsonb END)
     ON CONFLICT (sha256) DO NOTHING
     RETURNING *`,
    [call.sha256, call.sourceName, call.storageUri, call.requestedLayout, ...metaValues(call.meta)],
  )
  const row = inserted.rows[0]
  if (row) return { call: row, created: true }
  const existing = await db.query<CallRow>('SELECT * FROM calls WHERE sha256 = $1', [call.sha256])
  return { call: existing.rows[0] as CallRow, created: false }
}

/** Re-ingest with --reprocess: take the new metadata and layout, queue the call again. */
export async function requeueCall(
  db: Queryable,
  id: number,
  requestedLayout: string,
  meta: CallMetadata,
): Promise<CallRow> {
  const res = await db.query<CallRow>(
    `UPDATE calls SET status = 'queued', error_code = NULL, error_message = NULL, requested_layout = $2,
       external_id = COALESCE($3, external_id), started_at = COALESCE($4, started_at),
       agent_id = COALESCE($5, agent_id), team = COALESCE($6, team), queue = COALESCE($7, queue),
       direction = COALESCE($8, direction), csat = COALESCE($9, csat),
       disposition = COALESCE($10, disposition), language = COALESCE($11, language),
       speakers_swapped = COALESCE($12, speakers_swapped),
       role_decision = CASE WHEN $12::boolean IS NOT NULL OR $2 <> 'auto' THEN '{"source": "metadata"}'::jsonb
                            ELSE role_decision END
     WHERE id = $1 RETURNING *`,
    [id, requestedLayout, ...metaValues(meta)],
  )
  return res.rows[0] as CallRow
}

/** A path that could not even be read has no sha256; it is still recorded, failed, with its reason. */
export async function insertUnreadableCall(
  db: Queryable,
  input: { sourceName: string; errorCode: string; errorMessage: string; meta: CallMetadata },
): Promise<CallRow> {
  const res = await db.query<CallRow>(
    `INSERT INTO calls (source_name, status, error_code, error_message, processed_at,
       external_id, started_at, agent_id, team, queue, direction, csat, disposition, language, speakers_swapped)
     VALUES ($1, 'failed', $2, $3, now(), $4, $5, $6, $7, $8, $9, $10, $11, $12, COALESCE($13, false))
     RETURNING *`,
    [input.sourceName, input.errorCode, input.errorMessage, ...metaValues(input.meta)],
  )
  return res.rows[0] as CallRow
}

/** Marks the call processing; returns what the worker needs to know that ingest may have changed. */
export async function markProcessing(
  db: Queryable,
  id: number,
  pipelineVersion: string,
): Promise<{
  transcript_status: string
  language: string | null
  speakers_swapped: boolean
  direction: 'inbound' | 'outbound' | null
}> {
  const res = await db.query<{
    transcript_status: string
    language: string | null
    speakers_swapped: boolean
    direction: 'inbound' | 'outbound' | null
  }>(
    `UPDATE calls SET status = 'processing', attempts = attempts + 1, pipeline_version = $2 WHERE id = $1
     RETURNING transcript_status, language, speakers_swapped, direction`,
    [id, pipelineVersion],
  )
  return (
    res.rows[0] ?? { transcript_status: 'none', language: null, speakers_swapped: false, direction: null }
  )
}

export async function markFailed(db: Queryable, id: number, code: string, message: string): Promise<void> {
  await db.query(
    `UPDATE calls SET status = 'failed', error_code = $2, error_message = $3, processed_at = now() WHERE id = $1`,
    [id, code, message],
  )
}

export async function markDone(
  db: Queryable,
  id: number,
  result: {
    durationMs: number
    channelLayout: string
    audioFormat: unknown
    channelCheck?: unknown
    diarization?: unknown
  },
): Promise<void> {
  await db.query(
    `UPDATE calls SET status = 'done', error_code = NULL, error_message = NULL, processed_at = now(),
       duration_ms = $2, channel_layout = $3, audio_format = $4, channel_check = $5, diarization = $6
     WHERE id = $1`,
    [
      id,
      result.durationMs,
      result.channelLayout,
      JSON.stringify(result.audioFormat),
      result.channelCheck === undefined ? null : JSON.stringify(result.channelCheck),
      result.diarization === undefined ? null : JSON.stringify(result.diarization),
    ],
  )
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
