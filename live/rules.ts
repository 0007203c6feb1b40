/**
 * Live rules: what raises an alert while a call is going on. Built in, each with its settings; a
 * rules file (YAML, `CALLQA_LIVE_RULES`) changes settings, turns rules off and lists forbidden
 * phrases. Errors in the file name the place (`file:line:col`), like scorecards.
 *
 * ```yaml
 * key: support-live
 * rules:
 *   dead-air: { seconds: 10 }                  # both parties silent, outside a pause
 *   customer-agitated: { seconds: 4 }          # customer's raised voice, speech time
 *   sentiment-falling: { lines: 3, below: -0.4 }
 *   overtalk: { seconds: 2.5 }
 *   conduct: {}                                # a dismissive or rude remark by the agent
 *   urgency-p0: {}                             # the taxonomy's P0 words said by the customer
 *   forbidden-phrase: { phrases: [guaranteed refund, 保证退款], speaker: agent }
 * ```
 */
import { readFileSync } from 'node:fs'
import { ConfigError } from '../errors.js'
import { lazyValidator, parseChecked } from '../scorecards/load.js'

export type Severity = 'info' | 'warning' | 'critical'

export interface LiveRules {
  key: string
  deadAir: { enabled: boolean; seconds: number; severity: Severity }
  customerAgitated: { enabled: boolean; seconds: number; severity: Severity }
  sentimentFalling: { enabled: boolean; lines: number; below: number; severity: Severity }
  overtalk: { enabled: boolean; seconds: number; severity: Severity }
  conduct: { enabled: boolean; severity: Severity }
  urgencyP0: { enabled: boolean; severity: Severity }
  forbiddenPhrase: {
    enabled: boolean
    phrases: string[]
    speaker: 'agent' | 'customer' | 'any'
    severity: Severity
  }
}

export const DEFAULT_LIVE_RULES: LiveRules = {
  key: 'builtin',
  deadAir: { enabled: true, seconds: 10, severity: 'warning' },
  customerAgitated: { enabled: true, seconds: 4, severity: 'warning' },
  sentimentFalling: { enabled: true, lines: 3, below: -0.4, severity: 'warning' },
  overtalk: { enabled: true, seconds: 2.5, severity: 'info' },
  conduct: { enabled: true, severity: 'warning' },
  urgencyP0: { enabled: true, severity: 'critical' },
  forbiddenPhrase: { enabled: false, phrases: [], speaker: 'agent', severity: 'critical' },
}

const severity = { enum: ['info', 'warning', 'critical'] }
const onOff = { type: 'boolean' }
const seconds = { type: 'number', exclusiveMinimum: 0, maximum: 3600 }

/** The file's shape, checked with positions (scorecards/load.ts). */
export const LIVE_RULES_SCHEMA = {
  type: 'object',
  required: ['key'],
  additionalProperties: false,
  properties: {
    key: { type: 'string', pattern: '^[a-z0-9][a-z0-9-]{0,62}$' },
    rules: {
      type: 'object',
      additionalProperties: false,
      properties: {
        'dead-air': {
          type: 'object',
          additionalProperties: false,
          properties: { enabled: onOff, seconds, severity },
        },
        'customer-agitated': {
          type: 'object',
          additionalProperties: false,
          properties: { enabled: onOff, seconds, severity },
        },
        'sentiment-falling': {
          type: 'object',
          additionalProperties: false,
          properties: {
            enabled: onOff,
            lines: { type: 'integer', minimum: 2, maximum: 20 },
            below: { type: 'number', minimum: -1, maximum: 1 },
            severity,
          },
        },
        overtalk: {
          type: 'object',
          additionalProperties: false,
          properties: { enabled: onOff, seconds, severity },
        },
        conduct: { type: 'object', additionalProperties: false, properties: { enabled: onOff, severity } },
        'urgency-p0': {
          type: 'object',
          additionalProperties: false,
          properties: { enabled: onOff, severity },
        },
        'forbidden-phrase': {
          type: 'object',
          additionalProperties: false,
          properties: {
            enabled: onOff,
            phrases: {
              type: 'array',
              maxItems: 1000,
              items: { type: 'string', minLength: 1, maxLength: 200 },
            },
            speaker: { enum: ['agent', 'customer', 'any'] },
            severity,
          },
        },
      },
    },
  },
} as const

const validate = lazyValidator<RulesFile>(LIVE_RULES_SCHEMA)

export interface RulesFile {
  key: string
  rules?: {
    'dead-air'?: Partial<LiveRules['deadAir']>
    'customer-agitated'?: Partial<LiveRules['customerAgitated']>
    'sentiment-falling'?: Partial<LiveRules['sentimentFalling']>
    overtalk?: Partial<LiveRules['overtalk']>
    conduct?: Partial<LiveRules['conduct']>
    'urgency-p0'?: Partial<LiveRules['urgencyP0']>
    'forbidden-phrase'?: Partial<LiveRules['forbiddenPhrase']>
  }
}

/** The file's checked content (what is stored as a version), from its text. */
export function parseLiveRulesFile(text: string, name: string): RulesFile {
  return parseChecked<RulesFile>(
    text,
    name,
    validate,
    () => [],
    (message) => new ConfigError(message),
  )
}

/** Rules from a file's text; `name` is the file name errors are reported against. */
export function parseLiveRules(text: string, name: string): LiveRules {
  return resolveLiveRules(parseLiveRulesFile(text, name))
}

/** The rules a stored or parsed definition sets, over the built-in ones. */
export function resolveLiveRules(file: RulesFile): LiveRules {
  const r = file.rules ?? {}
  const forbidden = { ...DEFAULT_LIVE_RULES.forbiddenPhrase, ...r['forbidden-phrase'] }
  // Listing phrases turns the rule on unless the file says otherwise.
  if (r['forbidden-phrase']?.phrases?.length && r['forbidden-phrase'].enabled === undefined)
    forbidden.enabled = true
  return {
    key: file.key,
    deadAir: { ...DEFAULT_LIVE_RULES.deadAir, ...r['dead-air'] },
    customerAgitated: { ...DEFAULT_LIVE_RULES.customerAgitated, ...r['customer-agitated'] },
    sentimentFalling: { ...DEFAULT_LIVE_RULES.sentimentFalling, ...r['sentiment-falling'] },
    overtalk: { ...DEFAULT_LIVE_RULES.overtalk, ...r.overtalk },
    conduct: { ...DEFAULT_LIVE_RULES.conduct, ...r.conduct },
    urgencyP0: { ...DEFAULT_LIVE_RULES.urgencyP0, ...r['urgency-p0'] },
    forbiddenPhrase: forbidden,
  }
}

export function loadLiveRules(file: string | undefined): LiveRules {
  if (!file) return DEFAULT_LIVE_RULES
  return resolveLiveRules(readLiveRulesFile(file))
}

export function readLiveRulesFile(file: string): RulesFile {
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch (cause) {
    throw new ConfigError(`cannot read the live rules file ${file}`, { cause })
  }
  return parseLiveRulesFile(text, file)
}
