/**
 * What live calls tell supervisors, as the events `GET /v1/live/events` streams (server-sent
 * events: `event:` is the type, `data:` the object) and Postgres NOTIFY carries between servers.
 * Every event names its live session (`session`) and, once the call is filed, its `call_id`.
 */
import type { Severity } from './rules.js'

export type CallState = 'talking' | 'silence' | 'paused' | 'ended'

/** What the Live page shows of a call in progress. */
export interface LiveSnapshot {
  session: number
  protocol: string
  external_id: string
  agent_id: string | null
  team: string | null
  queue: string | null
  language: string | null
  started_at: string
  /** audio received so far (with pauses and gaps filled) */
  duration_ms: number
  state: CallState
  /** the current silence of both parties, ms (0 while someone talks) */
  silence_ms: number
  parties: Record<
    string,
    {
      talk_ms: number
      speaking: boolean
      /** share of the last seconds of speech said with a raised voice, 0–1 */
      agitation: number
      /** mean sentiment of the party's last lines, when words arrive */
      sentiment: number | null
    }
  >
  alerts: number
  call_id: number | null
}

export interface LiveAlert {
  id: number
  session: number
  call_id: number | null
  rule: string
  severity: Severity
  at_ms: number
  evidence: Record<string, unknown>
  raised_at: string
}

export type LiveEvent =
  | { type: 'call.started'; session: number; call: LiveSnapshot }
  | { type: 'call.state'; session: number; state: CallState; at_ms: number; call: LiveSnapshot }
  | { type: 'call.update'; session: number; call: LiveSnapshot }
  | ({ type: 'alert' } & LiveAlert)
  | { type: 'alert.acknowledged'; session: number; id: number; by: string; at: string }
  | { type: 'call.ended'; session: number; at_ms: number; reason: string; call_id: number | null }
  | { type: 'call.filed'; session: number; call_id: number }
