/**
 * The call-level view of sentiment and arousal that managers trend and scorecards test:
 * customer sentiment at the start (first quarter of the call) and end (last quarter), its lowest
 * point and trend (end − start), the agent's mean, and the agitated stretches.
 */
import type { ProsodicSegment } from './prosody.js'

export interface SentimentUtterance {
  speaker: string
  startMs: number
  endMs: number
  sentiment: number | null
}

export interface SentimentSummary {
  customerSentimentStart: number | null
  customerSentimentEnd: number | null
  customerSentimentMin: number | null
  customerSentimentTrend: number | null
  agentSentimentMean: number | null
  customerArousalMax: number | null
  agitatedSegments: number
  arousalPeaks: Array<{ speaker: string; start_ms: number; end_ms: number; arousal: number }>
}

/** At most this many peaks are kept, strongest first. */
const MAX_PEAKS = 5

const mean = (xs: readonly number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : null)
const round3 = (x: number | null) => (x === null ? null : Math.round(x * 1000) / 1000)

/**
 * Start/end use the customer's utterances whose midpoint falls in the first/last quarter; when the
 * customer says nothing there, the first/last customer utterance stands in (a short call can be
 * all agent at either end).
 */
export function summarizeSentiment({
  utterances,
  segments,
  durationMs,
}: {
  utterances: readonly SentimentUtterance[]
  segments: readonly ProsodicSegment[]
  durationMs: number
}): SentimentSummary {
  const customer = utterances
    .filter((u) => u.speaker === 'customer' && u.sentiment !== null)
    .sort((a, b) => a.startMs - b.startMs)
  const mid = (u: SentimentUtterance) => (u.startMs + u.endMs) / 2
  const quarter = durationMs / 4
  const scores = (us: readonly SentimentUtterance[]) => us.map((u) => u.sentiment as number)
  let start = mean(scores(customer.filter((u) => mid(u) <= quarter)))
  let end = mean(scores(customer.filter((u) => mid(u) >= durationMs - quarter)))
  if (start === null && customer.length > 0) start = customer[0]?.sentiment ?? null
  if (end === null && customer.length > 0) end = customer[customer.length - 1]?.sentiment ?? null
  const agent = scores(utterances.filter((u) => u.speaker === 'agent' && u.sentiment !== null))
  const customerArousal = segments
    .filter((s) => s.speaker === 'customer' && s.arousal !== null)
    .map((s) => s.arousal as number)
  const agitated = segments.filter((s) => s.agitated)
  return {
    customerSentimentStart: round3(start),
    customerSentimentEnd: round3(end),
    customerSentimentMin: customer.length ? round3(Math.min(...scores(customer))) : null,
    customerSentimentTrend: start !== null && end !== null ? round3(end - start) : null,
    agentSentimentMean: round3(mean(agent)),
    customerArousalMax: customerArousal.length ? Math.max(...customerArousal) : null,
    agitatedSegments: agitated.length,
    arousalPeaks: [...agitated]
      .sort((a, b) => (b.arousal ?? 0) - (a.arousal ?? 0))
      .slice(0, MAX_PEAKS)
      .map((s) => ({ speaker: s.speaker, start_ms: s.startMs, end_ms: s.endMs, arousal: s.arousal ?? 0 })),
  }
}

/** Each utterance's arousal: the overlap-weighted mean over its speaker's segments. */
export function utteranceArousal(
  utterance: Pick<SentimentUtterance, 'speaker' | 'startMs' | 'endMs'>,
  segments: readonly ProsodicSegment[],
): number | null {
  let sum = 0
  let weight = 0
  for (const s of segments) {
    if (s.speaker !== utterance.speaker || s.arousal === null) continue
    const overlap = Math.min(s.endMs, utterance.endMs) - Math.max(s.startMs, utterance.startMs)
    if (overlap <= 0) continue
    sum += s.arousal * overlap
    weight += overlap
  }
  return weight > 0 ? Math.round((sum / weight) * 1000) / 1000 : null
}
