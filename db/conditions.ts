import { ValidationError } from '../errors.js'
/**
 * WHERE conditions built from optional filters, always parameterised: a condition is written with
 * `?` where its value goes, and every `?` of it becomes the value's `$n`.
 */
export class Conditions {
  readonly params: unknown[]
  private readonly parts: string[] = []

  /** `params`: parameters the query already has ($1… taken by them). */
  constructor(params: unknown[] = []) {
    this.params = params
  }

  /** Adds `sql`, its `?` standing for `value`. */
  add(sql: string, value: unknown): this {
    this.parts.push(sql.replaceAll('?', this.param(value)))
    return this
  }

  /** Adds a condition without a value. */
  raw(sql: string): this {
    this.parts.push(sql)
    return this
  }

  /** The placeholder of one more parameter, for SQL written outside the conditions. */
  param(value: unknown): string {
    this.params.push(value)
    return `$${this.params.length}`
  }

  /** The conditions joined with AND ("TRUE" when there are none). */
  get sql(): string {
    return this.parts.length ? this.parts.join(' AND ') : 'TRUE'
  }
}

/** Filters on a call's own columns, shared by the call list, sampling and trends. */
export interface CallFilter {
  from?: string | undefined
  to?: string | undefined
  agent?: string | undefined
  team?: string | undefined
  queue?: string | undefined
  direction?: string | undefined
  language?: string | undefined
  /** urgency levels to keep, such as "P0,P1" */
  urgency?: string | undefined
  /** a taxonomy path or its start ("billing", "billing/refund"): any of the call's categories */
  category?: string | undefined
}

/** "P0,P2" → [0, 2]; anything else is a 400. */
function urgencyLevels(text: string): number[] {
  const levels = text.split(',').map((t) => t.trim().toUpperCase())
  if (levels.some((l) => !/^P[0-3]$/.test(l)))
    throw new ValidationError(`urgency must be a list of P0, P1, P2, P3 such as "P0,P1", got "${text}"`)
  return levels.map((l) => Number(l.slice(1)))
}

/** "billing/refund" → ["billing", "refund"]; one to three node keys. */
function categoryPath(text: string): string[] {
  const keys = text.split('/').filter(Boolean)
  if (keys.length === 0 || keys.length > 3 || keys.some((k) => !/^[a-z0-9][a-z0-9_-]*$/.test(k)))
    throw new ValidationError(`category must be one to three node keys joined by "/", got "${text}"`)
  return keys
}

/** Adds the given call filters on table alias `c` (start time: started_at, else ingest time). */
export function addCallFilters(where: Conditions, f: CallFilter): Conditions {
  if (f.from) where.add('coalesce(c.started_at, c.created_at) >= ?::timestamptz', f.from)
  if (f.to) where.add('coalesce(c.started_at, c.created_at) < ?::timestamptz', f.to)
  if (f.agent) where.add('c.agent_id = ?', f.agent)
  if (f.team) where.add('c.team = ?', f.team)
  if (f.queue) where.add('c.queue = ?', f.queue)
  if (f.direction) where.add('c.direction = ?', f.direction)
  if (f.language) where.add('c.language = ?', f.language)
  if (f.urgency !== undefined)
    where.add(
      'EXISTS (SELECT 1 FROM call_insights ui WHERE ui.call_id = c.id AND ui.urgency = ANY(?::int[]))',
      urgencyLevels(f.urgency),
    )
  if (f.category !== undefined) {
    const keys = categoryPath(f.category)
    where.raw(
      `EXISTS (SELECT 1 FROM call_topics ct WHERE ct.call_id = c.id
               AND ct.path[1:${where.param(keys.length)}::int] = ${where.param(keys)}::text[])`,
    )
  }
  return where
}
