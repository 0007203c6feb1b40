/**
 * Hold versus dead air. Centres (and every vendor) treat a silence the agent announced ("may I put
 * you on hold for two minutes?", "请您稍等") or filled with music as a hold, with its own etiquette;
 * dead air is silence nobody announced. A silence is a hold when:
 *  - the agent said a hold phrase in the 20 s before it (English and Chinese, configurable); or
 *  - music or tones play on the line through most of it (analysis/stages/detect-music.ts).
 * Phrases are matched with the scorecard matcher's tolerance, on trusted transcripts only: nothing
 * automatic comes from low-confidence text.
 */
import { findPhrase, tokensWithTimes } from '../../text/match.js'
import type { Interval } from '../types.js'
import { union } from './compute-metrics.js'

export const HOLD_PHRASES: readonly string[] = [
  'put you on hold',
  'place you on hold',
  'placing you on hold',
  'put you on a brief hold',
  'hold for a moment',
  'hold for a minute',
  'hold for a few minutes',
  'hold on a moment',
  'one moment please',
  'bear with me',
  'please hold',
  '请您稍等',
  '请稍等',
  '稍等一下',
  '请稍候',
  '请您稍候',
  '麻烦您稍等',
]

export interface HoldOptions {
  /** Phrases that announce a hold (any language). */
  phrases: readonly string[]
  /** A silence at least this long can be a hold. */
  minHoldMs: number
  /** The announcement must end at most this long before the silence starts. */
  announceWithinMs: number
  /** Share of the silence music must cover. */
  musicShare: number
}

export const defaultHoldOptions: HoldOptions = {
  phrases: HOLD_PHRASES,
  minHoldMs: 5000,
  announceWithinMs: 20_000,
  musicShare: 0.5,
}

export interface HoldEpisode extends Interval {
  reason: 'announced' | 'music'
  /** The phrase heard, and when (announced holds). */
  phrase?: string
  phraseAtMs?: number
}

export function detectHolds({
  segments,
  utterances,
  music,
  options = defaultHoldOptions,
}: {
  segments: ReadonlyArray<Interval & { speaker: string }>
  /** Trusted utterances only; the agent's are searched for announcements. */
  utterances: ReadonlyArray<{
    speaker: string
    startMs: number
    endMs: number
    text: string
    words?: ReadonlyArray<{ word: string; startMs: number; endMs: number }> | null
  }>
  music: readonly Interval[]
  options?: HoldOptions
}): HoldEpisode[] {
  const speech = union(segments)
  const silences: Interval[] = []
  for (let i = 1; i < speech.length; i++) {
    const gap = { startMs: (speech[i - 1] as Interval).endMs, endMs: (speech[i] as Interval).startMs }
    if (gap.endMs - gap.startMs >= options.minHoldMs) silences.push(gap)
  }
  const announcements: Array<{ phrase: string; atMs: number; endMs: number }> = []
  for (const u of utterances) {
    if (u.speaker !== 'agent' && u.speaker !== 'speaker') continue
    const tokens = tokensWithTimes(u)
    for (const phrase of options.phrases) {
      const m = findPhrase(phrase, tokens)
      if (m) {
        announcements.push({ phrase, atMs: m.startMs, endMs: m.endMs })
        break
      }
    }
  }
  const musical = union(music)
  const out: HoldEpisode[] = []
  for (const s of silences) {
    const said = announcements
      .filter((a) => a.endMs <= s.startMs + 500 && s.startMs - a.endMs <= options.announceWithinMs)
      .sort((a, b) => b.endMs - a.endMs)[0]
    if (said) {
      out.push({ ...s, reason: 'announced', phrase: said.phrase, phraseAtMs: said.atMs })
      continue
    }
    let covered = 0
    for (const m of musical)
      covered += Math.max(0, Math.min(m.endMs, s.endMs) - Math.max(m.startMs, s.startMs))
    if (covered >= options.musicShare * (s.endMs - s.startMs)) out.push({ ...s, reason: 'music' })
  }
  return out
}
