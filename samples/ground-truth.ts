/** Loading the sample calls' ground truth, and scoring detected speech against it. */
import { readdirSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import type { Interval, Segment, Speaker } from '../analysis/types.js'

export const samplesDir = path.join(path.dirname(fileURLToPath(import.meta.url)), 'calls')

export interface GroundTruth {
  id: string
  title: string
  file: string
  layout: 'stereo-agent-left' | 'mono'
  direction: 'inbound' | 'outbound'
  language: string
  channel: 'clean' | 'telephone'
  sampleRate: number
  durationMs: number
  utterances: Array<{
    speaker: 'agent' | 'customer'
    startMs: number
    endMs: number
    text: string
    /** said agitated (louder, higher, faster): ground truth for arousal */
    agitated?: boolean
  }>
  speech: { agent: Array<[number, number]>; customer: Array<[number, number]> }
  /** Holds in the script: silent (announced) or with music on the agent's line. */
  holds?: Array<{ startMs: number; endMs: number; music: boolean }>
}

export function loadTruths(dir = samplesDir): GroundTruth[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.truth.json'))
    .sort()
    .map((f) => JSON.parse(readFileSync(path.join(dir, f), 'utf8')) as GroundTruth)
}

/** The truth as segments, in the speaker naming a pipeline result uses for this recording. */
export function truthSegments(truth: GroundTruth): Segment[] {
  const toSeg =
    (speaker: Speaker) =>
    ([startMs, endMs]: [number, number]) => ({ speaker, startMs, endMs })
  if (truth.layout === 'mono') {
    return [...truth.speech.agent, ...truth.speech.customer].map(toSeg('speaker'))
  }
  return [...truth.speech.agent.map(toSeg('agent')), ...truth.speech.customer.map(toSeg('customer'))]
}

function frames(intervals: readonly Interval[], count: number, frameMs: number): Uint8Array {
  const out = new Uint8Array(count)
  for (const iv of intervals) {
    // A frame is speech when its centre lies inside an interval.
    const first = Math.max(0, Math.ceil(iv.startMs / frameMs - 0.5))
    const last = Math.min(count - 1, Math.floor(iv.endMs / frameMs - 0.5))
    for (let f = first; f <= last; f++) out[f] = 1
  }
  return out
}

export interface FrameScore {
  precision: number
  recall: number
  f1: number
  truthFrames: number
}

/** Frame-level precision/recall/F1 (10 ms frames), pooled over speakers. */
export function frameScore(
  truth: readonly Segment[],
  detected: readonly Segment[],
  durationMs: number,
  frameMs = 10,
): FrameScore {
  const count = Math.ceil(durationMs / frameMs)
  let tp = 0
  let fp = 0
  let fn = 0
  const speakers = new Set([...truth, ...detected].map((s) => s.speaker))
  for (const speaker of speakers) {
    const t = frames(
      truth.filter((s) => s.speaker === speaker),
      count,
      frameMs,
    )
    const d = frames(
      detected.filter((s) => s.speaker === speaker),
      count,
      frameMs,
    )
    for (let i = 0; i < count; i++) {
      if (t[i] && d[i]) tp++
      else if (d[i]) fp++
      else if (t[i]) fn++
    }
  }
  const precision = tp + fp ? tp / (tp + fp) : 1
  const recall = tp + fn ? tp / (tp + fn) : 1
  const f1 = precision + recall ? (2 * precision * recall) / (precision + recall) : 0
  return { precision, recall, f1, truthFrames: tp + fn }
}

/**
 * The supplied transcript a recorder would hand over with the call, in callqa's JSON format,
 * written beside each sample call that has one (`<id>.json`).
 */
export function transcriptFromTruth(truth: Pick<GroundTruth, 'utterances'>): { utterances: unknown[] } {
  return {
    utterances: truth.utterances.map((u) => ({
      speaker: u.speaker,
      start_ms: u.startMs,
      end_ms: u.endMs,
      text: u.text,
    })),
  }
}

/** Sample calls that come without a transcript (acoustic analysis only). */
export const WITHOUT_TRANSCRIPT = new Set(['call-03-mono-delivery'])

/** Lower-case words without punctuation, numbers kept as written: the form WER compares. */
export function normaliseWords(text: string): string[] {
  return text
    .toLowerCase()
    .replace(/[^\p{L}\p{N}' ]+/gu, ' ')
    .split(/\s+/)
    .filter(Boolean)
}

/** Word error rate: (substitutions + deletions + insertions) / reference words, by edit distance. */
export function wordErrorRate(
  reference: readonly string[],
  hypothesis: readonly string[],
): {
  errors: number
  words: number
  wer: number
} {
  let previous = Array.from({ length: hypothesis.length + 1 }, (_, j) => j)
  for (let i = 1; i <= reference.length; i++) {
    const row = [i]
    for (let j = 1; j <= hypothesis.length; j++) {
      const same = reference[i - 1] === hypothesis[j - 1]
      row[j] = Math.min(
        (previous[j - 1] as number) + (same ? 0 : 1),
        (previous[j] as number) + 1,
        (row[j - 1] as number) + 1,
      )
    }
    previous = row
  }
  const errors = previous[hypothesis.length] as number
  return { errors, words: reference.length, wer: reference.length ? errors / reference.length : 0 }
}

/**
 * The truth as callqa segments speech: a pause shorter than `minSilenceMs` between two stretches
 * of the same speaker is part of the speech (as `minSilenceMs` does in the VAD).
 */
export function bridgePauses(segments: readonly Segment[], minSilenceMs: number): Segment[] {
  const out: Segment[] = []
  const sorted = [...segments].sort((a, b) => a.speaker.localeCompare(b.speaker) || a.startMs - b.startMs)
  for (const s of sorted) {
    const last = out[out.length - 1]
    if (last && last.speaker === s.speaker && s.startMs - last.endMs < minSilenceMs)
      last.endMs = Math.max(last.endMs, s.endMs)
    else out.push({ ...s })
  }
  return out.sort((a, b) => a.startMs - b.startMs || a.speaker.localeCompare(b.speaker))
}
