/**
 * The labelled call transcripts (labelled-calls.yaml) as calls the topic stages read: turns get
 * times (0.35 s a word, 0.25 s a Chinese character, 0.6 s between turns) and each utterance its
 * sentiment from callqa's own model, as the pipeline would store them.
 */
import { readFileSync } from 'node:fs'
import { parse } from 'yaml'
import { scoreSentiment } from '../../models/sentiment/index.js'
import type { TopicCall, TopicUtterance } from '../../text/call-text.js'
import type { Urgency } from '../../topics/taxonomy.js'

/** One call as written in the file. */
interface Raw {
  id: string
  split: 'dev' | 'held-out'
  language: 'en' | 'zh'
  /** node keys joined by "/", or "none/<topic>" for a topic left out of the taxonomy */
  category: string
  urgency: Urgency
  conduct: boolean
  customer?: string
  day?: number
  turns: Array<{ a?: string; c?: string }>
}

export interface LabelledCall extends Omit<Raw, 'turns'> {
  call: TopicCall
}

export const LABELLED_FILE = new URL('./labelled-calls.yaml', import.meta.url)

export function loadLabelledCalls(): LabelledCall[] {
  const raw = parse(readFileSync(LABELLED_FILE, 'utf8')) as Raw[]
  return raw.map((r) => {
    let at = 500
    const utterances: TopicUtterance[] = r.turns.map((t) => {
      const speaker = t.a !== undefined ? 'agent' : 'customer'
      const text = (t.a ?? t.c ?? '').trim()
      const han = (text.match(/\p{Script=Han}/gu) ?? []).length
      const words = text
        .replace(/\p{Script=Han}/gu, ' ')
        .split(/\s+/)
        .filter(Boolean).length
      const length = Math.round(han * 250 + words * 350) + 300
      const u: TopicUtterance = {
        speaker,
        text,
        startMs: at,
        endMs: at + length,
        sentiment: scoreSentiment(text).score,
        arousal: null,
      }
      at += length + 600
      return u
    })
    const { turns: _, ...labels } = r
    return { ...labels, call: { durationMs: at, direction: 'inbound', utterances } }
  })
}

/** Repeat contacts inside the set: the same customer within `days` days before. */
export function labelledRepeats(
  calls: readonly LabelledCall[],
  days: number,
): Map<string, { previousCallId: number; days: number }> {
  const out = new Map<string, { previousCallId: number; days: number }>()
  calls.forEach((c) => {
    if (!c.customer || c.day === undefined) return
    const earlier = calls
      .map((p, index) => ({ p, index }))
      .filter(
        ({ p }) =>
          p.customer === c.customer &&
          p.day !== undefined &&
          p.day < (c.day as number) &&
          (c.day as number) - p.day <= days,
      )
      .sort((a, b) => (b.p.day as number) - (a.p.day as number))[0]
    if (earlier)
      out.set(c.id, {
        previousCallId: earlier.index + 1,
        days: (c.day as number) - (earlier.p.day as number),
      })
  })
  return out
}
