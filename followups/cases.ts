/**
 * The follow-up domain, no HTTP: cases opened from concluded calls (by the active rules) or by
 * hand, repeat contacts joined to the customer's open case, and every change a person or the
 * integration makes — checked against the life cycle, written under the case's row lock (no
 * concurrent change is lost), audited, and sent out through the webhook outbox in the same
 * transaction.
 *
 * Life cycle: open → in_progress → waiting (for the customer) → resolved → closed; resolved and
 * closed cases can be reopened (status `reopened`, which works like open). While waiting, the
 * clocks stop: the due times move on by the time spent waiting.
 *
 * Who sees what: admins, managers and the integration see every case; anyone else the cases they
 * own, opened, their team's, and those escalated to them. Agents are no exception — a case opened from an
 * agent's call (a conduct remark, a failed fatal item) is not shown to that agent unless it is
 * theirs to work; what an agent hears about their calls comes through evaluations and coaching.
 */
import type { Queryable } from '../db/index.js'
import {
  activeFollowUpOfCustomer,
  addEvent,
  type CallOutcome,
  callOutcomes,
  customerHasActive,
  type FollowUpChange,
  type FollowUpRow,
  type FollowUpScope,
  type FollowUpStatus,
  followUp,
  insertFollowUp,
  linkCall,
  openCounts,
  RUNNING_STATUSES,
  updateFollowUp,
} from '../db/queries/follow-ups.js'
import { activeTaxonomy } from '../db/queries/taxonomies.js'
import { audit, type UserRow, userTeam } from '../db/queries/users.js'
import { activeRules, type RulesRow, rulesById } from '../db/queries/versioned-rules.js'
import { ConflictError, ForbiddenError, NotFoundError, ValidationError } from '../errors.js'
import { complaintPaths } from '../topics/taxonomy.js'
import { enqueueWebhook, webhooksConfigured } from '../webhooks/outbox.js'
import { caseUrgency, pickOwner, type Reason, reasonsToOpen, routeTeam } from './decide.js'
import {
  DEFAULT_ROOT_CAUSES,
  DEFAULT_SLA,
  type FollowUpRules,
  type FollowUpRulesFile,
  resolveFollowUpRules,
  type UrgencyLabel,
  urgencyLabel,
  urgencyNumber,
} from './rules.js'

/** Stored rule versions never change: resolved once per process. */
const resolved = new Map<number, FollowUpRules>()
function rulesOf(row: RulesRow): FollowUpRules {
  let r = resolved.get(row.id)
  if (!r) {
    r = resolveFollowUpRules(row.definition as unknown as FollowUpRulesFile)
    resolved.set(row.id, r)
  }
  return r
}

export async function activeFollowUpRules(
  db: Queryable,
): Promise<{ id: number; rules: FollowUpRules } | undefined> {
  const row = await activeRules(db, 'follow_up_rules')
  return row && { id: row.id, rules: rulesOf(row) }
}

/**
 * The rules a case was opened under (its SLA and teams), else the active ones. A stored version
 * never changes: once resolved it is not read again.
 */
export async function caseRules(db: Queryable, row: FollowUpRow): Promise<FollowUpRules | undefined> {
  const known = row.rules_id === null ? undefined : resolved.get(row.rules_id)
  if (known) return known
  const stored = row.rules_id ? await rulesById(db, 'follow_up_rules', row.rules_id) : undefined
  if (stored) return rulesOf(stored)
  return (await activeFollowUpRules(db))?.rules
}

// ---------- what goes out ----------

export type FollowUpEventType =
  | 'follow_up.created'
  | 'follow_up.updated'
  | 'follow_up.escalated'
  | 'follow_up.resolved'
  | 'follow_up.reopened'

const iso = (d: Date | null) => (d ? d.toISOString() : null)

/** A case as the API and webhooks show it (the customer's id stays off the wire). */
export function present(row: FollowUpRow, now: Date) {
  const running = RUNNING_STATUSES.includes(row.status)
  const respondMissed = row.first_response_at === null && now > row.respond_due_at
  return {
    id: Number(row.id),
    call_id: row.call_id === null ? null : Number(row.call_id),
    calls: row.calls.map(Number),
    reason: row.reason,
    reasons: row.reasons,
    urgency: urgencyLabel(row.urgency),
    category: row.category,
    team: row.team,
    owner: row.owner,
    status: row.status,
    due_at: row.resolve_due_at.toISOString(),
    respond_due_at: row.respond_due_at.toISOString(),
    resolve_due_at: row.resolve_due_at.toISOString(),
    overdue: running && (now > row.resolve_due_at || respondMissed),
    paused: row.status === 'waiting',
    escalation_level: row.escalation_level,
    escalated_to: row.escalated_to,
    escalated_at: iso(row.escalated_at),
    opened_at: row.opened_at.toISOString(),
    first_response_at: iso(row.first_response_at),
    resolved_at: iso(row.resolved_at),
    closed_at: iso(row.closed_at),
    reopen_count: row.reopen_count,
    callback: row.callback,
    root_cause: row.root_cause,
    why: row.why,
    fix: row.fix,
    external_ref: row.external_ref,
    version: row.version,
    updated_at: row.updated_at.toISOString(),
  }
}

/** Queues the webhook of a change, with the case as it now is (read here unless given). */
export async function announce(
  tx: Queryable,
  type: FollowUpEventType,
  idOrRow: number | FollowUpRow,
  now: Date,
  extra: Record<string, unknown> = {},
): Promise<void> {
  if (!webhooksConfigured()) return
  const row = typeof idOrRow === 'number' ? await followUp(tx, idOrRow) : idOrRow
  if (row) await enqueueWebhook(tx, type, { ...present(row, now), ...extra })
}

// ---------- opened from calls ----------

async function complaintPathsNow(tx: Queryable): Promise<string[]> {
  const taxonomy = await activeTaxonomy(tx)
  return taxonomy ? complaintPaths(taxonomy.definition) : []
}

async function joinRepeat(tx: Queryable, outcome: CallOutcome, caseId: number, now: Date): Promise<void> {
  if (!(await linkCall(tx, caseId, outcome.id, 'repeat', now))) return
  const row = (await followUp(tx, caseId, { lock: true })) as FollowUpRow
  const change: FollowUpChange = {}
  // A more urgent repeat contact makes the case more urgent, and its promises no later than its
  // new urgency's would have been.
  const rules = await caseRules(tx, row)
  const urgency = outcome.urgency
  if (urgency !== null && urgency < row.urgency) {
    const sla = (rules?.sla ?? DEFAULT_SLA)[urgencyLabel(urgency)]
    change.urgency = urgency
    change.respond_ms = sla.respondMs
    change.resolve_ms = sla.resolveMs
    const earlier = (d: Date, ms: number) => new Date(Math.min(d.getTime(), row.opened_at.getTime() + ms))
    change.respond_due_at = earlier(row.respond_due_at, sla.respondMs)
    change.resolve_due_at = earlier(row.resolve_due_at, sla.resolveMs)
  }
  await updateFollowUp(tx, caseId, change, now)
  await addEvent(tx, {
    followUpId: caseId,
    at: now,
    userId: null,
    kind: 'repeat_contact',
    detail: {
      call_id: outcome.id,
      ...(change.urgency !== undefined ? { urgency: urgencyLabel(urgency as number) } : {}),
    },
  })
  await announce(tx, 'follow_up.updated', caseId, now, {
    change: 'repeat_contact',
    joined_call_id: outcome.id,
  })
}

interface Opening {
  callId: number | null
  customerId: string | null
  reasons: Reason[]
  urgency: number
  categories: string[]
  team?: string | null
  owner?: { id: number; name: string } | null
  createdBy: number | null
  how: 'opened' | 'manual'
}

/** Opens a case (or, when the customer has one open, joins it); returns its id and whether it is new. */
async function openCase(
  tx: Queryable,
  active: { id: number; rules: FollowUpRules } | undefined,
  o: Opening,
  now: Date,
): Promise<{ id: number; created: boolean }> {
  const label = urgencyLabel(o.urgency)
  const team =
    o.team !== undefined
      ? o.team
      : active
        ? routeTeam(active.rules, { urgency: label, categories: o.categories, reasons: o.reasons })
        : null
  const members = team && active ? (active.rules.teams[team]?.members ?? []) : []
  const owner = o.owner !== undefined ? o.owner : pickOwner(members, await openCounts(tx, members))
  const sla = active?.rules.sla[label] ?? DEFAULT_SLA[label]
  const id = await insertFollowUp(tx, {
    callId: o.callId,
    rulesId: active?.id ?? null,
    customerId: o.customerId,
    reason: o.reasons[0]?.kind ?? 'manual',
    reasons: o.reasons,
    urgency: o.urgency,
    category: o.categories[0] ?? null,
    team,
    ownerId: owner?.id ?? null,
    respondMs: sla.respondMs,
    resolveMs: sla.resolveMs,
    createdBy: o.createdBy,
    now,
  })
  if (id === undefined) {
    // The customer's case was opened meanwhile (or before): the call joins it.
    const existing = await activeFollowUpOfCustomer(tx, o.customerId as string)
    if (existing === undefined)
      throw new ConflictError('the customer has an open follow-up that could not be read')
    return { id: existing, created: false }
  }
  if (o.callId !== null) await linkCall(tx, id, o.callId, o.how, now)
  await addEvent(tx, {
    followUpId: id,
    at: now,
    userId: o.createdBy,
    kind: 'opened',
    detail: { reasons: o.reasons.map((r) => r.kind), team, owner: owner?.name ?? null, urgency: label },
  })
  await audit(tx, {
    userId: o.createdBy,
    action: 'follow_up.open',
    entity: 'follow_up',
    entityId: id,
    after: {
      call_id: o.callId,
      reason: o.reasons[0]?.kind ?? 'manual',
      urgency: label,
      team,
      owner: owner?.name ?? null,
    },
  })
  await announce(tx, 'follow_up.created', id, now)
  return { id, created: true }
}

/**
 * After calls are concluded for the first time: each call whose customer has an open case joins
 * it; each other call the active rules open a case for gets one, routed and assigned. A call is in
 * one case at most, so analysing it again opens nothing twice.
 */
export async function openFollowUpsForCalls(
  tx: Queryable,
  callIds: readonly number[],
  now: Date = new Date(),
): Promise<number[]> {
  if (callIds.length === 0) return []
  const active = await activeFollowUpRules(tx)
  // Without rules only a repeat contact has anything to do: one cheap look before reading the calls.
  if (!active && !(await customerHasActive(tx, callIds))) return []
  const outcomes = await callOutcomes(tx, callIds)
  const paths = active ? await complaintPathsNow(tx) : []
  const opened: number[] = []
  for (const outcome of outcomes) {
    if (outcome.follow_up_id !== null) continue
    const existing = outcome.customer_id ? await activeFollowUpOfCustomer(tx, outcome.customer_id) : undefined
    if (existing !== undefined) {
      await joinRepeat(tx, outcome, existing, now)
      continue
    }
    if (!active) continue
    const reasons = reasonsToOpen(active.rules, outcome, paths)
    if (reasons.length === 0) continue
    const { id, created } = await openCase(
      tx,
      active,
      {
        callId: outcome.id,
        customerId: outcome.customer_id,
        reasons,
        urgency: caseUrgency(outcome),
        categories: outcome.categories,
        createdBy: null,
        how: 'opened',
      },
      now,
    )
    if (created) opened.push(id)
    else await joinRepeat(tx, outcome, id, now)
  }
  return opened
}

/** A case opened from a call by a person (the call view's "Open a follow-up"). */
export async function openByHand(
  tx: Queryable,
  callId: number,
  actor: UserRow,
  body: {
    note?: string | undefined
    urgency?: UrgencyLabel | undefined
    team?: string | undefined
    owner?: string | undefined
  },
  now: Date,
): Promise<{ id: number; created: boolean }> {
  const [outcome] = await callOutcomes(tx, [callId])
  if (!outcome) throw new NotFoundError(`no call ${callId}`)
  if (outcome.follow_up_id !== null)
    throw new ConflictError(`call ${callId} is already in follow-up ${outcome.follow_up_id}`)
  const active = await activeFollowUpRules(tx)
  if (body.team !== undefined && active && !(body.team in active.rules.teams))
    throw new ValidationError(`no team ${body.team} in the active follow-up rules`)
  const owner = body.owner !== undefined ? await workerNamed(tx, body.owner) : undefined
  const urgency = body.urgency ? urgencyNumber(body.urgency) : caseUrgency(outcome)
  const opened = await openCase(
    tx,
    active,
    {
      callId,
      customerId: outcome.customer_id,
      reasons: [{ kind: 'manual', evidence: { note: body.note ?? null, by: actor.name } }],
      urgency,
      categories: outcome.categories,
      ...(body.team !== undefined ? { team: body.team } : {}),
      ...(owner !== undefined ? { owner } : {}),
      createdBy: actor.id,
      how: 'manual',
    },
    now,
  )
  if (!opened.created) {
    await linkCall(tx, opened.id, callId, 'manual', now)
    await announce(tx, 'follow_up.updated', opened.id, now, {
      change: 'repeat_contact',
      joined_call_id: callId,
    })
  }
  if (body.note)
    await addEvent(tx, { followUpId: opened.id, at: now, userId: actor.id, kind: 'note', note: body.note })
  return opened
}

/** A user who can own a case. */
async function workerNamed(tx: Queryable, name: string): Promise<{ id: number; name: string }> {
  const res = await tx.query<{ id: number; name: string; role: string; disabled: boolean }>(
    'SELECT id, name, role, disabled FROM users WHERE name = $1',
    [name],
  )
  const u = res.rows[0]
  if (!u || u.disabled) throw new ValidationError(`no active user ${name}`)
  if (u.role === 'telephony' || u.role === 'integration')
    throw new ValidationError(`${name} is a ${u.role} account and cannot own a follow-up`)
  return { id: Number(u.id), name: u.name }
}

// ---------- who sees and works what ----------

export async function scopeOf(db: Queryable, user: UserRow): Promise<FollowUpScope> {
  if (user.role === 'admin' || user.role === 'manager' || user.role === 'integration') return { all: true }
  return { userId: user.id, name: user.name, team: await userTeam(db, user.id) }
}

function inScope(scope: FollowUpScope, row: FollowUpRow): boolean {
  if ('all' in scope) return true
  return (
    row.owner_id === scope.userId ||
    row.created_by === scope.userId ||
    row.escalated_to.includes(scope.name) ||
    (scope.team !== null && row.team === scope.team)
  )
}

/** A case the user may see; "not found" otherwise (its existence is not theirs to know). */
export async function readableFollowUp(
  db: Queryable,
  id: number,
  user: UserRow,
  { lock = false } = {},
): Promise<FollowUpRow> {
  const row = await followUp(db, id, { lock })
  if (!row || !inScope(await scopeOf(db, user), row)) throw new NotFoundError(`no follow-up ${id}`)
  return row
}

// ---------- changes ----------

/** The life cycle: where each status may go next (the page offers what the case's `next` says). */
export const NEXT: Record<FollowUpStatus, readonly FollowUpStatus[]> = {
  open: ['in_progress', 'waiting', 'resolved'],
  in_progress: ['waiting', 'resolved'],
  waiting: ['in_progress', 'resolved'],
  reopened: ['in_progress', 'waiting', 'resolved'],
  resolved: ['closed', 'reopened'],
  closed: ['reopened'],
}

export interface FollowUpPatch {
  status?: FollowUpStatus | undefined
  owner?: string | undefined
  team?: string | undefined
  urgency?: UrgencyLabel | undefined
  note?: string | undefined
  callback?:
    | {
        reached: boolean
        satisfied?: boolean | undefined
        csat?: number | undefined
        note?: string | undefined
        at?: string | undefined
      }
    | undefined
  root_cause?: string | undefined
  why?: string[] | undefined
  fix?: string | undefined
  external_ref?: string | undefined
  /** the version the change was made against: a newer case is a 409, nothing is overwritten */
  version?: number | undefined
}

/** What the integration (a ticketing system or CRM) may change. */
const INTEGRATION_FIELDS = new Set(['status', 'note', 'external_ref', 'version', 'callback'])

function pausedChange(row: FollowUpRow, now: Date): FollowUpChange {
  if (row.status !== 'waiting' || !row.paused_at) return {}
  const waited = Math.max(0, now.getTime() - row.paused_at.getTime())
  return {
    paused_at: null,
    paused_ms: row.paused_ms + waited,
    resolve_due_at: new Date(row.resolve_due_at.getTime() + waited),
    ...(row.first_response_at === null
      ? { respond_due_at: new Date(row.respond_due_at.getTime() + waited) }
      : {}),
  }
}

function statusChange(
  row: FollowUpRow,
  to: FollowUpStatus,
  now: Date,
  rules: FollowUpRules | undefined,
): FollowUpChange {
  if (to === row.status) return {}
  if (!NEXT[row.status].includes(to))
    throw new ConflictError(
      `a follow-up that is ${row.status} cannot become ${to} (it can become ${NEXT[row.status].join(', ')})`,
    )
  const change: FollowUpChange = { status: to, ...pausedChange(row, now) }
  if (to === 'waiting') change.paused_at = now
  if (to === 'resolved') change.resolved_at = now
  if (to === 'closed') change.closed_at = now
  if (to === 'reopened') {
    const sla = rules?.sla[urgencyLabel(row.urgency)] ?? DEFAULT_SLA[urgencyLabel(row.urgency)]
    Object.assign(change, {
      resolved_at: null,
      closed_at: null,
      reopen_count: row.reopen_count + 1,
      resolve_ms: sla.resolveMs,
      resolve_due_at: new Date(now.getTime() + sla.resolveMs),
      escalation_level: 0,
      escalated_to: [],
      escalated_at: null,
    })
  }
  return change
}

/** What a resolution and a closing need: a complaint's root cause and fix, the customer called back. */
function checkOutcome(row: FollowUpRow, change: FollowUpChange, to: FollowUpStatus | undefined): void {
  const after = { ...row, ...change } as FollowUpRow
  const complaint = row.reasons.some((r) => r.kind === 'complaint')
  if (to === 'resolved' && complaint && (!after.root_cause || !after.fix))
    throw new ValidationError('a complaint is resolved with its root cause and its fix (root_cause, fix)')
  if (to === 'closed' && !after.callback)
    throw new ValidationError(
      'a follow-up is closed with the customer: record the callback first (callback.reached)',
    )
}

/**
 * Applies a change by a person or the integration, under the case's row lock: checked, written,
 * audited, noted and announced in the caller's transaction. Returns the case as it now is.
 */
export async function changeFollowUp(
  tx: Queryable,
  id: number,
  actor: UserRow,
  patch: FollowUpPatch,
  now: Date,
): Promise<FollowUpRow> {
  const row = await readableFollowUp(tx, id, actor, { lock: true })
  if (patch.version !== undefined && patch.version !== row.version)
    throw new ConflictError(
      `follow-up ${id} changed since version ${patch.version} (it is at ${row.version}); read it again`,
    )
  if (actor.role === 'integration') {
    const refused = Object.keys(patch).filter((k) => !INTEGRATION_FIELDS.has(k))
    if (refused.length > 0) throw new ForbiddenError(`the integration may not change ${refused.join(', ')}`)
  }
  const rules = await caseRules(tx, row)
  const change: FollowUpChange = patch.status ? statusChange(row, patch.status, now, rules) : {}
  if (patch.team !== undefined && patch.team !== row.team) {
    if (actor.role !== 'admin' && actor.role !== 'manager')
      throw new ForbiddenError('only managers move a follow-up to another team')
    if (rules && !(patch.team in rules.teams))
      throw new ValidationError(`no team ${patch.team} in the follow-up rules`)
    change.team = patch.team
  }
  if (patch.owner !== undefined && patch.owner !== row.owner) {
    const owner = await workerNamed(tx, patch.owner)
    const team = (change.team as string | undefined) ?? row.team
    const members = team && rules ? (rules.teams[team]?.members ?? []) : []
    if (actor.role !== 'admin' && actor.role !== 'manager' && !members.includes(owner.name))
      throw new ForbiddenError(
        `${owner.name} is not a member of ${team ?? 'the team'}: a manager assigns outside it`,
      )
    change.owner_id = owner.id
  }
  if (patch.urgency !== undefined && urgencyNumber(patch.urgency) !== row.urgency) {
    const sla = rules?.sla[patch.urgency] ?? DEFAULT_SLA[patch.urgency]
    Object.assign(change, {
      urgency: urgencyNumber(patch.urgency),
      respond_ms: sla.respondMs,
      resolve_ms: sla.resolveMs,
      respond_due_at: new Date(row.opened_at.getTime() + row.paused_ms + sla.respondMs),
      resolve_due_at: new Date(row.opened_at.getTime() + row.paused_ms + sla.resolveMs),
    })
  }
  if (patch.callback) {
    const { at, ...rest } = patch.callback
    if (rest.csat !== undefined && !rest.reached)
      throw new ValidationError('a CSAT comes from a customer who was reached')
    change.callback = { at: at ?? now.toISOString(), ...rest, by: actor.name }
  }
  if (patch.root_cause !== undefined) {
    const causes = rules?.rootCauses ?? DEFAULT_ROOT_CAUSES
    if (!causes.includes(patch.root_cause))
      throw new ValidationError(`root_cause must be one of ${causes.join(', ')}`)
    change.root_cause = patch.root_cause
  }
  if (patch.why !== undefined) change.why = patch.why
  if (patch.fix !== undefined) change.fix = patch.fix
  if (patch.external_ref !== undefined) change.external_ref = patch.external_ref
  checkOutcome(row, change, patch.status)
  if (Object.keys(change).length === 0 && !patch.note) return row
  // Any change by a person or the integration is progress, and the first one is the response.
  change.last_progress_at = now
  if (row.first_response_at === null) change.first_response_at = now
  await updateFollowUp(tx, id, change, now)
  const before = Object.fromEntries(
    Object.keys(change).map((k) => [k, (row as unknown as Record<string, unknown>)[k] ?? null]),
  )
  await audit(tx, {
    userId: actor.id,
    action: 'follow_up.change',
    entity: 'follow_up',
    entityId: id,
    before,
    after: change,
  })
  if (patch.note)
    await addEvent(tx, { followUpId: id, at: now, userId: actor.id, kind: 'note', note: patch.note })
  const fields = Object.keys(patch).filter((k) => k !== 'note' && k !== 'version')
  if (fields.length > 0)
    await addEvent(tx, {
      followUpId: id,
      at: now,
      userId: actor.id,
      kind: patch.status && patch.status !== row.status ? `status:${patch.status}` : 'change',
      detail: Object.fromEntries(fields.map((k) => [k, (patch as Record<string, unknown>)[k]])),
    })
  const type: FollowUpEventType =
    patch.status === 'resolved' && row.status !== 'resolved'
      ? 'follow_up.resolved'
      : patch.status === 'reopened' && row.status !== 'reopened'
        ? 'follow_up.reopened'
        : 'follow_up.updated'
  // Read once: the webhook and the caller get the same case.
  const after = (await followUp(tx, id)) as FollowUpRow
  await announce(tx, type, after, now, {
    change: patch.note && fields.length === 0 ? 'note' : fields.join(','),
    by: actor.role === 'integration' ? 'integration' : actor.name,
  })
  return after
}
