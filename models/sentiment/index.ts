/**
 * Sentiment of one utterance in [-1, 1], English or Chinese, the language detected from the text
 * itself (Chinese has no spaces, so a share of Han characters decides). English uses the trained
 * model (`en-weights.json`); Chinese its lexicon scorer. Labels: ≤ -0.05 negative, ≥ 0.05
 * positive, neutral between (VADER's convention).
 */
import { readFileSync } from 'node:fs'
import { scoreChineseSum } from './chinese.js'
import { type EnglishWeights, englishContributions } from './english.js'
import { type SentimentTerm, termsFor } from './explain.js'

export type { SentimentTerm } from './explain.js'

export type SentimentLanguage = 'en' | 'zh'
export type SentimentLabel = 'negative' | 'neutral' | 'positive'

export interface SentimentResult {
  language: SentimentLanguage
  score: number
  label: SentimentLabel
  /** The words and phrases behind the score, their weights adding up to it (explain.ts). */
  terms: SentimentTerm[]
}

export const NEUTRAL_BAND = 0.05

let englishModel: EnglishWeights | undefined
function loadEnglishModel(): EnglishWeights {
  englishModel ??= JSON.parse(
    readFileSync(new URL('./en-weights.json', import.meta.url), 'utf8'),
  ) as EnglishWeights
  return englishModel
}

const HAN = /\p{Script=Han}/gu
const LATIN = /[A-Za-z]/g

/** 'zh' when at least 30% of the letters are Han characters, else 'en'. */
export function detectLanguage(text: string): SentimentLanguage {
  const han = text.match(HAN)?.length ?? 0
  const latin = text.match(LATIN)?.length ?? 0
  // A Han character carries about as much as a short English word: weigh it like 3 letters.
  return han * 3 >= 0.3 * (han * 3 + latin) && han > 0 ? 'zh' : 'en'
}

export function labelFor(score: number): SentimentLabel {
  return score >= NEUTRAL_BAND ? 'positive' : score <= -NEUTRAL_BAND ? 'negative' : 'neutral'
}

/** Squashes a lexicon sum to [-1, 1] as VADER does. */
function squash(sum: number): number {
  return sum / Math.sqrt(sum * sum + 15)
}

export function scoreSentiment(text: string, language?: SentimentLanguage): SentimentResult {
  const lang = language ?? detectLanguage(text)
  let score: number
  let parts: Parameters<typeof termsFor>[1] = []
  let total = 0
  if (lang === 'zh') {
    const chinese = scoreChineseSum(text)
    score = squash(chinese.sum)
    parts = chinese.parts
    total = chinese.sum
  } else {
    const { z, parts: learned, rule } = englishContributions(text, loadEnglishModel())
    const modelScore = Math.tanh(z / 2)
    // Nothing the lexicons know and no strong n-gram (|score| < 0.3): a factual sentence ("my order number is…")
    // stays neutral instead of inheriting the review-trained model's lean.
    score = rule.hits === 0 && Math.abs(modelScore) < 0.3 ? 0 : modelScore
    parts = learned
    total = z
  }
  const rounded = Math.round(score * 1000) / 1000
  return { language: lang, score: rounded, label: labelFor(rounded), terms: termsFor(rounded, parts, total) }
}
