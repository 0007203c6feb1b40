/**
 * What an analysed call concludes, worked out once, by pure code, in the worker that analysed it:
 * the transcript that stands (a recogniser's, the supplied one, or none when it does not fit the
 * recording), who is the agent, the final speech segments, holds (music and the agent's
 * announcements), metrics and where the dead air and overtalk are, each utterance's arousal, the
 * call's sentiment summary and its language. The save (pipeline/persist.ts) only writes these,
 * under the call's lease; nothing of it is computed again on the main thread.
 *
 * The inputs are the audio analysis and what the call had stored when it was claimed (its
 * transcript, layout, direction and whether a person already said who the agent is).
 */
import {
  type CallMetrics,
  type ComputeMetricsOptions,
  computeMetrics,
  metricEpisodes,
} from './stages/compute-metrics.js'
import { detectHolds, type HoldEpisode } from './stages/detect-holds.js'
import { detectRoles, partyOf } from './stages/detect-roles.js'
import type { ProsodicSegment } from './stages/prosody.js'
import type { ScoredUtterance } from './stages/score-sentiment.js'
import { type SentimentSummary, summarizeSentiment } from './stages/summarize-sentiment.js'
import type { TranscriptQuality } from './stages/transcribe.js'
import type { ChannelLayout, Interval } from './types.js'

/** What the audio analysis found (analyze-call.ts's result, as far as the conclusions read it). */
export interface AnalysedAudio {
  layout: ChannelLayout
  durationMs: number
  segments: ProsodicSegment[]
  music: Interval[]
  diarization?: { separation: number; shareFirst: number }
  transcript?:
    | { status: 'asr'; engine: string; utterances: ScoredUtterance[]; quality: TranscriptQuality }
    | { status: 'none' | 'failed'; engine: string; error: string }
}

/** An utterance as the call has it stored (what the conclusions read of it). */
export interface StoredUtterance {
  seq: number
  speaker: string
  startMs: number
  endMs: number
  /** the redacted text */
  text: string
  words: Array<{ word: string; startMs: number; endMs: number }> | null
  sentiment: number | null
  language: string | null
}

/** A scored utterance (recognised, or parsed from a supplied transcript) as the call stores it. */
export function storedUtterance(u: ScoredUtterance): StoredUtterance {
  return {
    seq: u.seq,
    speaker: u.speaker,
    startMs: u.startMs,
    endMs: u.endMs,
    text: u.textRedacted,
    words: u.words?.map((w) => ({ word: w.word, startMs: w.startMs, endMs: w.endMs })) ?? null,
    sentiment: u.sentiment,
    language: u.language,
  }
}

/** What the call had stored when it was claimed: read by the main thread, sent with the task. */
export interface CallContext {
  transcriptStatus: 'none' | 'supplied' | 'asr' | 'failed'
  transcriptFormat: string | null
  transcriptSource: string | null
  transcriptTrusted: boolean | null
  requestedLayout: string
  direction: 'inbound' | 'outbound' | null
  /** a person (metadata, a swap) said who the agent is: no evidence overrides that */
  roleDecided: boolean
  /** this analysis is a swap: agent and customer change places, the transcript with them */
  toggleSwap: boolean
  utterances: StoredUtterance[]
  /** A live call's pauses, discarded audio and gaps: no audio to judge, never dead air. */
  excluded?: Interval[]
}

/** How the stored transcript changes. */
export type TranscriptChange =
  /** local recognition: these utterances replace the stored ones (none when it did not run) */
  | {
      kind: 'replace'
      utterances: ScoredUtterance[]
      status: {
        status: 'asr' | 'none' | 'failed'
        format?: string | null
        source: string | null
        error?: string | null
        confidence?: number | null
        trusted?: boolean | null
      }
    }
  /** the supplied transcript does not fit the recording: it is dropped, with the reason */
  | {
      kind: 'misfit'
      status: { status: 'failed'; format: string | null; source: string | null; error: string }
    }

export interface Conclusions {
  transcript: TranscriptChange | null
  /** each stored utterance's speaker after the swap and the roles (only those that change) */
  speakers: Array<{ seq: number; speaker: string }>
  /** how many times agent and customer changed places on the call (a swap, roles): flip if odd */
  flips: number
  /** why this side is the agent (stored on the call); null: unchanged */
  roleDecision: Record<string, unknown> | null
  segments: ProsodicSegment[]
  holds: HoldEpisode[]
  metrics: CallMetrics
  episodes: { deadAir: Interval[]; overtalk: Interval[] | null }
  arousal: Array<{ seq: number; arousal: number | null }>
  sentiment: SentimentSummary
  /** the transcript's language (most utterances), for a call whose metadata names none */
  language: string | null
}

const swapRole = (speaker: string) =>
  speaker === 'agent' ? 'customer' : speaker === 'customer' ? 'agent' : speaker

/** The utterances that stand, and how the stored transcript changes. */
function standingTranscript(
  result: AnalysedAudio,
  call: CallContext,
): { utterances: StoredUtterance[]; trusted: boolean | null; change: TranscriptChange | null } {
  const asr = result.transcript
  if (asr?.status === 'asr')
    return {
      utterances: asr.utterances.map(storedUtterance),
      trusted: asr.quality.trusted,
      change: {
        kind: 'replace',
        utterances: asr.utterances,
        status: {
          status: 'asr',
          format: asr.engine,
          source: 'local speech recognition',
          confidence: asr.quality.confidence,
          trusted: asr.quality.trusted,
        },
      },
    }
  if (asr)
    // No recogniser, or it failed: the call still completes, acoustic-only, and says why.
    return {
      utterances: [],
      trusted: null,
      change: {
        kind: 'replace',
        utterances: [],
        status: { status: asr.status, source: asr.engine, error: asr.error },
      },
    }
  const stored = call.toggleSwap
    ? call.utterances.map((u) => ({ ...u, speaker: swapRole(u.speaker) }))
    : call.utterances
  // A supplied transcript must fit the audio it came with (times within its length, with a little
  // tolerance for rounding and trailing silence); one that does not is of another call, or broken.
  const last = stored.reduce<number | null>((m, u) => (m === null || u.endMs > m ? u.endMs : m), null)
  const tolerance = Math.max(2000, result.durationMs * 0.02)
  if (call.transcriptStatus === 'supplied' && last !== null && last > result.durationMs + tolerance)
    return {
      utterances: [],
      trusted: call.transcriptTrusted,
      change: {
        kind: 'misfit',
        status: {
          status: 'failed',
          format: call.transcriptFormat,
          source: call.transcriptSource,
          error: `the transcript's times reach ${(last / 1000).toFixed(1)} s but the recording lasts ${(result.durationMs / 1000).toFixed(1)} s: it does not belong to this recording`,
        },
      },
    }
  return { utterances: stored, trusted: call.transcriptTrusted, change: null }
}

export function concludeCall(
  result: AnalysedAudio,
  call: CallContext,
  metricsOptions?: ComputeMetricsOptions,
): Conclusions {
  const standing = standingTranscript(result, call)
  let utterances = standing.utterances
  // Only trusted text feeds anything automatic (roles, announced holds).
  const trustedText =
    (standing.change?.kind === 'replace' ? standing.trusted : call.transcriptTrusted) === true
  const textOf = (rows: readonly StoredUtterance[]) => (trustedText ? rows : [])

  let segments = result.segments
  let flips = call.toggleSwap ? 1 : 0
  let roleDecision: Record<string, unknown> | null = null
  // Who is the agent, when nobody said: the evidence of the call (stages/detect-roles.ts).
  const twoParties =
    result.layout === 'stereo-agent-left' ||
    result.layout === 'stereo-agent-right' ||
    result.diarization !== undefined
  if (twoParties && call.requestedLayout === 'auto' && !call.roleDecided && !call.toggleSwap) {
    const decision = detectRoles({ segments, utterances: textOf(utterances), direction: call.direction })
    if (decision.swap) {
      segments = segments.map((seg) => ({ ...seg, speaker: seg.speaker === 'agent' ? 'customer' : 'agent' }))
      // Each utterance goes with the party whose speech it overlaps, whatever the transcript said.
      const bySpeaker = segmentsBySpeaker(segments)
      utterances = utterances.map((u) => ({ ...u, speaker: partyOf(u, bySpeaker(u)) ?? swapRole(u.speaker) }))
      flips++
    }
    // On one channel the parties are voices: the first to speak (the agent's on inbound calls and
    // when the direction is unknown, as the worker named them), or the other one.
    const firstIsAgent = (call.direction !== 'outbound') !== decision.swap
    const agentChannel = result.diarization
      ? firstIsAgent
        ? 'first voice'
        : 'second voice'
      : (result.layout === 'stereo-agent-left') !== decision.swap
        ? 'left'
        : 'right'
    roleDecision = {
      source: decision.evidence.some((e) => e.cue.endsWith('said')) ? 'transcript' : 'turn-taking',
      agent: agentChannel,
      swapped: decision.swap,
      margin: decision.margin,
      evidence: decision.evidence.slice(0, 20),
    }
  }
  // Holds the agent announced are found in the transcript, when it can be trusted; with those of
  // music from the audio, the call's silences are split into holds and dead air.
  const holds = detectHolds({ segments, utterances: textOf(utterances), music: result.music })
  const metrics = computeMetrics({
    segments,
    durationMs: result.durationMs,
    mono: result.layout === 'mono' && !result.diarization,
    oneChannel: result.diarization !== undefined,
    options: metricsOptions,
    holds,
    excluded: call.excluded ?? [],
  })
  const episodes = metricEpisodes({ segments, options: metricsOptions, holds, excluded: call.excluded ?? [] })
  const before = new Map(call.utterances.map((u) => [u.seq, u.speaker]))
  // Recognised utterances are stored with the speakers the roles gave them.
  const transcript =
    standing.change?.kind === 'replace'
      ? { ...standing.change, utterances: relabelled(standing.change.utterances, utterances) }
      : standing.change
  return {
    transcript,
    speakers:
      standing.change === null
        ? utterances
            .filter((u) => before.get(u.seq) !== u.speaker)
            .map((u) => ({ seq: u.seq, speaker: u.speaker }))
        : [],
    flips,
    roleDecision,
    segments,
    holds,
    metrics,
    // One channel told apart in two voices: overlap is not measured, so none is marked either.
    episodes: {
      deadAir: episodes.deadAir,
      overtalk: metrics.overtalkCount === null ? null : episodes.overtalk,
    },
    arousal: utteranceArousals(utterances, segments),
    sentiment: summarizeSentiment({ utterances, segments, durationMs: result.durationMs }),
    language: majorityLanguage(utterances),
  }
}

/** Recognised utterances with the speakers the roles gave them. */
function relabelled(recognised: ScoredUtterance[], final: readonly StoredUtterance[]): ScoredUtterance[] {
  const speaker = new Map(final.map((u) => [u.seq, u.speaker]))
  return recognised.map((u) => {
    const s = speaker.get(u.seq)
    return s === undefined || s === u.speaker ? u : { ...u, speaker: s as ScoredUtterance['speaker'] }
  })
}

/**
 * The segments that may overlap an utterance, found by binary search in start order (the segments
 * of a long call are many: looking through all of them for each utterance grew with their product).
 */
function segmentsBySpeaker<S extends { startMs: number; endMs: number }>(segments: readonly S[]) {
  const sorted = [...segments].sort((a, b) => a.startMs - b.startMs)
  // The longest segment bounds how far back one that overlaps can start.
  const longest = sorted.reduce((m, s) => Math.max(m, s.endMs - s.startMs), 0)
  return (u: { startMs: number; endMs: number }): S[] => {
    let lo = 0
    let hi = sorted.length
    const from = u.startMs - longest
    while (lo < hi) {
      const mid = (lo + hi) >> 1
      if ((sorted[mid] as S).startMs < from) lo = mid + 1
      else hi = mid
    }
    const out: S[] = []
    for (let i = lo; i < sorted.length && (sorted[i] as S).startMs < u.endMs; i++) {
      const s = sorted[i] as S
      if (s.endMs > u.startMs) out.push(s)
    }
    return out
  }
}

/**
 * Each utterance's arousal: the mean of its speaker's segments' arousal, weighted by how much of the
 * utterance each covers (null when none with an arousal does). The same as summarize-sentiment's
 * utteranceArousal, computed from the segments near each utterance only.
 */
function utteranceArousals(
  utterances: readonly StoredUtterance[],
  segments: readonly ProsodicSegment[],
): Array<{ seq: number; arousal: number | null }> {
  const near = segmentsBySpeaker(segments.filter((s) => s.arousal !== null))
  return utterances.map((u) => {
    let sum = 0
    let weight = 0
    for (const s of near(u)) {
      if (s.speaker !== u.speaker) continue
      const overlap = Math.min(s.endMs, u.endMs) - Math.max(s.startMs, u.startMs)
      if (overlap <= 0) continue
      sum += (s.arousal as number) * overlap
      weight += overlap
    }
    return { seq: u.seq, arousal: weight > 0 ? Math.round((sum / weight) * 1000) / 1000 : null }
  })
}

/** The language most utterances are in (ties: the first in alphabetical order). */
function majorityLanguage(utterances: readonly StoredUtterance[]): string | null {
  const counts = new Map<string, number>()
  for (const u of utterances) if (u.language) counts.set(u.language, (counts.get(u.language) ?? 0) + 1)
  let best: string | null = null
  for (const [language, n] of counts) {
    const had = best === null ? -1 : (counts.get(best) as number)
    if (n > had || (n === had && best !== null && language < best)) best = language
  }
  return best
}
