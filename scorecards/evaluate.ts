/**
 * One scorecard on one call: every item answered pass / fail / na (does not apply) / pending
 * (a reviewer must answer), with the evidence behind each automatic answer, and the score.
 * Pure: the same facts and card give the same evaluation, whether in the pipeline, in
 * `callqa rescore` or in `callqa scorecard test`.
 */
import { findPhrase, type PhraseMatch, type Token, tokensWithTimes } from './match.js'
import type {
  Comparison,
  Condition,
  Item,
  MetricName,
  PhraseItem,
  ScorecardDefinition,
  Speaker,
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
  utterances: ReadonlyArray<{
    speaker: string
    startMs: number
    endMs: number
    text: string
    words?: ReadonlyArray<{ word: string; startMs: number; endMs: number }> | null
  }>
}

export type Evidence =
  | ({ type: 'phrase'; speaker: string } & Omit<PhraseMatch, 'startMs' | 'endMs'> & {
        start_ms: number
        end_ms: number
      })
  | { type: 'metric'; metric: string; value: number; op: Comparison; threshold: number }
  | { type: 'interval'; start_ms: number; end_ms: number; what: string }
  | { type: 'sentiment'; start: number | null; end: number | null; floor?: number }
  | { type: 'note'; text: string }

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

function inWindow(window: Window | undefined, startMs: number, endMs: number, durationMs: number): boolean {
  if (!window) return true
  if (window.first_s !== undefined) return startMs < window.first_s * 1000
  if (window.last_s !== undefined) return endMs > durationMs - window.last_s * 1000
  if (window.first_pct !== undefined) return startMs < (durationMs * window.first_pct) / 100
  if (window.last_pct !== undefined) return endMs > durationMs - (durationMs * window.last_pct) / 100
  return true
}

interface SpokenMatch extends PhraseMatch {
  speaker: string
}

/** Every utterance by `speaker` in the window where one of `phrases` occurs (best phrase per utterance). */
function occurrences(
  phrases: readonly string[],
  speaker: Speaker | undefined,
  window: Window | undefined,
  strictness: number,
  facts: CallFacts,
  tokenCache: Map<number, Token[]>,
): SpokenMatch[] {
  const out: SpokenMatch[] = []
  facts.utterances.forEach((u, index) => {
    if (speaker && speaker !== 'any' && u.speaker !== speaker) return
    let tokens = tokenCache.get(index)
    if (!tokens) {
      tokens = tokensWithTimes(u)
      tokenCache.set(index, tokens)
    }
    let best: PhraseMatch | undefined
    for (const phrase of phrases) {
      const m = findPhrase(phrase, tokens, strictness)
      if (
        m &&
        inWindow(window, m.startMs, m.endMs, facts.durationMs) &&
        (!best || m.similarity > best.similarity)
      )
        best = m
    }
    if (best) out.push({ ...best, speaker: u.speaker })
  })
  return out
}

const toEvidence = (m: SpokenMatch): Evidence => ({
  type: 'phrase',
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
  tokenCache: Map<number, Token[]>,
): { result: ItemOutcome; occurrences: number; evidence: Evidence[] } {
  const textItem = item.kind === 'phrase' || item.kind === 'absent' || item.kind === 'sentiment'
  if (textItem && facts.hasTranscript && facts.transcriptTrusted === false) return untrustedText(facts)
  switch (item.kind) {
    case 'manual':
      return { result: 'pending', occurrences: 0, evidence: [] }
    case 'phrase': {
      if (!facts.hasTranscript)
        return { result: 'na', occurrences: 0, evidence: [{ type: 'note', text: 'no transcript' }] }
      const strictness = item.strictness ?? 0.8
      const found = phraseGroups(item).map((group) =>
        occurrences(group, item.speaker, item.window, strictness, facts, tokenCache),
      )
      const said = found.every((g) => g.length > 0)
      const evidence = found.flatMap((g) => g.slice(0, 1)).map(toEvidence)
      const passes = item.negate ? !said : said
      return { result: passes ? 'pass' : 'fail', occurrences: passes ? 0 : 1, evidence: said ? evidence : [] }
    }
    case 'absent': {
      if (!facts.hasTranscript)
        return { result: 'na', occurrences: 0, evidence: [{ type: 'note', text: 'no transcript' }] }
      const found = occurrences(
        item.phrases,
        item.speaker,
        item.window,
        item.strictness ?? 0.8,
        facts,
        tokenCache,
      )
      return {
        result: found.length ? 'fail' : 'pass',
        occurrences: found.length,
        evidence: found.map(toEvidence),
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
        { type: 'metric', metric: item.metric, value, op: item.op, threshold: item.value },
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
      const passes =
        item.check === 'floor'
          ? end >= (item.floor ?? 0)
          : start === null || end >= start - (item.tolerance ?? 0)
      return {
        result: passes ? 'pass' : 'fail',
        occurrences: passes ? 0 : 1,
        evidence: [
          { type: 'sentiment', start, end, ...(item.floor !== undefined ? { floor: item.floor } : {}) },
        ],
      }
    }
  }
}

export function evaluate(card: ScorecardDefinition, facts: CallFacts): EvaluationResult {
  const results = new Map<string, ItemResult>()
  const tokenCache = new Map<number, Token[]>()
  const items: ItemResult[] = []
  for (const section of card.sections) {
    for (const item of section.items) {
      const applies =
        (!item.only_if || holds(item.only_if, facts, results)) &&
        !(item.na_when && holds(item.na_when, facts, results))
      const judged = applies
        ? judge(item, facts, tokenCache)
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
