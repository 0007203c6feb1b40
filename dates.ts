/**
 * The one date parser: every date a user gives (metadata files, file names, query parameters)
 * is read by it, so "2026-02-31" is refused everywhere, not rolled into March in one place.
 */

/**
 * A strict ISO 8601 date or date-time (RFC 3339 profile): a 4-digit year, a real calendar date
 * (2026-02-31 is refused, not rolled into March), an optional time and zone; no zone means UTC.
 * Returns the instant as ISO text, else undefined.
 */
export function strictIsoDate(text: string): string | undefined {
  const m =
    /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(Z|[+-]\d{2}:?\d{2})?)?$/i.exec(
      text,
    )
  if (!m) return undefined
  const [, y, mo, d, h = '00', mi = '00', se = '00', frac = '', zone = 'Z'] = m
  // setUTCFullYear, not Date.UTC: Date.UTC reads years 0–99 as 1900–1999.
  const base = new Date(0)
  base.setUTCFullYear(Number(y), Number(mo) - 1, Number(d))
  base.setUTCHours(Number(h), Number(mi), Number(se), 0)
  if (
    base.getUTCFullYear() !== Number(y) ||
    base.getUTCMonth() !== Number(mo) - 1 ||
    base.getUTCDate() !== Number(d) ||
    base.getUTCHours() !== Number(h) ||
    base.getUTCMinutes() !== Number(mi) ||
    base.getUTCSeconds() !== Number(se)
  )
    return undefined
  let offsetMin = 0
  if (zone.toUpperCase() !== 'Z') {
    const z = /^([+-])(\d{2}):?(\d{2})$/.exec(zone)
    if (!z || Number(z[2]) > 23 || Number(z[3]) > 59) return undefined
    offsetMin = (z[1] === '-' ? -1 : 1) * (Number(z[2]) * 60 + Number(z[3]))
  }
  const ms = Number(`0.${frac || '0'}`) * 1000
  return new Date(base.getTime() + ms - offsetMin * 60_000).toISOString()
}
