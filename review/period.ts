/**
 * The one check of a period a request names (reports, trends): both ends real dates between
 * 1970 and 2100, "to" after "from". Beyond that a period is a mistake (month=0000-01 read as
 * January 1900; month=9999-12), and a report's "previous period" of the same length could reach
 * before year 0, which neither JavaScript's ISO dates nor Postgres read back (it was a 500): a 400
 * that says so. Within the range the previous period starts no earlier than 1840.
 */
import { strictIsoDate } from '../dates.js'
import { ValidationError } from '../errors.js'

export const EARLIEST = Date.UTC(1970, 0, 1)
export const LATEST = Date.UTC(2100, 0, 1)

export interface Period {
  from: string
  to: string
}

function instant(value: string, name: string): number {
  // The one date parser (dates.ts): 2026-02-31 is refused, not read as 3 March.
  const iso = strictIsoDate(value)
  if (iso === undefined)
    throw new ValidationError(`${name} must be a date and time (ISO 8601), got "${value}"`)
  const ms = Date.parse(iso)
  if (ms < EARLIEST || ms > LATEST)
    throw new ValidationError(`${name} must lie between 1970 and 2100, got "${value}"`)
  return ms
}

/** A checked period from `from` and `to` (ISO 8601). */
export function checkedPeriod(from: string, to: string): Period {
  const a = instant(from, 'from')
  const b = instant(to, 'to')
  if (b <= a) throw new ValidationError('"to" must be after "from"')
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
