/**
 * Voice activity on real speech, against the detectors a user would otherwise pick, in one run.
 *
 *   npm run bench:vad                 (BENCH_VAD_WORK=dir keeps the generated corpus between runs)
 *
 * Datasets (bench/vad/datasets.ts):
 *  - a two-party telephone corpus built from the real recordings in Debian's pocketsphinx-testdata
 *    (truth from the clean clips), under each condition of samples/real-speech.ts;
 *  - the AMI meeting files in ../shared/real-audio/ami-meetings inside their UEM regions
 *    (skipped with a line saying so when ../shared is absent); trn files were used to choose the
 *    defaults, dev/tst files are held out;
 *  - the espeak sample calls (a check of the logic, not of accuracy).
 * Systems: callqa through its real pipeline (decode → the VAD stage) with today's defaults, with
 * the same but no window skipped by the level gate ("no skip"), and with the 0.1 defaults; Silero v5 and v6 at their published defaults (16 kHz, threshold 0.5,
 * the reference post-processing); WebRTC VAD modes 0–3 (libfvad in wasm, 30 ms frames).
 * Scores are frame-level (10 ms) precision, recall and F1, counted over all files of a row.
 */
import { mkdirSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { analyzeCall } from '../analysis/analyze-call.js'
import type { DetectVoiceActivityOptions } from '../analysis/stages/detect-voice-activity.js'
import type { Interval } from '../analysis/types.js'
import { resolveFfmpeg } from '../media/ffmpeg.js'
import { addCounts, countFrames, emptyCounts, type FrameCounts, prf } from '../samples/frame-score.js'
import { amiItems, sampleItems, telephoneItems, type VadItem } from './vad/datasets.js'
import { decodeChannels, referenceSegments, sileroProbabilities, webrtcSegments } from './vad/engines.js'

const ffmpegPath = resolveFfmpeg().path
const keep = process.env.BENCH_VAD_WORK
const work = keep ?? path.join(os.tmpdir(), `callqa-bench-vad-${process.pid}`)
mkdirSync(work, { recursive: true })

/** The 0.1 defaults (chosen on the espeak calls), run through today's stage. */
const OLD_DEFAULTS: DetectVoiceActivityOptions = {
  model: 'v5',
  sampleRate: 8000,
  threshold: 0.5,
  negThreshold: 0.35,
  minSpeechMs: 150,
  minSilenceMs: 300,
  padStartMs: 60,
  padEndMs: -30,
  backgroundGateDb: 0,
  skipMarginDb: 0,
}

type System = (item: VadItem) => Promise<Interval[][]>

async function callqa(item: VadItem, vad?: DetectVoiceActivityOptions): Promise<Interval[][]> {
  const r = await analyzeCall({
    inputPath: item.file,
    layout: item.layout,
    ffmpegPath,
    ...(vad ? { vad } : {}),
  })
  const speakers = item.layout === 'mono' ? ['speaker'] : ['agent', 'customer']
  return speakers.map((s) =>
    r.segments.filter((g) => g.speaker === s).map(({ startMs, endMs }) => ({ startMs, endMs })),
  )
}

const SYSTEMS: Array<[string, System]> = [
  ['callqa', (item) => callqa(item)],
  // The level gate must lose no recall: the same defaults with every window through the model.
  ['no skip', (item) => callqa(item, { skipMarginDb: 0 })],
  ['callqa 0.1', (item) => callqa(item, OLD_DEFAULTS)],
  ...(['v5', 'v6'] as const).map((v): [string, System] => [
    `Silero ${v}`,
    async (item) =>
      (
        await sileroProbabilities(
          await decodeChannels(item.file, 16000, item.channels.length, ffmpegPath),
          v,
          16000,
        )
      ).map((p) => referenceSegments(p, 16000, p.length * 512)),
  ]),
  ...([0, 1, 2, 3] as const).map((mode): [string, System] => [
    `WebRTC ${mode}`,
    async (item) =>
      Promise.all(
        (await decodeChannels(item.file, 16000, item.channels.length, ffmpegPath)).map((ch) =>
          webrtcSegments(ch, mode),
        ),
      ),
  ]),
]

try {
  const items: VadItem[] = []
  const tel = await telephoneItems(ffmpegPath, path.join(work, 'telephone'))
  if ('missing' in tel) console.log(`real-speech telephone corpus: skipped, ${tel.missing}`)
  else items.push(...tel.items)
  const ami = amiItems()
  if ('missing' in ami) console.log(`AMI meetings: skipped, ${ami.missing}`)
  else items.push(...ami.items)
  items.push(...sampleItems())

  // rows: dataset|role → system → counts
  const rows = new Map<string, Map<string, FrameCounts>>()
  for (const item of items) {
    for (const [name, system] of SYSTEMS) {
      const detected = await system(item)
      item.channels.forEach((channel, c) => {
        const row = `${item.dataset}${item.heldOut ? ' (held out)' : ''}|${channel.role}`
        const bySystem = rows.get(row) ?? new Map<string, FrameCounts>()
        rows.set(row, bySystem)
        const counts = countFrames(channel.truth, detected[c] ?? [], item.durationMs, item.regions)
        bySystem.set(name, addCounts(bySystem.get(name) ?? emptyCounts(), counts))
      })
    }
  }

  const names = SYSTEMS.map(([n]) => n)
  const cell = (c: FrameCounts | undefined, k: 'f1' | 'recall' | 'precision') =>
    c ? prf(c)[k].toFixed(3) : '  –  '
  for (const k of ['f1', 'recall', 'precision'] as const) {
    console.log(`\nframe ${k === 'f1' ? 'F1' : k} (10 ms frames)`)
    console.log(`${'dataset'.padEnd(34)} ${'role'.padEnd(9)}${names.map((n) => n.padStart(11)).join('')}`)
    for (const [row, bySystem] of rows) {
      const [dataset, role] = row.split('|') as [string, string]
      console.log(
        `${dataset.padEnd(34)} ${role.padEnd(9)}${names.map((n) => cell(bySystem.get(n), k).padStart(11)).join('')}`,
      )
    }
  }

  // The goals, stated against this run.
  const telephone = [...rows].filter(([row]) => /^(telephone|noise (20|10) dB|quiet|babble)/.test(row))
  const worst = (name: string) => Math.min(...telephone.map(([, m]) => prf(m.get(name) as FrameCounts).f1))
  const amiF1 = (name: string, heldOut: boolean) => {
    const sum = emptyCounts()
    for (const [row, m] of rows)
      if (row.startsWith('AMI') && row.includes('held out') === heldOut)
        addCounts(sum, m.get(name) as FrameCounts)
    return sum.tp + sum.fn ? prf(sum).f1.toFixed(3) : '–'
  }
  console.log(
    '\nworst telephone condition down to 10 dB SNR, babble included (both roles), and AMI (train / held out):',
  )
  for (const name of names)
    console.log(
      `${name.padEnd(12)} worst F1 ${worst(name).toFixed(3)}   AMI ${amiF1(name, false)} / ${amiF1(name, true)}`,
    )
} finally {
  if (!keep) rmSync(work, { recursive: true, force: true })
}
