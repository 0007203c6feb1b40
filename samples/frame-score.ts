/** Frame-level scoring of detected speech against a truth: 10 ms frames, counts that add across files. */
import type { Interval } from '../analysis/types.js'

export interface FrameCounts {
  tp: number
  fp: number
  fn: number
  tn: number
}

export const emptyCounts = (): FrameCounts => ({ tp: 0, fp: 0, fn: 0, tn: 0 })

export function addCounts(into: FrameCounts, more: FrameCounts): FrameCounts {
  into.tp += more.tp
  into.fp += more.fp
  into.fn += more.fn
  into.tn += more.tn
  return into
}

/** A frame is speech when its centre lies inside an interval. */
export function toFrames(intervals: readonly Interval[], count: number, frameMs = 10): Uint8Array {
  const out = new Uint8Array(count)
  for (const iv of intervals) {
    const first = Math.max(0, Math.ceil(iv.startMs / frameMs - 0.5))
    const last = Math.min(count - 1, Math.floor(iv.endMs / frameMs - 0.5))
    for (let f = first; f <= last; f++) out[f] = 1
  }
  return out
}

/** Counts frames inside `regions` (the whole file when absent), e.g. an AMI file's UEM. */
export function countFrames(
  truth: readonly Interval[],
  detected: readonly Interval[],
  durationMs: number,
  regions?: readonly Interval[],
  frameMs = 10,
): FrameCounts {
  const count = Math.ceil(durationMs / frameMs)
  const t = toFrames(truth, count, frameMs)
  const d = toFrames(detected, count, frameMs)
  const inside = regions ? toFrames(regions, count, frameMs) : undefined
  const c = emptyCounts()
  for (let i = 0; i < count; i++) {
    if (inside && !inside[i]) continue
    if (t[i]) d[i] ? c.tp++ : c.fn++
    else d[i] ? c.fp++ : c.tn++
  }
  return c
}

export function prf(c: FrameCounts): { precision: number; recall: number; f1: number } {
  const precision = c.tp + c.fp ? c.tp / (c.tp + c.fp) : 1
  const recall = c.tp + c.fn ? c.tp / (c.tp + c.fn) : 1
  const f1 = precision + recall ? (2 * precision * recall) / (precision + recall) : 0
  return { precision, recall, f1 }
}
