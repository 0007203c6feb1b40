/**
 * Why an utterance got its sentiment: the words and phrases that drove it, each with a weight, the
 * weights adding up to the score.
 *
 * English: the trained model is a logistic regression, score = tanh(z / 2) with z a sum of parts
 * (bias, n-grams, lexicon hits through the rule features; `englishContributions`). Each part gets
 * the share of the score that it has of z. Chinese: the score is the squashed lexicon sum, and each
 * lexicon word gets the share of the score that its adjusted value has of the sum. The share of a
 * part is exact for the score as a whole; for one part it is an attribution, not a counterfactual
 * (dropping a word changes the squashing too).
 *
 * Small parts are pooled into "other words" so a reader sees what mattered; the weights are in
 * thousandths and the rounding rest goes to the biggest term, so they add up to the stored score.
 */
import type { Contribution } from './english.js'

export interface SentimentTerm {
  /** the words, as matched (normalised), or "model baseline", "other words", "!" */
  text: string
  /** share of the score; every term of an utterance adds up to its score */
  weight: number
  /** lexicon word, lexicon phrase, n-gram the model learned, the model's bias, exclamation marks, pooled rest */
  source: Contribution['source'] | 'other'
  /** the lexicon's value for it (AFINN scale, −5…5) before negation, intensifier and contrast */
  lexicon?: number
  /** a negator before it flipped and shrank it (× −0.74) */
  negated?: boolean
  /** in the clause before a contrast word (× 0.5) or after it (× 1.5) */
  contrast?: 'before' | 'after'
  /** the word before it that strengthened or softened it */
  intensifier?: string
}

const MAX_TERMS = 8

/** Spreads `score` over `parts` in proportion to their share of `total`; see the module comment. */
export function termsFor(score: number, parts: readonly Contribution[], total: number): SentimentTerm[] {
  const milli = Math.round(score * 1000)
  if (milli === 0 || total === 0) return []
  // The same words as a lexicon hit and as a learned n-gram are one term to a reader.
  const merged = new Map<string, Contribution>()
  for (const p of parts) {
    const had = merged.get(p.text)
    if (!had) merged.set(p.text, { ...p })
    else if (had.source === 'words' && p.source !== 'words') merged.set(p.text, { ...p, z: p.z + had.z })
    else had.z += p.z
  }
  const scaled = [...merged.values()]
    .map((p) => ({ ...p, weight: (p.z / total) * score }))
    .sort((a, b) => Math.abs(b.weight) - Math.abs(a.weight))
  const kept: SentimentTerm[] = []
  let rest = 0
  for (const p of scaled) {
    if (kept.length < MAX_TERMS && Math.abs(p.weight) >= 0.0005) {
      const { z: _, ...term } = p
      kept.push(term)
    } else rest += p.weight
  }
  if (Math.round(rest * 1000) !== 0) kept.push({ text: 'other words', weight: rest, source: 'other' })
  const out = kept.map((t) => ({ ...t, weight: Math.round(t.weight * 1000) }))
  const gap = milli - out.reduce((s, t) => s + t.weight, 0)
  if (out[0]) out[0].weight += gap
  return out.map((t) => ({ ...t, weight: t.weight / 1000 }))
}
