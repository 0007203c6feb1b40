/**
 * The one check of a period a request names (reports, trends): both ends real dates between
 * 1970 and 2100, "to" after "from", and at most ten years apart. Beyond that a report is either a
 * mistake (month=0000-01 read as January 1900; month=9999-12) or a scan of everything with a
 * "previous period" that Postgres cannot represent: a 400 that says so, never a 500 or a silent
 * other period.
 */
import { ValidationError } from '../errors.js'

export const EARLIEST = Date.UTC(1970, 0, 1)
export const LATEST = Date.UTC(2100, 0, 1)
/** The widest period a request may name, in days. */
export const MAX_PERIOD_DAYS = 3660

export interface Period {
  from: string
  to: string
}

function instant(value: string, name: string): number {
  const ms = Date.parse(value)
  if (!Number.isFinite(ms))
    throw new ValidationError(`${name} must be a date and time (ISO 8601), got "${value}"`)
  if (ms < EARLIEST || ms > LATEST)
    throw new ValidationError(`${name} must lie between 1970 and 2100, got "${value}"`)
  return ms
}

/** A checked period from `from` and `to` (ISO 8601). */
export function checkedPeriod(from: string, to: string): Period {
  const a = instant(from, 'from')
  const b = instant(to, 'to')
  if (b <= a) throw new ValidationError('"to" must be after "from"')
  if (b - a > MAX_PERIOD_DAYS * 86_400_000)
    throw new ValidationError(`a period may span at most ${MAX_PERIOD_DAYS} days (ten years); ask for less`)
  return { from: new Date(a).toISOString(), to: new Date(b).toISOString() }
}

/** A calendar month YYYY-MM (UTC), 1970-01 to 2099-12, as a period. */
export function monthPeriod(month: string): Period {
  const m = /^(\d{4})-(\d{2})$/.exec(month)
  const year = Number(m?.[1])
  const mon = Number(m?.[2])
  if (!m || mon < 1 || mon > 12) throw new ValidationError(`month must be YYYY-MM, got "${month}"`)
  if (year < 1970 || year > 2099)
    throw new ValidationError(`month must lie between 1970-01 and 2099-12, got "${month}"`)
  return {
    from: new Date(Date.UTC(year, mon - 1, 1)).toISOString(),
    to: new Date(Date.UTC(year, mon, 1)).toISOString(),
  }
}
