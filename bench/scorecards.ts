/**
 * Scorecards, in one run:
 * 1. agreement of the automatic answers with the script author's answers (samples/expected-scores.ts)
 *    on the sample calls with their transcripts supplied;
 * 2. the same with local speech recognition (PocketSphinx) instead of transcripts;
 * 3. re-scoring throughput: the English inbound card on 10,000 stored calls (copies of the sample
 *    calls' rows), no decoding.
 *
 *   npm run bench:scorecards          (BENCH_RESCORE_CALLS=N to change 3; DATABASE_URL for a server;
 *                                      BENCH_ONLY=rescore for 3 alone, BENCH_ONLY=agreement for 1–2)
 */

import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import type { Piscina } from 'piscina'
import { pocketsphinxUnavailable } from '../analysis/stages/transcribe.js'
import { type Database, openDatabase } from '../db/index.js'
import { migrate } from '../db/migrate.js'
import { installBuiltins } from '../db/queries/builtins.js'
import { latestScorecard, listEvaluations } from '../db/queries/scorecards.js'
import { resolveFfmpeg } from '../media/ffmpeg.js'
import { loadMetadata } from '../pipeline/metadata.js'
import { createPool } from '../pipeline/pool.js'
import { rescore } from '../pipeline/rescore.js'
import { ingest } from '../pipeline/run.js'
import { type Answer, expectedScores } from '../samples/expected-scores.js'
import { loadTruths, samplesDir, transcriptFromTruth } from '../samples/ground-truth.js'

const ffmpegPath = resolveFfmpeg().path
const truths = loadTruths()

async function freshDb(): Promise<Database> {
  const db = await openDatabase({ dataDir: 'memory://' })
  await migrate(db)
  await installBuiltins(db)
  return db
}

/**
 * The sample calls copied into `dir` with their metadata and, when asked, their transcripts (from
 * the ground truth, call-03's included); otherwise local ASR transcribes them. Then ingested.
 */
async function ingestSamples(
  db: Database,
  pool: Piscina,
  dir: string,
  withTranscripts: boolean,
): Promise<void> {
  for (const t of truths) {
    copyFileSync(path.join(samplesDir, t.file), path.join(dir, t.file))
    if (withTranscripts) {
      const stem = t.file.replace(/\.[^.]+$/, '')
      writeFileSync(path.join(dir, `${stem}.json`), JSON.stringify(transcriptFromTruth(t)))
    }
  }
  copyFileSync(path.join(samplesDir, 'metadata.csv'), path.join(dir, 'metadata.csv'))
  await ingest({
    db,
    pool,
    storageDir: path.join(dir, 'storage'),
    ffmpegPath,
    inputs: truths.map((t) => path.join(dir, t.file)),
    options: {
      metadata: loadMetadata(path.join(dir, 'metadata.csv')),
      ...(withTranscripts ? {} : { asr: { engine: 'pocketsphinx' as const } }),
    },
  })
}

async function agreement(
  withTranscripts: boolean,
): Promise<{ agree: number; total: number; misses: string[] }> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'callqa-bench-cards-'))
  const db = await freshDb()
  const pool = createPool({ threads: 2 })
  try {
    await ingestSamples(db, pool, dir, withTranscripts)
    let agree = 0
    let total = 0
    const misses: string[] = []
    for (const t of truths) {
      const call = await db.query<{ id: number }>('SELECT id FROM calls WHERE source_name = $1', [t.file])
      const evaluations = await listEvaluations(db, call.rows[0]?.id as number)
      for (const [card, answers] of Object.entries(expectedScores[t.id] ?? {})) {
        const evaluation = evaluations.find((e) => e.scorecard_key === card)
        for (const [item, expected] of Object.entries(answers) as Array<[string, Answer]>) {
          const got = evaluation?.items.find((i) => i.item_key === item)?.result ?? 'missing'
          total++
          if (got === expected) agree++
          else misses.push(`${t.id} ${card}/${item}: expected ${expected}, got ${got}`)
        }
      }
    }
    return { agree, total, misses }
  } finally {
    await pool.destroy()
    await db.close()
    rmSync(dir, { recursive: true, force: true })
  }
}

const only = process.env.BENCH_ONLY
if (only !== 'rescore') await agreements()
if (only === 'agreement') process.exit(0)

async function agreements(): Promise<void> {
  const transcripts = await agreement(true)
  console.log(
    `1. transcripts supplied: ${transcripts.agree}/${transcripts.total} automatic answers agree with the script ` +
      `(${((transcripts.agree / transcripts.total) * 100).toFixed(1)}%)`,
  )
  for (const m of transcripts.misses) console.log(`   ${m}`)

  if (pocketsphinxUnavailable()) {
    console.log(`2. local ASR: skipped (${pocketsphinxUnavailable()})`)
  } else {
    const asr = await agreement(false)
    console.log(
      `2. local ASR (PocketSphinx), no transcripts: ${asr.agree}/${asr.total} agree ` +
        `(${((asr.agree / asr.total) * 100).toFixed(1)}%)`,
    )
    for (const m of asr.misses) console.log(`   ${m}`)
  }
}

// 3. Re-scoring throughput.
const copies = Number(process.env.BENCH_RESCORE_CALLS ?? 10_000)
const dir = mkdtempSync(path.join(os.tmpdir(), 'callqa-bench-rescore-'))
const serverUrl = process.env.DATABASE_URL
const db = serverUrl
  ? // Copying 10,000 calls' rows is one long statement: no 30 s statement timeout here.
    await openDatabase({
      databaseUrl: serverUrl,
      schema: `bench_rescore_${process.pid}`,
      statementTimeoutMs: 600_000,
    })
  : await freshDb()
if (serverUrl) {
  await migrate(db)
  await installBuiltins(db)
}
const pool = createPool({ threads: 2 })
try {
  await ingestSamples(db, pool, dir, true)
  // Copies of the 9 analysed calls' rows (calls, metrics, segments, utterances) up to `copies` calls.
  const per = Math.ceil(copies / truths.length) - 1
  await db.withTransaction(async (tx) => {
    await tx.query(
      `INSERT INTO calls (sha256, external_id, source_name, storage_uri, status, duration_ms, direction, language,
         queue, team, agent_id, channel_layout, requested_layout, transcript_status, started_at)
       SELECT c.sha256 || '-' || g, 'copy:' || c.id || ':' || g, c.source_name, c.storage_uri, 'done', c.duration_ms,
         c.direction, c.language, c.queue, c.team, c.agent_id, c.channel_layout, c.requested_layout,
         c.transcript_status, c.started_at + make_interval(mins => g)
       FROM calls c CROSS JOIN generate_series(1, $1::int) g WHERE c.external_id NOT LIKE 'copy:%'`,
      [per],
    )
    for (const table of ['call_metrics', 'segments', 'utterances']) {
      await tx.query(
        `INSERT INTO ${table}
         SELECT (jsonb_populate_record(NULL::${table}, to_jsonb(t) || jsonb_build_object('call_id', n.id))).*
         FROM calls n JOIN ${table} t ON t.call_id = split_part(n.external_id, ':', 2)::bigint
         WHERE n.external_id LIKE 'copy:%'`,
      )
    }
  })
  const count = (await db.query<{ n: number }>("SELECT count(*)::int AS n FROM calls WHERE status = 'done'"))
    .rows[0]?.n
  const card = await latestScorecard(db, 'inbound-support-en')
  if (!card) throw new Error('built-in card missing')
  const report = await rescore({ db, scorecard: card })
  console.log(
    `3. rescore inbound-support-en on ${count} stored calls (${serverUrl ? 'Postgres server' : 'embedded PGlite'}): ` +
      `${report.evaluated} evaluated, ${report.skipped} outside its filter, in ${(report.elapsedMs / 1000).toFixed(1)} s = ` +
      `${Math.round((report.calls / report.elapsedMs) * 1000)} calls/s read, ` +
      `${Math.round((report.evaluated / report.elapsedMs) * 1000)} evaluations/s written`,
  )
} finally {
  if (serverUrl) await db.query(`DROP SCHEMA IF EXISTS bench_rescore_${process.pid} CASCADE`)
  await pool.destroy()
  await db.close()
  rmSync(dir, { recursive: true, force: true })
}
