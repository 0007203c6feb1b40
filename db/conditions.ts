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
  return where
}
