/**
 * Drawing a review sample. Every call gets a uniform number u in (0, 1) from sha256(seed, call id):
 * it depends on nothing but the seed and the call, so the same seed over the same calls gives the
 * same sample whatever order the database returns them in, and anyone can re-derive a draw.
 *
 * - random: the n calls with the smallest u (a uniform draw without replacement).
 * - per_agent: the n smallest per agent and period (day, ISO week or month).
 * - stratified: n split over strata in proportion to their size (largest remainder, every
 *   non-empty stratum at least one while n allows), the smallest u within each.
 * - risk: weighted draw without replacement (low QA score, falling customer sentiment, dead air,
 *   a fatal item, urgency P0–P1 each add weight) (Efraimidis–Spirakis): key −ln(u)/w, smallest first,
 *   so a call of weight 3 is three times as likely to be drawn first as a call of weight 1, and
 *   every call keeps a chance.
 */
import { createHash } from 'node:crypto'
import type { Candidate } from '../db/queries/samples.js'

/** What the draw needs to know of one eligible call (its row: db/queries/samples.ts). */
export type { Candidate }

export type SampleMethod = 'random' | 'per_agent' | 'stratified' | 'risk'
export type Period = 'day' | 'week' | 'month'
export type Stratum = 'agent' | 'team' | 'queue' | 'language' | 'direction'

export interface RiskFactors {
  /** automatic QA percent below `below` */
  low_score: { below: number; weight: number }
  /** customer sentiment trend (end − start) at or below `at_most` */
  negative_trend: { at_most: number; weight: number }
  /** a silence at least `min_ms` long */
  dead_air: { min_ms: number; weight: number }
  /** a fatal item failed */
  fatal: { weight: number }
  /** urgency P0…P`at_most` (0–3) */
  urgent: { at_most: number; weight: number }
}

export const DEFAULT_RISK: RiskFactors = {
  low_score: { below: 70, weight: 2 },
  negative_trend: { at_most: -0.2, weight: 2 },
  dead_air: { min_ms: 10_000, weight: 1 },
  fatal: { weight: 3 },
  urgent: { at_most: 1, weight: 3 },
}

export interface SampleRule {
  method: SampleMethod
  /** calls in all (random, stratified, risk) or per agent and period (per_agent) */
  n: number
  period?: Period
  strata?: Stratum
  risk?: Partial<RiskFactors>
}

export interface Drawn {
  id: number
  rank: number
  u: number
  weight: number
  stratum: string | null
  /** why a risk-weighted call weighs what it does */
  reasons: string[]
}

/** A uniform number in the open interval (0, 1) from the seed and the call id. */
export function uniform(seed: string, id: number): number {
  const digest = createHash('sha256').update(`${seed}\u0000${id}`).digest()
  // 52 random bits, shifted off zero so −ln(u) is finite.
  const hi = digest.readUInt32BE(0) >>> 12
  const lo = digest.readUInt32BE(4)
  return (hi * 2 ** 32 + lo + 0.5) / 2 ** 52
}

export function periodOf(iso: string, period: Period): string {
  const d = new Date(iso)
  const day = d.toISOString().slice(0, 10)
  if (period === 'day') return day
  if (period === 'month') return day.slice(0, 7)
  // ISO week: Thursday of the same week decides the year.
  const t = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate()))
  const weekday = t.getUTCDay() || 7
  t.setUTCDate(t.getUTCDate() + 4 - weekday)
  const yearStart = Date.UTC(t.getUTCFullYear(), 0, 1)
  const week = Math.ceil(((t.getTime() - yearStart) / 86_400_000 + 1) / 7)
  return `${t.getUTCFullYear()}-W${String(week).padStart(2, '0')}`
}

export function riskWeight(c: Candidate, factors: RiskFactors): { weight: number; reasons: string[] } {
  let weight = 1
  const reasons: string[] = []
  if (c.qa_percent !== null && c.qa_percent < factors.low_score.below) {
    weight += factors.low_score.weight
    reasons.push(`qa ${c.qa_percent}% < ${factors.low_score.below}%`)
  }
  if (c.sentiment_trend !== null && c.sentiment_trend <= factors.negative_trend.at_most) {
    weight += factors.negative_trend.weight
    reasons.push(`customer trend ${c.sentiment_trend.toFixed(2)}`)
  }
  if (c.dead_air_longest_ms !== null && c.dead_air_longest_ms >= factors.dead_air.min_ms) {
    weight += factors.dead_air.weight
    reasons.push(`dead air ${(c.dead_air_longest_ms / 1000).toFixed(1)} s`)
  }
  if (c.fatal_failed) {
    weight += factors.fatal.weight
    reasons.push('fatal item failed')
  }
  if (c.urgency !== null && c.urgency !== undefined && c.urgency <= factors.urgent.at_most) {
    weight += factors.urgent.weight
    reasons.push(`urgency P${c.urgency}`)
  }
  return { weight, reasons }
}

/** Splits n over group sizes in proportion (largest remainder); every group gets one first if n allows. */
export function allocate(sizes: readonly number[], n: number): number[] {
  const total = sizes.reduce((a, b) => a + b, 0)
  const take = Math.min(n, total)
  if (take === 0) return sizes.map(() => 0)
  const nonEmpty = sizes.filter((s) => s > 0).length
  const out = sizes.map(() => 0)
  let left = take
  if (take >= nonEmpty)
    for (let i = 0; i < sizes.length; i++)
      if ((sizes[i] as number) > 0) {
        out[i] = 1
        left--
      }
  // Proportional share of what is left, over the room left in each group.
  const room = sizes.map((s, i) => s - (out[i] as number))
  const roomTotal = room.reduce((a, b) => a + b, 0)
  const exact = room.map((r) => (roomTotal === 0 ? 0 : (r / roomTotal) * left))
  const floors = exact.map((e, i) => Math.min(Math.floor(e), room[i] as number))
  for (let i = 0; i < out.length; i++) out[i] = (out[i] as number) + (floors[i] as number)
  left -= floors.reduce((a, b) => a + b, 0)
  const order = exact
    .map((e, i) => ({ i, frac: e - Math.floor(e) }))
    .sort((a, b) => b.frac - a.frac || a.i - b.i)
  for (let k = 0; left > 0 && k < order.length * 2; k++) {
    const i = (order[k % order.length] as { i: number }).i
    if ((out[i] as number) < (sizes[i] as number)) {
      out[i] = (out[i] as number) + 1
      left--
    }
  }
  return out
}

/** The stratum a call falls in. */
export function stratumOf(c: Candidate, field: Stratum): string {
  return String((field === 'agent' ? c.agent_id : c[field]) ?? '(none)')
}

function groupBy<T>(items: readonly T[], key: (t: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>()
  for (const item of items) {
    const k = key(item)
    const list = groups.get(k)
    if (list) list.push(item)
    else groups.set(k, [item])
  }
  return groups
}

export function draw(candidates: readonly Candidate[], rule: SampleRule, seed: string): Drawn[] {
  const factors: RiskFactors = { ...DEFAULT_RISK, ...rule.risk }
  interface Scored {
    c: Candidate
    u: number
    key: number
    weight: number
    reasons: string[]
    stratum: string | null
  }
  const scored = candidates.map((c): Scored => {
    const u = uniform(seed, c.id)
    if (rule.method !== 'risk') return { c, u, key: u, weight: 1, reasons: [], stratum: null }
    const { weight, reasons } = riskWeight(c, factors)
    return { c, u, key: -Math.log(u) / weight, weight, reasons, stratum: null }
  })
  const byKey = (a: Scored, b: Scored) => a.key - b.key || a.c.id - b.c.id
  let chosen: Scored[]
  if (rule.method === 'per_agent') {
    const period = rule.period ?? 'week'
    const groups = groupBy(scored, (s) => `${s.c.agent_id ?? '(none)'}\u0000${periodOf(s.c.started, period)}`)
    chosen = []
    for (const [key, list] of groups) {
      const stratum = key.replace('\u0000', ' ')
      chosen.push(
        ...list
          .sort(byKey)
          .slice(0, rule.n)
          .map((s) => ({ ...s, stratum })),
      )
    }
  } else if (rule.method === 'stratified') {
    const field = rule.strata ?? 'team'
    const groups = [...groupBy(scored, (s) => stratumOf(s.c, field))].sort(([a], [b]) =>
      a < b ? -1 : a > b ? 1 : 0,
    )
    const counts = allocate(
      groups.map(([, list]) => list.length),
      rule.n,
    )
    chosen = groups.flatMap(([stratum, list], i) =>
      list
        .sort(byKey)
        .slice(0, counts[i])
        .map((s) => ({ ...s, stratum })),
    )
  } else {
    chosen = scored.sort(byKey).slice(0, rule.n)
  }
  return chosen.sort(byKey).map((s, i) => ({
    id: s.c.id,
    rank: i + 1,
    u: s.u,
    weight: s.weight,
    stratum: s.stratum,
    reasons: s.reasons,
  }))
}

/**
 * Spreads drawn calls over reviewers evenly, in draw order: each call goes to the reviewer with
 * the fewest so far (ties in the given order), and a reviewer's k-th call falls on day
 * start + ⌊k / capPerDay⌋, so nobody gets more than the cap on one day.
 */
export function assign(
  drawn: readonly { id: number }[],
  reviewers: readonly number[],
  { capPerDay, startOn }: { capPerDay?: number; startOn: string },
): Map<number, { reviewerId: number; dueOn: string }> {
  const out = new Map<number, { reviewerId: number; dueOn: string }>()
  if (reviewers.length === 0) return out
  const load = reviewers.map(() => 0)
  const start = Date.parse(`${startOn}T00:00:00Z`)
  for (const call of drawn) {
    let best = 0
    for (let i = 1; i < reviewers.length; i++) if ((load[i] as number) < (load[best] as number)) best = i
    const k = load[best] as number
    load[best] = k + 1
    const day = capPerDay ? Math.floor(k / capPerDay) : 0
    out.set(call.id, {
      reviewerId: reviewers[best] as number,
      dueOn: new Date(start + day * 86_400_000).toISOString().slice(0, 10),
    })
  }
  return out
}
