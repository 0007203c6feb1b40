import { type SentimentLanguage, type SentimentTerm, scoreSentiment } from '../../models/sentiment/index.js'
import type { RedactedUtterance } from './redact-utterances.js'

export interface ScoredUtterance extends RedactedUtterance {
  language: SentimentLanguage | null
  /** [-1, 1]; null when the utterance has no words to judge. */
  sentiment: number | null
  /** the words behind `sentiment`, their weights adding up to it */
  sentimentTerms: SentimentTerm[] | null
}

/**
 * Sentiment per utterance, on the redacted text (what is stored is what was scored), the language
 * detected per utterance so a call that switches language is scored in each.
 */
export function scoreUtterances(utterances: readonly RedactedUtterance[]): ScoredUtterance[] {
  return utterances.map((u) => {
    if (!/[\p{L}]/u.test(u.textRedacted))
      return { ...u, language: null, sentiment: null, sentimentTerms: null }
    const { language, score, terms } = scoreSentiment(u.textRedacted)
    return { ...u, language, sentiment: score, sentimentTerms: terms }
  })
}
