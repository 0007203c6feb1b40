/**
 * What the rules say about one concluded call, pure: the reasons it opens a follow-up (each with
 * the evidence behind it), its urgency, its category and the team it is routed to.
 */
import type { CallOutcome } from '../db/queries/follow-ups.js'
import { type FollowUpRules, type OpenCondition, type UrgencyLabel, urgencyLabel } from './rules.js'

export type ReasonKind =
  | 'urgency'
  | 'complaint'
  | 'conduct'
  | 'sentiment'
  | 'fatal_item'
  | 'category'
  | 'live_alert'
  | 'manual'

export interface Reason {
  kind: ReasonKind
  evidence: unknown
}

const list = <T>(v: T | T[] | undefined): T[] => (v === undefined ? [] : Array.isArray(v) ? v : [v])

/**
 * A category value matches a path at any level: `billing` matches `billing/charges/double`, and
 * so do `billing/charges` and `charges`.
 */
export function categoryMatches(value: string, path: string): boolean {
  return path === value || path.startsWith(`${value}/`) || path.split('/').includes(value)
}

/** Whether a call is a complaint: filed under a complaint node, or its disposition says so. */
function complaintEvidence(outcome: CallOutcome, complaintPaths: readonly string[]): unknown | undefined {
  const i = outcome.categories.findIndex((p) => complaintPaths.some((c) => p === c || p.startsWith(`${c}/`)))
  if (i >= 0) return { category: outcome.categories[i], evidence: outcome.category_evidence[i] ?? null }
  if (outcome.disposition && /complaint/i.test(outcome.disposition))
    return { disposition: outcome.disposition }
  return undefined
}

function reasonFor(
  condition: OpenCondition,
  outcome: CallOutcome,
  complaintPaths: readonly string[],
): Reason | undefined {
  if (condition.urgency !== undefined) {
    if (outcome.urgency === null) return undefined
    const label = urgencyLabel(outcome.urgency)
    return list(condition.urgency).includes(label)
      ? { kind: 'urgency', evidence: { urgency: label, signals: outcome.urgency_evidence } }
      : undefined
  }
  if (condition.complaint) {
    const evidence = complaintEvidence(outcome, complaintPaths)
    return evidence === undefined ? undefined : { kind: 'complaint', evidence }
  }
  if (condition.conduct) {
    const flags = outcome.conduct?.flags ?? []
    return flags.length > 0 ? { kind: 'conduct', evidence: { flags } } : undefined
  }
  if (condition.customer_sentiment_end) {
    const end = outcome.customer_sentiment_end
    return end !== null && end < condition.customer_sentiment_end.below
      ? {
          kind: 'sentiment',
          evidence: {
            start: outcome.customer_sentiment_start,
            end,
            trend: outcome.customer_sentiment_trend,
            below: condition.customer_sentiment_end.below,
          },
        }
      : undefined
  }
  if (condition.failed_fatal_item)
    return outcome.fatal.length > 0 ? { kind: 'fatal_item', evidence: { items: outcome.fatal } } : undefined
  if (condition.category !== undefined) {
    const hit = outcome.categories.find((p) => list(condition.category).some((v) => categoryMatches(v, p)))
    return hit ? { kind: 'category', evidence: { category: hit } } : undefined
  }
  if (condition.live_alert !== undefined) {
    const alerts = outcome.live_alerts.filter((a) => list(condition.live_alert).includes(a.rule))
    return alerts.length > 0 ? { kind: 'live_alert', evidence: { alerts } } : undefined
  }
  return undefined
}

/** Every reason the call opens a follow-up for, in the rules' order (none: it opens none). */
export function reasonsToOpen(
  rules: FollowUpRules,
  outcome: CallOutcome,
  complaintPaths: readonly string[],
): Reason[] {
  const reasons: Reason[] = []
  for (const condition of rules.openWhen) {
    const r = reasonFor(condition, outcome, complaintPaths)
    if (r && !reasons.some((x) => x.kind === r.kind)) reasons.push(r)
  }
  return reasons
}

/** The team a case goes to: the first route whose conditions all hold; null when none does. */
export function routeTeam(
  rules: FollowUpRules,
  c: { urgency: UrgencyLabel; categories: readonly string[]; reasons: readonly Reason[] },
): string | null {
  for (const r of rules.route) {
    if (r.urgency && !r.urgency.includes(c.urgency)) continue
    if (r.category && !c.categories.some((p) => r.category?.some((v) => categoryMatches(v, p)))) continue
    if (r.reason && !c.reasons.some((x) => r.reason?.includes(x.kind))) continue
    return r.team
  }
  return null
}

/**
 * The case's urgency: the call's, or P2 when nothing judged it (no trusted transcript); a P0 alert
 * raised while the call was live makes it P0.
 */
export function caseUrgency(outcome: CallOutcome): number {
  const urgency = outcome.urgency ?? 2
  return outcome.live_alerts.some((a) => a.rule === 'urgency-p0') ? 0 : urgency
}

/**
 * The member to own a new case: the one with the fewest open cases (ties: the order the rules
 * list them), among those that are users and not disabled.
 */
export function pickOwner(
  members: readonly string[],
  open: ReadonlyMap<string, { id: number; open: number }>,
): { id: number; name: string } | null {
  let best: { id: number; name: string; open: number } | null = null
  for (const name of members) {
    const m = open.get(name)
    if (m && (!best || m.open < best.open)) best = { id: m.id, name, open: m.open }
  }
  return best && { id: best.id, name: best.name }
}
