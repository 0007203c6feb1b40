/**
 * What the topic stages read of a call: its utterances (redacted text, times, speaker, sentiment
 * and arousal where scored) and a little about the call. The same shape whether a call comes from
 * the database or from the labelled set in bench/, so both are judged by one code path.
 */
import {
  findPhrase,
  inWindow,
  type PhraseMatch,
  phraseTokens,
  type SpeakerFilter,
  type Token,
  tokensAlike,
  tokensWithTimes,
  type Window,
} from './match.js'

/** An utterance as the scorecard evaluator and the topic stages read it: one shape for both. */
export interface CallUtterance {
  speaker: string
  startMs: number
  endMs: number
  text: string
  words?: ReadonlyArray<{ word: string; startMs: number; endMs: number }> | null
  /** the utterance's sentiment, where scored: the customer's last turns, the agent's trend */
  sentiment?: number | null
  /** its arousal (0–1), where measured: urgency reads it */
  arousal?: number | null
}

/** The topic stages' name for it. */
export type TopicUtterance = CallUtterance

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
/** The call's word index, per utterance list (built on the first search). */
const indexes = new WeakMap<readonly TopicUtterance[], WordIndex>()

/**
 * Which utterances hold which words: the call's vocabulary, the utterances each word is in, and a
 * deletion neighbourhood of its words (every form with one or two letters taken out) so the words
 * a phrase word is alike (`tokensAlike`: one edit per five letters) are found by lookups, not by
 * comparing it with every word of the call. A phrase is then tried only in the utterances that hold
 * enough of its words to pass (the same test findPhrase starts with): matching costs grow with the
 * call's text and the phrases' own words, not with their product.
 */
class WordIndex {
  /** word → id */
  private readonly ids = new Map<string, number>()
  private readonly words: string[] = []
  /** word id → the utterances holding it, ascending, once each */
  private readonly postings: number[][] = []
  /** per utterance: the ids of its words */
  private readonly present: Array<Set<number>> = []
  /** form with letters deleted → ids of words of 4+ letters it comes from (built on first need) */
  private neighbours: Map<string, number[]> | undefined
  /** ids of words of 12+ letters (compared one by one with long phrase words) */
  private readonly long: number[] = []
  /** phrase word → ids of the call's words alike it */
  private readonly alikeMemo = new Map<string, number[]>()

  constructor(count: number, tokens: (index: number) => Token[]) {
    for (let u = 0; u < count; u++) {
      const here = new Set<number>()
      for (const t of tokens(u)) {
        let id = this.ids.get(t.text)
        if (id === undefined) {
          id = this.words.length
          this.ids.set(t.text, id)
          this.words.push(t.text)
          this.postings.push([])
          if (t.text.length >= 12) this.long.push(id)
        }
        if (!here.has(id)) {
          here.add(id)
          ;(this.postings[id] as number[]).push(u)
        }
      }
      this.present.push(here)
    }
  }

  /** The ids of the call's words alike `word` (same semantics as tokensAlike). */
  alike(word: string): number[] {
    const memo = this.alikeMemo.get(word)
    if (memo) return memo
    const found = new Set<number>()
    const exact = this.ids.get(word)
    if (exact !== undefined) found.add(exact)
    if (word.length >= 12) {
      // Long words may differ by three edits or more: few enough to compare one by one.
      for (const id of this.long) if (tokensAlike(word, this.words[id] as string)) found.add(id)
    }
    if (word.length >= 4) {
      const neighbours = this.neighbourhood()
      for (const form of deletions(word)) {
        for (const id of neighbours.get(form) ?? [])
          if (!found.has(id) && tokensAlike(word, this.words[id] as string)) found.add(id)
      }
    }
    const ids = [...found]
    this.alikeMemo.set(word, ids)
    return ids
  }

  private neighbourhood(): Map<string, number[]> {
    if (this.neighbours) return this.neighbours
    const map = new Map<string, number[]>()
    this.words.forEach((w, id) => {
      if (w.length < 4) return
      for (const form of deletions(w)) {
        const at = map.get(form)
        if (at) {
          if (at[at.length - 1] !== id) at.push(id)
        } else map.set(form, [id])
      }
    })
    this.neighbours = map
    return map
  }

  /**
   * The utterances in which at least `strictness` of the phrase's words have an alike word (a
   * necessary condition of findPhrase's match), ascending. Candidates come from the rarest words:
   * of the positions that may be missing plus one, one must be present.
   */
  candidates(wanted: readonly string[], strictness: number): number[] {
    if (wanted.length === 0) return []
    const alike = wanted.map((w) => this.alike(w))
    // The fewest words found that pass findPhrase's own test (found / words >= strictness).
    let need = 0
    while (need < wanted.length && need / wanted.length < strictness) need++
    if (need / wanted.length < strictness) return []
    if (need === 0) return this.present.map((_, i) => i)
    const size = alike.map((ids) => ids.reduce((n, id) => n + (this.postings[id] as number[]).length, 0))
    const order = wanted.map((_, i) => i).sort((a, b) => (size[a] as number) - (size[b] as number))
    const seeds = order.slice(0, wanted.length - need + 1)
    const pool = new Set<number>()
    for (const i of seeds)
      for (const id of alike[i] as number[]) for (const u of this.postings[id] as number[]) pool.add(u)
    const out: number[] = []
    for (const u of pool) {
      const here = this.present[u] as Set<number>
      let count = 0
      for (const ids of alike) if (ids.some((id) => here.has(id))) count++
      if (count >= need) out.push(u)
    }
    return out.sort((a, b) => a - b)
  }
}

/**
 * A word and every form of it with one letter deleted, and for words of eight letters or more with
 * two: two words within the edit distance tokensAlike allows (one per five letters of the longer,
 * so at most two for words under fifteen letters) share one of these forms. Longer pairs are
 * compared directly (WordIndex.long).
 */
function deletions(word: string): Set<string> {
  const chars = word.split('')
  const out = new Set<string>([word])
  const depth = chars.length >= 8 ? 2 : 1
  const level = (forms: string[][]) => {
    const next: string[][] = []
    for (const f of forms)
      for (let i = 0; i < f.length; i++) {
        const d = [...f.slice(0, i), ...f.slice(i + 1)]
        const key = d.join('')
        if (!out.has(key)) {
          out.add(key)
          next.push(d)
        }
      }
    return next
  }
  let forms = [chars]
  for (let k = 0; k < depth; k++) forms = level(forms)
  return out
}

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

  private index(): WordIndex {
    let index = indexes.get(this.call.utterances)
    if (!index) {
      index = new WordIndex(this.call.utterances.length, (i) => this.tokens(i))
      indexes.set(this.call.utterances, index)
    }
    return index
  }

  /** The best phrase of `phrases` in each utterance by `speaker` inside `window`. */
  find(
    phrases: readonly string[],
    {
      speaker,
      window,
      strictness = 0.8,
    }: { speaker?: SpeakerFilter; window?: Window; strictness?: number } = {},
  ): Said[] {
    const index = this.index()
    // Which phrases may be said in which utterance: only those are tried, phrase by phrase in the
    // order given (the first of equally good matches wins, as before).
    const tries = new Map<number, number[]>()
    phrases.forEach((phrase, p) => {
      for (const u of index.candidates(phraseTokens(phrase), strictness)) {
        const list = tries.get(u)
        if (list) list.push(p)
        else tries.set(u, [p])
      }
    })
    const out: Said[] = []
    for (const u of [...tries.keys()].sort((a, b) => a - b)) {
      const utterance = this.call.utterances[u] as TopicUtterance
      if (speaker && speaker !== 'any' && utterance.speaker !== speaker) continue
      const tokens = this.tokens(u)
      let best: PhraseMatch | undefined
      for (const p of tries.get(u) as number[]) {
        const m = findPhrase(phrases[p] as string, tokens, strictness)
        if (
          m &&
          inWindow(window, m.startMs, m.endMs, this.call.durationMs) &&
          (!best || m.similarity > best.similarity)
        )
          best = m
      }
      if (best) out.push({ ...best, speaker: utterance.speaker, utterance: u })
    }
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
