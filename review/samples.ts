/**
 * Samples and assignments, the QA lead's aggregate: drawing calls for review by a rule and a seed,
 * spreading them over reviewers under a daily cap, storing the draw with its audit, and closing a
 * reviewer's assignment when their review of the call is submitted. The draw itself is pure
 * (sampling.ts); this module gathers its inputs and stores its outcome. No HTTP here.
 */
import { randomBytes } from 'node:crypto'
import type { CallFilter } from '../db/conditions.js'
import type { Queryable } from '../db/index.js'
import {
  type AssignmentRow,
  insertSample,
  reviewersFor,
  sampleById,
  sampleCandidates,
} from '../db/queries/samples.js'
import { latestScorecard, type ScorecardRow } from '../db/queries/scorecards.js'
import { audit } from '../db/queries/users.js'
import { NotFoundError, ValidationError } from '../errors.js'
import {
  assign,
  DEFAULT_RISK,
  type Drawn,
  draw,
  type RiskFactors,
  type SampleRule,
  stratumOf,
} from './sampling.js'

/** What a QA lead asks for: the rule's parts as the API receives them, validated here. */
export interface SampleRequest {
  name: string
  scorecard: string
  method: SampleRule['method']
  n: number
  period?: 'day' | 'week' | 'month' | undefined
  strata?: 'agent' | 'team' | 'queue' | 'language' | 'direction' | undefined
  risk?: Partial<RiskFactors> | undefined
  filters?: CallFilter | undefined
  seed?: string | undefined
  include_reviewed?: boolean | undefined
  assign?:
    | { reviewers?: string[] | undefined; cap_per_day?: number | undefined; start_on?: string | undefined }
    | undefined
}

export interface PlannedAssignment {
  call_id: number
  rank: number
  weight: number
  stratum: string | null
  reasons: string[]
  reviewer: string | null
  due_on: string | null
}

export interface SamplePlan {
  card: ScorecardRow
  /** the rule as stored: every default filled in, so the same rule and seed draw the same calls */
  rule: SampleRule & Record<string, unknown>
  seed: string
  population: number
  drawn: PlannedAssignment[]
  /** eligible and drawn calls per stratum (stratified rules only): shows the draw followed the population */
  strata: Array<{ stratum: string; population: number; drawn: number }>
  /** who reviews each drawn call and when, by call id (assign's plan; empty without reviewers) */
  planned: Map<number, { reviewerId: number; dueOn: string }>
}

/** Options that belong to another method are refused rather than silently ignored. */
function ruleOf(request: SampleRequest): SampleRule & Record<string, unknown> {
  if (request.method !== 'per_agent' && request.period)
    throw new ValidationError('period applies only to method per_agent')
  if (request.method !== 'stratified' && request.strata)
    throw new ValidationError('strata applies only to method stratified')
  if (request.method !== 'risk' && request.risk) throw new ValidationError('risk applies only to method risk')
  return {
    method: request.method,
    n: request.n,
    ...(request.method === 'per_agent' ? { period: request.period ?? 'week' } : {}),
    ...(request.method === 'stratified' ? { strata: request.strata ?? 'team' } : {}),
    ...(request.method === 'risk' ? { risk: { ...DEFAULT_RISK, ...request.risk } } : {}),
    filters: request.filters ?? {},
    include_reviewed: request.include_reviewed ?? false,
  }
}

/**
 * The reviewers to assign to: the named ones (each must exist, be enabled and review), or every
 * enabled reviewer. All problems are reported at once, so a lead fixes the list in one go.
 */
async function pickReviewers(db: Queryable, wanted: string[] | undefined) {
  const rows = await reviewersFor(db, wanted)
  const names = new Map(rows.map((r) => [r.id, r.name]))
  if (!wanted) return { ids: rows.map((r) => r.id), names }
  const found = new Map(rows.map((r) => [r.name, r]))
  const problems = wanted.flatMap((name) => {
    const user = found.get(name)
    if (!user) return [`${name}: no such (enabled) user`]
    if (user.role !== 'reviewer' && user.role !== 'admin')
      return [`${name}: role ${user.role} does not review`]
    return []
  })
  if (problems.length > 0)
    throw new ValidationError('cannot assign to these reviewers', { details: problems })
  return { ids: [...new Set(wanted)].map((name) => (found.get(name) as { id: number }).id), names }
}

function strataCounts(candidates: Parameters<typeof stratumOf>[0][], drawn: Drawn[], rule: SampleRule) {
  if (rule.method !== 'stratified') return []
  const counts = new Map<string, { population: number; drawn: number }>()
  for (const c of candidates) {
    const key = stratumOf(c, rule.strata ?? 'team')
    const entry = counts.get(key) ?? { population: 0, drawn: 0 }
    entry.population++
    counts.set(key, entry)
  }
  for (const d of drawn) (counts.get(d.stratum as string) as { drawn: number }).drawn++
  return [...counts]
    .map(([stratum, v]) => ({ stratum, ...v }))
    .sort((a, b) => (a.stratum < b.stratum ? -1 : 1))
}

/** Draws (and plans the assignments of) a sample without writing anything: the preview. */
export async function planSample(db: Queryable, request: SampleRequest): Promise<SamplePlan> {
  const card = await latestScorecard(db, request.scorecard)
  if (!card) throw new ValidationError(`no scorecard "${request.scorecard}"`)
  const rule = ruleOf(request)
  const seed = request.seed ?? randomBytes(9).toString('base64url')
  const candidates = await sampleCandidates(
    db,
    request.scorecard,
    request.filters ?? {},
    request.include_reviewed ?? false,
  )
  const drawn = draw(candidates, rule, seed)
  const reviewers = request.assign ? await pickReviewers(db, request.assign.reviewers) : undefined
  if (reviewers && reviewers.ids.length === 0)
    throw new ValidationError('there are no reviewers to assign to')
  const planned = assign(drawn, reviewers?.ids ?? [], {
    startOn: request.assign?.start_on ?? new Date().toISOString().slice(0, 10),
    ...(request.assign?.cap_per_day ? { capPerDay: request.assign.cap_per_day } : {}),
  })
  return {
    card,
    rule,
    seed,
    population: candidates.length,
    strata: strataCounts(candidates, drawn, rule),
    planned,
    drawn: drawn.map((d) => {
      const a = planned.get(d.id)
      return {
        call_id: d.id,
        rank: d.rank,
        weight: d.weight,
        stratum: d.stratum,
        reasons: d.reasons,
        reviewer: a ? (reviewers?.names.get(a.reviewerId) ?? null) : null,
        due_on: a?.dueOn ?? null,
      }
    }),
  }
}

/**
 * Draws and stores a sample with its assignments and its audit row, in the caller's transaction:
 * the population is read and the draw stored at one moment, so the stored counts match the draw.
 */
export async function createSample(
  tx: Queryable,
  request: SampleRequest,
  userId: number | null,
): Promise<number> {
  const p = await planSample(tx, request)
  // The population per stratum is stored with the rule: a sample read back later shows what the
  // draw saw, not what the calls table holds by then.
  const rule = {
    ...p.rule,
    strata_population: Object.fromEntries(p.strata.map((s) => [s.stratum, s.population])),
  }
  const sampleId = await insertSample(
    tx,
    {
      name: request.name,
      rule,
      seed: p.seed,
      scorecardId: p.card.id,
      population: p.population,
      createdBy: userId,
    },
    p.drawn.map((d) => ({
      callId: d.call_id,
      rank: d.rank,
      weight: d.weight,
      stratum: d.stratum,
      reviewerId: p.planned.get(d.call_id)?.reviewerId ?? null,
      dueOn: d.due_on,
    })),
  )
  await audit(tx, {
    userId,
    action: 'sample.create',
    entity: 'sample',
    entityId: sampleId,
    after: { rule, seed: p.seed, population: p.population, drawn: p.drawn.length },
  })
  return sampleId
}

export interface SampleView {
  id: number
  name: string
  scorecard: string
  rule: Record<string, unknown>
  seed: string
  population: number
  drawn: number
  strata: Array<{ stratum: string; population: number; drawn: number }>
  assignments: AssignmentRow[]
  created_at: string
}

export async function getSample(db: Queryable, id: number): Promise<SampleView> {
  const found = await sampleById(db, id)
  if (!found) throw new NotFoundError(`no sample ${id}`)
  const { sample, assignments } = found
  const drawnPerStratum = new Map<string, number>()
  for (const a of assignments)
    if (a.stratum) drawnPerStratum.set(a.stratum, (drawnPerStratum.get(a.stratum) ?? 0) + 1)
  const stored = (sample.rule.strata_population ?? {}) as Record<string, number>
  return {
    id: sample.id,
    name: sample.name,
    scorecard: sample.scorecard,
    rule: sample.rule,
    seed: sample.seed,
    population: sample.population,
    drawn: assignments.length,
    strata: Object.entries(stored).map(([stratum, population]) => ({
      stratum,
      population,
      drawn: drawnPerStratum.get(stratum) ?? 0,
    })),
    assignments,
    created_at: new Date(sample.created_at).toISOString(),
  }
}

/** Closing an assignment belongs to submitting a review (evaluations.ts); its SQL is in db/. */
export { completeAssignments } from '../db/queries/samples.js'
