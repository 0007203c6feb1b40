/**
 * What calls are about, for QA leads and managers: the TOP issues report of a period (volume and
 * its change, CSAT, customer sentiment, complaint rate, handle time, urgent calls and examples per
 * category), emerging topics the taxonomy misses, and promoting one into the taxonomy (a new
 * version, audited; history is filed again in the background).
 */
import type { Database, Queryable } from '../db/index.js'
import { activeTaxonomy, saveTaxonomy, type TaxonomyRow } from '../db/queries/taxonomies.js'
import { emergingInputs, type TopIssueRow, topIssues, unfiledCalls } from '../db/queries/topics.js'
import { audit, type UserRow } from '../db/queries/users.js'
import { ConflictError, NotFoundError, ValidationError } from '../errors.js'
import { findEmergingTopics } from '../topics/emerging.js'
import { complaintPaths, nodeAt, parseTaxonomy, type TaxonomyNode, type Urgency } from '../topics/taxonomy.js'
import { checkedPeriod, monthPeriod, type Period } from './period.js'

async function taxonomyOrFail(db: Queryable): Promise<TaxonomyRow> {
  const taxonomy = await activeTaxonomy(db)
  if (!taxonomy)
    throw new NotFoundError('no taxonomy is stored yet: run callqa migrate or callqa taxonomy add')
  return taxonomy
}

export type { Period }

/** A period from `month` (YYYY-MM, UTC) or from/to; checked to a sane range (review/period.ts). */
export function reportPeriod(q: {
  month?: string | undefined
  from?: string | undefined
  to?: string | undefined
}): Period {
  if (q.month) return monthPeriod(q.month)
  if (!q.from || !q.to) throw new ValidationError('give a month (YYYY-MM), or from and to')
  return checkedPeriod(q.from, q.to)
}

/** The period of the same length just before (for a calendar month: the month before). */
function previousOf(period: Period, byMonth: boolean): Period {
  if (byMonth) {
    const from = new Date(period.from)
    return {
      from: new Date(Date.UTC(from.getUTCFullYear(), from.getUTCMonth() - 1, 1)).toISOString(),
      to: period.from,
    }
  }
  const span = Date.parse(period.to) - Date.parse(period.from)
  return { from: new Date(Date.parse(period.from) - span).toISOString(), to: period.from }
}

/** A report row: the stored figures (rounded), their category's labels, share and change. */
export interface TopIssue extends TopIssueRow {
  rank: number
  path: string[]
  label: string
  label_zh: string | null
  share: number
  change: number
  change_pct: number | null
  follow_ups_resolved_rate: number | null
  promises_kept_rate: number | null
}

const round = (x: number | null, digits = 3) =>
  x === null ? null : Math.round(x * 10 ** digits) / 10 ** digits

export async function topIssuesReport(
  db: Queryable,
  q: {
    month?: string | undefined
    from?: string | undefined
    to?: string | undefined
    level?: number | undefined
    team?: string | undefined
    queue?: string | undefined
  },
) {
  const period = reportPeriod(q)
  const previous = previousOf(period, q.month !== undefined)
  const level = q.level ?? 2
  const taxonomy = await taxonomyOrFail(db)
  const args = {
    ...period,
    previousFrom: previous.from,
    level,
    complaintPaths: complaintPaths(taxonomy.definition),
    team: q.team,
    queue: q.queue,
  }
  const rows = await topIssues(db, args)
  const total = rows.reduce((s, r) => s + r.calls, 0)
  const describe = (category: string) => {
    const path = category ? category.split('/') : []
    const trail = path.length ? (nodeAt(taxonomy.definition, path) ?? []) : []
    return {
      path,
      label: trail.length ? trail.map((t) => t.label).join(' › ') : category ? category : '(not filed)',
      label_zh:
        trail.length && trail.every((t) => t.label_zh) ? trail.map((t) => t.label_zh).join(' › ') : null,
    }
  }
  const items: TopIssue[] = rows.map((r, i) => ({
    rank: i + 1,
    category: r.category,
    ...describe(r.category),
    calls: r.calls,
    share: total ? (round(r.calls / total) as number) : 0,
    previous_calls: r.previous_calls,
    change: r.calls - r.previous_calls,
    change_pct: r.previous_calls ? round((r.calls - r.previous_calls) / r.previous_calls) : null,
    csat: round(r.csat, 2),
    csat_responses: r.csat_responses,
    customer_sentiment: round(r.customer_sentiment),
    complaint_rate: round(r.complaint_rate) as number,
    aht_ms: r.aht_ms === null ? null : Math.round(r.aht_ms),
    urgent_calls: r.urgent_calls,
    example_calls: r.example_calls,
    follow_ups: r.follow_ups,
    follow_ups_resolved: r.follow_ups_resolved,
    follow_ups_due: r.follow_ups_due,
    follow_ups_kept: r.follow_ups_kept,
    follow_ups_resolved_rate: r.follow_ups ? round(r.follow_ups_resolved / r.follow_ups) : null,
    promises_kept_rate: r.follow_ups_due ? round(r.follow_ups_kept / r.follow_ups_due) : null,
  }))
  return {
    period,
    previous,
    level,
    taxonomy: { key: taxonomy.key, version: taxonomy.version },
    total_calls: total,
    previous_total_calls: items.reduce((s, r) => s + r.previous_calls, 0),
    items,
  }
}

/** The most calls emerging-topic discovery clusters in one request (it compares every pair). */
export const EMERGING_MAX_CALLS = 2000

export async function emergingTopics(
  db: Queryable,
  q: {
    month?: string | undefined
    from?: string | undefined
    to?: string | undefined
    min_calls?: number | undefined
  },
) {
  const period = reportPeriod(q)
  const docs = await emergingInputs(db, { ...period, limit: EMERGING_MAX_CALLS })
  const topics = findEmergingTopics(docs, { minCalls: q.min_calls ?? 3 })
  return {
    period,
    calls: docs.length,
    unfiled_calls: docs.filter((d) => !d.covered).length,
    truncated: docs.length >= EMERGING_MAX_CALLS,
    items: topics,
  }
}

export interface Promotion {
  /** node keys of the parent (none: a new level-1 category) */
  parent: string[]
  key: string
  label: string
  label_zh?: string | undefined
  phrases: string[]
  urgency?: Urgency | undefined
}

/**
 * Adds a node to the active taxonomy as its next version and audits who did it; filing history
 * under the new version is the background refile's (pipeline/refile.ts), not the request's.
 * Promotions are serialised: each reads the newest version inside a transaction holding the
 * taxonomy lock, so three at once make three versions, each with the nodes before it; a node
 * that is there by then is a 409 that says so. The new version goes through the same checks as a
 * file (line:col messages become 400s).
 */
export async function promoteTopic(db: Database, user: UserRow, p: Promotion) {
  const { taxonomy, pending } = await db.withTransaction(async (tx) => {
    await tx.query("SELECT pg_advisory_xact_lock(hashtext('callqa:taxonomy'))")
    const current = await taxonomyOrFail(tx)
    const checked = withNode(current, p)
    const saved = await saveTaxonomy(tx, checked, `promoted by ${user.name}`)
    if (!saved.created)
      throw new ConflictError(
        `taxonomy ${current.key} already has this content as version ${saved.taxonomy.version}; nothing was added`,
      )
    await audit(tx, {
      userId: user.id,
      action: 'taxonomy.promote',
      entity: 'taxonomy',
      entityId: saved.taxonomy.id,
      before: { key: current.key, version: current.version },
      after: {
        key: saved.taxonomy.key,
        version: saved.taxonomy.version,
        node: [...p.parent, p.key],
        phrases: p.phrases,
      },
    })
    return { taxonomy: saved.taxonomy, pending: await unfiledCalls(tx, saved.taxonomy.id) }
  })
  return {
    taxonomy: { key: taxonomy.key, version: taxonomy.version },
    path: [...p.parent, p.key],
    refile: { pending_calls: pending },
  }
}

/** The taxonomy with the promoted node added, checked as a file would be. */
function withNode(current: TaxonomyRow, p: Promotion) {
  const definition = structuredClone(current.definition)
  let siblings: TaxonomyNode[] = definition.categories
  if (p.parent.length > 0) {
    const trail = nodeAt(definition, p.parent)
    if (!trail) throw new ValidationError(`no node ${p.parent.join('/')} in taxonomy ${current.key}`)
    if (p.parent.length >= 3)
      throw new ValidationError('a taxonomy is three levels deep: the parent must be level 1 or 2')
    const parent = trail[trail.length - 1] as TaxonomyNode
    parent.children ??= []
    siblings = parent.children
  }
  if (siblings.some((n) => n.key === p.key))
    throw new ConflictError(
      `${[...p.parent, p.key].join('/')} is already in taxonomy ${current.key} (version ${current.version})`,
    )
  siblings.push({
    key: p.key,
    label: p.label,
    ...(p.label_zh ? { label_zh: p.label_zh } : {}),
    phrases: p.phrases,
    ...(p.urgency ? { urgency: p.urgency } : {}),
  })
  try {
    return parseTaxonomy(JSON.stringify(definition), `${current.key} + ${p.key}`)
  } catch (e) {
    throw new ValidationError((e as Error).message)
  }
}
