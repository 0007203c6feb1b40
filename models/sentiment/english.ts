/**
 * English sentiment: a rule scorer (AFINN-165 lexicon + call-centre vocabulary, with negation,
 * intensifiers, "but" clauses and emphasis, in the manner of VADER) whose output, together with
 * n-gram features, feeds a logistic regression trained on labelled review sentences
 * (`npm run train:sentiment`, weights in `en-weights.json`).
 *
 * `extractFeatures` is shared by training and scoring so that both see the same features.
 */
import { createRequire } from 'node:module'

const require = createRequire(import.meta.url)
/** AFINN-165 word list (-5…5), from the `sentiment` package. */
const AFINN = require('sentiment/languages/en/labels.json') as Record<string, number>

/**
 * Call-centre vocabulary on the AFINN scale. Overrides AFINN where its review-oriented value is
 * wrong on a call ("like" in "I'd like to", "charged", "sorry" as an agent's courtesy).
 */
export const SERVICE_LEXICON: Readonly<Record<string, number>> = {
  cancel: -1.5,
  cancelled: -1.5,
  cancelling: -1.5,
  canceling: -1.5,
  cancellation: -1.5,
  refund: -1.5,
  refunds: -1.5,
  supervisor: -1.5,
  manager: -1,
  complaint: -2.5,
  complain: -2.5,
  complaining: -2,
  ridiculous: -3,
  unacceptable: -3,
  useless: -3,
  incompetent: -3,
  rude: -3,
  waste: -2.5,
  wasted: -2.5,
  again: -0.5,
  still: -0.5,
  overcharged: -3,
  charged: -1,
  wrong: -2,
  broken: -2.5,
  dropped: -1.5,
  disconnected: -1.5,
  outage: -2,
  late: -1.5,
  delayed: -1.5,
  slow: -1.5,
  forever: -1.5,
  hours: -0.5,
  escalate: -2,
  lawyer: -2.5,
  sue: -3,
  switching: -1.5,
  frustrated: -2.5,
  frustrating: -2.5,
  annoyed: -2.5,
  upset: -2.5,
  angry: -3,
  furious: -3.5,
  fed: -1,
  sorry: -0.5,
  apologize: -0.5,
  apologise: -0.5,
  like: 1,
  want: 0,
  please: 0,
  yes: 0,
  okay: 0,
  ok: 0,
  help: 1,
  helpful: 2.5,
  resolved: 2,
  sorted: 1.5,
  fixed: 1,
  down: -1,
  perfect: 3,
  wonderful: 3,
  appreciate: 2.5,
  appreciated: 2.5,
  thank: 2,
  thanks: 2,
  great: 3,
  awesome: 3.5,
  excellent: 3.5,
  brilliant: 3,
  lovely: 3,
  quick: 1.5,
  quickly: 1,
  fast: 1.5,
  easy: 1.5,
}

/**
 * Words that signal trouble by the topic they name, so negation does not flip them: "I never got
 * my refund" is still a complaint.
 */
const TOPIC_WORDS = new Set([
  'refund',
  'refunds',
  'cancel',
  'cancelled',
  'cancelling',
  'canceling',
  'cancellation',
  'supervisor',
  'manager',
  'again',
  'still',
  'hours',
  'outage',
  'escalate',
])

/** Multi-word expressions, matched before single words (their words then count no more). */
const PHRASES: ReadonlyArray<[string[], number]> = [
  [['no', 'problem'], 1.5],
  [['no', 'problems'], 1.5],
  [['no', 'worries'], 1.5],
  [['not', 'a', 'problem'], 1.5],
  [['would', 'like'], 0],
  [['d', 'like'], 0],
  [['like', 'to'], 0],
  [['fed', 'up'], -3],
  [['been', 'down'], -2.5],
  [['is', 'down'], -2.5],
  [['went', 'down'], -2],
  [['when', 'will'], -0.5],
  [['waste', 'of', 'time'], -3],
  [['on', 'hold'], -0.5],
  [['still', 'waiting'], -2.5],
  [['still', 'not'], -1.5],
  [['take', 'my', 'business', 'elsewhere'], -3],
  [['speak', 'to', 'a', 'supervisor'], -2.5],
  [['speak', 'to', 'your', 'supervisor'], -2.5],
  [['speak', 'to', 'a', 'manager'], -2.5],
  [['thank', 'you'], 2],
  [['you', 've', 'been', 'very', 'helpful'], 3],
  [['works', 'great'], 3],
  [['piece', 'of', 'junk'], -3.5],
  [['give', 'up'], -2],
  [['gave', 'up'], -2],
  [['stopped', 'working'], -2.5],
  [['does', 'not', 'work'], -2.5],
  [['do', 'not', 'work'], -2.5],
  [['did', 'not', 'work'], -2.5],
  [['not', 'working'], -2.5],
  [['no', 'longer'], -1],
  [['kind', 'of'], 0],
  [['sort', 'of'], 0],
]

const NEGATORS = new Set([
  'not',
  'no',
  'never',
  'none',
  'nobody',
  'nothing',
  'neither',
  'nor',
  'nowhere',
  'cannot',
  'without',
  'hardly',
  'barely',
  'ain',
  'lack',
  'lacks',
  'lacking',
])

/** Words that strengthen (> 1) or soften (< 1) the next sentiment word. */
const INTENSIFIERS: Readonly<Record<string, number>> = {
  very: 1.3,
  really: 1.3,
  extremely: 1.5,
  so: 1.3,
  too: 1.3,
  totally: 1.4,
  absolutely: 1.5,
  completely: 1.4,
  utterly: 1.5,
  incredibly: 1.5,
  super: 1.3,
  truly: 1.3,
  highly: 1.3,
  most: 1.2,
  such: 1.2,
  quite: 1.1,
  seriously: 1.3,
  bloody: 1.4,
  damn: 1.3,
  slightly: 0.6,
  somewhat: 0.7,
  fairly: 0.8,
  little: 0.7,
  bit: 0.7,
  kinda: 0.7,
  barely: 0.6,
  pretty: 1.1,
}

/** After these the clause that follows dominates ("it works, but it's slow"). */
const CONTRASTS = new Set(['but', 'however', 'though', 'yet', 'except', 'unfortunately'])

/** Negation reaches this many tokens forward, or up to punctuation or a contrast word. */
const NEGATION_SCOPE = 3
/** VADER's factor for a negated word: sign flips, strength shrinks ("not great" ≠ "terrible"). */
const NEGATION_FACTOR = -0.74
const BEFORE_CONTRAST = 0.5
const AFTER_CONTRAST = 1.5

const PUNCTUATION = /^[.,;:!?]$/

export interface Token {
  /** lower-cased word or a punctuation mark */
  text: string
  /** the word was written in capitals in otherwise mixed-case text */
  shouted: boolean
}

/** Words and clause punctuation; "don't" → "do not", "I'd" → "i d". */
export function tokenize(text: string): Token[] {
  const hasLower = /[a-z]/.test(text)
  const out: Token[] = []
  const normalised = text
    .replace(/[’‘`]/g, "'")
    .replace(/\b(can)'?t\b/gi, '$1 not')
    .replace(/\bwon'?t\b/gi, 'will not')
    .replace(/n't\b/gi, ' not')
  for (const m of normalised.matchAll(/[A-Za-z]+|[.,;:!?]/g)) {
    const raw = m[0]
    const lower = raw.toLowerCase()
    out.push({
      text: lower === 'cannot' ? 'not' : lower,
      shouted: hasLower && raw.length > 1 && raw === raw.toUpperCase() && /[A-Z]/.test(raw),
    })
  }
  return out
}

function lexiconValue(word: string): number {
  return SERVICE_LEXICON[word] ?? AFINN[word] ?? 0
}

/** A word or phrase found in the lexicons, with where it sits in the token list. */
interface Hit {
  index: number
  length: number
  value: number
}

function findHits(tokens: readonly Token[]): Hit[] {
  const hits: Hit[] = []
  for (let i = 0; i < tokens.length; i++) {
    const phrase = PHRASES.find(([words]) => words.every((w, k) => tokens[i + k]?.text === w))
    if (phrase) {
      hits.push({ index: i, length: phrase[0].length, value: phrase[1] })
      i += phrase[0].length - 1
      continue
    }
    const value = lexiconValue(tokens[i]?.text ?? '')
    if (value !== 0 && !NEGATORS.has(tokens[i]?.text ?? '')) hits.push({ index: i, length: 1, value })
  }
  return hits
}

/** One lexicon word or phrase as the rules weighed it: the parts of an explanation. */
export interface RuleHit {
  index: number
  length: number
  /** the words, as tokenised */
  text: string
  /** lexicon value (AFINN scale) before adjustments */
  base: number
  /** after intensifier, emphasis, negation and contrast */
  value: number
  intensifier?: string
  negated?: boolean
  contrast?: 'before' | 'after'
}

export interface RuleScore {
  /** Sum of adjusted word values (AFINN scale). */
  sum: number
  positive: number
  negative: number
  /** `sum` squashed to [-1, 1] as VADER does: x / sqrt(x² + 15). */
  compound: number
  /** How many lexicon words or phrases were found. */
  hits: number
  /** Each of them, adjusted. */
  details: RuleHit[]
  /** What exclamation marks added to `sum`. */
  emphasis: number
}

/** Per-token clause weights: before a contrast word × 0.5, after it × 1.5. */
export function clauseWeights(tokens: readonly Token[]): number[] {
  const weights = new Array<number>(tokens.length).fill(1)
  let lastContrast = -1
  for (let i = 0; i < tokens.length; i++) if (CONTRASTS.has(tokens[i]?.text ?? '')) lastContrast = i
  if (lastContrast > 0) {
    // The contrast governs its own sentence only: from the previous sentence end to the next one.
    let start = lastContrast
    while (start > 0 && !/^[.!?]$/.test(tokens[start - 1]?.text ?? '')) start--
    let end = lastContrast
    while (end < tokens.length && !/^[.!?]$/.test(tokens[end]?.text ?? '')) end++
    for (let i = start; i < lastContrast; i++) weights[i] = BEFORE_CONTRAST
    for (let i = lastContrast + 1; i < end; i++) weights[i] = AFTER_CONTRAST
  }
  return weights
}

/** Whether a negator governs token `index` (within the scope, same clause). */
export function isNegated(tokens: readonly Token[], index: number): boolean {
  for (let k = index - 1; k >= 0 && k >= index - NEGATION_SCOPE; k--) {
    const t = tokens[k]?.text ?? ''
    if (PUNCTUATION.test(t) || CONTRASTS.has(t)) return false
    if (NEGATORS.has(t)) return true
  }
  return false
}

export function ruleScore(tokens: readonly Token[]): RuleScore {
  const weights = clauseWeights(tokens)
  let sum = 0
  let positive = 0
  let negative = 0
  const details: RuleHit[] = []
  const hits = findHits(tokens).filter((hit) => hit.value !== 0)
  for (const hit of hits) {
    let value = hit.value
    const detail: RuleHit = {
      index: hit.index,
      length: hit.length,
      text: tokens
        .slice(hit.index, hit.index + hit.length)
        .map((t) => t.text)
        .join(' '),
      base: hit.value,
      value: 0,
    }
    const prev = tokens[hit.index - 1]?.text ?? ''
    const intensity = INTENSIFIERS[prev] ?? 1
    if (intensity !== 1) detail.intensifier = prev
    value *= intensity
    if (tokens[hit.index]?.shouted) value *= 1.2
    // A phrase that already contains its negation ("not working") is not negated again.
    const word = tokens[hit.index]?.text ?? ''
    if (hit.length === 1 && !TOPIC_WORDS.has(word) && isNegated(tokens, hit.index)) {
      value *= NEGATION_FACTOR
      detail.negated = true
    }
    const clause = weights[hit.index] ?? 1
    if (clause !== 1) detail.contrast = clause < 1 ? 'before' : 'after'
    value *= clause
    detail.value = value
    details.push(detail)
    sum += value
    if (value > 0) positive += value
    else negative -= value
  }
  const bangs = Math.min(3, tokens.filter((t) => t.text === '!').length)
  const emphasis = sum !== 0 ? Math.sign(sum) * bangs * 0.292 : 0
  sum += emphasis
  return {
    sum,
    positive,
    negative,
    compound: sum / Math.sqrt(sum * sum + 15),
    hits: hits.length,
    details,
    emphasis,
  }
}

/**
 * Sparse features: the rule scores plus unigrams and bigrams, negated ones marked `not_`, weighted
 * by clause (before/after "but"). Values are summed per feature name.
 */
export function extractFeatures(text: string): { features: Map<string, number>; rule: RuleScore } {
  const tokens = tokenize(text)
  const rule = ruleScore(tokens)
  const features = new Map<string, number>([
    ['__compound', rule.compound],
    ['__positive', Math.log1p(rule.positive)],
    ['__negative', Math.log1p(rule.negative)],
  ])
  const weights = clauseWeights(tokens)
  // Words of a known phrase ("no problem") speak through the rule scores only: as n-grams they
  // would read as a negated "problem".
  const inPhrase = new Set<number>()
  for (const hit of findHits(tokens))
    if (hit.length > 1) for (let k = 0; k < hit.length; k++) inPhrase.add(hit.index + k)
  const words: Array<{ text: string; weight: number }> = []
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i]?.text ?? ''
    if (PUNCTUATION.test(t) || inPhrase.has(i)) {
      words.push({ text: '|', weight: 0 })
      continue
    }
    words.push({ text: isNegated(tokens, i) ? `not_${t}` : t, weight: weights[i] ?? 1 })
  }
  const add = (name: string, value: number) => features.set(name, (features.get(name) ?? 0) + value)
  for (let i = 0; i < words.length; i++) {
    const w = words[i]
    if (!w || w.text === '|') continue
    add(w.text, w.weight)
    const next = words[i + 1]
    if (next && next.text !== '|') add(`${w.text} ${next.text}`, (w.weight + next.weight) / 2)
  }
  return { features, rule }
}

export interface EnglishWeights {
  bias: number
  weights: Record<string, number>
}

/** One part of an utterance's score: see `explain.ts`. */
export interface Contribution {
  text: string
  source: 'lexicon' | 'phrase' | 'words' | 'baseline' | 'emphasis'
  /** share of z, the model's log-odds */
  z: number
  lexicon?: number
  negated?: boolean
  contrast?: 'before' | 'after'
  intensifier?: string
}

/**
 * The model's log-odds z (score = 2·σ(z) − 1 = tanh(z / 2)) split into its parts: the bias, each n-gram feature, and the three rule
 * features spread over the lexicon hits that made them (the compound in proportion to each hit's
 * adjusted value, the positive and negative sums over their own side). Σ parts = z.
 */
export function englishContributions(
  text: string,
  model: EnglishWeights,
): { z: number; parts: Contribution[]; rule: RuleScore } {
  const { features, rule } = extractFeatures(text)
  const parts = new Map<string, Contribution>()
  const add = (key: string, make: () => Omit<Contribution, 'z'>, z: number) => {
    if (z === 0) return
    const part = parts.get(key)
    if (part) part.z += z
    else parts.set(key, { ...make(), z })
  }
  const hitPart = (h: RuleHit) => (): Omit<Contribution, 'z'> => ({
    text: h.text,
    source: h.length > 1 ? 'phrase' : 'lexicon',
    lexicon: h.base,
    ...(h.negated ? { negated: true } : {}),
    ...(h.contrast ? { contrast: h.contrast } : {}),
    ...(h.intensifier ? { intensifier: h.intensifier } : {}),
  })
  let z = model.bias
  add('bias', () => ({ text: 'model baseline', source: 'baseline' }), model.bias)
  for (const [name, value] of features) {
    const c = (model.weights[name] ?? 0) * value
    z += c
    if (c === 0) continue
    if (name === '__compound') {
      if (rule.sum === 0) continue
      for (const h of rule.details) add(`hit:${h.index}`, hitPart(h), (c * h.value) / rule.sum)
      add('emphasis', () => ({ text: '!', source: 'emphasis' }), (c * rule.emphasis) / rule.sum)
    } else if (name === '__positive' || name === '__negative') {
      const side = name === '__positive' ? rule.positive : rule.negative
      if (side === 0) continue
      for (const h of rule.details) {
        const share = name === '__positive' ? Math.max(0, h.value) : Math.max(0, -h.value)
        add(`hit:${h.index}`, hitPart(h), (c * share) / side)
      }
    } else {
      const words = name
        .split(' ')
        .map((w) => (w.startsWith('not_') ? `not ${w.slice(4)}` : w))
        .join(' ')
      add(`words:${words}`, () => ({ text: words, source: 'words' }), c)
    }
  }
  return { z, parts: [...parts.values()], rule }
}
