/**
 * Diarization error rate, the standard definition (NIST md-eval, as pyannote.metrics computes it):
 * over 10 ms frames, error = max(reference speakers, hypothesis speakers) − correctly matched
 * speakers, divided by the reference speech; the hypothesis speakers are mapped one-to-one to the
 * reference speakers to maximise their overlap; frames within `collarMs` of a reference boundary
 * are not scored (250 ms, the usual collar); only frames inside `regions` count when given.
 */
import type { Interval } from '../analysis/types.js'

export interface SpeakerTurn extends Interval {
  speaker: string
}

export interface DerCounts {
  /** Reference speech, summed over speakers (overlap counts twice), in frames. */
  reference: number
  missed: number
  falseAlarm: number
  confusion: number
}

export const emptyDer = (): DerCounts => ({ reference: 0, missed: 0, falseAlarm: 0, confusion: 0 })

export function addDer(into: DerCounts, more: DerCounts): DerCounts {
  into.reference += more.reference
  into.missed += more.missed
  into.falseAlarm += more.falseAlarm
  into.confusion += more.confusion
  return into
}

export const derOf = (c: DerCounts): number =>
  c.reference ? (c.missed + c.falseAlarm + c.confusion) / c.reference : 0

function permutations<T>(items: readonly T[], k: number): T[][] {
  if (k === 0) return [[]]
  const out: T[][] = []
  items.forEach((item, i) => {
    for (const rest of permutations([...items.slice(0, i), ...items.slice(i + 1)], k - 1))
      out.push([item, ...rest])
  })
  return out
}

export function diarizationErrors(
  reference: readonly SpeakerTurn[],
  hypothesis: readonly SpeakerTurn[],
  durationMs: number,
  {
    collarMs = 250,
    regions,
    frameMs = 10,
  }: { collarMs?: number; regions?: readonly Interval[]; frameMs?: number } = {},
): DerCounts {
  const n = Math.ceil(durationMs / frameMs)
  const refSpeakers = [...new Set(reference.map((t) => t.speaker))]
  const hypSpeakers = [...new Set(hypothesis.map((t) => t.speaker))]
  const mark = (turns: readonly SpeakerTurn[], speakers: string[]) =>
    speakers.map((sp) => {
      const f = new Uint8Array(n)
      for (const t of turns) {
        if (t.speaker !== sp) continue
        for (
          let i = Math.max(0, Math.round(t.startMs / frameMs));
          i < Math.min(n, Math.round(t.endMs / frameMs));
          i++
        )
          f[i] = 1
      }
      return f
    })
  const ref = mark(reference, refSpeakers)
  const hyp = mark(hypothesis, hypSpeakers)
  const scored = new Uint8Array(n).fill(regions ? 0 : 1)
  for (const r of regions ?? [])
    for (
      let i = Math.max(0, Math.round(r.startMs / frameMs));
      i < Math.min(n, Math.round(r.endMs / frameMs));
      i++
    )
      scored[i] = 1
  const collar = Math.round(collarMs / frameMs)
  for (const t of reference)
    for (const edge of [t.startMs, t.endMs]) {
      const at = Math.round(edge / frameMs)
      for (let i = Math.max(0, at - collar); i < Math.min(n, at + collar); i++) scored[i] = 0
    }
  // The mapping that maximises matched time (few speakers: every assignment is tried).
  const overlap = hyp.map((h) =>
    ref.map((r) => {
      let s = 0
      for (let i = 0; i < n; i++) if (scored[i] && h[i] && r[i]) s++
      return s
    }),
  )
  const k = Math.min(hypSpeakers.length, refSpeakers.length)
  let best: number[] = []
  let bestScore = -1
  for (const refOrder of permutations(
    refSpeakers.map((_, i) => i),
    k,
  ))
    for (const hypOrder of permutations(
      hypSpeakers.map((_, i) => i),
      k,
    )) {
      let s = 0
      for (let j = 0; j < k; j++) s += overlap[hypOrder[j] as number]?.[refOrder[j] as number] ?? 0
      if (s > bestScore) {
        bestScore = s
        best = Array.from({ length: hypSpeakers.length }, () => -1)
        for (let j = 0; j < k; j++) best[hypOrder[j] as number] = refOrder[j] as number
      }
    }
  const c = emptyDer()
  for (let i = 0; i < n; i++) {
    if (!scored[i]) continue
    let nRef = 0
    let nHyp = 0
    let correct = 0
    for (const r of ref) nRef += r[i] as number
    hyp.forEach((h, j) => {
      if (!h[i]) return
      nHyp++
      const mapped = best[j] ?? -1
      if (mapped >= 0 && (ref[mapped] as Uint8Array)[i]) correct++
    })
    c.reference += nRef
    c.missed += Math.max(0, nRef - nHyp)
    c.falseAlarm += Math.max(0, nHyp - nRef)
    c.confusion += Math.min(nRef, nHyp) - correct
  }
  return c
}
