/**
 * Reading calls as people look for them: the call list with its filters (metadata, QA, sentiment,
 * dead air, transcript words in English or Chinese), newest first with a cursor that stays stable
 * while calls arrive, and one call's stored row. `agent` limits every read to one agent's calls
 * (review/access.ts decides when).
 */

import { strictIsoDate } from '../../dates.js'
import { ValidationError } from '../../errors.js'
import { addCallFilters, type CallFilter, Conditions } from '../conditions.js'
import type { Queryable } from '../index.js'

export interface CallSearch extends CallFilter {
  status?: 'queued' | 'processing' | 'done' | 'failed' | undefined
  /** scorecard key the QA filters refer to (default: the best automatic evaluation of any card) */
  scorecard?: string | undefined
  qa_min?: number | undefined
  qa_max?: number | undefined
  failed_item?: string | undefined
  sentiment_end_max?: number | undefined
  sentiment_end_min?: number | undefined
  trend_max?: number | undefined
  dead_air_min_ms?: number | undefined
  /** calls where the agent said something dismissive or rude */
  conduct_flagged?: boolean | undefined
  /** words in the (redacted) transcript */
  q?: string | undefined
  limit?: number | undefined
  cursor?: string | undefined
}

export interface CallListRow {
  id: number
  external_id: string | null
  source_name: string
  status: string
  started_at: string | null
  duration_ms: number | null
  agent_id: string | null
  team: string | null
  queue: string | null
  direction: string | null
  language: string | null
  transcript_status: string
  /** one card's automatic score (see searchCalls), never the best of several */
  qa_percent: number | null
  /** the card qa_percent is of */
  qa_scorecard: string | null
  /** a fatal item failed on that card */
  fatal_failed: boolean | null
  /** false: speech recognition below its confidence threshold (no sentiment; text items wait) */
  transcript_trusted: boolean | null
  /** the stereo file was dual mono or had a silent channel */
  channel_problem: 'dual-mono' | 'one-channel-silent' | null
  hold_count: number | null
  customer_sentiment_end: number | null
  customer_sentiment_trend: number | null
  dead_air_longest_ms: number | null
  /** P0 (most urgent) … P3; null: not judged (no trusted transcript) */
  urgency: string | null
  /** the main category's node keys, level 1 first */
  category: string[] | null
  /** how many dismissive or rude things the agent said */
  conduct_flags: number | null
}

/** The position after a call in the list: its sort time to the microsecond and its id. */
function encodeCursor(sortKey: string, id: number): string {
  return Buffer.from(JSON.stringify([sortKey, id])).toString('base64url')
}

function decodeCursor(cursor: string): [string, number] {
  try {
    const value = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown
    // Exactly what encodeCursor writes: a UTC timestamp and a call id; anything else (a forged
    // cursor) is refused here rather than failing in the database.
    if (
      Array.isArray(value) &&
      value.length === 2 &&
      typeof value[0] === 'string' &&
      /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/.test(value[0]) &&
      strictIsoDate(value[0]) !== undefined &&
      Number.isSafeInteger(value[1]) &&
      value[1] > 0 &&
      value[1] <= 2 ** 53
    )
      return [value[0], value[1]]
  } catch {
    // fall through
  }
  throw new ValidationError('cursor is not one this API returned')
}

/** One page of the call list and the cursor of the next (null on the last page). */
export async function searchCalls(
  db: Queryable,
  q: CallSearch,
  agent: string | null,
): Promise<{ items: CallListRow[]; next_cursor: string | null }> {
  const where = addCallFilters(new Conditions(), q)
  if (agent !== null) where.add('c.agent_id = ?', agent)
  if (q.status) where.add('c.status = ?', q.status)
  if (q.sentiment_end_max !== undefined) where.add('m.customer_sentiment_end <= ?', q.sentiment_end_max)
  if (q.sentiment_end_min !== undefined) where.add('m.customer_sentiment_end >= ?', q.sentiment_end_min)
  if (q.trend_max !== undefined) where.add('m.customer_sentiment_trend <= ?', q.trend_max)
  if (q.dead_air_min_ms !== undefined) where.add('m.dead_air_longest_ms >= ?', q.dead_air_min_ms)
  // QA % is one card's score, never the best of several (a compliance card's 100 once hid an
  // inbound card's 78): the card asked for, else the one that fits the call most closely (the
  // automatic evaluation whose card's filter names the most fields, such as direction and
  // language; the card key breaks ties), on its newest version.
  const scorecardParam = q.scorecard ? where.param(q.scorecard) : 'NULL'
  const standing = `LEFT JOIN LATERAL (
       SELECT e.percent, e.fatal_failed, s.key FROM evaluations e JOIN scorecards s ON s.id = e.scorecard_id
       WHERE e.call_id = c.id AND e.source = 'auto' AND (${scorecardParam}::text IS NULL OR s.key = ${scorecardParam})
       ORDER BY s.filter_fields DESC, s.key, s.version DESC
       LIMIT 1) qa ON true`
  const qa = 'qa.percent'
  if (q.qa_min !== undefined) where.add(`${qa} >= ?`, q.qa_min)
  if (q.qa_max !== undefined) where.add(`${qa} <= ?`, q.qa_max)
  if (q.failed_item)
    where.add(
      `EXISTS (SELECT 1 FROM evaluations e JOIN evaluation_items i ON i.evaluation_id = e.id
               WHERE e.call_id = c.id AND e.source = 'auto' AND i.result = 'fail' AND i.item_key = ?)`,
      q.failed_item,
    )
  if (q.conduct_flagged !== undefined) where.add('(coalesce(ci.conduct_flags, 0) > 0) = ?', q.conduct_flagged)
  if (q.q) {
    // Han text has no spaces for a word index: substring search; otherwise full-text search.
    if (/\p{Script=Han}/u.test(q.q))
      where.add(
        `EXISTS (SELECT 1 FROM utterances u WHERE u.call_id = c.id AND strpos(u.text_redacted, ?) > 0)`,
        q.q,
      )
    else
      where.add(
        `EXISTS (SELECT 1 FROM utterances u WHERE u.call_id = c.id
                 AND to_tsvector('simple', u.text_redacted) @@ plainto_tsquery('simple', ?))`,
        q.q,
      )
  }
  // Calls without a start time sort by when they were stored; the id breaks ties, so a page never
  // repeats or skips a call that shares its second with another.
  const sortKey = 'coalesce(c.started_at, c.created_at)'
  if (q.cursor) {
    const [at, id] = decodeCursor(q.cursor)
    where.raw(`(${sortKey}, c.id) < (${where.param(at)}::timestamptz, ${where.param(id)})`)
  }
  const limit = q.limit ?? 50
  const limitParam = where.param(limit + 1)
  const res = await db.query<CallListRow & { sort_key: string }>(
    `SELECT c.id, c.external_id, c.source_name, c.status, c.started_at, c.duration_ms, c.agent_id, c.team,
            c.queue, c.direction, c.language, c.transcript_status, qa.percent AS qa_percent, qa.key AS qa_scorecard,
            qa.fatal_failed, c.transcript_trusted,
            CASE WHEN c.channel_check->>'layout' IN ('dual-mono', 'one-channel-silent') THEN c.channel_check->>'layout' END
              AS channel_problem,
            m.hold_count,
            m.customer_sentiment_end, m.customer_sentiment_trend, m.dead_air_longest_ms,
            CASE WHEN ci.urgency IS NOT NULL THEN 'P' || ci.urgency END AS urgency,
            (SELECT t.path FROM call_topics t WHERE t.call_id = c.id AND t.rank = 1) AS category,
            ci.conduct_flags,
            to_char(${sortKey} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS sort_key
     FROM calls c LEFT JOIN call_metrics m ON m.call_id = c.id
       LEFT JOIN call_insights ci ON ci.call_id = c.id ${standing}
     WHERE ${where.sql}
     ORDER BY ${sortKey} DESC, c.id DESC
     LIMIT ${limitParam}`,
    where.params,
  )
  const rows = res.rows.slice(0, limit)
  const last = rows.at(-1)
  return {
    items: rows.map(({ sort_key: _, ...row }) => ({
      ...row,
      started_at: row.started_at ? new Date(row.started_at).toISOString() : null,
    })),
    next_cursor: res.rows.length > limit && last ? encodeCursor(last.sort_key, last.id) : null,
  }
}

export interface CallReaderRow {
  id: number
  external_id: string | null
  source_name: string
  status: string
  started_at: string | Date | null
  duration_ms: number | null
  agent_id: string | null
  team: string | null
  queue: string | null
  direction: string | null
  language: string | null
  csat: number | null
  disposition: string | null
  channel_layout: string | null
  transcript_status: string
  transcript_format: string | null
  transcript_error: string | null
  error_code: string | null
  error_message: string | null
  storage_uri: string | null
  redacted_audio_uri: string | null
  speakers_swapped: boolean
  audio_format: { codec?: string } | null
  channel_check: unknown
  transcript_confidence: number | null
  transcript_trusted: boolean | null
  role_decision: unknown
  diarization: unknown
  created_at: string | Date
  processed_at: string | Date | null
}

/** A call's stored row as readers see it (no lease or hash internals); undefined when not theirs. */
export async function callForReader(
  db: Queryable,
  id: number,
  agent: string | null,
): Promise<CallReaderRow | undefined> {
  const res = await db.query<CallReaderRow>(
    `SELECT c.id, c.external_id, c.source_name, c.status, c.started_at, c.duration_ms, c.agent_id, c.team, c.queue,
            c.direction, c.language, c.csat, c.disposition, c.channel_layout, c.transcript_status,
            c.transcript_format, c.transcript_error, c.error_code, c.error_message, c.storage_uri,
            c.redacted_audio_uri, c.speakers_swapped, c.audio_format, c.channel_check, c.transcript_confidence,
            c.transcript_trusted, c.role_decision, c.diarization, c.created_at, c.processed_at
     FROM calls c WHERE c.id = $1 AND ($2::text IS NULL OR c.agent_id = $2)`,
    [id, agent],
  )
  return res.rows[0]
}

export async function callMetricsRow(db: Queryable, callId: number): Promise<Record<string, unknown> | null> {
  return (await db.query('SELECT * FROM call_metrics WHERE call_id = $1', [callId])).rows[0] ?? null
}

export async function countUtterances(db: Queryable, callId: number): Promise<number> {
  const res = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM utterances WHERE call_id = $1', [
    callId,
  ])
  return res.rows[0]?.n ?? 0
}
