/**
 * Live sessions and their alerts (migration 000021).
 */
import type { Queryable } from '../index.js'

export interface LiveSessionRow {
  id: number
  protocol: string
  external_id: string
  conversation_id: string | null
  server_id: string
  state: 'live' | 'ended' | 'filed' | 'empty'
  agent_id: string | null
  team: string | null
  queue: string | null
  language: string | null
  direction: string | null
  metadata: Record<string, unknown>
  channels: string[]
  recording_path: string | null
  audio_ms: number
  stretches: Array<{ kind: string; start_ms: number; end_ms: number }>
  /** what the live analysis measured: talk per party, the dead air it raised */
  figures: Record<string, unknown>
  started_at: Date
  ended_at: Date | null
  end_reason: string | null
  call_id: number | null
}

export interface NewLiveSession {
  protocol: string
  externalId: string
  conversationId: string | null
  serverId: string
  agentId: string | null
  team: string | null
  queue: string | null
  language: string | null
  direction: string | null
  metadata: Record<string, unknown>
  channels: string[]
  recordingPath: string
}

/** A new session; undefined when one with this protocol and external id exists already. */
export async function insertLiveSession(db: Queryable, s: NewLiveSession): Promise<number | undefined> {
  const { rows } = await db.query<{ id: number }>(
    `INSERT INTO live_sessions (protocol, external_id, conversation_id, server_id, agent_id, team, queue,
                                language, direction, metadata, channels, recording_path)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
     ON CONFLICT (protocol, external_id) DO NOTHING
     RETURNING id`,
    [
      s.protocol,
      s.externalId,
      s.conversationId,
      s.serverId,
      s.agentId,
      s.team,
      s.queue,
      s.language,
      s.direction,
      JSON.stringify(s.metadata),
      s.channels,
      s.recordingPath,
    ],
  )
  return rows[0]?.id
}

export async function endLiveSession(
  db: Queryable,
  id: number,
  end: { audioMs: number; stretches: unknown[]; reason: string; empty: boolean; figures?: unknown },
): Promise<void> {
  await db.query(
    `UPDATE live_sessions SET state = $2, ended_at = now(), audio_ms = $3, stretches = $4, end_reason = $5,
                              figures = COALESCE($6, figures)
      WHERE id = $1 AND state = 'live'`,
    [
      id,
      end.empty ? 'empty' : 'ended',
      end.audioMs,
      JSON.stringify(end.stretches),
      end.reason,
      end.figures === undefined ? null : JSON.stringify(end.figures),
    ],
  )
}

export async function fileLiveSession(db: Queryable, id: number, callId: number): Promise<void> {
  await db.query(`UPDATE live_sessions SET state = 'filed', call_id = $2 WHERE id = $1`, [id, callId])
}

export async function liveSession(db: Queryable, id: number): Promise<LiveSessionRow | undefined> {
  const { rows } = await db.query<LiveSessionRow>('SELECT * FROM live_sessions WHERE id = $1', [id])
  return rows[0]
}

/** Sessions live now, on any server. */
export async function liveSessions(db: Queryable): Promise<LiveSessionRow[]> {
  const { rows } = await db.query<LiveSessionRow>(
    `SELECT * FROM live_sessions WHERE state = 'live' ORDER BY started_at`,
  )
  return rows
}

/** Sessions a process on this host left behind: live, or ended but never filed. */
export async function unfinishedSessions(db: Queryable, hostPrefix: string): Promise<LiveSessionRow[]> {
  const { rows } = await db.query<LiveSessionRow>(
    `SELECT * FROM live_sessions WHERE state IN ('live', 'ended') AND starts_with(server_id, $1) ORDER BY id`,
    [hostPrefix],
  )
  return rows
}

export interface LiveAlertRow {
  id: number
  session_id: number
  rule: string
  severity: 'info' | 'warning' | 'critical'
  at_ms: number
  evidence: Record<string, unknown>
  raised_at: Date
  acknowledged_by: number | null
  acknowledged_at: Date | null
}

export async function insertLiveAlert(
  db: Queryable,
  a: { sessionId: number; rule: string; severity: string; atMs: number; evidence: Record<string, unknown> },
): Promise<LiveAlertRow> {
  const { rows } = await db.query<LiveAlertRow>(
    `INSERT INTO live_alerts (session_id, rule, severity, at_ms, evidence) VALUES ($1, $2, $3, $4, $5)
     RETURNING *`,
    [a.sessionId, a.rule, a.severity, a.atMs, JSON.stringify(a.evidence)],
  )
  return rows[0] as LiveAlertRow
}

/** A call's alerts (through its live session), by position. */
export async function callAlerts(
  db: Queryable,
  callId: number,
): Promise<Array<LiveAlertRow & { acknowledged_by_name: string | null }>> {
  const { rows } = await db.query<LiveAlertRow & { acknowledged_by_name: string | null }>(
    `SELECT a.*, u.name AS acknowledged_by_name
       FROM live_alerts a JOIN live_sessions s ON s.id = a.session_id
       LEFT JOIN users u ON u.id = a.acknowledged_by
      WHERE s.call_id = $1 ORDER BY a.at_ms, a.id`,
    [callId],
  )
  return rows
}

export async function sessionAlerts(db: Queryable, sessionId: number): Promise<LiveAlertRow[]> {
  const { rows } = await db.query<LiveAlertRow>(
    'SELECT * FROM live_alerts WHERE session_id = $1 ORDER BY at_ms, id',
    [sessionId],
  )
  return rows
}

/** Acknowledges an alert once; the first acknowledgement stands. */
export async function acknowledgeAlert(
  db: Queryable,
  id: number,
  userId: number,
): Promise<(LiveAlertRow & { agent_id: string | null }) | undefined> {
  const { rows } = await db.query<LiveAlertRow & { agent_id: string | null }>(
    `UPDATE live_alerts a SET acknowledged_by = COALESCE(a.acknowledged_by, $2),
                              acknowledged_at = COALESCE(a.acknowledged_at, now())
       FROM live_sessions s
      WHERE a.id = $1 AND s.id = a.session_id
      RETURNING a.*, s.agent_id`,
    [id, userId],
  )
  return rows[0]
}
