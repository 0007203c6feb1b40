/**
 * One timed pipeline run, as `npm run bench` and `npm run bench:threads` both measure it: the
 * corpus ingested through a pool of workers into a new embedded database, in steady state.
 */
import { mkdirSync, rmSync } from 'node:fs'
import path from 'node:path'
import type { Piscina } from 'piscina'
import { openDatabase } from '../db/index.js'
import { migrate } from '../db/migrate.js'
import { createPool } from '../pipeline/pool.js'
import { ingest } from '../pipeline/run.js'
import { loadTruths, samplesDir } from '../samples/ground-truth.js'

/** The sample calls: what pools and databases are warmed on before anything is timed. */
export const warmCalls = (): string[] => loadTruths().map((t) => path.join(samplesDir, t.file))

/**
 * A pool of `threads` workers, warmed: the models load and the hot paths compile on the sample
 * calls. Keep it for every run, as a server keeps its workers for hours; made afresh per run, a
 * pool compiled the real-speech paths again inside each timed window (~0.2 s of background
 * compilation per run beside the workers).
 */
export async function warmPool(threads: number, ffmpegPath: string): Promise<Piscina> {
  const pool = createPool({ threads })
  const warm = warmCalls()
  await Promise.all(
    [...warm, ...warm].map((inputPath) => pool.run({ inputPath, layout: 'auto', ffmpegPath })),
  )
  return pool
}

/**
 * Ingests `files` through `pool` into a database of its own in `dir` (a second run into the first's
 * would find every call done) and returns the ingest's milliseconds and the workers' busy
 * milliseconds; `sample` is read just before and just after the timed ingest (the bench's own
 * counters, such as per-thread CPU).
 */
export async function timedIngest<T = undefined>(
  pool: Piscina,
  files: readonly string[],
  dir: string,
  ffmpegPath: string,
  sample: () => T = () => undefined as T,
): Promise<{ ms: number; before: T; after: T; busyMs: number }> {
  mkdirSync(dir, { recursive: true })
  const db = await openDatabase({ dataDir: path.join(dir, 'pglite') })
  try {
    await migrate(db)
    const storageDir = path.join(dir, 'storage')
    // And the database: its first saves compile PGlite's hot code (V8 tiers WebAssembly up in
    // background threads, ~2 s of CPU that would otherwise compete with the workers in the timed
    // run). A server that has run for a minute has paid this; so has this database now.
    await ingest({ db, pool, storageDir, ffmpegPath, inputs: warmCalls() })
    const before = sample()
    const began = performance.now()
    const report = await ingest({ db, pool, storageDir, ffmpegPath, inputs: files })
    const ms = performance.now() - began
    const after = sample()
    // Every call must really be processed: a skipped duplicate would flatter the figure.
    if (report.done !== files.length)
      throw new Error(
        `${report.done} of ${files.length} calls processed: ${JSON.stringify(report.items.filter((i) => i.status !== 'done'))}`,
      )
    // How long the workers were busy with these calls, by their own clocks (each call's analysis
    // from its start in a worker to its result): the rest of the window × workers, they waited.
    const busyMs = report.items.reduce((sum, item) => sum + (item.result?.elapsedMs ?? 0), 0)
    return { ms, before, after, busyMs }
  } finally {
    await db.close()
    rmSync(dir, { recursive: true, force: true })
  }
}
