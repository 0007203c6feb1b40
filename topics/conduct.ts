/**
 * Agent conduct: dismissive or rude things an agent says, in English and Chinese, read in context
 * so that courtesy that shares words with rudeness is not flagged ("not my problem" is flagged;
 * "no problem at all", "not a problem", "whatever you need", "随便您挑" are not), and a falling
 * agent sentiment over the call.
 *
 * A rule is a phrase (normalised tokens; Chinese character by character) that must be said in
 * order, at most one extra token between its words. It does not count when
 * - a token listed in `unlessNext` follows it ("whatever you …", "随便你选"),
 * - a token sequence in `unlessBefore` ends right before it ("let me deal with it"),
 * - a phrase in `rescue` follows later in the same utterance ("there is nothing I can do about
 *   the fee, but I can …", "我也没办法，不过可以帮您…").
 */

import { CallText, type TopicCall } from '../text/call-text.js'
import { normalise, tokensAlike } from '../text/match.js'

export type ConductKind = 'dismissive' | 'rude' | 'impatient' | 'blaming'

export interface ConductRule {
  phrase: string
  kind: ConductKind
  unlessNext?: string[]
  unlessBefore?: string[]
  rescue?: string[]
}

const RESCUE_EN = [
  'but i can',
  'but we can',
  'but what i can do',
  'however i can',
  'what i can do is',
  'but let me',
]
const RESCUE_ZH = ['但是我可以', '不过我可以', '但我可以', '不过可以', '但是可以', '我可以帮您', '我帮您']

export const CONDUCT_RULES: readonly ConductRule[] = [
  { phrase: 'not my problem', kind: 'dismissive', rescue: RESCUE_EN },
  { phrase: 'not our problem', kind: 'dismissive', rescue: RESCUE_EN },
  { phrase: 'not my job', kind: 'dismissive', rescue: RESCUE_EN },
  {
    phrase: 'not my department',
    kind: 'dismissive',
    rescue: [...RESCUE_EN, 'let me transfer', 'transfer you', "i'll transfer", 'put you through'],
  },
  { phrase: "that's your problem", kind: 'blaming' },
  { phrase: 'your own fault', kind: 'blaming' },
  { phrase: 'should have read the', kind: 'blaming' },
  {
    phrase: 'whatever',
    kind: 'dismissive',
    unlessNext: [
      'you',
      'i',
      'we',
      'it',
      'is',
      'works',
      'suits',
      'time',
      'the',
      'your',
      'that',
      'this',
      'they',
      'he',
      'she',
      'else',
      'reason',
      'way',
      'option',
      'day',
      'questions',
      'help',
      "we're",
      "you're",
      "you'd",
      'makes',
    ],
    unlessBefore: ['for', 'do', 'need'],
  },
  { phrase: "i don't care", kind: 'rude', unlessNext: ['which', 'what', 'how', 'when'] },
  { phrase: "we don't care", kind: 'rude' },
  { phrase: 'nothing i can do', kind: 'dismissive', rescue: RESCUE_EN },
  { phrase: 'nothing we can do', kind: 'dismissive', rescue: RESCUE_EN },
  {
    phrase: 'deal with it',
    kind: 'dismissive',
    unlessBefore: ["i'll", "we'll", 'me', 'will', 'can', 'to', "i'm", "we're"],
  },
  { phrase: 'calm down', kind: 'rude' },
  { phrase: 'you people', kind: 'rude' },
  { phrase: 'i already told you', kind: 'impatient' },
  { phrase: 'how many times do i have to', kind: 'impatient' },
  { phrase: 'are you even listening', kind: 'impatient' },
  { phrase: 'listen to me', kind: 'impatient' },
  { phrase: "i don't have all day", kind: 'impatient' },
  { phrase: "haven't got all day", kind: 'impatient' },
  { phrase: 'hurry up', kind: 'impatient' },
  { phrase: 'take it or leave it', kind: 'dismissive' },
  { phrase: 'figure it out yourself', kind: 'dismissive' },
  { phrase: 'look it up yourself', kind: 'dismissive' },
  { phrase: 'not listening to', kind: 'rude' },
  { phrase: "i don't know what to tell you", kind: 'dismissive', rescue: RESCUE_EN },
  {
    phrase: 'take it up with',
    kind: 'dismissive',
    rescue: RESCUE_EN,
    unlessBefore: ['i will', "i'll", 'i can', 'let me', 'we will', "we'll"],
  },
  { phrase: 'stop complaining', kind: 'rude' },
  { phrase: 'stop shouting', kind: 'rude' },
  { phrase: 'are you deaf', kind: 'rude' },
  { phrase: 'just listen', kind: 'impatient' },
  { phrase: 'read the manual', kind: 'dismissive' },
  { phrase: 'google it', kind: 'dismissive' },
  { phrase: 'not my fault', kind: 'blaming' },
  { phrase: "that's not our fault", kind: 'blaming' },
  { phrase: '不归我们管', kind: 'dismissive', rescue: RESCUE_ZH },
  { phrase: '不归我管', kind: 'dismissive', rescue: RESCUE_ZH },
  { phrase: '不关我的事', kind: 'dismissive' },
  { phrase: '不关我们的事', kind: 'dismissive' },
  { phrase: '跟我没关系', kind: 'dismissive' },
  { phrase: '和我没关系', kind: 'dismissive' },
  { phrase: '与我无关', kind: 'dismissive' },
  {
    phrase: '随便你',
    kind: 'dismissive',
    unlessNext: ['选', '挑', '定', '看', '哪', '怎', '什', '喜', '方', '用'],
  },
  { phrase: '爱怎么样就怎么样', kind: 'dismissive' },
  { phrase: '你自己看着办', kind: 'dismissive' },
  { phrase: '自己去查', kind: 'dismissive' },
  { phrase: '我也没办法', kind: 'dismissive', rescue: RESCUE_ZH },
  { phrase: '我们也没办法', kind: 'dismissive', rescue: RESCUE_ZH },
  { phrase: '你听不懂吗', kind: 'impatient' },
  { phrase: '听不懂人话', kind: 'rude' },
  { phrase: '我已经说过了', kind: 'impatient' },
  { phrase: '说了多少遍', kind: 'impatient' },
  { phrase: '你烦不烦', kind: 'rude' },
  { phrase: '有完没完', kind: 'rude' },
  { phrase: '别烦我', kind: 'rude' },
  { phrase: '快点说', kind: 'impatient' },
  { phrase: '你自己的问题', kind: 'blaming' },
  { phrase: '不是我的问题', kind: 'blaming' },
  { phrase: '爱投诉就投诉', kind: 'dismissive' },
  { phrase: '我管不了', kind: 'dismissive', rescue: RESCUE_ZH },
  { phrase: '自己去问', kind: 'dismissive' },
  { phrase: '别问我', kind: 'dismissive' },
  { phrase: '你自己看', kind: 'dismissive' },
  { phrase: '是不是听不懂', kind: 'impatient' },
  { phrase: '催什么催', kind: 'rude' },
  { phrase: '急什么', kind: 'impatient' },
  { phrase: '吵什么', kind: 'rude' },
  { phrase: '是你自己', kind: 'blaming', unlessNext: ['选', '设', '申'] },
]

export interface ConductFlag {
  kind: ConductKind
  /** the rule's phrase */
  rule: string
  /** what was said, as matched */
  text: string
  speaker: string
  start_ms: number
  end_ms: number
  utterance: number
}

export interface AgentTrend {
  /** mean agent sentiment over the first and the second half of the agent's scored turns */
  first: number
  second: number
  falling: boolean
}

export interface ConductResult {
  flags: ConductFlag[]
  agent_trend: AgentTrend | null
}

/** Where the phrase's tokens occur in order (≤ 1 extra token between), as [first, last] indices. */
function locate(wanted: readonly string[], tokens: readonly string[]): Array<[number, number]> {
  const out: Array<[number, number]> = []
  for (let start = 0; start < tokens.length; start++) {
    if (!tokensAlike(wanted[0] as string, tokens[start] as string)) continue
    let at = start
    let ok = true
    for (let k = 1; k < wanted.length && ok; k++) {
      if (tokensAlike(wanted[k] as string, tokens[at + 1] ?? '')) at += 1
      else if (tokensAlike(wanted[k] as string, tokens[at + 2] ?? '')) at += 2
      else ok = false
    }
    if (ok) out.push([start, at])
  }
  return out
}

const ruleTokens = new Map<string, string[]>()
const tokensOf = (phrase: string) => {
  let t = ruleTokens.get(phrase)
  if (!t) {
    t = normalise(phrase)
    ruleTokens.set(phrase, t)
  }
  return t
}

function startsWith(tokens: readonly string[], at: number, seq: readonly string[]): boolean {
  return seq.every((w, k) => tokens[at + k] === w)
}

/** Whether the rule's context clears a match at [first, last]. */
function excused(rule: ConductRule, tokens: readonly string[], first: number, last: number): boolean {
  const next = tokens[last + 1]
  if (next !== undefined && rule.unlessNext?.some((w) => next === w || next.startsWith(w))) return true
  if (
    rule.unlessBefore?.some((b) => {
      const seq = tokensOf(b)
      return first - seq.length >= 0 && startsWith(tokens, first - seq.length, seq)
    })
  )
    return true
  if (rule.rescue) {
    const rest = tokens.slice(last + 1)
    if (rule.rescue.some((r) => locate(tokensOf(r), rest).length > 0)) return true
  }
  return false
}

/** Falling when the agent's second half is at least 0.3 below the first and below −0.1. */
function agentTrend(call: TopicCall): AgentTrend | null {
  const scored = call.utterances
    .filter((u) => u.speaker === 'agent' && u.sentiment !== null && u.sentiment !== undefined)
    .map((u) => u.sentiment as number)
  if (scored.length < 4) return null
  const half = Math.floor(scored.length / 2)
  const mean = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / xs.length
  const first = mean(scored.slice(0, half))
  const second = mean(scored.slice(half))
  const round = (x: number) => Math.round(x * 1000) / 1000
  return { first: round(first), second: round(second), falling: second <= first - 0.3 && second <= -0.1 }
}

/** The agent's conduct per utterance list: every card item and the call's description share it. */
const agentConduct = new WeakMap<TopicCall['utterances'], ConductResult>()

/** What `speaker` (the agent unless said) said that was dismissive or rude, and the agent's trend. */
export function detectConduct(call: TopicCall, speaker = 'agent'): ConductResult {
  const known = speaker === 'agent' ? agentConduct.get(call.utterances) : undefined
  if (known) return known
  const found = findConduct(call, speaker)
  if (speaker === 'agent') agentConduct.set(call.utterances, found)
  return found
}

function findConduct(call: TopicCall, speaker: string): ConductResult {
  const text = new CallText(call)
  const flags: ConductFlag[] = []
  call.utterances.forEach((u, index) => {
    if (u.speaker !== speaker) return
    const timed = text.tokens(index)
    const tokens = timed.map((t) => t.text)
    const taken = new Set<number>()
    for (const rule of CONDUCT_RULES) {
      for (const [first, last] of locate(tokensOf(rule.phrase), tokens)) {
        if (taken.has(first) || excused(rule, tokens, first, last)) continue
        for (let k = first; k <= last; k++) taken.add(k)
        const stretch = timed.slice(first, last + 1)
        flags.push({
          kind: rule.kind,
          rule: rule.phrase,
          text: stretch.map((t) => t.text).join(/\p{Script=Han}/u.test(rule.phrase) ? '' : ' '),
          speaker: u.speaker,
          start_ms: stretch[0]?.startMs ?? u.startMs,
          end_ms: stretch[stretch.length - 1]?.endMs ?? u.endMs,
          utterance: index,
        })
      }
    }
  })
  flags.sort((a, b) => a.start_ms - b.start_ms)
  return { flags, agent_trend: agentTrend(call) }
}
