/**
 * Real recordings as recorders write them, end to end through `ingest` (PGlite in memory), each
 * figure beside what a user gets without the part that produced it, in one run:
 *
 *  1. The sample calls' silences: holds and dead air found against the script's truth, and the
 *     dead air a user got before holds were told apart (every silence ≥ 10 s).
 *  2. ../shared/real-audio/pca-calls (skipped with a line when absent): the channel check on each
 *     file (correlation, levels, verdict) and the overtalk and talk share a user got without it;
 *     the mono call's two voices (share, separation, who is the agent and why); the file-name
 *     metadata (--name-pattern pca); PocketSphinx's confidence and whether the text is trusted.
 *
 *   npm run bench:recordings
 */

import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { analyzeCall } from '../analysis/analyze-call.js'
import { computeMetrics } from '../analysis/stages/compute-metrics.js'
import type { Segment } from '../analysis/types.js'
import { openDatabase } from '../db/index.js'
import { migrate } from '../db/migrate.js'
import { installBuiltins } from '../db/queries/builtins.js'
import { resolveFfmpeg } from '../media/ffmpeg.js'
import { emptyMetadata, loadMetadata, withFileNames } from '../pipeline/metadata.js'
import { createPool } from '../pipeline/pool.js'
import { ingest } from '../pipeline/run.js'
import { loadTruths, samplesDir, truthSegments } from '../samples/ground-truth.js'
import { SHARED_AUDIO } from './vad/datasets.js'

const ffmpegPath = resolveFfmpeg().path
const work = mkdtempSync(path.join(os.tmpdir(), 'callqa-bench-recordings-'))
const seconds = (ms: number | null | undefined) =>
  ms === null || ms === undefined ? '—' : `${(ms / 1000).toFixed(1)}s`

async function withDatabase<T>(fn: (db: Awaited<ReturnType<typeof openDatabase>>) => Promise<T>): Promise<T> {
  const db = await openDatabase({ dataDir: 'memory://' })
  await migrate(db)
  await installBuiltins(db)
  try {
    return await fn(db)
  } finally {
    await db.close()
  }
}

const pool = createPool({ threads: Math.max(1, Math.min(2, os.availableParallelism())) })

async function samples(): Promise<void> {
  console.log(
    '\n1. Holds and dead air on the sample calls (truth: the script; before: every silence ≥ 10 s was dead air)',
  )
  await withDatabase(async (db) => {
    const report = await ingest({
      db,
      pool,
      storageDir: path.join(work, 'samples'),
      ffmpegPath,
      inputs: [samplesDir],
      options: { metadata: loadMetadata(path.join(samplesDir, 'metadata.csv')) },
    })
    const idOf = new Map(report.items.map((i) => [path.basename(i.path), i.callId as number]))
    console.log(
      `${'call'.padEnd(32)} ${'holds truth'.padStart(12)} ${'found'.padStart(14)} ${'dead air truth'.padStart(15)} ${'found'.padStart(6)} ${'before'.padStart(7)}`,
    )
    let right = 0
    let before = 0
    let total = 0
    for (const truth of loadTruths()) {
      const id = idOf.get(truth.file)
      const m = (
        await db.query<{
          hold_count: number
          hold_total_ms: number
          dead_air_count: number
          duration_ms: number
        }>(
          'SELECT hold_count, hold_total_ms, dead_air_count, duration_ms FROM call_metrics WHERE call_id = $1',
          [id],
        )
      ).rows[0]
      const segs = (
        await db.query<Segment>(
          `SELECT speaker, start_ms AS "startMs", end_ms AS "endMs" FROM segments WHERE call_id = $1`,
          [id],
        )
      ).rows
      if (!m) continue
      const holds = truth.holds ?? []
      const want = computeMetrics({ segments: truthSegments(truth), durationMs: truth.durationMs, holds })
      const old = computeMetrics({ segments: segs, durationMs: m.duration_ms })
      const holdTruth = `${holds.length} (${seconds(holds.reduce((s, h) => s + h.endMs - h.startMs, 0))})`
      const holdFound = `${m.hold_count} (${seconds(m.hold_total_ms)})`
      total++
      if (m.hold_count === holds.length && m.dead_air_count === want.deadAirCount) right++
      if (holds.length === 0 && old.deadAirCount === want.deadAirCount) before++
      console.log(
        `${truth.file.padEnd(32)} ${holdTruth.padStart(12)} ${holdFound.padStart(14)} ${String(want.deadAirCount).padStart(15)} ${String(m.dead_air_count).padStart(6)} ${String(old.deadAirCount).padStart(7)}`,
      )
    }
    console.log(
      `calls with holds and dead air both right: ${right}/${total} (before: ${before}/${total}; a hold was dead air)`,
    )
  })
}

async function pcaCalls(): Promise<void> {
  const dir = path.join(SHARED_AUDIO, 'pca-calls')
  if (!existsSync(dir)) {
    console.log(`\n2. pca-calls: skipped (${dir} is absent; it is not part of a clone)`)
    return
  }
  const files = readdirSync(dir)
    .filter((f) => /\.(mp3|wav)$/i.test(f))
    .sort()
    .map((f) => path.join(dir, f))

  console.log(
    '\n2a. Channel check on the pca-calls (before: the same file analysed as one party per channel)',
  )
  console.log(
    `${'file'.padEnd(16)} ${'verdict'.padEnd(20)} ${'corr'.padStart(6)} ${'levels dBFS'.padStart(14)}  ${'overtalk after / before'.padStart(24)}  ${'agent share after / before'.padStart(27)}`,
  )
  for (const file of files) {
    const checked = await analyzeCall({ inputPath: file, layout: 'auto', ffmpegPath })
    const unchecked = await analyzeCall({ inputPath: file, layout: 'auto', ffmpegPath, checkChannels: false })
    const check = checked.channelCheck
    const levels = check?.levelsDb
    const share = (r: typeof checked) =>
      r.metrics.agentTalkRatio === null ? '—' : `${Math.round(r.metrics.agentTalkRatio * 100)}%`
    console.log(
      `${path.basename(file).slice(0, 16).padEnd(16)} ${(check?.layout ?? 'mono file').padEnd(20)} ${(check?.correlation?.toFixed(3) ?? '—').padStart(6)} ${(levels ? levels.map((l) => l.toFixed(0)).join(' / ') : '—').padStart(14)}  ${`${seconds(checked.metrics.overtalkMs)} / ${seconds(unchecked.metrics.overtalkMs)}`.padStart(24)}  ${`${share(checked)} / ${share(unchecked)}`.padStart(27)}`,
    )
  }

  console.log('\n2b. Ingested with --name-pattern pca and local speech recognition')
  await withDatabase(async (db) => {
    const report = await ingest({
      db,
      pool,
      storageDir: path.join(work, 'pca'),
      ffmpegPath,
      inputs: files,
      options: { metadata: withFileNames(emptyMetadata, 'pca'), asr: { engine: 'pocketsphinx' } },
    })
    console.log(
      `${'file'.padEnd(16)} ${'agent (name)'.padEnd(13)} ${'started'.padEnd(17)} ${'voices: share, sep'.padEnd(19)} ${'agent is'.padEnd(26)} ${'talk agent / cust'.padEnd(18)} ${'ASR conf'.padStart(8)} trusted  sentiment`,
    )
    for (const item of report.items) {
      const row = (
        await db.query<Record<string, unknown>>(
          `SELECT c.agent_id, c.started_at, c.diarization, c.role_decision, c.transcript_confidence,
                  c.transcript_trusted, m.agent_talk_ms, m.customer_talk_ms, m.customer_sentiment_end
           FROM calls c LEFT JOIN call_metrics m ON m.call_id = c.id WHERE c.id = $1`,
          [item.callId],
        )
      ).rows[0]
      if (!row) continue
      const dia = row.diarization as { shareFirst: number; separation: number } | null
      const role = row.role_decision as { agent: string; source: string } | null
      const started = row.started_at ? new Date(row.started_at as string).toISOString().slice(0, 16) : '—'
      console.log(
        `${path.basename(item.path).slice(0, 16).padEnd(16)} ${String(row.agent_id ?? '—').padEnd(13)} ${started.padEnd(17)} ${(dia ? `${Math.round(dia.shareFirst * 100)}%, ${dia.separation.toFixed(2)}` : '—').padEnd(19)} ${(role ? `${role.agent} (${role.source})` : '—').padEnd(26)} ${`${seconds(row.agent_talk_ms as number)} / ${seconds(row.customer_talk_ms as number)}`.padEnd(18)} ${(row.transcript_confidence === null ? '—' : Number(row.transcript_confidence).toFixed(3)).padStart(8)} ${String(row.transcript_trusted).padEnd(8)} ${row.customer_sentiment_end === null ? 'none (text not trusted)' : Number(row.customer_sentiment_end).toFixed(2)}`,
      )
    }
  })
}

try {
  await samples()
  await pcaCalls()
} finally {
  await pool.destroy()
  rmSync(work, { recursive: true, force: true })
}
