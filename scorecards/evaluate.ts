/**
 * One scorecard on one call: every item answered pass / fail / na (does not apply) / pending
 * (a reviewer must answer), with the evidence behind each automatic answer, and the score.
 * Pure: the same facts and card give the same evaluation, whether in the pipeline, in
 * `callqa rescore` or in `callqa scorecard test`.
 */

import { CallText, type CallUtterance, type Said } from '../text/call-text.js'
import type { PhraseMatch } from '../text/match.js'
import { detectConduct } from '../topics/conduct.js'
import type {
  Comparison,
  Condition,
  Item,
  MetricName,
  PhraseItem,
  ScorecardDefinition,
  Window,
} from './schema.js'

export interface CallFacts {
  durationMs: number
  direction: 'inbound' | 'outbound' | null
  language: string | null
  queue: string | null
  team: string | null
  /** false: no transcript (supplied or recognised); phrase and sentiment items are N/A. */
  hasTranscript: boolean
  /**
   * false: the transcript is local recognition below its confidence threshold. Phrase and
   * sentiment items are then pending for a reviewer, with the reason; default true.
   */
  transcriptTrusted?: boolean
  /** The recogniser's mean word posterior, for that reason. */
  transcriptConfidence?: number | null
  metrics: Partial<Record<MetricName, number | null>>
  customerSentimentStart: number | null
  customerSentimentEnd: number | null
  /** Speech segments, for the evidence of silence-based metrics. */
  segments: ReadonlyArray<{ speaker: string; startMs: number; endMs: number }>
  /** Hold episodes (announced or music): not dead air; the evidence of hold metrics. */
  holds?: ReadonlyArray<{ startMs: number; endMs: number; reason?: string }>
  utterances: ReadonlyArray<CallUtterance>
}

/** Every piece of evidence says, in `rule`, which rule of the item it answers. */
export type Evidence =
  | ({ type: 'phrase'; speaker: string; rule?: string } & Omit<PhraseMatch, 'startMs' | 'endMs'> & {
        start_ms: number
        end_ms: number
      })
  | { type: 'metric'; metric: string; value: number; op: Comparison; threshold: number; rule?: string }
  | { type: 'interval'; start_ms: number; end_ms: number; what: string }
  | {
      type: 'sentiment'
      start: number | null
      end: number | null
      floor?: number
      rule?: string
      /** the customer's last scored turns, when they decided */
      last_turns?: Array<{ start_ms: number; sentiment: number }>
    }
  | {
      type: 'conduct'
      kind: string
      rule: string
      speaker: string
      text: string
      start_ms: number
      end_ms: number
    }
  | { type: 'trend'; speaker: string; first: number; second: number; rule: string }
  | { type: 'note'; text: string; rule?: string }

export type ItemOutcome = 'pass' | 'fail' | 'na' | 'pending'

export interface ItemResult {
  section: string
  key: string
  label: string
  kind: Item['kind']
  result: ItemOutcome
  /** Weighted: weight earned (0 or the item's weight); deduction: points taken (≥ 0). */
  points: number
  /** Weighted: the item's weight; deduction: its deduction per occurrence. */
  maxPoints: number
  occurrences: number
  critical: boolean
  fatal: boolean
  evidence: Evidence[]
}

export interface EvaluationResult {
  scorecard: string
  mode: ScorecardDefinition['mode']
  /** Weighted: earned weight ÷ applicable weight × 100; deduction: base − deductions, ≥ 0. 0 when a fatal item failed. */
  score: number
  maxScore: number
  percent: number
  passed: boolean
  fatalFailed: boolean
  criticalFailed: string[]
  /** Items still waiting for a reviewer (manual). */
  pending: number
  items: ItemResult[]
}

/**
 * The customer-sentiment item also fails when the customer's last scored, non-neutral turns (up
 * to `count`, in the second half of the call) average at or below `mean`: an angry ending is not "no less satisfied" because the
 * call began badly too.
 */
export const LAST_TURNS = { count: 2, mean: -0.25 } as const

/** Critical items weigh this many times their weight in weighted mode. */
export const CRITICAL_FACTOR = 3

const compare = (a: number, op: Comparison, b: number) =>
  op === '<'
    ? a < b
    : op === '<='
      ? a <= b
      : op === '>'
        ? a > b
        : op === '>='
          ? a >= b
          : op === '=='
            ? a === b
            : a !== b

function listOf(value: string | string[] | undefined): string[] | undefined {
  return value === undefined ? undefined : Array.isArray(value) ? value : [value]
}

/** Whether the card's filter admits the call (an omitted field admits any value). */
export function cardApplies(card: ScorecardDefinition, facts: CallFacts): boolean {
  const f = card.filter
  if (!f) return true
  if (f.direction && facts.direction !== f.direction) return false
  const within = (allowed: string[] | undefined, value: string | null) =>
    !allowed || (value !== null && allowed.some((a) => a.toLowerCase() === value.toLowerCase()))
  return (
    within(listOf(f.language), facts.language) &&
    within(listOf(f.queue), facts.queue) &&
    within(listOf(f.team), facts.team)
  )
}

function holds(condition: Condition, facts: CallFacts, results: ReadonlyMap<string, ItemResult>): boolean {
  if (condition.direction && facts.direction !== condition.direction) return false
  if (condition.language && facts.language?.toLowerCase() !== condition.language.toLowerCase()) return false
  if (condition.no_transcript !== undefined && condition.no_transcript !== !facts.hasTranscript) return false
  if (condition.item && results.get(condition.item)?.result !== condition.result) return false
  if (condition.metric && condition.op && condition.value !== undefined) {
    const value = facts.metrics[condition.metric]
    if (value === null || value === undefined || !compare(value, condition.op, condition.value)) return false
  }
  return true
}

const toEvidence = (m: Said, rule: string): Evidence => ({
  type: 'phrase',
  rule,
  speaker: m.speaker,
  phrase: m.phrase,
  similarity: m.similarity,
  text: m.text,
  start_ms: m.startMs,
  end_ms: m.endMs,
})

function phraseGroups(item: PhraseItem): string[][] {
  if (item.groups) return item.groups
  const phrases = item.phrases ?? []
  return item.match === 'all' ? phrases.map((p) => [p]) : [phrases]
}

/**
 * Silent stretches (no one speaking, and not on hold) at least `minMs` long: the evidence behind
 * dead-air metrics.
 */
function silences(facts: CallFacts, minMs: number): Evidence[] {
  const sorted = [...facts.segments].sort((a, b) => a.startMs - b.startMs)
  const holds = [...(facts.holds ?? [])].sort((a, b) => a.startMs - b.startMs)
  const out: Evidence[] = []
  let covered = 0
  for (const s of sorted) {
    if (s.startMs > covered && covered > 0) {
      // The gap minus the holds inside it.
      let from = covered
      for (const h of holds) {
        if (h.endMs <= from || h.startMs >= s.startMs) continue
        if (h.startMs - from >= minMs)
          out.push({ type: 'interval', start_ms: from, end_ms: h.startMs, what: 'silence' })
        from = Math.max(from, h.endMs)
      }
      if (s.startMs - from >= minMs)
        out.push({ type: 'interval', start_ms: from, end_ms: s.startMs, what: 'silence' })
    }
    covered = Math.max(covered, s.endMs)
  }
  return out
}

/** Stretches where agent and customer speak at once: the evidence behind overtalk metrics. */
function overlaps(facts: CallFacts): Evidence[] {
  const agent = facts.segments.filter((s) => s.speaker === 'agent')
  const customer = facts.segments.filter((s) => s.speaker === 'customer')
  const out: Evidence[] = []
  for (const a of agent)
    for (const c of customer) {
      const start = Math.max(a.startMs, c.startMs)
      const end = Math.min(a.endMs, c.endMs)
      if (end > start) out.push({ type: 'interval', start_ms: start, end_ms: end, what: 'overtalk' })
    }
  return out.sort((x, y) => (x as { start_ms: number }).start_ms - (y as { start_ms: number }).start_ms)
}

/** Text-based items on a transcript too poor to judge: a reviewer answers them. */
function untrustedText(facts: CallFacts): { result: ItemOutcome; occurrences: number; evidence: Evidence[] } {
  const confidence = facts.transcriptConfidence
  return {
    result: 'pending',
    occurrences: 0,
    evidence: [
      {
        type: 'note',
        text:
          'low-confidence speech recognition' +
          (confidence !== null && confidence !== undefined ? ` (confidence ${confidence.toFixed(2)})` : '') +
          ': a reviewer answers this item from the audio',
      },
    ],
  }
}

function judge(
  item: Item,
  facts: CallFacts,
  text: CallText,
): { result: ItemOutcome; occurrences: number; evidence: Evidence[] } {
  const textItem =
    item.kind === 'phrase' || item.kind === 'absent' || item.kind === 'sentiment' || item.kind === 'conduct'
  if (textItem && facts.hasTranscript && facts.transcriptTrusted === false) return untrustedText(facts)
  switch (item.kind) {
    case 'manual':
      return { result: 'pending', occurrences: 0, evidence: [] }
    case 'phrase': {
      if (!facts.hasTranscript)
        return { result: 'na', occurrences: 0, evidence: [{ type: 'note', text: 'no transcript' }] }
      const strictness = item.strictness ?? 0.8
      const found = phraseGroups(item).map((group) =>
        text.find(group, { speaker: item.speaker, window: item.window, strictness }),
      )
      const said = found.every((g) => g.length > 0)
      const who = `${item.speaker && item.speaker !== 'any' ? `the ${item.speaker}` : 'anyone'}${windowText(item.window)}`
      const rule = `${item.negate ? 'must not be said' : 'said'} by ${who}`
      const evidence = found.flatMap((g) => g.slice(0, 1)).map((m) => toEvidence(m, `"${m.phrase}" ${rule}`))
      const passes = item.negate ? !said : said
      return {
        result: passes ? 'pass' : 'fail',
        occurrences: passes ? 0 : 1,
        evidence: said
          ? evidence
          : [{ type: 'note', text: `none of the phrases was said by ${who}`, rule: `a phrase ${rule}` }],
      }
    }
    case 'absent': {
      if (!facts.hasTranscript)
        return { result: 'na', occurrences: 0, evidence: [{ type: 'note', text: 'no transcript' }] }
      const found = text.find(item.phrases, {
        speaker: item.speaker,
        window: item.window,
        strictness: item.strictness ?? 0.8,
      })
      return {
        result: found.length ? 'fail' : 'pass',
        occurrences: found.length,
        evidence: found.map((m) => toEvidence(m, `forbidden phrase "${m.phrase}" said by the ${m.speaker}`)),
      }
    }
    case 'metric': {
      const value = facts.metrics[item.metric]
      if (value === null || value === undefined)
        return {
          result: 'na',
          occurrences: 0,
          evidence: [{ type: 'note', text: `${item.metric} is not available for this call` }],
        }
      const passes = compare(value, item.op, item.value)
      const evidence: Evidence[] = [
        {
          type: 'metric',
          metric: item.metric,
          value,
          op: item.op,
          threshold: item.value,
          rule: `${item.metric} ${item.op} ${item.value}`,
        },
      ]
      if (!passes && item.metric.startsWith('dead_air')) {
        const threshold = item.metric === 'dead_air_longest_ms' ? item.value : 5000
        evidence.push(...silences(facts, Math.max(1, threshold)))
      }
      if (!passes && item.metric.startsWith('overtalk')) evidence.push(...overlaps(facts))
      if (item.metric.startsWith('hold'))
        for (const h of facts.holds ?? [])
          evidence.push({
            type: 'interval',
            start_ms: h.startMs,
            end_ms: h.endMs,
            what: `hold (${h.reason ?? 'hold'})`,
          })
      // Count metrics fail once per counted event (per_occurrence deductions), others once.
      const counted = /count|interruptions|agitated/.test(item.metric) && Number.isInteger(value) && value > 0
      return { result: passes ? 'pass' : 'fail', occurrences: passes ? 0 : counted ? value : 1, evidence }
    }
    case 'sentiment': {
      const { customerSentimentStart: start, customerSentimentEnd: end } = facts
      if (!facts.hasTranscript || end === null)
        return { result: 'na', occurrences: 0, evidence: [{ type: 'note', text: 'no customer sentiment' }] }
      const tolerance = item.tolerance ?? 0
      const overall =
        item.check === 'floor' ? end >= (item.floor ?? 0) : start === null || end >= start - tolerance
      const last = lastTurns(facts)
      const lastMean = last.length ? last.reduce((sum, t) => sum + t.sentiment, 0) / last.length : null
      const angryEnding = lastMean !== null && lastMean <= LAST_TURNS.mean
      const passes = overall && !angryEnding
      const rule = !overall
        ? item.check === 'floor'
          ? `customer sentiment at the end ${end} is below the floor ${item.floor}`
          : `customer sentiment at the end ${end} is below the start ${start} − ${tolerance}`
        : angryEnding
          ? `the customer's last turns are clearly negative (mean ${(lastMean as number).toFixed(2)} ≤ ${LAST_TURNS.mean})`
          : item.check === 'floor'
            ? `customer sentiment at the end ${end} ≥ ${item.floor}`
            : `customer sentiment at the end ${end} ≥ the start ${start ?? '(none)'} − ${tolerance}, last turns not clearly negative`
      return {
        result: passes ? 'pass' : 'fail',
        occurrences: passes ? 0 : 1,
        evidence: [
          {
            type: 'sentiment',
            start,
            end,
            rule,
            ...(item.floor !== undefined ? { floor: item.floor } : {}),
            ...(angryEnding ? { last_turns: last } : {}),
          },
        ],
      }
    }
    case 'conduct': {
      if (!facts.hasTranscript)
        return { result: 'na', occurrences: 0, evidence: [{ type: 'note', text: 'no transcript' }] }
      const found = detectConduct(facts)
      if (item.check === 'sentiment_trend') {
        const trend = found.agent_trend
        if (!trend)
          return {
            result: 'na',
            occurrences: 0,
            evidence: [{ type: 'note', text: 'fewer than four scored agent turns' }],
          }
        return {
          result: trend.falling ? 'fail' : 'pass',
          occurrences: trend.falling ? 1 : 0,
          evidence: [
            {
              type: 'trend',
              speaker: 'agent',
              first: trend.first,
              second: trend.second,
              rule: "fails when the agent's sentiment over the second half of their turns is 0.3 or more below the first half and below −0.1",
            },
          ],
        }
      }
      return {
        result: found.flags.length ? 'fail' : 'pass',
        occurrences: found.flags.length,
        evidence: found.flags.map((f) => ({
          type: 'conduct',
          kind: f.kind,
          rule: `${f.kind}: "${f.rule}"`,
          speaker: f.speaker,
          text: f.text,
          start_ms: f.start_ms,
          end_ms: f.end_ms,
        })),
      }
    }
  }
}

/** The customer's last scored turns in the second half of the call that are not neutral, up to LAST_TURNS.count. */
function lastTurns(facts: CallFacts): Array<{ start_ms: number; sentiment: number }> {
  return facts.utterances
    .filter(
      (u) =>
        u.speaker === 'customer' &&
        u.startMs >= facts.durationMs / 2 &&
        u.sentiment !== null &&
        u.sentiment !== undefined &&
        Math.abs(u.sentiment) >= 0.05,
    )
    .slice(-LAST_TURNS.count)
    .map((u) => ({ start_ms: u.startMs, sentiment: u.sentiment as number }))
}

function windowText(window: Window | undefined): string {
  if (!window) return ''
  if (window.first_s !== undefined) return ` in the first ${window.first_s} s`
  if (window.last_s !== undefined) return ` in the last ${window.last_s} s`
  if (window.first_pct !== undefined) return ` in the first ${window.first_pct}% of the call`
  if (window.last_pct !== undefined) return ` in the last ${window.last_pct}% of the call`
  return ''
}

export function evaluate(card: ScorecardDefinition, facts: CallFacts): EvaluationResult {
  const results = new Map<string, ItemResult>()
  const text = new CallText(facts)
  const items: ItemResult[] = []
  for (const section of card.sections) {
    for (const item of section.items) {
      const applies =
        (!item.only_if || holds(item.only_if, facts, results)) &&
        !(item.na_when && holds(item.na_when, facts, results))
      const judged = applies
        ? judge(item, facts, text)
        : { result: 'na' as const, occurrences: 0, evidence: [] }
      const weighted = card.mode === 'weighted'
      const maxPoints = weighted
        ? (item.weight ?? 1) * (item.critical ? CRITICAL_FACTOR : 1)
        : (item.deduction ?? 0)
      const points = weighted
        ? judged.result === 'pass'
          ? maxPoints
          : 0
        : judged.result === 'fail'
          ? maxPoints * (item.per_occurrence ? Math.max(1, judged.occurrences) : 1)
          : 0
      const result: ItemResult = {
        section: section.key,
        key: item.key,
        label: item.label,
        kind: item.kind,
        result: judged.result,
        points,
        maxPoints,
        occurrences: judged.occurrences,
        critical: item.critical ?? false,
        fatal: item.fatal ?? false,
        evidence: judged.evidence,
      }
      results.set(item.key, result)
      items.push(result)
    }
  }
  return score(card, items)
}

/**
 * Points from each item's (possibly overridden) result, then the score: what a review saves after
 * a reviewer changes answers. Occurrences stay as the machine counted them.
 */
export function rescoreItems(card: ScorecardDefinition, items: ItemResult[]): EvaluationResult {
  const byKey = new Map(card.sections.flatMap((s) => s.items.map((i) => [i.key, i] as const)))
  const weighted = card.mode === 'weighted'
  const rescored = items.map((item) => {
    const def = byKey.get(item.key)
    const points = weighted
      ? item.result === 'pass'
        ? item.maxPoints
        : 0
      : item.result === 'fail'
        ? item.maxPoints * (def?.per_occurrence ? Math.max(1, item.occurrences) : 1)
        : 0
    return { ...item, points }
  })
  return score(card, rescored)
}

/** The score from item results (also used after a reviewer overrides items). */
export function score(card: ScorecardDefinition, items: ItemResult[]): EvaluationResult {
  const fatalFailed = items.some((i) => i.fatal && i.result === 'fail')
  const criticalFailed = items.filter((i) => i.critical && i.result === 'fail').map((i) => i.key)
  let raw: number
  let maxScore: number
  if (card.mode === 'weighted') {
    const counted = items.filter((i) => i.result === 'pass' || i.result === 'fail')
    const possible = counted.reduce((s, i) => s + i.maxPoints, 0)
    raw = possible > 0 ? (counted.reduce((s, i) => s + i.points, 0) / possible) * 100 : 100
    maxScore = 100
  } else {
    maxScore = card.base ?? 100
    raw = Math.max(0, maxScore - items.reduce((s, i) => s + i.points, 0))
  }
  const value = fatalFailed ? 0 : Math.round(raw * 100) / 100
  const percent = Math.round((value / maxScore) * 10000) / 100
  return {
    scorecard: card.key,
    mode: card.mode,
    score: value,
    maxScore,
    percent,
    passed: !fatalFailed && percent >= (card.pass_mark ?? 80),
    fatalFailed,
    criticalFailed,
    pending: items.filter((i) => i.result === 'pending').length,
    items,
  }
}
