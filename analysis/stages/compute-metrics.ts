import { ConfigError } from '../../errors.js'
import type { Interval, Segment, Speaker } from '../types.js'
import { stripUndefined } from './detect-voice-activity.js'

export interface ComputeMetricsOptions {
  /** A silence (nobody speaking) at least this long, between the first and last speech, is dead air. */
  deadAirMs?: number
  /** Overlaps shorter than this are boundary jitter, not overtalk. */
  minOvertalkMs?: number
  /** An interruption needs the other speaker to have been talking at least this long… */
  interruptionPriorMs?: number
  /** …and the interrupter to keep talking at least this long. */
  interruptionHoldMs?: number
  /** Pauses shorter than this do not end a monologue (speech of the other speaker always does). */
  monologueMaxPauseMs?: number
}

export type ResolvedMetricsOptions = Required<ComputeMetricsOptions>

export const defaultMetricsOptions = {
  deadAirMs: 10_000,
  minOvertalkMs: 100,
  interruptionPriorMs: 1000,
  interruptionHoldMs: 1000,
  monologueMaxPauseMs: 2000,
} satisfies ResolvedMetricsOptions

export function resolveMetricsOptions(options: ComputeMetricsOptions = {}): ResolvedMetricsOptions {
  const resolved = { ...defaultMetricsOptions, ...stripUndefined(options) }
  for (const [key, value] of Object.entries(resolved)) {
    if (!(Number.isFinite(value) && value >= 0)) throw new ConfigError(`metrics.${key} must be a number ≥ 0`)
  }
  return resolved
}

/** One row of `call_metrics`. Null where a metric does not apply (e.g. overtalk on a mono call). */
export interface CallMetrics {
  durationMs: number
  agentTalkMs: number | null
  customerTalkMs: number | null
  /** Mono recordings: all speech, unattributed. Stereo: null. */
  speakerTalkMs: number | null
  /** agent talk ÷ (agent + customer talk); null when nobody spoke or mono. */
  agentTalkRatio: number | null
  /** Share of the call in which somebody speaks. */
  talkPercent: number
  nonTalkMs: number
  /** Silences of at least deadAirMs that are not holds. */
  deadAirCount: number
  deadAirTotalMs: number
  deadAirLongestMs: number
  /** Announced or music-filled silences (analysis/stages/detect-holds.ts). */
  holdCount: number
  holdTotalMs: number
  holdLongestMs: number
  overtalkCount: number | null
  overtalkMs: number | null
  agentInterruptions: number | null
  customerInterruptions: number | null
  agentLongestMonologueMs: number | null
  customerLongestMonologueMs: number | null
  agentResponseLatencyMeanMs: number | null
  agentResponseLatencyP90Ms: number | null
  agentResponseCount: number | null
  lastSpeaker: Speaker | null
  turns: number
}

// The comparators and helpers below are module-level on purpose: a closure made inside a function
// dies with the call, and V8 drops its optimised code at the next full collection, so it was
// compiled again for every call (on a background thread that competes with the other worker).
const byStart = (a: Interval, b: Interval) => a.startMs - b.startMs
const byEndThenStartDesc = (a: Interval, b: Interval) => b.endMs - a.endMs || b.startMs - a.startMs
const byStartOf = (a: { s: Interval }, b: { s: Interval }) => a.s.startMs - b.s.startMs

/** Sorted, non-overlapping union of intervals. */
export function union(intervals: readonly Interval[]): Interval[] {
  const sorted = [...intervals].sort(byStart)
  const out: Interval[] = []
  for (const iv of sorted) {
    const last = out[out.length - 1]
    if (last && iv.startMs <= last.endMs) last.endMs = Math.max(last.endMs, iv.endMs)
    else out.push({ startMs: iv.startMs, endMs: iv.endMs })
  }
  return out
}

/** Intersection of two unions (each sorted, non-overlapping). */
export function intersect(a: readonly Interval[], b: readonly Interval[]): Interval[] {
  const out: Interval[] = []
  let i = 0
  let j = 0
  while (i < a.length && j < b.length) {
    const x = a[i] as Interval
    const y = b[j] as Interval
    const start = Math.max(x.startMs, y.startMs)
    const end = Math.min(x.endMs, y.endMs)
    if (start < end) out.push({ startMs: start, endMs: end })
    if (x.endMs < y.endMs) i++
    else j++
  }
  return out
}

function total(ivs: readonly Interval[]): number {
  let sum = 0
  for (const iv of ivs) sum += iv.endMs - iv.startMs
  return sum
}

function longest(ivs: readonly Interval[]): number {
  let max = 0
  for (const iv of ivs) max = Math.max(max, iv.endMs - iv.startMs)
  return max
}

/** The intervals at least `ms` long. */
function atLeast(ivs: readonly Interval[], ms: number): Interval[] {
  const out: Interval[] = []
  for (const iv of ivs) if (iv.endMs - iv.startMs >= ms) out.push(iv)
  return out
}

/** One party's speech as a union. */
function speechOf(segments: readonly Segment[], who: Speaker): Interval[] {
  const own: Segment[] = []
  for (const s of segments) if (s.speaker === who) own.push(s)
  return union(own)
}

/** Gaps between consecutive intervals of a union (not before the first nor after the last). */
function gaps(ivs: readonly Interval[]): Interval[] {
  const out: Interval[] = []
  for (let i = 1; i < ivs.length; i++) {
    out.push({ startMs: (ivs[i - 1] as Interval).endMs, endMs: (ivs[i] as Interval).startMs })
  }
  return out
}

/** Is `t` inside one of the intervals, and since when? */
function activeSince(ivs: readonly Interval[], t: number): number | undefined {
  for (const iv of ivs) {
    if (iv.startMs < t && t < iv.endMs) return iv.startMs
    if (iv.startMs >= t) break
  }
  return undefined
}

function countInterruptions(
  by: readonly Interval[],
  other: readonly Interval[],
  opts: ResolvedMetricsOptions,
) {
  let count = 0
  for (const seg of by) {
    const otherSince = activeSince(other, seg.startMs)
    if (otherSince === undefined) continue
    if (
      seg.startMs - otherSince >= opts.interruptionPriorMs &&
      seg.endMs - seg.startMs >= opts.interruptionHoldMs
    )
      count++
  }
  return count
}

/** `a` minus `b` (both sorted, non-overlapping). */
export function subtract(a: readonly Interval[], b: readonly Interval[]): Interval[] {
  const out: Interval[] = []
  for (const iv of a) {
    let start = iv.startMs
    for (const cut of b) {
      if (cut.endMs <= start) continue
      if (cut.startMs >= iv.endMs) break
      if (cut.startMs > start) out.push({ startMs: start, endMs: cut.startMs })
      start = Math.max(start, cut.endMs)
    }
    if (start < iv.endMs) out.push({ startMs: start, endMs: iv.endMs })
  }
  return out
}

/** Longest stretch in which only `own` talks, bridging own pauses up to maxPauseMs. */
function longestMonologue(own: readonly Interval[], other: readonly Interval[], maxPauseMs: number): number {
  const bridged: Interval[] = []
  for (const seg of own) {
    const last = bridged[bridged.length - 1]
    if (last && seg.startMs - last.endMs <= maxPauseMs) last.endMs = Math.max(last.endMs, seg.endMs)
    else bridged.push({ ...seg })
  }
  return longest(subtract(bridged, other))
}

/** Nearest-rank percentile. */
export function percentile(values: readonly number[], p: number): number | null {
  if (values.length === 0) return null
  // (A typed array sorts numerically in native code, without a comparator.)
  const sorted = Float64Array.from(values).sort()
  const rank = Math.ceil((p / 100) * sorted.length)
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1] as number
}

function responseLatencies(agent: readonly Interval[], customer: readonly Interval[]): number[] {
  // Every speech start, in time order: a customer stop followed first by an agent start is a response.
  const starts = [
    ...agent.map((s) => ({ who: 'agent' as const, s })),
    ...customer.map((s) => ({ who: 'customer' as const, s })),
  ].sort(byStartOf)
  const out: number[] = []
  // The customer's stretches end in time order (a union), so the first start after each end only
  // moves forward.
  let k = 0
  for (const c of customer) {
    while (k < starts.length && (starts[k] as (typeof starts)[number]).s.startMs < c.endMs) k++
    if (activeSince(agent, c.endMs) !== undefined) continue // agent already talking: overtalk, not a response
    const next = starts[k]
    if (next?.who === 'agent') out.push(next.s.startMs - c.endMs)
  }
  return out
}

/**
 * Conversation metrics from speech segments. Definitions are in the README ("Conversation metrics").
 */
/**
 * The stretches behind the dead-air and overtalk counts: silences of at least `deadAirMs` that are
 * not holds, and both parties speaking at once for at least `minOvertalkMs`. computeMetrics counts
 * these; the page marks them on the timeline.
 */
export function metricEpisodes({
  segments,
  options,
  holds = [],
  excluded = [],
}: {
  segments: readonly Segment[]
  options?: ComputeMetricsOptions
  holds?: readonly Interval[]
  /** Stretches with no audio to judge (a live call's pauses and lost audio): never dead air, nor holds. */
  excluded?: readonly Interval[]
}): { deadAir: Interval[]; overtalk: Interval[] } {
  const opts = resolveMetricsOptions(options)
  const anyone = union(segments)
  return {
    deadAir: atLeast(subtract(gaps(anyone), union([...holds, ...excluded])), opts.deadAirMs),
    overtalk: atLeast(
      intersect(speechOf(segments, 'agent'), speechOf(segments, 'customer')),
      opts.minOvertalkMs,
    ),
  }
}

export function computeMetrics({
  segments,
  durationMs,
  mono = false,
  options,
  holds = [],
  excluded = [],
  oneChannel = false,
}: {
  segments: readonly Segment[]
  durationMs: number
  /** A mono recording: one unattributed `speaker`, no agent/customer figures. */
  mono?: boolean
  options?: ComputeMetricsOptions
  /** Hold episodes: silence inside them is hold time, not dead air. */
  holds?: readonly Interval[]
  /** Stretches with no audio to judge (a live call's pauses): not dead air, not holds. */
  excluded?: readonly Interval[]
  /**
   * Both parties on one channel, told apart by diarization: per-party figures are given, but
   * overlap cannot be measured (null, not 0), and so neither can interruptions.
   */
  oneChannel?: boolean
}): CallMetrics {
  const opts = resolveMetricsOptions(options)
  const agent = speechOf(segments, 'agent')
  const customer = speechOf(segments, 'customer')
  const anyone = union(segments)
  const talkMs = total(anyone)
  const held = union(holds)
  const { deadAir: silences, overtalk } = metricEpisodes({ segments, options, holds, excluded })
  const latencies = responseLatencies(agent, customer)
  const last = [...segments].sort(byEndThenStartDesc)[0]

  let turns = 0
  let previous: Speaker | undefined
  for (const seg of [...segments].sort(byStart)) {
    if (seg.speaker !== previous) turns++
    previous = seg.speaker
  }

  const agentTalk = total(agent)
  const customerTalk = total(customer)
  return {
    durationMs,
    agentTalkMs: mono ? null : agentTalk,
    customerTalkMs: mono ? null : customerTalk,
    speakerTalkMs: mono || oneChannel ? talkMs : null,
    agentTalkRatio: mono || agentTalk + customerTalk === 0 ? null : agentTalk / (agentTalk + customerTalk),
    talkPercent: durationMs > 0 ? (100 * talkMs) / durationMs : 0,
    nonTalkMs: Math.max(0, durationMs - talkMs),
    deadAirCount: silences.length,
    deadAirTotalMs: total(silences),
    deadAirLongestMs: longest(silences),
    holdCount: held.length,
    holdTotalMs: total(held),
    holdLongestMs: longest(held),
    overtalkCount: mono || oneChannel ? null : overtalk.length,
    overtalkMs: mono || oneChannel ? null : total(overtalk),
    agentInterruptions: mono || oneChannel ? null : countInterruptions(agent, customer, opts),
    customerInterruptions: mono || oneChannel ? null : countInterruptions(customer, agent, opts),
    agentLongestMonologueMs: mono ? null : longestMonologue(agent, customer, opts.monologueMaxPauseMs),
    customerLongestMonologueMs: mono ? null : longestMonologue(customer, agent, opts.monologueMaxPauseMs),
    agentResponseLatencyMeanMs: latencies.length
      ? Math.round(latencies.reduce((a, b) => a + b, 0) / latencies.length)
      : null,
    agentResponseLatencyP90Ms: percentile(latencies, 90),
    agentResponseCount: mono ? null : latencies.length,
    lastSpeaker: last?.speaker ?? null,
    turns,
  }
}
