/**
 * What a scorecard is: sections of items, each an automatic check (phrase, absent, metric,
 * sentiment) or a reviewer's question (manual), scored by weight or by deduction. Authors write
 * YAML or JSON; `loadScorecard` validates it against SCORECARD_SCHEMA and reports every problem
 * with its line and column.
 */

import type { SpeakerFilter, Window } from '../text/match.js'

export type { SpeakerFilter, Window }

interface ItemBase {
  key: string
  label: string
  description?: string
  /** Weighted mode: share of the score (weights are normalised to 100). */
  weight?: number
  /** Deduction mode: points taken from the base when the item fails (per occurrence if `per_occurrence`). */
  deduction?: number
  per_occurrence?: boolean
  /** Heavy item: a failure is flagged on the evaluation (and counts triple in weighted mode). */
  critical?: boolean
  /** Auto-fail: a failure fails the whole evaluation, whatever the score. */
  fatal?: boolean
  /** The item does not apply (leaves the denominator) when this holds. */
  na_when?: Condition
  /** The item applies only when this holds (else N/A). */
  only_if?: Condition
}

/** Conditions on the call or on another item's result. */
export interface Condition {
  direction?: 'inbound' | 'outbound'
  language?: string
  /** another item of the same card passed / failed */
  item?: string
  result?: 'pass' | 'fail'
  /** the call has no transcript */
  no_transcript?: boolean
  /** a metric compared to a value, e.g. { metric: duration_ms, op: '<', value: 30000 } */
  metric?: MetricName
  op?: Comparison
  value?: number
}

export interface PhraseItem extends ItemBase {
  kind: 'phrase'
  speaker?: SpeakerFilter
  window?: Window
  /** Any one of these (default), or all of them (`match: all`). */
  phrases?: string[]
  match?: 'any' | 'all'
  /** Every group must be satisfied, each by any of its phrases: [[name phrases], [company phrases]]. */
  groups?: string[][]
  /** 0.5–1: share of a phrase's words (characters in Chinese) that must match, in order; default 0.8. */
  strictness?: number
  /** Pass when the phrase is NOT said. */
  negate?: boolean
}

export interface AbsentItem extends ItemBase {
  kind: 'absent'
  speaker?: SpeakerFilter
  window?: Window
  phrases: string[]
  strictness?: number
}

export type Comparison = '<' | '<=' | '>' | '>=' | '==' | '!='

export const METRIC_NAMES = [
  'duration_ms',
  'agent_talk_ms',
  'customer_talk_ms',
  'agent_talk_ratio',
  'talk_percent',
  'non_talk_ms',
  'dead_air_count',
  'dead_air_total_ms',
  'dead_air_longest_ms',
  'hold_count',
  'hold_total_ms',
  'hold_longest_ms',
  'overtalk_count',
  'overtalk_ms',
  'agent_interruptions',
  'customer_interruptions',
  'agent_longest_monologue_ms',
  'customer_longest_monologue_ms',
  'agent_response_latency_mean_ms',
  'agent_response_latency_p90_ms',
  'turns',
  'agitated_segments',
] as const
export type MetricName = (typeof METRIC_NAMES)[number]

export interface MetricItem extends ItemBase {
  kind: 'metric'
  metric: MetricName
  /** Passes when `metric op value` holds. */
  op: Comparison
  value: number
}

export interface SentimentItem extends ItemBase {
  kind: 'sentiment'
  /** end_not_below_start: customer sentiment at the end ≥ at the start (minus `tolerance`);
   * floor: the customer's sentiment at the end is at least `floor`. Either way the item also fails
   * when the customer's last turns are clearly negative (see LAST_TURNS in evaluate.ts). */
  check: 'end_not_below_start' | 'floor'
  floor?: number
  tolerance?: number
}

/**
 * The agent's conduct (topics/conduct.ts): `language` fails once per dismissive, rude, impatient
 * or blaming thing the agent says (read in context: "not my problem" fails, "no problem at all"
 * does not); `sentiment_trend` fails when the agent's own sentiment falls over the call.
 */
export interface ConductItem extends ItemBase {
  kind: 'conduct'
  check?: 'language' | 'sentiment_trend'
}

export interface ManualItem extends ItemBase {
  kind: 'manual'
}

export type Item = PhraseItem | AbsentItem | MetricItem | SentimentItem | ConductItem | ManualItem

export interface Section {
  key: string
  label: string
  items: Item[]
}

export interface ScorecardDefinition {
  key: string
  name: string
  description?: string
  /** weighted: percent of the applicable weights; deduction: base minus deductions, floored at 0. */
  mode: 'weighted' | 'deduction'
  /** Deduction mode: the starting score (default 100). */
  base?: number
  /** Percent needed to pass (default 80). */
  pass_mark?: number
  /** Which calls the card applies to; omitted fields match any call. */
  filter?: {
    direction?: 'inbound' | 'outbound'
    language?: string | string[]
    queue?: string | string[]
    team?: string | string[]
  }
  sections: Section[]
}

/** Schema parts shared with taxonomies (topics/taxonomy.ts). */
export const key = { type: 'string', pattern: '^[a-z0-9][a-z0-9_-]*$', maxLength: 64 } as const
const stringOrList = {
  anyOf: [
    { type: 'string', minLength: 1 },
    { type: 'array', items: { type: 'string', minLength: 1 }, minItems: 1 },
  ],
} as const
export const windowSchema = {
  type: 'object',
  additionalProperties: false,
  minProperties: 1,
  maxProperties: 1,
  properties: {
    first_s: { type: 'number', exclusiveMinimum: 0 },
    last_s: { type: 'number', exclusiveMinimum: 0 },
    first_pct: { type: 'number', exclusiveMinimum: 0, maximum: 100 },
    last_pct: { type: 'number', exclusiveMinimum: 0, maximum: 100 },
  },
} as const
const comparison = { enum: ['<', '<=', '>', '>=', '==', '!='] } as const
const condition = {
  type: 'object',
  additionalProperties: false,
  minProperties: 1,
  properties: {
    direction: { enum: ['inbound', 'outbound'] },
    language: { type: 'string' },
    item: key,
    result: { enum: ['pass', 'fail'] },
    no_transcript: { type: 'boolean' },
    metric: { enum: METRIC_NAMES },
    op: comparison,
    value: { type: 'number' },
  },
  dependentRequired: { item: ['result'], result: ['item'], metric: ['op', 'value'], op: ['metric'] },
} as const
export const phrases = {
  type: 'array',
  minItems: 1,
  items: { type: 'string', minLength: 1, maxLength: 200 },
} as const
const base = {
  key,
  label: { type: 'string', minLength: 1 },
  description: { type: 'string' },
  weight: { type: 'number', minimum: 0 },
  deduction: { type: 'number', minimum: 0 },
  per_occurrence: { type: 'boolean' },
  critical: { type: 'boolean' },
  fatal: { type: 'boolean' },
  na_when: condition,
  only_if: condition,
} as const
export const strictness = { type: 'number', minimum: 0.5, maximum: 1 } as const
export const speaker = { enum: ['agent', 'customer', 'any'] } as const

const itemSchema = {
  type: 'object',
  required: ['key', 'label', 'kind'],
  properties: { kind: { enum: ['phrase', 'absent', 'metric', 'sentiment', 'conduct', 'manual'] } },
  allOf: [
    {
      if: { properties: { kind: { const: 'phrase' } } },
      then: {
        additionalProperties: false,
        properties: {
          ...base,
          kind: {},
          speaker,
          window: windowSchema,
          phrases,
          match: { enum: ['any', 'all'] },
          groups: { type: 'array', minItems: 1, items: phrases },
          strictness,
          negate: { type: 'boolean' },
        },
        oneOf: [{ required: ['phrases'] }, { required: ['groups'] }],
      },
    },
    {
      if: { properties: { kind: { const: 'absent' } } },
      then: {
        additionalProperties: false,
        required: ['phrases'],
        properties: { ...base, kind: {}, speaker, window: windowSchema, phrases, strictness },
      },
    },
    {
      if: { properties: { kind: { const: 'metric' } } },
      then: {
        additionalProperties: false,
        required: ['metric', 'op', 'value'],
        properties: {
          ...base,
          kind: {},
          metric: { enum: METRIC_NAMES },
          op: comparison,
          value: { type: 'number' },
        },
      },
    },
    {
      if: { properties: { kind: { const: 'sentiment' } } },
      then: {
        additionalProperties: false,
        required: ['check'],
        properties: {
          ...base,
          kind: {},
          check: { enum: ['end_not_below_start', 'floor'] },
          floor: { type: 'number', minimum: -1, maximum: 1 },
          tolerance: { type: 'number', minimum: 0, maximum: 2 },
        },
        if: { properties: { check: { const: 'floor' } } },
        then: { required: ['floor'] },
      },
    },
    {
      if: { properties: { kind: { const: 'conduct' } } },
      then: {
        additionalProperties: false,
        properties: { ...base, kind: {}, check: { enum: ['language', 'sentiment_trend'] } },
      },
    },
    {
      if: { properties: { kind: { const: 'manual' } } },
      then: { additionalProperties: false, properties: { ...base, kind: {} } },
    },
  ],
} as const

export const SCORECARD_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  required: ['key', 'name', 'mode', 'sections'],
  properties: {
    key,
    name: { type: 'string', minLength: 1 },
    description: { type: 'string' },
    mode: { enum: ['weighted', 'deduction'] },
    base: { type: 'number', exclusiveMinimum: 0 },
    pass_mark: { type: 'number', minimum: 0, maximum: 100 },
    filter: {
      type: 'object',
      additionalProperties: false,
      properties: {
        direction: { enum: ['inbound', 'outbound'] },
        language: stringOrList,
        queue: stringOrList,
        team: stringOrList,
      },
    },
    sections: {
      type: 'array',
      minItems: 1,
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['key', 'label', 'items'],
        properties: {
          key,
          label: { type: 'string', minLength: 1 },
          items: { type: 'array', minItems: 1, items: itemSchema },
        },
      },
    },
  },
} as const
