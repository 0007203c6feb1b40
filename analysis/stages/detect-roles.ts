/**
 * Who is the agent? A stereo recording says which channel is which only by convention, and the
 * convention is wrong often enough that it is the first complaint about call-analytics tools. With
 * no CTI metadata, the evidence is in the call:
 *  - what each party says (English and Chinese): agents greet with the company and their name,
 *    offer help, ask to verify and ask "anything else?"; customers say why they call;
 *  - who speaks first: on an inbound call the agent answers, on an outbound one the customer does;
 *  - who asks the questions: agents run the call.
 * The decision is a vote of those cues; a swap needs the evidence to lean clearly the other way.
 */
import { findPhrase, tokensWithTimes } from '../../text/match.js'

export const AGENT_CUES: readonly string[] = [
  'thank you for calling',
  'thanks for calling',
  'my name is',
  'speaking how can i help',
  'how can i help',
  'how may i help',
  'how can i assist',
  'what can i do for you',
  'can you confirm',
  'for security',
  'verify your',
  'anything else i can help',
  'put you on hold',
  'have a great day',
  // Outbound: the agent places the call and checks who answered.
  'am i speaking with',
  'calling from',
  '感谢致电',
  '欢迎致电',
  '有什么可以帮您',
  '请问有什么',
  '工号',
  '很高兴为您服务',
  '核实',
  '还有其他可以帮您',
  '感谢您的来电',
  '打扰您',
  '我这边是',
]

export const CUSTOMER_CUES: readonly string[] = [
  'i am calling about',
  "i'm calling about",
  'i am calling because',
  "i'm calling because",
  'i have a question',
  'i would like to',
  'i was charged',
  'my bill',
  'my order',
  'my account',
  '我想',
  '我的订单',
  '我买的',
  '怎么办',
]

export type Role = 'agent' | 'customer'

export interface RoleEvidence {
  /** What was heard or seen. */
  cue: string
  /** Who it says is the agent: the party labelled agent or customer as analysed. */
  pointsTo: Role
  weight: number
  atMs?: number
}

export interface RoleDecision {
  /** true: the party analysed as customer is the agent. */
  swap: boolean
  /** Votes for the labels as analysed minus votes for swapping them. */
  margin: number
  evidence: RoleEvidence[]
}

/** A swap needs at least this much more evidence than keeping the labels (one clear phrase). */
export const SWAP_MARGIN = 2

export function detectRoles({
  segments,
  utterances,
  direction,
}: {
  segments: ReadonlyArray<{ speaker: string; startMs: number; endMs: number }>
  /** Trusted utterances only (text cues); may be empty. */
  utterances: ReadonlyArray<{
    speaker: string
    startMs: number
    endMs: number
    text: string
    words?: ReadonlyArray<{ word: string; startMs: number; endMs: number }> | null
  }>
  direction: 'inbound' | 'outbound' | null
}): RoleDecision {
  const evidence: RoleEvidence[] = []
  const other = (r: Role): Role => (r === 'agent' ? 'customer' : 'agent')
  for (const u of utterances) {
    // Who said it is read from the audio (the party whose speech the utterance overlaps), not from
    // the transcript's own labels: the question is which channel is the agent.
    const party = partyOf(u, segments)
    if (!party) continue
    const tokens = tokensWithTimes(u)
    for (const cue of AGENT_CUES) {
      const m = findPhrase(cue, tokens)
      if (m) evidence.push({ cue: `"${m.text}" said`, pointsTo: party, weight: 2, atMs: m.startMs })
    }
    for (const cue of CUSTOMER_CUES) {
      const m = findPhrase(cue, tokens)
      if (m) evidence.push({ cue: `"${m.text}" said`, pointsTo: other(party), weight: 1, atMs: m.startMs })
    }
    if (/[?？]\s*$|^(请问)|吗[。？?]?$/.test(u.text.trim()))
      evidence.push({ cue: 'asks a question', pointsTo: party, weight: 0.25, atMs: u.startMs })
  }
  const first = [...segments]
    .filter((s) => s.speaker === 'agent' || s.speaker === 'customer')
    .sort((a, b) => a.startMs - b.startMs)[0]
  if (first) {
    const speaker = first.speaker as Role
    // Inbound: the agent answers. Outbound: the customer picks up and speaks first. Unknown
    // direction: most contact-centre calls are inbound, so a weaker vote for the first speaker.
    if (direction === 'outbound')
      evidence.push({
        cue: 'speaks first on an outbound call',
        pointsTo: other(speaker),
        weight: 1,
        atMs: first.startMs,
      })
    else
      evidence.push({
        cue: `speaks first on ${direction === 'inbound' ? 'an inbound' : 'a'} call`,
        pointsTo: speaker,
        weight: direction === 'inbound' ? 1 : 0.5,
        atMs: first.startMs,
      })
  }
  const margin = evidence.reduce((sum, e) => sum + (e.pointsTo === 'agent' ? e.weight : -e.weight), 0)
  return { swap: margin <= -SWAP_MARGIN, margin: Math.round(margin * 100) / 100, evidence }
}

/** The party (as the segments are labelled) whose speech covers most of an utterance, if clearly one. */
export function partyOf(
  u: { startMs: number; endMs: number },
  segments: ReadonlyArray<{ speaker: string; startMs: number; endMs: number }>,
): Role | undefined {
  const covered = { agent: 0, customer: 0 }
  for (const s of segments) {
    if (s.speaker !== 'agent' && s.speaker !== 'customer') continue
    covered[s.speaker] += Math.max(0, Math.min(s.endMs, u.endMs) - Math.max(s.startMs, u.startMs))
  }
  const length = Math.max(1, u.endMs - u.startMs)
  if (covered.agent > covered.customer && covered.agent >= 0.3 * length) return 'agent'
  if (covered.customer > covered.agent && covered.customer >= 0.3 * length) return 'customer'
  return undefined
}
