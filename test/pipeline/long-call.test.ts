/**
 * A 2-hour stereo telephone call goes through the pool and the database like any other,
 * and the worker's memory stays flat (decode is streamed through VAD).
 */
import { execFile } from 'node:child_process'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import type { Piscina } from 'piscina'
import { afterAll, beforeAll, expect, test } from 'vitest'
import { analyzeCall } from '../../analysis/analyze-call.js'
import type { Database } from '../../db/index.js'
import { getCallMetrics } from '../../db/queries/call-metrics.js'
import { createPool } from '../../pipeline/pool.js'
import { ingest } from '../../pipeline/run.js'
import { ffmpeg, ffmpegPath, sample, tempDir } from '../helpers/audio.js'
import { openTestDb, testDbKind } from '../helpers/db.js'

const tmp = tempDir()
let db: Database
let pool: Piscina
let longCall: string
const source = sample('call-02-phone-password.wav')
// Two hours of audio take ~40 s alone on this 2-core machine and two to three times that beside
// the rest of the suite; this test is about correctness and memory (speed is measured in bench/).
const LONG = 600_000

beforeAll(async () => {
  db = await openTestDb('pipeline/long-call')
  pool = createPool({ threads: 1 })
  longCall = ffmpeg(
    ['-stream_loop', '-1', '-i', source, '-t', '7200', '-c:a', 'pcm_mulaw'],
    path.join(tmp.dir, 'two-hours.wav'),
  )
})
afterAll(async () => {
  await pool.destroy()
  await db.close()
  tmp.remove()
})

test(
  'a 2-hour call is processed and stored',
  async () => {
    const report = await ingest({
      db,
      pool,
      storageDir: path.join(tmp.dir, 'storage'),
      ffmpegPath,
      inputs: [longCall],
    })
    expect(report.items[0]).toMatchObject({ status: 'done' })
    const id = report.items[0]?.callId as number
    const metrics = await getCallMetrics(db, id)
    expect(Math.abs((metrics?.durationMs ?? 0) - 7_200_000)).toBeLessThanOrEqual(100)
    // The same conversation looped: its talk ratio is the short call's.
    const short = await analyzeCall({ inputPath: source, layout: 'auto', ffmpegPath })
    expect(Math.abs((metrics?.agentTalkRatio ?? 0) - (short.metrics.agentTalkRatio ?? 0))).toBeLessThan(0.01)
    const stored = await db.query<{ n: number }>(
      'SELECT count(*)::int AS n FROM segments WHERE call_id = $1',
      [id],
    )
    const loops = 7_200_000 / short.durationMs
    expect(stored.rows[0]?.n).toBeGreaterThan(loops * short.segments.length * 0.95)
  },
  LONG,
)

// Memory does not depend on the database: measure it once, in the PGlite run.
test.runIf(testDbKind === 'pglite')(
  'analysing the 2-hour call peaks under 300 MB RSS',
  async () => {
    const script = path.join(
      path.dirname(fileURLToPath(import.meta.url)),
      '..',
      '..',
      'bench',
      'long-call-rss.ts',
    )
    const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', script, longCall])
    const { maxRssMb, durationMs } = JSON.parse(stdout.trim()) as { maxRssMb: number; durationMs: number }
    expect(durationMs).toBeGreaterThan(7_199_000)
    expect(maxRssMb).toBeLessThan(300)
  },
  LONG,
)
