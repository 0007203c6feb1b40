import type { MappedUtterance, Word } from './parse-transcript.js'
import { findPii, PII_LABELS, type PiiKind, type PiiSpan, redactText } from './redact-pii.js'

/** An utterance ready to store: redacted text and words, and the times of what was redacted. */
export interface RedactedUtterance {
  seq: number
  speaker: MappedUtterance['speaker']
  startMs: number
  endMs: number
  /** The original text: null unless the deployment keeps originals. */
  text: string | null
  textRedacted: string
  words: Word[] | null
  redactions: Array<{ kind: PiiKind; startMs: number; endMs: number }>
}

/** Character range of each word inside `text` (words appear in order; punctuation may differ). */
function wordRanges(text: string, words: readonly Word[]): Array<[number, number] | undefined> {
  let cursor = 0
  return words.map((w) => {
    const at = text.indexOf(w.word.trim(), cursor)
    if (at < 0) return undefined
    cursor = at + w.word.trim().length
    return [at, cursor]
  })
}

/** When a span is said: from its words' times, else by its share of the characters. */
function spanTimes(u: MappedUtterance, span: PiiSpan, ranges: Array<[number, number] | undefined>) {
  const hit = (u.words ?? []).filter((_, i) => {
    const r = ranges[i]
    return r !== undefined && r[0] < span.end && r[1] > span.start
  })
  if (hit.length > 0) {
    return { startMs: (hit[0] as Word).startMs, endMs: (hit[hit.length - 1] as Word).endMs }
  }
  const length = Math.max(1, u.text.length)
  const duration = u.endMs - u.startMs
  return {
    startMs: Math.round(u.startMs + (duration * span.start) / length),
    endMs: Math.round(u.startMs + (duration * span.end) / length),
  }
}

/**
 * Redacts every utterance. Words inside a redacted span are replaced by the span's label once,
 * so no digit of a card number survives in the word list either.
 */
export function redactUtterances(
  utterances: readonly MappedUtterance[],
  { keepOriginal = false }: { keepOriginal?: boolean } = {},
): RedactedUtterance[] {
  return utterances.map((u, seq) => {
    const spans = findPii(u.text)
    const ranges = u.words ? wordRanges(u.text, u.words) : []
    const redactions = spans.map((s) => ({ kind: s.kind, ...spanTimes(u, s, ranges) }))
    let words: Word[] | null = null
    if (u.words) {
      words = []
      let lastSpan = -1
      u.words.forEach((w, i) => {
        const r = ranges[i]
        const hit = r ? spans.findIndex((s) => r[0] < s.end && r[1] > s.start) : -1
        if (hit < 0) {
          words?.push(w)
          return
        }
        // One label word per span, timed like the span; never a re-scan of the span's own text.
        const span = redactions[hit] as RedactedUtterance['redactions'][number]
        if (hit !== lastSpan)
          words?.push({ word: PII_LABELS[span.kind], startMs: span.startMs, endMs: span.endMs })
        lastSpan = hit
      })
    }
    return {
      seq,
      speaker: u.speaker,
      startMs: u.startMs,
      endMs: u.endMs,
      text: keepOriginal ? u.text : null,
      textRedacted: redactText(u.text, spans),
      words,
      redactions,
    }
  })
}
