/**
 * A call summary without a language model: three kinds of line picked from the transcript itself,
 * each with its time so the page can play it.
 *
 * - reason: why the customer called — the customer's turn in the first half of the call that
 *   carries the most category evidence, or else the most reason-like cues ("I'm calling about",
 *   "my … isn't", "我想", "我的…"), or else their first substantial turn;
 * - action: what the agent did or promised ("I've refunded", "I will send", "已经为您", "我会"),
 *   at most two, later turns preferred;
 * - follow_up: what happens next and when ("within five days", "you'll get an email",
 *   "三个工作日内", "回电"), one line.
 *
 * Lines are the utterances as stored (redacted), in the language they were said. Only trusted
 * transcripts get a summary: text the recogniser was unsure of makes a summary that misleads.
 */

import { CallText, type TopicCall } from '../text/call-text.js'
import { findPhrase } from '../text/match.js'
import type { Category } from './classify.js'

export type SummaryKind = 'reason' | 'action' | 'follow_up'

export interface SummaryLine {
  kind: SummaryKind
  speaker: string
  text: string
  start_ms: number
  end_ms: number
  /** the cue phrases that picked it */
  cues: string[]
}

const REASON_CUES = [
  "i'm calling about",
  'calling because',
  'calling to',
  'the reason i',
  'i want to',
  "i'd like to",
  'i would like to',
  'i need to',
  'i have a problem',
  'there is a problem',
  'my order',
  'my bill',
  'my account',
  "isn't working",
  "doesn't work",
  "hasn't arrived",
  "can't",
  '我想',
  '我要',
  '我的',
  '请问',
  '怎么',
  '为什么',
  '没有',
  '不能',
  '还没',
]

const ACTION_CUES = [
  "i've",
  'i have',
  'i will',
  "i'll",
  'we will',
  "we'll",
  "i've processed",
  'i have processed',
  'i have refunded',
  "i've refunded",
  "i've sent",
  "i've reset",
  "i've updated",
  "i've cancelled",
  "i've escalated",
  "i've raised",
  'i have arranged',
  'done that',
  'processed',
  'refunded',
  'escalated',
  'arranged',
  'cancelled',
  'reset',
  '已经为您',
  '已经帮您',
  '我会',
  '我们会',
  '为您',
  '处理',
  '安排',
  '已经',
]

const FOLLOW_UP_CUES = [
  'within',
  'working days',
  'business days',
  'by tomorrow',
  'tomorrow',
  'today',
  'this afternoon',
  'next week',
  'call you back',
  'get back to you',
  "you'll receive",
  'you will receive',
  "you'll get",
  'you will get',
  'an email',
  'a text',
  'follow up',
  'reference number',
  '工作日',
  '小时内',
  '天内',
  '明天',
  '今天',
  '下午',
  '回电',
  '回复您',
  '短信',
  '邮件',
  '跟进',
  '会通知',
]

const substantial = (text: string) => text.replace(/\s+/g, '').length >= 8
/** Questions and the closing formula are not what was done. */
const CLOSING = [
  'anything else',
  'thank you for calling',
  'thanks for calling',
  '还有其他',
  '感谢您的来电',
  '感谢致电',
]
const isQuestion = (text: string) => /[?？吗]\s*$/.test(text.trim())

function cueHits(text: CallText, index: number, cues: readonly string[]): string[] {
  const tokens = text.tokens(index)
  return cues.filter((c) => findPhrase(c, tokens, 1) !== undefined)
}

export function summarize(call: TopicCall, categories: readonly Category[]): SummaryLine[] {
  const text = new CallText(call)
  const { utterances, durationMs } = call
  const line = (kind: SummaryKind, index: number, cues: string[]): SummaryLine => {
    const u = utterances[index] as TopicCall['utterances'][number]
    return { kind, speaker: u.speaker, text: u.text, start_ms: u.startMs, end_ms: u.endMs, cues }
  }
  const out: SummaryLine[] = []
  const firstHalf = (i: number) => (utterances[i]?.startMs ?? 0) <= durationMs / 2
  const customerTurns = utterances
    .map((u, i) => ({ u, i }))
    .filter(({ u, i }) => u.speaker === 'customer' && firstHalf(i) && substantial(u.text))
  // Why: category evidence counts most, then reason cues, then earliness.
  const evidenceAt = new Map<number, string[]>()
  for (const c of categories)
    for (const e of c.evidence) {
      const i = utterances.findIndex(
        (u) => u.startMs <= e.start_ms && e.start_ms <= u.endMs && u.speaker === e.speaker,
      )
      if (i >= 0) evidenceAt.set(i, [...(evidenceAt.get(i) ?? []), e.phrase])
    }
  let reason: { i: number; score: number; cues: string[] } | undefined
  for (const { i } of customerTurns) {
    const cues = [...(evidenceAt.get(i) ?? []), ...cueHits(text, i, REASON_CUES)]
    const score = (evidenceAt.get(i)?.length ?? 0) * 3 + cues.length - i * 0.01
    if (!reason || score > reason.score) reason = { i, score, cues }
  }
  if (reason && reason.cues.length === 0) {
    // Nothing reason-like (an outbound call, a terse caller): the caller's first substantial turn.
    const caller = call.direction === 'outbound' ? 'agent' : 'customer'
    const first = utterances.findIndex((u, i) => u.speaker === caller && i > 0 && substantial(u.text))
    reason = first >= 0 ? { i: first, score: 0, cues: [] } : undefined
  }
  if (reason) out.push(line('reason', reason.i, [...new Set(reason.cues)]))
  // What was done: agent turns with action cues, later ones first; two at most.
  const closing = (i: number) => cueHits(text, i, CLOSING).length > 0
  const actions = utterances
    .map((u, i) => ({
      u,
      i,
      cues:
        u.speaker === 'agent' && substantial(u.text) && !isQuestion(u.text) && !closing(i)
          ? cueHits(text, i, ACTION_CUES)
          : [],
    }))
    .filter((a) => a.cues.length > 0 && a.i > (reason?.i ?? -1))
    .map((a) => ({ ...a, score: a.cues.length + a.i / Math.max(1, utterances.length) }))
    .sort((a, b) => b.score - a.score)
    .slice(0, 2)
    .sort((a, b) => a.i - b.i)
  // Follow-up: the best turn with a time or channel of what comes next (either speaker).
  const followUps = utterances
    .map((u, i) => ({ u, i, cues: substantial(u.text) ? cueHits(text, i, FOLLOW_UP_CUES) : [] }))
    .filter((f) => f.cues.length > 0 && f.i > (reason?.i ?? 0))
    .sort((a, b) => b.cues.length - a.cues.length || b.i - a.i)
  const followUp = followUps[0]
  for (const a of actions) if (a.i !== followUp?.i) out.push(line('action', a.i, a.cues))
  if (followUp) out.push(line('follow_up', followUp.i, followUp.cues))
  return out.sort((a, b) => a.start_ms - b.start_ms)
}
