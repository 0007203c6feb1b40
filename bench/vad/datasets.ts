/**
 * The recordings the voice-activity bench scores, each with its truth per channel:
 *  - the two-party real-speech telephone corpus (samples/real-speech.ts) under every condition;
 *  - the AMI meeting files in ../shared/real-audio/ami-meetings (mono, far field, every speaker is
 *    speech), scored inside their UEM regions; dev/tst files are held out from any tuning;
 *  - the espeak sample calls (tests of the logic, not of accuracy on real voices).
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import type { Interval } from '../../analysis/types.js'
import { loadTruths, samplesDir } from '../../samples/ground-truth.js'
import {
  CALL_PLANS,
  CONDITIONS,
  composeCall,
  loadClips,
  realSpeechUnavailable,
  renderCondition,
  writeConditionFile,
} from '../../samples/real-speech.js'

export type Role = 'agent' | 'customer' | 'speech'

export interface VadItem {
  /** The table row group: a condition, "AMI meetings", "sample calls". */
  dataset: string
  id: string
  file: string
  layout: 'stereo-agent-left' | 'mono'
  channels: Array<{ role: Role; truth: Interval[] }>
  durationMs: number
  /** Score only inside these (an AMI file's UEM). */
  regions?: Interval[]
  /** Kept out of every choice of default (AMI dev and test files). */
  heldOut?: boolean
  /** Who speaks when (AMI: every speaker of the RTTM), for diarization. */
  turns?: Array<{ speaker: string; startMs: number; endMs: number }>
}

const here = path.dirname(fileURLToPath(import.meta.url))
export const SHARED_AUDIO = path.resolve(here, '..', '..', '..', 'shared', 'real-audio')
export const AMI_DIR = path.join(SHARED_AUDIO, 'ami-meetings')

function merge(intervals: Interval[]): Interval[] {
  const sorted = [...intervals].sort((a, b) => a.startMs - b.startMs)
  const out: Interval[] = []
  for (const iv of sorted) {
    const last = out[out.length - 1]
    if (last && iv.startMs <= last.endMs) last.endMs = Math.max(last.endMs, iv.endMs)
    else out.push({ ...iv })
  }
  return out
}

/** The AMI files, or why they are absent (a fresh clone has no ../shared). */
export function amiItems(dir = AMI_DIR): { items: VadItem[] } | { missing: string } {
  if (!existsSync(dir))
    return { missing: `${dir} is absent (it exists on the team's machines and in CI, not in a fresh clone)` }
  const speech = new Map<string, Interval[]>()
  const turns = new Map<string, Array<{ speaker: string; startMs: number; endMs: number }>>()
  const regions = new Map<string, Interval[]>()
  for (const f of readdirSync(dir)) {
    const lines =
      f.endsWith('.rttm') || f.endsWith('.uem') ? readFileSync(path.join(dir, f), 'utf8').split('\n') : []
    for (const line of lines) {
      const p = line.trim().split(/\s+/)
      if (f.endsWith('.rttm') && p[0] === 'SPEAKER') {
        const start = Math.round(Number(p[3]) * 1000)
        const list = speech.get(p[1] as string) ?? []
        list.push({ startMs: start, endMs: start + Math.round(Number(p[4]) * 1000) })
        speech.set(p[1] as string, list)
        const who = turns.get(p[1] as string) ?? []
        who.push({ speaker: p[7] as string, startMs: start, endMs: start + Math.round(Number(p[4]) * 1000) })
        turns.set(p[1] as string, who)
      } else if (f.endsWith('.uem') && p.length >= 4) {
        const list = regions.get(p[0] as string) ?? []
        list.push({ startMs: Math.round(Number(p[2]) * 1000), endMs: Math.round(Number(p[3]) * 1000) })
        regions.set(p[0] as string, list)
      }
    }
  }
  const items: VadItem[] = []
  for (const f of readdirSync(dir)
    .filter((x) => x.endsWith('.wav'))
    .sort()) {
    const id = f.replace(/\.wav$/, '')
    const uem = regions.get(id)
    if (!uem) continue
    items.push({
      dataset: 'AMI meetings',
      id,
      file: path.join(dir, f),
      layout: 'mono',
      channels: [{ role: 'speech', truth: merge(speech.get(id) ?? []) }],
      durationMs: Math.max(...uem.map((r) => r.endMs)),
      regions: uem,
      heldOut: !id.startsWith('trn'),
      turns: turns.get(id) ?? [],
    })
  }
  return { items }
}

/** The real-speech telephone corpus written under `workDir` (cached: files are only written once). */
export async function telephoneItems(
  ffmpegPath: string,
  workDir: string,
): Promise<{ items: VadItem[] } | { missing: string }> {
  const missing = realSpeechUnavailable()
  if (missing) return { missing }
  mkdirSync(workDir, { recursive: true })
  const clips = await loadClips(ffmpegPath)
  const items: VadItem[] = []
  for (const plan of CALL_PLANS) {
    const call = composeCall(plan, clips)
    CONDITIONS.forEach((condition, k) => {
      const file = path.join(workDir, `${plan.id}-${k}.wav`)
      if (!existsSync(file))
        writeConditionFile(
          renderCondition(call, condition, clips, plan.seed * 100 + k),
          condition,
          file,
          ffmpegPath,
        )
      items.push({
        dataset: condition.name,
        id: plan.id,
        file,
        layout: 'stereo-agent-left',
        channels: [
          { role: 'agent', truth: call.truth.agent },
          { role: 'customer', truth: call.truth.customer },
        ],
        durationMs: call.durationMs,
      })
    })
  }
  writeFileSync(
    path.join(workDir, 'truth.json'),
    JSON.stringify(items.map((i) => ({ id: i.id, dataset: i.dataset, channels: i.channels }))),
  )
  return { items }
}

/** The espeak sample calls. Mono calls are scored as one channel (any speaker is speech). */
export function sampleItems(): VadItem[] {
  return loadTruths().map((t) => {
    const agent = t.speech.agent.map(([startMs, endMs]) => ({ startMs, endMs }))
    const customer = t.speech.customer.map(([startMs, endMs]) => ({ startMs, endMs }))
    return {
      dataset: 'sample calls (espeak)',
      id: t.id,
      file: path.join(samplesDir, t.file),
      layout: t.layout,
      channels:
        t.layout === 'mono'
          ? [{ role: 'speech' as const, truth: merge([...agent, ...customer]) }]
          : [
              { role: 'agent' as const, truth: agent },
              { role: 'customer' as const, truth: customer },
            ],
      durationMs: t.durationMs,
    }
  })
}
