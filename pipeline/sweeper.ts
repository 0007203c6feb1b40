/**
 * Calls a dead process left behind are found and handed on again, in seconds rather than hours:
 * a call whose claim ran out (the process analysing it died: its lease was not renewed) is handed
 * to this process's analysis (the server's pool, or the job queue), and one that ran out
 * MAX_ATTEMPTS times is failed with the reason. `callqa serve` and `callqa worker` run one.
 */
import type { Database } from '../db/index.js'
import { type CallRow, failAbandoned, listStalledCalls } from '../db/queries/calls.js'
import { retryTransient } from '../errors.js'
import { repeat } from './repeat.js'

/** A call queued this long with nothing taking it is enqueued again (its job may have been lost). */
const QUEUED_TOO_LONG_MS = 5 * 60_000

export interface Sweeper {
  /** One sweep now; resolves with the calls handed on and failed. */
  sweep(): Promise<{ handedOn: number[]; failed: number[] }>
  stop(): void
}

export function startSweeper({
  db,
  handOn,
  intervalMs = 15_000,
  onError = (err) => console.error(`callqa: sweeper: ${err.message}`),
}: {
  db: Database
  /** Gives the call to analysis again (idempotent: a claimed or finished call is skipped there). */
  handOn: (call: CallRow) => Promise<void>
  intervalMs?: number
  onError?: (err: Error) => void
}): Sweeper {
  const sweep = async () => {
    const failed = await retryTransient(() => failAbandoned(db), { totalMs: intervalMs })
    const stalled = await retryTransient(() => listStalledCalls(db, QUEUED_TOO_LONG_MS), {
      totalMs: intervalMs,
    })
    const handedOn: number[] = []
    for (const call of stalled) {
      await handOn(call)
      handedOn.push(call.id)
    }
    return { handedOn, failed }
  }
  const stop = repeat(sweep, intervalMs, onError)
  return { sweep, stop }
}
