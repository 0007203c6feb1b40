/**
 * Words of a live call, where the platform sends them (Twilio's real-time transcription, or lines
 * posted to `POST /v1/live/{session}/utterances`): each line scored for sentiment and read for the
 * agent's conduct, the customer's P0 urgency words and forbidden phrases — with the batch
 * pipeline's own models and phrase lists, English and Chinese.
 */
import { scoreSentiment } from '../models/sentiment/index.js'
import { CallText, saidEvidence } from '../text/call-text.js'
import { detectConduct } from '../topics/conduct.js'
import type { TaxonomyDefinition } from '../topics/taxonomy.js'
import { assessUrgency } from '../topics/urgency.js'
import type { LiveRules } from './rules.js'

export interface LiveLine {
  speaker: 'agent' | 'customer'
  text: string
  startMs: number
  endMs: number
}

export interface ScoredLine extends LiveLine {
  sentiment: number | null
}

/** What one line sets off: [rule, evidence] pairs. */
export type LineFinding = [
  rule: 'conduct' | 'urgency-p0' | 'forbidden-phrase',
  evidence: Record<string, unknown>,
]

export function scoreLine(line: LiveLine): ScoredLine {
  if (!/[\p{L}]/u.test(line.text)) return { ...line, sentiment: null }
  return { ...line, sentiment: scoreSentiment(line.text).score }
}

/** The findings of one line on its own. */
export function readLine(
  line: ScoredLine,
  rules: LiveRules,
  taxonomy: TaxonomyDefinition | undefined,
): LineFinding[] {
  const call = { durationMs: line.endMs, utterances: [line] }
  const out: LineFinding[] = []
  // One alert per rule and line, with everything in the line that set it off.
  if (rules.conduct.enabled && line.speaker === 'agent') {
    const flags = detectConduct(call, 'agent').flags
    if (flags.length > 0)
      out.push([
        'conduct',
        {
          remarks: flags.map((f) => ({ kind: f.kind, text: f.text, start_ms: f.start_ms, end_ms: f.end_ms })),
        },
      ])
  }
  if (rules.urgencyP0.enabled && taxonomy && line.speaker === 'customer') {
    const urgency = assessUrgency(taxonomy, call, [], null)
    const p0 = urgency.evidence.find((e) => e.signal === 'phrase' && e.level === 'P0')
    if (p0) out.push(['urgency-p0', { ...p0 }])
  }
  const forbidden = rules.forbiddenPhrase
  const speakerMatches = forbidden.speaker === 'any' || forbidden.speaker === line.speaker
  if (forbidden.enabled && forbidden.phrases.length > 0 && speakerMatches) {
    const said = new CallText(call).find(forbidden.phrases, { speaker: forbidden.speaker, strictness: 0.85 })
    if (said.length > 0) out.push(['forbidden-phrase', { said: said.map(saidEvidence) }])
  }
  return out
}

/**
 * The customer's mood is falling: over their last `lines` scored lines the mean is at or below
 * `below` and the last line is lower than the first.
 */
export function sentimentFalling(
  lines: readonly ScoredLine[],
  rules: LiveRules,
): Record<string, unknown> | undefined {
  const { lines: k, below } = rules.sentimentFalling
  const scored = lines.filter((l) => l.speaker === 'customer' && l.sentiment !== null).slice(-k)
  if (scored.length < k) return undefined
  const values = scored.map((l) => l.sentiment as number)
  const mean = values.reduce((a, b) => a + b, 0) / values.length
  if (mean > below || (values.at(-1) as number) >= (values[0] as number)) return undefined
  return {
    mean: Math.round(mean * 100) / 100,
    lines: scored.map((l) => ({
      start_ms: l.startMs,
      sentiment: Math.round((l.sentiment as number) * 100) / 100,
      text: l.text,
    })),
  }
}
