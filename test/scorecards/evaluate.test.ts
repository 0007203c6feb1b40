/** The evaluator on hand-made calls: windows, fuzzy matching, groups, negation, N/A, fatal, deductions, Chinese. */
import { describe, expect, test } from 'vitest'
import { type CallFacts, evaluate } from '../../scorecards/evaluate.js'
import type { Item, ScorecardDefinition } from '../../scorecards/schema.js'
import { findPhrase, normalise, tokensWithTimes } from '../../text/match.js'

function facts(over: Partial<CallFacts> = {}): CallFacts {
  return {
    durationMs: 60_000,
    direction: 'inbound',
    language: 'en',
    queue: null,
    team: null,
    hasTranscript: true,
    metrics: { dead_air_longest_ms: 3000, agent_interruptions: 0 },
    customerSentimentStart: -0.2,
    customerSentimentEnd: 0.3,
    segments: [],
    utterances: [],
    ...over,
  }
}
const say = (speaker: string, startMs: number, text: string, endMs = startMs + 3000) => ({
  speaker,
  startMs,
  endMs,
  text,
})

function card(items: Item[], over: Partial<ScorecardDefinition> = {}): ScorecardDefinition {
  return { key: 'c', name: 'C', mode: 'weighted', sections: [{ key: 's', label: 'S', items }], ...over }
}
const result = (c: ScorecardDefinition, f: CallFacts, key: string) =>
  evaluate(c, f).items.find((i) => i.key === key)

describe('phrase matching', () => {
  test('normalises case, width and punctuation; Chinese is cut into characters', () => {
    expect(normalise('Thank-you, for CALLING!')).toEqual(['thank', 'you', 'for', 'calling'])
    expect(normalise('您好，感谢致电ＡＣＭＥ')).toEqual(['您', '好', '感', '谢', '致', '电', 'acme'])
  })

  test('tolerates ASR noise and extra words; not a different phrase', () => {
    const tokens = tokensWithTimes(say('agent', 0, 'thank you so much for callin acme'))
    expect(findPhrase('thank you for calling', tokens)?.similarity).toBe(1)
    // Three of four words is 0.75: below the default strictness 0.8, enough at 0.7.
    const partial = tokensWithTimes(say('agent', 0, 'thank you for the call'))
    expect(findPhrase('thank you for calling', partial)).toBeUndefined()
    expect(findPhrase('thank you for calling', partial, 0.7)?.similarity).toBe(0.75)
    expect(
      findPhrase('thank you for calling', tokensWithTimes(say('agent', 0, 'you calling for thanks'))),
    ).toBeUndefined()
    // Short words must be exact: "your" is not "you".
    expect(
      findPhrase('confirm your', tokensWithTimes(say('agent', 0, 'can you confirm you'))),
    ).toBeUndefined()
  })

  test('evidence times come from word times when the transcript has them', () => {
    const u = {
      ...say('agent', 1000, 'so my name is Sam'),
      words: [
        { word: 'so', startMs: 1000, endMs: 1200 },
        { word: 'my', startMs: 1300, endMs: 1400 },
        { word: 'name', startMs: 1450, endMs: 1700 },
        { word: 'is', startMs: 1750, endMs: 1800 },
        { word: 'Sam', startMs: 1900, endMs: 2300 },
      ],
    }
    expect(findPhrase('my name is', tokensWithTimes(u))).toEqual({
      phrase: 'my name is',
      similarity: 1,
      text: 'my name is',
      startMs: 1300,
      endMs: 1800,
    })
  })
})

describe('item kinds', () => {
  const greet: Item = {
    key: 'greet',
    label: 'Greets in 15 s',
    kind: 'phrase',
    speaker: 'agent',
    window: { first_s: 15 },
    phrases: ['thank you for calling'],
  }

  test('window edges: a phrase starting just inside the first 15 s passes, just after fails', () => {
    const at = (ms: number) => facts({ utterances: [say('agent', ms, 'thank you for calling')] })
    expect(result(card([greet]), at(14_900), 'greet')?.result).toBe('pass')
    expect(result(card([greet]), at(15_100), 'greet')?.result).toBe('fail')
    // last_s: must end inside the last N seconds; pct windows likewise.
    const closing: Item = {
      key: 'bye',
      label: 'Bye',
      kind: 'phrase',
      window: { last_s: 10 },
      phrases: ['goodbye'],
    }
    const byeAt = (ms: number) => facts({ utterances: [say('agent', ms, 'goodbye', ms + 1000)] })
    expect(result(card([closing]), byeAt(49_500), 'bye')?.result).toBe('pass')
    expect(result(card([closing]), byeAt(48_500), 'bye')?.result).toBe('fail')
    const pct: Item = { key: 'p', label: 'P', kind: 'phrase', window: { first_pct: 10 }, phrases: ['hello'] }
    expect(result(card([pct]), facts({ utterances: [say('agent', 5_900, 'hello')] }), 'p')?.result).toBe(
      'pass',
    )
    expect(result(card([pct]), facts({ utterances: [say('agent', 6_100, 'hello')] }), 'p')?.result).toBe(
      'fail',
    )
  })

  test('speaker: the customer saying it does not count for the agent', () => {
    const f = facts({ utterances: [say('customer', 1000, 'thank you for calling')] })
    expect(result(card([greet]), f, 'greet')?.result).toBe('fail')
    expect(result(card([{ ...greet, speaker: 'any' }]), f, 'greet')?.result).toBe('pass')
  })

  test('groups need every group; match: all needs every phrase; negate inverts', () => {
    const f = facts({
      utterances: [say('agent', 1000, 'hello, this is Ray calling from Acme about your renewal')],
    })
    const groups: Item = {
      key: 'g',
      label: 'G',
      kind: 'phrase',
      groups: [['this is', 'my name is'], ['calling from'], ['about your']],
    }
    expect(result(card([groups]), f, 'g')?.result).toBe('pass')
    expect(result(card([groups]), f, 'g')?.evidence).toHaveLength(3)
    expect(result(card([{ ...groups, groups: [['this is'], ['on a recorded line']] }]), f, 'g')?.result).toBe(
      'fail',
    )
    const all: Item = { key: 'a', label: 'A', kind: 'phrase', match: 'all', phrases: ['this is', 'renewal'] }
    expect(result(card([all]), f, 'a')?.result).toBe('pass')
    expect(result(card([{ ...all, phrases: ['this is', 'cancel'] }]), f, 'a')?.result).toBe('fail')
    const neg: Item = { key: 'n', label: 'N', kind: 'phrase', negate: true, phrases: ['calling from'] }
    expect(result(card([neg]), f, 'n')?.result).toBe('fail')
  })

  test('absent counts occurrences; per-occurrence deductions floor at zero', () => {
    const f = facts({
      utterances: [
        say('agent', 1000, 'I promise it will be there'),
        say('agent', 5000, 'I guarantee it, I promise'),
        say('customer', 9000, 'you promise?'),
      ],
    })
    const promises: Item = {
      key: 'promise',
      label: 'No promises',
      kind: 'absent',
      speaker: 'agent',
      phrases: ['I promise', 'I guarantee'],
      deduction: 30,
      per_occurrence: true,
    }
    const deduction = card([promises], { mode: 'deduction', base: 100 })
    const r = evaluate(deduction, f)
    expect(r.items[0]).toMatchObject({ result: 'fail', occurrences: 2, points: 60 })
    expect(r.score).toBe(40)
    const harsh = card([{ ...promises, deduction: 70 }], { mode: 'deduction', base: 100 })
    expect(evaluate(harsh, f).score).toBe(0)
  })

  test('N/A leaves the denominator; critical weighs triple; fatal fails the evaluation', () => {
    const items: Item[] = [
      { ...greet, weight: 10 },
      {
        key: 'hold',
        label: 'Hold',
        kind: 'phrase',
        phrases: ['thanks for waiting'],
        weight: 10,
        na_when: { metric: 'dead_air_longest_ms', op: '<', value: 10_000 },
      },
      {
        key: 'verify',
        label: 'Verify',
        kind: 'phrase',
        phrases: ['date of birth'],
        weight: 10,
        critical: true,
      },
    ]
    const f = facts({ utterances: [say('agent', 1000, 'thank you for calling')] })
    const r = evaluate(card(items), f)
    expect(r.items.map((i) => i.result)).toEqual(['pass', 'na', 'fail'])
    // 10 earned of 10 + 30 applicable (the hold item is not counted at all).
    expect(r.percent).toBe(25)
    expect(r.criticalFailed).toEqual(['verify'])
    const fatal = evaluate(
      card([{ ...items[0], weight: 10 } as Item, { ...(items[2] as Item), fatal: true }]),
      f,
    )
    expect(fatal).toMatchObject({ fatalFailed: true, score: 0, passed: false })
  })

  test('conditional items follow an earlier answer; manual items wait for a reviewer', () => {
    const items: Item[] = [
      { key: 'verified', label: 'V', kind: 'phrase', phrases: ['date of birth'], deduction: 0 },
      {
        key: 'leak',
        label: 'No data before verification',
        kind: 'absent',
        phrases: ['your balance is'],
        only_if: { item: 'verified', result: 'fail' },
        deduction: 5,
      },
      { key: 'hangup', label: 'Customer ends the call', kind: 'manual', deduction: 1 },
    ]
    const leaked = facts({ utterances: [say('agent', 1000, 'your balance is forty pounds')] })
    const r = evaluate(card(items, { mode: 'deduction' }), leaked)
    expect(r.items.map((i) => i.result)).toEqual(['fail', 'fail', 'pending'])
    expect(r).toMatchObject({ score: 95, pending: 1 })
    const verifiedFirst = facts({
      utterances: [
        say('agent', 1000, 'can you confirm your date of birth'),
        say('agent', 5000, 'your balance is forty pounds'),
      ],
    })
    expect(evaluate(card(items, { mode: 'deduction' }), verifiedFirst).items[1]?.result).toBe('na')
  })

  test('metric items carry the value and, for dead air, the silences behind it', () => {
    const item: Item = {
      key: 'dead',
      label: 'Dead air',
      kind: 'metric',
      metric: 'dead_air_longest_ms',
      op: '<=',
      value: 10_000,
    }
    const f = facts({
      metrics: { dead_air_longest_ms: 16_000 },
      segments: [
        { speaker: 'agent', startMs: 0, endMs: 5000 },
        { speaker: 'customer', startMs: 21_000, endMs: 24_000 },
      ],
    })
    expect(result(card([item]), f, 'dead')).toMatchObject({
      result: 'fail',
      evidence: [
        { type: 'metric', metric: 'dead_air_longest_ms', value: 16_000, op: '<=', threshold: 10_000 },
        { type: 'interval', start_ms: 5000, end_ms: 21_000, what: 'silence' },
      ],
    })
    // A metric the call does not have (talk ratio on a mono call) is N/A.
    const ratio: Item = {
      key: 'r',
      label: 'R',
      kind: 'metric',
      metric: 'agent_talk_ratio',
      op: '<',
      value: 0.8,
    }
    expect(result(card([ratio]), facts({ metrics: { agent_talk_ratio: null } }), 'r')?.result).toBe('na')
  })

  test('sentiment: end not below start, or a floor; N/A without a transcript', () => {
    const trend: Item = {
      key: 't',
      label: 'T',
      kind: 'sentiment',
      check: 'end_not_below_start',
      tolerance: 0.1,
    }
    expect(result(card([trend]), facts(), 't')?.result).toBe('pass')
    expect(
      result(card([trend]), facts({ customerSentimentStart: 0.3, customerSentimentEnd: 0.25 }), 't')?.result,
    ).toBe('pass')
    expect(
      result(card([trend]), facts({ customerSentimentStart: 0.3, customerSentimentEnd: 0.1 }), 't')?.result,
    ).toBe('fail')
    const floor: Item = { key: 'f', label: 'F', kind: 'sentiment', check: 'floor', floor: 0.5 }
    expect(result(card([floor]), facts(), 'f')?.result).toBe('fail')
    expect(result(card([floor]), facts({ hasTranscript: false }), 'f')?.result).toBe('na')
  })

  test('Chinese phrases match on characters, without spaces, inside longer sentences', () => {
    const item: Item = {
      key: 'zh',
      label: '问候',
      kind: 'phrase',
      speaker: 'agent',
      window: { first_s: 15 },
      phrases: ['感谢致电'],
    }
    const f = facts({
      language: 'zh',
      utterances: [say('agent', 600, '您好，感谢致电极客商城，我是客服小王')],
    })
    expect(result(card([item]), f, 'zh')).toMatchObject({ result: 'pass', evidence: [{ text: '感谢致电' }] })
    const other = facts({ utterances: [say('agent', 600, '您好，欢迎光临')] })
    expect(result(card([item]), other, 'zh')?.result).toBe('fail')
  })
})

test('overtalk metrics carry the overlapping stretches', () => {
  const item: Item = { key: 'o', label: 'O', kind: 'metric', metric: 'overtalk_ms', op: '<=', value: 500 }
  const f = facts({
    metrics: { overtalk_ms: 1500 },
    segments: [
      { speaker: 'agent', startMs: 0, endMs: 5000 },
      { speaker: 'customer', startMs: 4000, endMs: 8000 },
      { speaker: 'agent', startMs: 7500, endMs: 9000 },
    ],
  })
  expect(result(card([item]), f, 'o')?.evidence).toEqual([
    {
      type: 'metric',
      metric: 'overtalk_ms',
      value: 1500,
      op: '<=',
      threshold: 500,
      rule: 'overtalk_ms <= 500',
    },
    { type: 'interval', start_ms: 4000, end_ms: 5000, what: 'overtalk' },
    { type: 'interval', start_ms: 7500, end_ms: 8000, what: 'overtalk' },
  ])
})

test('a low-confidence recognised transcript: text items wait for a reviewer, the rest is judged', () => {
  const c = card([
    { key: 'greet', label: 'Greets', kind: 'phrase', speaker: 'agent', phrases: ['thank you for calling'] },
    { key: 'swear', label: 'No profanity', kind: 'absent', phrases: ['damn'] },
    { key: 'mood', label: 'Customer ends no worse', kind: 'sentiment', check: 'end_not_below_start' },
    {
      key: 'air',
      label: 'No long dead air',
      kind: 'metric',
      metric: 'dead_air_longest_ms',
      op: '<=',
      value: 10_000,
    },
  ])
  const salad = facts({
    transcriptTrusted: false,
    transcriptConfidence: 0.31,
    utterances: [say('agent', 0, 'thank you for calling much of it damn bomb the scallops')],
  })
  const r = evaluate(c, salad)
  for (const key of ['greet', 'swear', 'mood'])
    expect(r.items.find((i) => i.key === key)).toMatchObject({
      result: 'pending',
      evidence: [
        {
          type: 'note',
          text: expect.stringMatching(/low-confidence speech recognition \(confidence 0\.31\)/),
        },
      ],
    })
  expect(r.items.find((i) => i.key === 'air')?.result).toBe('pass')
  expect(r.pending).toBe(3)
  // Trusted, the same words are judged.
  expect(
    evaluate(c, { ...salad, transcriptTrusted: true }).items.find((i) => i.key === 'swear')?.result,
  ).toBe('fail')
})
