/**
 * Follow-ups (migration 000023): what calls concluded that the rules read, the cases themselves,
 * their calls, their events, and the steps the scheduler did once.
 */
import type { Queryable } from '../index.js'

/** What a concluded call says that follow-up rules read. */
export interface CallOutcome {
  id: number
  customer_id: string | null
  agent_id: string | null
  disposition: string | null
  started_at: Date
  /** 0 = P0 … 3 = P3; null without a trusted transcript */
  urgency: number | null
  urgency_evidence: unknown
  conduct: { flags?: Array<{ kind: string; text: string; start_ms: number; end_ms: number }> } | null
  conduct_flags: number
  customer_sentiment_start: number | null
  customer_sentiment_end: number | null
  customer_sentiment_trend: number | null
  /** category paths joined by '/', main first */
  categories: string[]
  /** each category's evidence, in the same order */
  category_evidence: unknown[]
  /** failed fatal items of the automatic evaluations */
  fatal: Array<{ scorecard: string; item: string; evidence: unknown }>
  /** the live alerts raised while the call happened */
  live_alerts: Array<{ rule: string; at_ms: number; evidence: unknown }>
  /** already in a follow-up */
  follow_up_id: number | null
}

export async function callOutcomes(db: Queryable, callIds: readonly number[]): Promise<CallOutcome[]> {
  const res = await db.query<CallOutcome>(
    `SELECT c.id, c.customer_id, c.agent_id, c.disposition, coalesce(c.started_at, c.created_at) AS started_at,
            i.urgency, i.urgency_evidence, i.conduct, coalesce(i.conduct_flags, 0) AS conduct_flags,
            m.customer_sentiment_start, m.customer_sentiment_end, m.customer_sentiment_trend,
            coalesce((SELECT array_agg(array_to_string(t.path, '/') ORDER BY t.rank)
                        FROM call_topics t WHERE t.call_id = c.id), '{}') AS categories,
            coalesce((SELECT jsonb_agg(t.evidence ORDER BY t.rank)
                        FROM call_topics t WHERE t.call_id = c.id), '[]') AS category_evidence,
            coalesce((SELECT jsonb_agg(jsonb_build_object('scorecard', s.key, 'item', it.item_key,
                                                          'evidence', it.evidence) ORDER BY s.key, it.seq)
                        FROM evaluations e JOIN scorecards s ON s.id = e.scorecard_id
                        JOIN evaluation_items it ON it.evaluation_id = e.id
                       WHERE e.call_id = c.id AND e.source = 'auto' AND it.fatal AND it.result = 'fail'),
                     '[]') AS fatal,
            coalesce((SELECT jsonb_agg(jsonb_build_object('rule', a.rule, 'at_ms', a.at_ms,
                                                          'evidence', a.evidence) ORDER BY a.at_ms)
                        FROM live_sessions ls JOIN live_alerts a ON a.session_id = ls.id
                       WHERE ls.call_id = c.id), '[]') AS live_alerts,
            (SELECT f.follow_up_id FROM follow_up_calls f WHERE f.call_id = c.id) AS follow_up_id
       FROM calls c
       LEFT JOIN call_insights i ON i.call_id = c.id
       LEFT JOIN call_metrics m ON m.call_id = c.id
      WHERE c.id = ANY($1::bigint[])
      ORDER BY c.id`,
    [callIds],
  )
  return res.rows.map((r) => ({ ...r, started_at: new Date(r.started_at) }))
}

export type FollowUpStatus = 'open' | 'in_progress' | 'waiting' | 'resolved' | 'closed' | 'reopened'
/** Statuses whose clocks run (waiting stops them; resolved and closed are done). */
export const RUNNING_STATUSES: readonly FollowUpStatus[] = ['open', 'in_progress', 'reopened']

export interface FollowUpRow {
  id: number
  call_id: number | null
  rules_id: number | null
  customer_id: string | null
  reason: string
  reasons: Array<{ kind: string; evidence: unknown }>
  urgency: number
  category: string | null
  team: string | null
  owner_id: number | null
  owner: string | null
  status: FollowUpStatus
  escalation_level: number
  escalated_to: string[]
  escalated_at: Date | null
  opened_at: Date
  respond_due_at: Date
  resolve_due_at: Date
  respond_ms: number
  resolve_ms: number
  first_response_at: Date | null
  last_progress_at: Date
  paused_at: Date | null
  paused_ms: number
  resolved_at: Date | null
  closed_at: Date | null
  reopen_count: number
  callback: { at: string; reached: boolean; satisfied?: boolean; csat?: number; note?: string } | null
  root_cause: string | null
  why: string[]
  fix: string | null
  external_ref: string | null
  version: number
  created_by: number | null
  updated_at: Date
  calls: number[]
}

const DATES = [
  'escalated_at',
  'opened_at',
  'respond_due_at',
  'resolve_due_at',
  'first_response_at',
  'last_progress_at',
  'paused_at',
  'resolved_at',
  'closed_at',
  'updated_at',
] as const

function rowOf(r: FollowUpRow): FollowUpRow {
  const out = {
    ...r,
    respond_ms: Number(r.respond_ms),
    resolve_ms: Number(r.resolve_ms),
    paused_ms: Number(r.paused_ms),
  }
  for (const k of DATES) if (r[k] !== null) (out as Record<string, unknown>)[k] = new Date(r[k] as Date)
  return out
}

const SELECT = `SELECT f.*, u.name AS owner,
       coalesce((SELECT array_agg(fc.call_id ORDER BY fc.joined_at, fc.call_id) FROM follow_up_calls fc
                  WHERE fc.follow_up_id = f.id), '{}') AS calls
  FROM follow_ups f LEFT JOIN users u ON u.id = f.owner_id`

export async function followUp(
  db: Queryable,
  id: number,
  { lock = false } = {},
): Promise<FollowUpRow | undefined> {
  // FOR UPDATE locks the case row only (the owner's user row stays free).
  const res = await db.query<FollowUpRow>(`${SELECT} WHERE f.id = $1${lock ? ' FOR UPDATE OF f' : ''}`, [id])
  return res.rows[0] && rowOf(res.rows[0])
}

export interface NewFollowUp {
  callId: number | null
  rulesId: number | null
  customerId: string | null
  reason: string
  reasons: unknown[]
  urgency: number
  category: string | null
  team: string | null
  ownerId: number | null
  respondMs: number
  resolveMs: number
  createdBy: number | null
  now: Date
}

/**
 * Inserts a case; undefined when the customer already has an active one (the caller joins it):
 * two calls of one customer concluding at once open one case.
 */
export async function insertFollowUp(db: Queryable, f: NewFollowUp): Promise<number | undefined> {
  const res = await db.query<{ id: number }>(
    `INSERT INTO follow_ups (call_id, rules_id, customer_id, reason, reasons, urgency, category, team, owner_id,
                             opened_at, respond_due_at, resolve_due_at, respond_ms, resolve_ms,
                             last_progress_at, created_by, updated_at)
     VALUES ($1, $2, $3, $4, $5::jsonb, $6, $7, $8, $9, $10,
             $10::timestamptz + make_interval(secs => $11::float8 / 1000),
             $10::timestamptz + make_interval(secs => $12::float8 / 1000),
             $11, $12, $10, $13, $10)
     ON CONFLICT (customer_id) WHERE customer_id IS NOT NULL AND status NOT IN ('resolved', 'closed')
     DO NOTHING
     RETURNING id`,
    [
      f.callId,
      f.rulesId,
      f.customerId,
      f.reason,
      JSON.stringify(f.reasons),
      f.urgency,
      f.category,
      f.team,
      f.ownerId,
      f.now,
      f.respondMs,
      f.resolveMs,
      f.createdBy,
    ],
  )
  return res.rows[0]?.id
}

export async function activeFollowUpOfCustomer(
  db: Queryable,
  customerId: string,
): Promise<number | undefined> {
  const res = await db.query<{ id: number }>(
    `SELECT id FROM follow_ups WHERE customer_id = $1 AND status NOT IN ('resolved', 'closed')`,
    [customerId],
  )
  return res.rows[0]?.id
}

/** Whether any of these calls' customers has an active case (the calls would join it). */
export async function customerHasActive(db: Queryable, callIds: readonly number[]): Promise<boolean> {
  const res = await db.query(
    `SELECT 1 FROM calls c JOIN follow_ups f ON f.customer_id = c.customer_id
      WHERE c.id = ANY ($1::bigint[]) AND f.status NOT IN ('resolved', 'closed') LIMIT 1`,
    [callIds],
  )
  return res.rows.length > 0
}

/** Links a call to a case; false when the call is in one already. */
export async function linkCall(
  db: Queryable,
  followUpId: number,
  callId: number,
  how: 'opened' | 'repeat' | 'manual',
  now: Date,
): Promise<boolean> {
  const res = await db.query(
    `INSERT INTO follow_up_calls (follow_up_id, call_id, joined_at, how) VALUES ($1, $2, $3, $4)
     ON CONFLICT DO NOTHING RETURNING call_id`,
    [followUpId, callId, now, how],
  )
  return res.rows.length > 0
}

export async function addEvent(
  db: Queryable,
  e: {
    followUpId: number
    at: Date
    userId: number | null
    kind: string
    note?: string | null
    detail?: unknown
  },
): Promise<void> {
  await db.query(
    `INSERT INTO follow_up_events (follow_up_id, at, user_id, kind, note, detail) VALUES ($1, $2, $3, $4, $5, $6::jsonb)`,
    [e.followUpId, e.at, e.userId, e.kind, e.note ?? null, JSON.stringify(e.detail ?? {})],
  )
}

export interface FollowUpEventRow {
  id: number
  at: Date
  user: string | null
  kind: string
  note: string | null
  detail: unknown
}

export async function followUpEvents(db: Queryable, id: number): Promise<FollowUpEventRow[]> {
  const res = await db.query<FollowUpEventRow>(
    `SELECT e.id, e.at, u.name AS user, e.kind, e.note, e.detail
       FROM follow_up_events e LEFT JOIN users u ON u.id = e.user_id
      WHERE e.follow_up_id = $1 ORDER BY e.id`,
    [id],
  )
  return res.rows.map((r) => ({ ...r, at: new Date(r.at) }))
}

/** The columns a change may set (names from this list only reach the SQL). */
const SETTABLE = [
  'status',
  'owner_id',
  'team',
  'urgency',
  'respond_due_at',
  'resolve_due_at',
  'respond_ms',
  'resolve_ms',
  'first_response_at',
  'last_progress_at',
  'paused_at',
  'paused_ms',
  'resolved_at',
  'closed_at',
  'reopen_count',
  'callback',
  'root_cause',
  'why',
  'fix',
  'external_ref',
  'escalation_level',
  'escalated_to',
  'escalated_at',
  'reasons',
] as const
export type FollowUpChange = Partial<Record<(typeof SETTABLE)[number], unknown>>

/** Writes a change to a (locked) case and bumps its version. */
export async function updateFollowUp(
  db: Queryable,
  id: number,
  change: FollowUpChange,
  now: Date,
): Promise<void> {
  const sets: string[] = []
  const values: unknown[] = [id, now]
  for (const column of SETTABLE) {
    if (!(column in change)) continue
    const v = change[column]
    values.push(column === 'callback' || column === 'why' || column === 'reasons' ? JSON.stringify(v) : v)
    sets.push(
      `${column} = $${values.length}${column === 'callback' || column === 'why' || column === 'reasons' ? '::jsonb' : ''}`,
    )
  }
  await db.query(
    `UPDATE follow_ups SET ${[...sets, 'version = version + 1', 'updated_at = $2'].join(', ')} WHERE id = $1`,
    values,
  )
}

export interface FollowUpFilter {
  call_id?: number | undefined
  status?: FollowUpStatus | undefined
  team?: string | undefined
  owner?: string | undefined
  urgency?: number | undefined
  category?: string | undefined
  overdue?: boolean | undefined
  from?: string | undefined
  to?: string | undefined
  escalated?: boolean | undefined
  resolved?: boolean | undefined
  /** the opening call started in [call_from, call_to) (the TOP issues report's cases) */
  call_from?: string | undefined
  call_to?: string | undefined
}

/** Who sees which cases: everything, or those a user owns, opened, has in their team or was escalated. */
export type FollowUpScope = { all: true } | { userId: number; name: string; team: string | null }

export async function listFollowUps(
  db: Queryable,
  q: FollowUpFilter,
  scope: FollowUpScope,
  now: Date,
  limit = 500,
): Promise<FollowUpRow[]> {
  const where: string[] = []
  const values: unknown[] = []
  const add = (sql: (n: string) => string, v: unknown) => {
    values.push(v)
    where.push(sql(`$${values.length}`))
  }
  if (!('all' in scope)) {
    values.push(scope.userId, scope.name, scope.team)
    where.push(
      `(f.owner_id = $1 OR f.created_by = $1 OR $2 = ANY (f.escalated_to) OR ($3::text IS NOT NULL AND f.team = $3))`,
    )
  }
  if (q.call_id !== undefined)
    add(
      (n) => `EXISTS (SELECT 1 FROM follow_up_calls fc WHERE fc.follow_up_id = f.id AND fc.call_id = ${n})`,
      q.call_id,
    )
  if (q.status) add((n) => `f.status = ${n}`, q.status)
  if (q.team) add((n) => `f.team = ${n}`, q.team)
  if (q.owner) add((n) => `u.name = ${n}`, q.owner)
  if (q.urgency !== undefined) add((n) => `f.urgency = ${n}`, q.urgency)
  // A category matches at any level: "billing" is billing/charges/…, and so is "billing/charges".
  if (q.category)
    add(
      (n) =>
        `(f.category = ${n} OR f.category LIKE ${n} || '/%' OR ${n} = ANY (string_to_array(f.category, '/')))`,
      q.category,
    )
  if (q.from) add((n) => `f.opened_at >= ${n}::timestamptz`, q.from)
  if (q.to) add((n) => `f.opened_at < ${n}::timestamptz`, q.to)
  const callAt = '(SELECT coalesce(c.started_at, c.created_at) FROM calls c WHERE c.id = f.call_id)'
  if (q.call_from) add((n) => `${callAt} >= ${n}::timestamptz`, q.call_from)
  if (q.call_to) add((n) => `${callAt} < ${n}::timestamptz`, q.call_to)
  if (q.escalated) where.push('f.escalation_level > 0')
  if (q.resolved) where.push('f.resolved_at IS NOT NULL')
  values.push(now)
  const nowAt = `$${values.length}`
  const overdue = `(f.status IN ('open', 'in_progress', 'reopened') AND (f.resolve_due_at < ${nowAt}
                    OR (f.first_response_at IS NULL AND f.respond_due_at < ${nowAt})))`
  if (q.overdue === true) where.push(overdue)
  if (q.overdue === false) where.push(`NOT ${overdue}`)
  values.push(limit)
  const res = await db.query<FollowUpRow>(
    `${SELECT} ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
      ORDER BY ${overdue} DESC, (f.status IN ('resolved', 'closed')), f.resolve_due_at, f.id
      LIMIT $${values.length}`,
    values,
  )
  return res.rows.map(rowOf)
}

/** Open cases per member (for assignment to the one with the fewest). */
export async function openCounts(
  db: Queryable,
  names: readonly string[],
): Promise<Map<string, { id: number; open: number }>> {
  const res = await db.query<{ name: string; id: number; open: number }>(
    `SELECT u.name, u.id, count(f.id)::int AS open
       FROM users u LEFT JOIN follow_ups f ON f.owner_id = u.id AND f.status NOT IN ('resolved', 'closed')
      WHERE u.name = ANY ($1::text[]) AND NOT u.disabled
      GROUP BY u.name, u.id`,
    [names],
  )
  return new Map(res.rows.map((r) => [r.name, { id: Number(r.id), open: Number(r.open) }]))
}

/** Records a step done; false when it was done already (by this or another server). */
export async function claimStep(db: Queryable, followUpId: number, step: string, at: Date): Promise<boolean> {
  const res = await db.query(
    `INSERT INTO follow_up_steps (follow_up_id, step, at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING RETURNING step`,
    [followUpId, step, at],
  )
  return res.rows.length > 0
}

/** Cases whose clocks run (not waiting, not done), read without a lock: what a pass looks at. */
export async function runningFollowUps(db: Queryable, limit: number): Promise<FollowUpRow[]> {
  const res = await db.query<FollowUpRow>(
    `${SELECT} WHERE f.status IN ('open', 'in_progress', 'reopened')
      ORDER BY least(f.respond_due_at, f.resolve_due_at, f.last_progress_at), f.id LIMIT $1`,
    [limit],
  )
  return res.rows.map(rowOf)
}

/** Users' teams from the active follow-up rules' members (a user is in one team). */
export async function setTeams(db: Queryable, teams: Record<string, { members: string[] }>): Promise<void> {
  const names: string[] = []
  const of: string[] = []
  for (const [team, t] of Object.entries(teams))
    for (const m of t.members) {
      names.push(m)
      of.push(team)
    }
  await db.query(
    `UPDATE users u SET team = t.team FROM unnest($1::text[], $2::text[]) AS t(name, team)
      WHERE u.name = t.name AND u.team IS DISTINCT FROM t.team`,
    [names, of],
  )
  await db.query(`UPDATE users SET team = NULL WHERE team IS NOT NULL AND NOT (name = ANY ($1::text[]))`, [
    names,
  ])
}

export async function userNames(db: Queryable): Promise<Set<string>> {
  return new Set((await db.query<{ name: string }>('SELECT name FROM users')).rows.map((r) => r.name))
}

export interface FollowUpReportRow {
  key: string | null
  opened: number
  resolved: number
  /** cases whose resolution promise has come due (resolved, or past it) */
  due: number
  kept: number
  median_resolve_ms: number | null
  median_promise_ms: number | null
  escalated: number
  reopened: number
  callbacks: number
  reached: number
  satisfied: number
  csat: number | null
}

export const REPORT_GROUPS = {
  category: `nullif(array_to_string((string_to_array(f.category, '/'))[1:$3::int], '/'), '')`,
  team: 'f.team',
  urgency: `'P' || f.urgency`,
  total: 'NULL::text',
} as const

/** Cases opened in [from, to), grouped: what was promised and what was kept. */
export async function followUpReport(
  db: Queryable,
  q: { from: string; to: string; level: number; by: keyof typeof REPORT_GROUPS; now: Date },
): Promise<FollowUpReportRow[]> {
  const key = REPORT_GROUPS[q.by]
  const res = await db.query<FollowUpReportRow>(
    `SELECT ${key} AS key, count(*)::int AS opened,
            count(*) FILTER (WHERE f.resolved_at IS NOT NULL)::int AS resolved,
            count(*) FILTER (WHERE f.resolved_at IS NOT NULL OR f.resolve_due_at < $4)::int AS due,
            count(*) FILTER (WHERE f.resolved_at IS NOT NULL AND f.resolved_at <= f.resolve_due_at)::int AS kept,
            percentile_cont(0.5) WITHIN GROUP (
              ORDER BY extract(epoch FROM f.resolved_at - f.opened_at) * 1000 - f.paused_ms)
              FILTER (WHERE f.resolved_at IS NOT NULL) AS median_resolve_ms,
            percentile_cont(0.5) WITHIN GROUP (ORDER BY f.resolve_ms)
              FILTER (WHERE f.resolved_at IS NOT NULL) AS median_promise_ms,
            count(*) FILTER (WHERE EXISTS (SELECT 1 FROM follow_up_steps s
                                            WHERE s.follow_up_id = f.id AND s.step LIKE '%:escalate:%'))::int AS escalated,
            count(*) FILTER (WHERE f.reopen_count > 0)::int AS reopened,
            count(*) FILTER (WHERE f.callback IS NOT NULL)::int AS callbacks,
            count(*) FILTER (WHERE (f.callback->>'reached')::boolean)::int AS reached,
            count(*) FILTER (WHERE (f.callback->>'satisfied')::boolean)::int AS satisfied,
            avg((f.callback->>'csat')::float8) AS csat
       FROM follow_ups f
      WHERE f.opened_at >= $1::timestamptz AND f.opened_at < $2::timestamptz AND $3::int > 0
      GROUP BY 1 ORDER BY opened DESC, 1`,
    [q.from, q.to, q.level, q.now],
  )
  return res.rows.map((r) => ({
    ...r,
    median_resolve_ms: r.median_resolve_ms === null ? null : Math.round(Number(r.median_resolve_ms)),
    median_promise_ms: r.median_promise_ms === null ? null : Math.round(Number(r.median_promise_ms)),
    csat: r.csat === null ? null : Number(r.csat),
  }))
}

/** Of these calls, how many opened a follow-up and how many joined one (repeat contacts, by hand). */
export async function followUpsOfCalls(
  db: Queryable,
  callIds: readonly number[],
): Promise<{ opened: number; joined: number }> {
  const res = await db.query<{ opened: number; joined: number }>(
    `SELECT count(*) FILTER (WHERE how = 'opened')::int AS opened, count(*) FILTER (WHERE how <> 'opened')::int AS joined
       FROM follow_up_calls WHERE call_id = ANY ($1::bigint[])`,
    [callIds],
  )
  return res.rows[0] ?? { opened: 0, joined: 0 }
}

/**
 * Before a call is deleted: the follow-ups it is the only call of go with it (their audit entries
 * keep who did what and when, not what it was about; their undelivered events are dropped); a
 * case that keeps other calls loses the evidence this call gave it.
 */
export async function forgetCallInFollowUps(db: Queryable, callId: number): Promise<number> {
  const only = await db.query<{ id: number }>(
    `SELECT fc.follow_up_id AS id FROM follow_up_calls fc
      WHERE fc.call_id = $1
        AND NOT EXISTS (SELECT 1 FROM follow_up_calls o WHERE o.follow_up_id = fc.follow_up_id AND o.call_id <> $1)`,
    [callId],
  )
  const ids = only.rows.map((r) => Number(r.id))
  if (ids.length > 0) {
    await db.query(
      `UPDATE audit_log SET before = NULL, after = NULL WHERE entity = 'follow_up' AND entity_id = ANY ($1::bigint[])`,
      [ids],
    )
    await db.query(
      `DELETE FROM webhook_outbox WHERE event_type LIKE 'follow_up.%' AND delivered_at IS NULL
          AND (payload->'data'->>'id')::bigint = ANY ($1::bigint[])`,
      [ids],
    )
    await db.query('DELETE FROM follow_ups WHERE id = ANY ($1::bigint[])', [ids])
  }
  await db.query(
    `UPDATE follow_ups SET reasons = (SELECT coalesce(jsonb_agg(r || '{"evidence": null}'), '[]') FROM jsonb_array_elements(reasons) r)
      WHERE call_id = $1`,
    [callId],
  )
  return ids.length
}
