/**
 * Frame-level VAD accuracy on the sample calls, for each model version, decode rate and threshold.
 * The defaults in workers/stages/detect-voice-activity.ts come from this table.
 *
 *   npm run bench:vad
 */
import { execFileSync } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import type { SileroVersion, VadSampleRate } from '../models/silero-vad.js'
import {
  frameScore,
  type GroundTruth,
  loadTruths,
  samplesDir,
  truthSegments,
} from '../samples/ground-truth.js'
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

// Harder telephone audio: the same calls with extra pink noise, or with another call's voices
// mixed in underneath (background talkers, as on a contact-centre floor). The truth is unchanged:
// background speech is not the speaker's speech.
const work = mkdtempSync(path.join(os.tmpdir(), 'callqa-vad-'))
try {
  const phone = truths.filter((t) => t.channel === 'telephone')
  const conditions = {
    'pink noise': (i: number) => [
      '-f',
      'lavfi',
      '-i',
      `anoisesrc=color=pink:amplitude=0.06:sample_rate=8000:seed=${i}`,
    ],
    'background talkers': (i: number) => [
      ...[
        '-stream_loop',
        '-1',
        '-i',
        path.join(samplesDir, (phone[(i + 3) % phone.length] as GroundTruth).file),
      ],
    ],
  }
  const variants: Record<string, Array<{ truth: GroundTruth; file: string }>> = {}
  for (const [name, extra] of Object.entries(conditions)) {
    variants[name] = phone.map((truth, i) => {
      const file = path.join(work, `${name.replace(' ', '-')}-${truth.file}`)
      const level = name === 'pink noise' ? 1 : 0.25
      const mix =
        `[1]aresample=8000,pan=stereo|c0=c0|c1=c0,volume=${level}[n];` +
        `[0]aformat=channel_layouts=${truth.layout === 'mono' ? 'mono' : 'stereo'}[s];` +
        `[n]aformat=channel_layouts=${truth.layout === 'mono' ? 'mono' : 'stereo'}[m];` +
        '[s][m]amix=inputs=2:duration=first:normalize=0'
      execFileSync(ffmpegPath, [
        ...['-v', 'error', '-y', '-i', path.join(samplesDir, truth.file), ...extra(i)],
        ...['-filter_complex', mix, '-c:a', 'pcm_mulaw', '-ar', '8000', file],
      ])
      return { truth, file }
    })
  }
  console.log('\nharder telephone audio    model rate  thr  gate  F1     recall precision')
  for (const [name, list] of Object.entries(variants)) {
    for (const model of ['v5', 'v6'] as const)
      for (const sampleRate of [8000, 16000] as const)
        for (const [threshold, levelGateDb] of [
          [0.3, 0],
          [0.5, 0],
          [0.7, 0],
          [0.5, 6],
          [0.5, 10],
        ] as const) {
          const scores: Array<{ f1: number; recall: number; precision: number }> = []
          for (const { truth, file } of list) {
            const r = await analyzeCall({
              inputPath: file,
              layout: truth.layout,
              ffmpegPath,
              vad: { model, sampleRate, threshold, levelGateDb },
            })
            scores.push(frameScore(truthSegments(truth), r.segments, r.durationMs))
          }
          const avg = (k: 'f1' | 'recall' | 'precision') =>
            (scores.reduce((a, s) => a + s[k], 0) / scores.length).toFixed(3)
          console.log(
            `${name.padEnd(25)} ${model}    ${sampleRate} ${threshold.toFixed(2)} ${String(levelGateDb).padStart(4)}  ${avg('f1')}  ${avg('recall')}  ${avg('precision')}`,
          )
        }
  }
} finally {
  rmSync(work, { recursive: true, force: true })
}
