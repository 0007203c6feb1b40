/**
 * How urgent a call is, P0 (the customer cannot use the service at all, or is being defrauded)
 * to P3 (a routine question), with the signals that decided it:
 *
 * - the taxonomy's urgency phrases said by the customer (P0, P1, P2), unless negated just before
 *   ("it's not urgent", "不紧急");
 * - the category: the deepest node on the call's main path that sets an urgency;
 * - customer sentiment and arousal: a strongly negative customer turn (≤ −0.6) said agitated
 *   (arousal ≥ 0.5), or three strongly negative turns, make it at least P1; a clearly negative
 *   turn (≤ −0.5) at least P2 (a customer stating a problem sounds a little negative; that alone
 *   is not urgent);
 * - a routine question (the taxonomy's P3 phrases, "how do I", "想问一下") with no urgency phrase
 *   and no negative customer turn: P3, whatever the category says;
 * - repeat contact: the same customer called within the taxonomy's `repeat_contact_days` — one
 *   level more urgent (never to P0 on that alone).
 *
 * The most urgent signal wins; no signal at all is P3.
 */

import { CallText, type Said, type SaidEvidence, saidEvidence, type TopicCall } from '../text/call-text.js'
import type { Category } from './classify.js'
import { nodeAt, type TaxonomyDefinition, type Urgency } from './taxonomy.js'

export type UrgencySignal =
  | ({ signal: 'phrase'; level: Urgency } & SaidEvidence)
  | { signal: 'category'; level: Urgency; path: string[]; overruled_by_routine_question?: boolean }
  | {
      signal: 'sentiment'
      level: Urgency
      turns: Array<{ start_ms: number; sentiment: number; arousal: number | null }>
    }
  | { signal: 'repeat_contact'; level: Urgency; previous_call_id: number; days: number }

export interface UrgencyResult {
  level: Urgency
  /** every signal found, most urgent first; the first decided the level */
  evidence: UrgencySignal[]
}

export interface RepeatContact {
  previousCallId: number
  days: number
}

const RANK: Record<Urgency, number> = { P0: 0, P1: 1, P2: 2, P3: 3 }
const LEVEL: Urgency[] = ['P0', 'P1', 'P2', 'P3']
const NEGATORS = new Set(['not', 'no', 'never', "isn't", "wasn't", "aren't", "don't", "doesn't", 'nothing'])
const NEGATORS_ZH = ['不是', '并不', '不', '没', '别']

/** A negator in the two tokens before the match: "not urgent", "不紧急". */
function negated(text: CallText, utterance: number, startMs: number): boolean {
  const tokens = text.tokens(utterance)
  const at = tokens.findIndex((t) => t.startMs >= startMs)
  if (at <= 0) return false
  const before = tokens.slice(Math.max(0, at - 2), at).map((t) => t.text)
  return before.some((w) => NEGATORS.has(w)) || NEGATORS_ZH.some((n) => before.join('').endsWith(n))
}

/** The urgency of the deepest node on `path` that sets one. */
export function categoryUrgency(taxonomy: TaxonomyDefinition, path: readonly string[]): Urgency | undefined {
  const trail = nodeAt(taxonomy, path) ?? []
  for (let i = trail.length - 1; i >= 0; i--) {
    const u = trail[i]?.urgency
    if (u) return u
  }
  return undefined
}

export function assessUrgency(
  taxonomy: TaxonomyDefinition,
  call: TopicCall,
  categories: readonly Category[],
  repeat: RepeatContact | null,
): UrgencyResult {
  const text = new CallText(call)
  const signals: UrgencySignal[] = []
  for (const level of ['P0', 'P1', 'P2'] as const) {
    const phrases = taxonomy.urgency?.[level]
    if (!phrases) continue
    for (const said of text.find(phrases, { speaker: 'customer', strictness: 0.85 })) {
      if (negated(text, said.utterance, said.startMs)) continue
      signals.push({ signal: 'phrase', level, ...saidEvidence(said) })
    }
  }
  const routine = taxonomy.urgency?.P3
    ? text.find(taxonomy.urgency.P3, { speaker: 'customer', strictness: 0.85 })
    : []
  const main = categories[0]
  const fromCategory = main ? categoryUrgency(taxonomy, main.path) : undefined
  const customer = call.utterances.filter(
    (u) => u.speaker === 'customer' && u.sentiment !== null && u.sentiment !== undefined,
  )
  const negative = customer.filter((u) => (u.sentiment as number) <= -0.5)
  if (negative.length > 0) {
    const strong = negative.filter((u) => (u.sentiment as number) <= -0.6)
    const agitated = strong.some((u) => (u.arousal ?? 0) >= 0.5)
    signals.push({
      signal: 'sentiment',
      level: strong.length >= 3 || agitated ? 'P1' : 'P2',
      turns: negative.slice(0, 5).map((u) => ({
        start_ms: u.startMs,
        sentiment: u.sentiment as number,
        arousal: u.arousal ?? null,
      })),
    })
  }
  // A routine question overrules the category only when nothing else speaks for urgency.
  const quiet = signals.length === 0 && routine[0] !== undefined
  if (quiet) signals.push({ signal: 'phrase', level: 'P3', ...saidEvidence(routine[0] as Said) })
  if (main && fromCategory)
    signals.push(
      quiet
        ? { signal: 'category', level: 'P3', path: main.path, overruled_by_routine_question: true }
        : { signal: 'category', level: fromCategory, path: main.path },
    )
  signals.sort((a, b) => RANK[a.level] - RANK[b.level])
  let level: Urgency = signals[0]?.level ?? 'P3'
  if (repeat) {
    const raised = LEVEL[Math.max(1, RANK[level] - 1)] as Urgency
    signals.push({
      signal: 'repeat_contact',
      level: raised,
      previous_call_id: repeat.previousCallId,
      days: repeat.days,
    })
    if (RANK[raised] < RANK[level]) level = raised
    signals.sort((a, b) => RANK[a.level] - RANK[b.level])
  }
  return { level, evidence: signals.slice(0, 12) }
}
