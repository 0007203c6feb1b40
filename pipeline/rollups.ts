/**
 * The trend rollups (daily_call_stats, daily_qa_stats, daily_item_stats), rebuilt for the days
 * whose calls changed: a save marks its call's day (db/queries/daily-stats.ts markCallDaysDirty,
 * one row, no lock held), and the days marked are rebuilt here — by a server or worker every few
 * seconds, by an ingest when it ends, and by every trend read before it reads (so trends stay
 * exact). Each day is rebuilt once however many of its calls were saved meanwhile.
 */
import type { Database } from '../db/index.js'
import { drainDirtyDays } from '../db/queries/daily-stats.js'
import { retryTransient } from '../errors.js'
import { repeat } from './repeat.js'

/** Rebuilds every marked day now; resolves with how many. */
export async function refreshMarkedDays(db: Database): Promise<number> {
  let total = 0
  for (;;) {
    const n = await retryTransient(() => db.withTransaction((tx) => drainDirtyDays(tx, 31)))
    total += n
    if (n === 0) return total
  }
}

/** Rebuilds marked days every `intervalMs` in the background; returns a function that stops it. */
export function startRollups(
  db: Database,
  {
    intervalMs = 5000,
    onError = (err: Error) => console.error(`callqa: trend rollups: ${err.message}`),
  }: { intervalMs?: number; onError?: (err: Error) => void } = {},
): () => void {
  return repeat(() => refreshMarkedDays(db), intervalMs, onError)
}
