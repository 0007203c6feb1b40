/**
 * Who speaks when on one channel: diarization error rate (DER, 250 ms collar, NIST definition;
 * samples/der.ts) of callqa's two-voice split (analysis/stages/diarize.ts) against what a user gets
 * without one, in one run, on the same VAD output:
 *  - "one speaker": all speech given to one party (what a mono call showed before);
 *  - "alternate": each speech segment given to the other party than the one before (turn-taking
 *    taken at its word).
 * Datasets: mono mixes of the espeak sample calls; mono mixes of the real-speech telephone corpus
 * (samples/real-speech.ts, four 150 s two-party calls; clean, telephone, noise 10 dB, quiet
 * customer); the AMI meeting files (1–4 speakers, RTTM labels, inside their UEM), skipped with a
 * line when ../shared is absent.
 *
 *   npm run bench:diarization        (BENCH_DIA_WORK=dir keeps the generated audio between runs)
 */
import { execFileSync } from 'node:child_process'
import { existsSync, mkdirSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { analyzeCall } from '../analysis/analyze-call.js'
import { resolveFfmpeg } from '../media/ffmpeg.js'
import {
  addDer,
  type DerCounts,
  derOf,
  diarizationErrors,
  emptyDer,
  type SpeakerTurn,
} from '../samples/der.js'
import { loadTruths, samplesDir } from '../samples/ground-truth.js'
import { amiItems, telephoneItems } from './vad/datasets.js'

const ffmpegPath = resolveFfmpeg().path
const keep = process.env.BENCH_DIA_WORK
const work = keep ?? path.join(os.tmpdir(), `callqa-bench-dia-${process.pid}`)
mkdirSync(work, { recursive: true })

interface Case {
  dataset: string
  file: string
  truth: SpeakerTurn[]
  durationMs: number
  direction: 'inbound' | 'outbound' | null
  regions?: Array<{ startMs: number; endMs: number }>
}

const mono = (source: string, name: string) => {
  const out = path.join(work, `${name}.wav`)
  if (!existsSync(out)) execFileSync(ffmpegPath, ['-v', 'error', '-y', '-i', source, '-ac', '1', out])
  return out
}

try {
  const cases: Case[] = loadTruths()
    .filter((t) => t.layout !== 'mono')
    .map((t) => ({
      dataset: 'sample calls (espeak), mono mix',
      file: mono(path.join(samplesDir, t.file), `sample-${t.id}`),
      truth: [
        ...t.speech.agent.map(([startMs, endMs]) => ({ speaker: 'agent', startMs, endMs })),
        ...t.speech.customer.map(([startMs, endMs]) => ({ speaker: 'customer', startMs, endMs })),
      ],
      durationMs: t.durationMs,
      direction: t.direction,
    }))
  const tel = await telephoneItems(ffmpegPath, path.join(work, 'telephone'))
  if ('missing' in tel) console.log(`real-speech corpus: skipped, ${tel.missing}`)
  else
    for (const item of tel.items.filter((i) => /^(clean|telephone|noise 10|quiet)/.test(i.dataset)))
      cases.push({
        dataset: `real speech, ${item.dataset}, mono mix`,
        file: mono(item.file, `rs-${item.id}-${item.dataset.replace(/\W+/g, '-')}`),
        truth: item.channels.flatMap((c) => c.truth.map((iv) => ({ speaker: c.role, ...iv }))),
        durationMs: item.durationMs,
        direction: 'inbound',
      })
  const ami = amiItems()
  if ('missing' in ami) console.log(`AMI meetings: skipped, ${ami.missing}`)
  else
    for (const item of ami.items)
      cases.push({
        dataset: `AMI meetings (${new Set(item.turns?.map((t) => t.speaker)).size} speakers)`,
        file: item.file,
        truth: item.turns ?? [],
        durationMs: item.durationMs,
        direction: null,
        ...(item.regions ? { regions: item.regions } : {}),
      })

  const systems = ['callqa', 'one speaker', 'alternate'] as const
  const rows = new Map<string, Map<string, DerCounts>>()
  for (const c of cases) {
    const r = await analyzeCall({ inputPath: c.file, layout: 'mono', ffmpegPath, direction: c.direction })
    const speech = [...r.segments].sort((a, b) => a.startMs - b.startMs)
    const hyps: Record<(typeof systems)[number], SpeakerTurn[]> = {
      callqa: speech.map((s) => ({ speaker: s.speaker, startMs: s.startMs, endMs: s.endMs })),
      'one speaker': speech.map((s) => ({ speaker: 'x', startMs: s.startMs, endMs: s.endMs })),
      alternate: speech.map((s, i) => ({ speaker: i % 2 ? 'b' : 'a', startMs: s.startMs, endMs: s.endMs })),
    }
    const bySystem = rows.get(c.dataset) ?? new Map<string, DerCounts>()
    rows.set(c.dataset, bySystem)
    for (const name of systems) {
      const counts = diarizationErrors(
        c.truth,
        hyps[name],
        c.durationMs,
        c.regions ? { regions: c.regions } : {},
      )
      bySystem.set(name, addDer(bySystem.get(name) ?? emptyDer(), counts))
    }
  }
  const pct = (x: number) => `${(100 * x).toFixed(1)}%`.padStart(7)
  console.log(
    `\nDER (250 ms collar), with callqa's parts: missed / false alarm / confusion (the VAD's share is the first two)`,
  )
  console.log(
    `${'dataset'.padEnd(48)}${systems.map((s) => s.padStart(13)).join('')}   callqa: missed  f.alarm  confusion`,
  )
  for (const [dataset, bySystem] of rows) {
    const q = bySystem.get('callqa') as DerCounts
    console.log(
      `${dataset.padEnd(48)}${systems.map((s) => pct(derOf(bySystem.get(s) as DerCounts)).padStart(13)).join('')}   ` +
        `${pct(q.missed / q.reference)} ${pct(q.falseAlarm / q.reference)} ${pct(q.confusion / q.reference)}`,
    )
  }
} finally {
  if (!keep) rmSync(work, { recursive: true, force: true })
}
