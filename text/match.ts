/**
 * Phrase matching tolerant of ASR noise and wording: text is normalised (case, width, punctuation)
 * and cut into tokens — words for spaced scripts, single characters for Chinese, which has no
 * spaces — and a phrase matches where enough of its tokens occur in order, each token allowed a
 * small spelling difference, with a few extra tokens between them. `strictness` is the share of
 * the phrase's tokens that must be found (1 = all, in order).
 */

/** Where in the call a phrase must be said (a scorecard item's or a taxonomy node's window). Omitted: anywhere. */
export interface Window {
  /** within the first N seconds */
  first_s?: number
  /** within the last N seconds */
  last_s?: number
  /** within the first N percent of the call */
  first_pct?: number
  /** within the last N percent of the call */
  last_pct?: number
}

/** Whose words a phrase is looked for in: a party, or either. */
export type SpeakerFilter = 'agent' | 'customer' | 'any'

export interface Token {
  text: string
  startMs: number
  endMs: number
}

export interface PhraseMatch {
  phrase: string
  /** share of the phrase's tokens found, 0–1 */
  similarity: number
  /** the matched stretch of the utterance, as normalised tokens */
  text: string
  startMs: number
  endMs: number
}

const HAN = /\p{Script=Han}/u

/** Normalised tokens of a text: lower case, NFKC (full-width → ASCII), no punctuation; Han one by one. */
export function normalise(text: string): string[] {
  const clean = text
    .normalize('NFKC')
    .toLowerCase()
    .replace(/[’‘`]/g, "'")
    .replace(/[^\p{L}\p{N}' ]+/gu, ' ')
  const out: string[] = []
  for (const chunk of clean.split(/\s+/)) {
    if (!chunk) continue
    let latin = ''
    for (const ch of chunk) {
      if (HAN.test(ch)) {
        if (latin) out.push(latin)
        latin = ''
        out.push(ch)
      } else latin += ch
    }
    const word = latin.replace(/^'+|'+$/g, '')
    if (word) out.push(word)
  }
  return out
}

/**
 * Tokens with times: from the word list when there is one (each word's tokens share its times),
 * else spread over the utterance by character position.
 */
export function tokensWithTimes(u: {
  text: string
  startMs: number
  endMs: number
  words?: ReadonlyArray<{ word: string; startMs: number; endMs: number }> | null
}): Token[] {
  if (u.words && u.words.length > 0) {
    return u.words.flatMap((w) =>
      normalise(w.word).map((text) => ({ text, startMs: w.startMs, endMs: w.endMs })),
    )
  }
  const tokens = normalise(u.text)
  const total = tokens.reduce((n, t) => n + t.length, 0) || 1
  const span = u.endMs - u.startMs
  let done = 0
  return tokens.map((text) => {
    const startMs = Math.round(u.startMs + (span * done) / total)
    done += text.length
    return { text, startMs, endMs: Math.round(u.startMs + (span * done) / total) }
  })
}

function editDistance(a: string, b: string): number {
  if (a === b) return 0
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j)
  for (let i = 1; i <= a.length; i++) {
    const row = [i]
    for (let j = 1; j <= b.length; j++)
      row[j] = Math.min(
        (prev[j - 1] as number) + (a[i - 1] === b[j - 1] ? 0 : 1),
        (prev[j] as number) + 1,
        (row[j - 1] as number) + 1,
      )
    prev = row
  }
  return prev[b.length] as number
}

/** Same token allowing one edit per five letters (words under five letters and characters must be exact). */
export function tokensAlike(a: string, b: string): boolean {
  if (a === b) return true
  const longest = Math.max(a.length, b.length)
  if (longest < 5) return false
  const allowed = Math.floor(longest / 5)
  if (Math.abs(a.length - b.length) > allowed) return false
  // A call centre's vocabulary is small: the same pairs come back on every call.
  const pair = a < b ? `${a}\u0000${b}` : `${b}\u0000${a}`
  let same = alikeCache.get(pair)
  if (same === undefined) {
    same = editDistance(a, b) <= allowed
    if (alikeCache.size > 200_000) alikeCache.clear()
    alikeCache.set(pair, same)
  }
  return same
}

const alikeCache = new Map<string, boolean>()

/** Normalised phrases: a card's and a taxonomy's phrases are looked for in every call. */
const phraseTokenCache = new Map<string, string[]>()

/** A phrase's normalised tokens (remembered; the cache holds a whole taxonomy's and cards' phrases). */
export function phraseTokens(phrase: string): string[] {
  let tokens = phraseTokenCache.get(phrase)
  if (!tokens) {
    tokens = normalise(phrase)
    if (phraseTokenCache.size > 50_000) phraseTokenCache.clear()
    phraseTokenCache.set(phrase, tokens)
  }
  return tokens
}

/**
 * The best place `phrase` occurs in `tokens`, or undefined below `strictness`. Tokens must come
 * in order (a fuzzy longest common subsequence) within a stretch at most a quarter longer than the
 * phrase plus one token.
 */
export function findPhrase(
  phrase: string,
  tokens: readonly Token[],
  strictness = 0.8,
): PhraseMatch | undefined {
  const wanted = phraseTokens(phrase)
  if (wanted.length === 0 || tokens.length === 0) return undefined
  const slack = Math.ceil(wanted.length / 4) + 1
  // Which phrase token is alike which utterance token, worked out once (edit distances are the cost).
  const alike = wanted.map((w) => tokens.map((t) => tokensAlike(w, t.text)))
  // LCS ≤ the phrase tokens that occur at all: most utterances are ruled out here.
  if (alike.filter((row) => row.some(Boolean)).length / wanted.length < strictness) return undefined
  const anyAlike = tokens.map((_, j) => alike.some((row) => row[j]))
  let best: (PhraseMatch & { length: number }) | undefined
  for (let start = 0; start < tokens.length; start++) {
    if (!anyAlike[start]) continue
    const end = Math.min(tokens.length, start + wanted.length + slack)
    // LCS table over wanted × tokens[start, end), remembering the last matched token.
    const n = end - start
    const dp: number[][] = Array.from({ length: wanted.length + 1 }, () => new Array<number>(n + 1).fill(0))
    for (let i = 1; i <= wanted.length; i++) {
      for (let j = 1; j <= n; j++) {
        const row = dp[i] as number[]
        const up = dp[i - 1] as number[]
        row[j] = alike[i - 1]?.[start + j - 1]
          ? (up[j - 1] as number) + 1
          : Math.max(up[j] as number, row[j - 1] as number)
      }
    }
    const found = (dp[wanted.length] as number[])[n] as number
    const similarity = found / wanted.length
    if (similarity < strictness || (best && similarity < best.similarity)) continue
    // Trim the stretch to the last column where the count is reached.
    let last = n
    while (last > 1 && (dp[wanted.length] as number[])[last - 1] === found) last--
    const stretch = tokens.slice(start, start + last)
    // Among equally good places, the tightest (a later start can drop a stray leading word).
    if (best && similarity === best.similarity && stretch.length >= best.length) continue
    best = {
      length: stretch.length,
      phrase,
      similarity: Math.round(similarity * 100) / 100,
      text: stretch.map((t) => t.text).join(HAN.test(stretch[0]?.text ?? '') ? '' : ' '),
      startMs: stretch[0]?.startMs ?? 0,
      endMs: stretch[stretch.length - 1]?.endMs ?? 0,
    }
    if (similarity === 1 && stretch.length === wanted.length) break
  }
  if (!best) return undefined
  const { length: _, ...match } = best
  return match
}

/** Whether a stretch lies in a scorecard window (omitted: anywhere). */
export function inWindow(
  window: Window | undefined,
  startMs: number,
  endMs: number,
  durationMs: number,
): boolean {
  if (!window) return true
  if (window.first_s !== undefined) return startMs < window.first_s * 1000
  if (window.last_s !== undefined) return endMs > durationMs - window.last_s * 1000
  if (window.first_pct !== undefined) return startMs < (durationMs * window.first_pct) / 100
  if (window.last_pct !== undefined) return endMs > durationMs - (durationMs * window.last_pct) / 100
  return true
}
