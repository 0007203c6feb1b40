/**
 * What the topic stages read of a call: its utterances (redacted text, times, speaker, sentiment
 * and arousal where scored) and a little about the call. The same shape whether a call comes from
 * the database or from the labelled set in bench/, so both are judged by one code path.
 */
import type { CallFacts } from '../scorecards/evaluate.js'
import { findPhrase, inWindow, type PhraseMatch, type Token, tokensWithTimes } from '../scorecards/match.js'
import type { Speaker, Window } from '../scorecards/schema.js'

/** An utterance as the scorecard evaluator reads it: one shape for scorecards and topics. */
export type TopicUtterance = CallFacts['utterances'][number]

export interface TopicCall {
  durationMs: number
  direction?: 'inbound' | 'outbound' | null
  utterances: readonly TopicUtterance[]
}

export interface Said extends PhraseMatch {
  speaker: string
  /** index of the utterance in the call */
  utterance: number
}

/**
 * Tokens of a call's utterances, per utterance list: the scorecards, the classifier, urgency,
 * summary and conduct reading one call's stored utterances tokenise each of them once.
 */
const tokenCaches = new WeakMap<readonly TopicUtterance[], Map<number, Token[]>>()

/** A call's text: its tokens (computed once per utterance list) and where phrases are said. */
export class CallText {
  private readonly cache: Map<number, Token[]>
  constructor(readonly call: TopicCall) {
    let cache = tokenCaches.get(call.utterances)
    if (!cache) {
      cache = new Map()
      tokenCaches.set(call.utterances, cache)
    }
    this.cache = cache
  }

  tokens(index: number): Token[] {
    let tokens = this.cache.get(index)
    if (!tokens) {
      const u = this.call.utterances[index]
      tokens = u ? tokensWithTimes(u) : []
      this.cache.set(index, tokens)
    }
    return tokens
  }

  /** The best phrase of `phrases` in each utterance by `speaker` inside `window`. */
  find(
    phrases: readonly string[],
    { speaker, window, strictness = 0.8 }: { speaker?: Speaker; window?: Window; strictness?: number } = {},
  ): Said[] {
    const out: Said[] = []
    this.call.utterances.forEach((u, index) => {
      if (speaker && speaker !== 'any' && u.speaker !== speaker) return
      const tokens = this.tokens(index)
      let best: PhraseMatch | undefined
      for (const phrase of phrases) {
        const m = findPhrase(phrase, tokens, strictness)
        if (
          m &&
          inWindow(window, m.startMs, m.endMs, this.call.durationMs) &&
          (!best || m.similarity > best.similarity)
        )
          best = m
      }
      if (best) out.push({ ...best, speaker: u.speaker, utterance: index })
    })
    return out
  }
}

/** Evidence of a phrase said: the utterance's words as matched, who said them and when. */
export interface SaidEvidence {
  phrase: string
  text: string
  speaker: string
  similarity: number
  start_ms: number
  end_ms: number
}

export const saidEvidence = (s: Said): SaidEvidence => ({
  phrase: s.phrase,
  text: s.text,
  speaker: s.speaker,
  similarity: s.similarity,
  start_ms: s.startMs,
  end_ms: s.endMs,
})
