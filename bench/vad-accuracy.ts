/**
 * Frame-level VAD accuracy on the sample calls, for each model version, decode rate and threshold.
 * The defaults in workers/stages/detect-voice-activity.ts come from this table.
 *
 *   npm run bench:vad
 */
import path from 'node:path'
import type { SileroVersion, VadSampleRate } from '../models/silero-vad.js'
import { frameScore, loadTruths, samplesDir, truthSegments } from '../samples/ground-truth.js'
import { analyzeCall } from '../workers/analyze-call.js'
import { resolveFfmpeg } from '../workers/ffmpeg.js'
import { computeMetrics } from '../workers/stages/compute-metrics.js'

const ffmpegPath = resolveFfmpeg().path
const truths = loadTruths()
const grid: Array<{ model: SileroVersion; sampleRate: VadSampleRate; threshold: number }> = []
for (const model of ['v5', 'v6'] as const)
  for (const sampleRate of [8000, 16000] as const)
    for (const threshold of [0.3, 0.4, 0.5]) grid.push({ model, sampleRate, threshold })

console.log('model rate  thr   clean-F1 phone-F1 phone-recall phone-precision worst')
for (const cfg of grid) {
  const clean: number[] = []
  const phone: Array<{ f1: number; recall: number; precision: number }> = []
  let worst = { id: '', f1: 1 }
  for (const truth of truths) {
    const r = await analyzeCall({
      inputPath: path.join(samplesDir, truth.file),
      layout: truth.layout,
      ffmpegPath,
      vad: cfg,
    })
    const s = frameScore(truthSegments(truth), r.segments, r.durationMs)
    if (truth.channel === 'clean') clean.push(s.f1)
    else phone.push(s)
    if (s.f1 < worst.f1) worst = { id: truth.id, f1: s.f1 }
  }
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length
  console.log(
    `${cfg.model}    ${cfg.sampleRate} ${cfg.threshold.toFixed(2)}  ${mean(clean).toFixed(3)}    ${mean(phone.map((p) => p.f1)).toFixed(3)}    ${mean(phone.map((p) => p.recall)).toFixed(3)}        ${mean(phone.map((p) => p.precision)).toFixed(3)}           ${worst.id} ${worst.f1.toFixed(3)}`,
  )
}

// Metrics with the default options, against metrics computed from the ground truth.
const worst = new Map<string, { err: number; id: string; truth: number }>()
const counts = { total: 0, exact: 0 }
for (const truth of truths) {
  const r = await analyzeCall({
    inputPath: path.join(samplesDir, truth.file),
    layout: truth.layout,
    ffmpegPath,
  })
  const want = computeMetrics({
    segments: truthSegments(truth),
    durationMs: truth.durationMs,
    mono: truth.layout === 'mono',
  })
  for (const key of Object.keys(want) as Array<keyof typeof want>) {
    const got = r.metrics[key]
    const exp = want[key]
    if (typeof got !== 'number' || typeof exp !== 'number') continue
    if (!key.endsWith('Ms')) {
      if (key.endsWith('Count') || key.endsWith('Interruptions') || key === 'turns') {
        counts.total++
        if (got === exp) counts.exact++
      }
      continue
    }
    const err = Math.abs(got - exp)
    if (err >= (worst.get(key)?.err ?? -1)) worst.set(key, { err, id: truth.id, truth: exp })
  }
}
console.log('\nmetric (default options)             worst |error|  in call (true value)')
for (const [key, w] of worst)
  console.log(`${key.padEnd(36)} ${String(w.err).padStart(8)} ms  ${w.id} (${w.truth} ms)`)
console.log(
  `counts (dead air, overtalk, interruptions, responses, turns) exact: ${counts.exact}/${counts.total}`,
)
