/**
 * Filing history again after the taxonomy changed (a promoted topic, a new version), in the
 * background of a server: every done call not yet filed under the active taxonomy's newest version
 * is filed under it, a small batch per transaction, yielding to the event loop between batches so
 * the API keeps answering. Durable without a job table: what is left to do is read from the calls
 * themselves (their filing names its taxonomy version), so a server that stops half-way finishes
 * the work when it starts again, and a promotion made meanwhile is folded into the same run.
 */
import { setImmediate as yieldToLoop } from 'node:timers/promises'
import type { Database, Queryable } from '../db/index.js'
import { activeTaxonomy } from '../db/queries/taxonomies.js'
import { unfiledCalls } from '../db/queries/topics.js'
import { coerceError } from '../errors.js'
import { reclassify } from './describe.js'

export interface RefileStatus {
  taxonomy: { key: string; version: number } | null
  /** done calls not yet filed under the active taxonomy version */
  pending_calls: number
  running: boolean
}

export interface Refiler {
  /** Starts a run (or asks the running one to look again when it ends). */
  kick(): void
  /** Resolves when no run is going or asked for. */
  idle(): Promise<void>
  status(): Promise<RefileStatus>
  stop(): Promise<void>
}

/** The calls a refile still has to do, and under which taxonomy version. */
export async function refileStatus(db: Queryable, running = false): Promise<RefileStatus> {
  const taxonomy = await activeTaxonomy(db)
  if (!taxonomy) return { taxonomy: null, pending_calls: 0, running }
  return {
    taxonomy: { key: taxonomy.key, version: taxonomy.version },
    pending_calls: await unfiledCalls(db, taxonomy.id),
    running,
  }
}

export function startRefiler({
  db,
  batchSize = 50,
  onError = (err) => console.error(`callqa: filing calls again failed: ${err.message}`),
}: {
  db: Database
  batchSize?: number
  onError?: (err: Error) => void
}): Refiler {
  let run: Promise<void> | undefined
  let again = false
  let stopped = false
  const once = async () => {
    for (;;) {
      again = false
      const taxonomy = await activeTaxonomy(db)
      if (!taxonomy) return
      await reclassify({
        db,
        taxonomy,
        onlyStale: true,
        batchSize,
        // Between batches the API's requests go first.
        onBatch: () => yieldToLoop(),
        stopped: () => stopped || again,
      })
      if (!again || stopped) return
    }
  }
  const kick = () => {
    if (stopped) return
    if (run) {
      again = true
      return
    }
    run = once()
      .catch((err: unknown) => onError(coerceError(err)))
      .finally(() => {
        run = undefined
      })
  }
  return {
    kick,
    async idle() {
      while (run) await run
    },
    status: () => refileStatus(db, run !== undefined),
    async stop() {
      stopped = true
      await run
    },
  }
}
