/**
 * Transcripts supplied with a recording, in the formats call centres already have: callqa's own
 * JSON, OpenAI Whisper JSON, Amazon Transcribe JSON (speaker or channel identification), WebVTT and
 * SRT. Parsing keeps the source's speaker labels; `mapSpeakers` turns them into agent/customer.
 * Errors name the file and the place (line, or JSON path).
 */
import path from 'node:path'
import { TranscriptError } from '../../errors.js'
import type { Speaker } from '../types.js'

export type TranscriptFormat = 'callqa' | 'whisper' | 'aws' | 'vtt' | 'srt'

export interface Word {
  word: string
  startMs: number
  endMs: number
  /** Local recognition only: the decoder's posterior probability of the word, 0–1. */
  confidence?: number
}

/** An utterance as the source labels it: `label` is e.g. "spk_0", "ch_1", "Agent", or "" (none). */
export interface RawUtterance {
  label: string
  startMs: number
  endMs: number
  text: string
  words?: Word[]
}

export interface ParsedTranscript {
  format: TranscriptFormat
  utterances: RawUtterance[]
  /** Language the source states, if any (Whisper, Transcribe). */
  language?: string
}

export function detectTranscriptFormat(fileName: string, text: string): TranscriptFormat {
  const ext = path.extname(fileName).toLowerCase()
  if (ext === '.vtt' || /^\uFEFF?WEBVTT/.test(text)) return 'vtt'
  if (ext === '.srt') return 'srt'
  if (ext === '.json' || /^\s*[{[]/.test(text)) {
    let data: unknown
    try {
      data = JSON.parse(text)
    } catch (cause) {
      throw new TranscriptError(`${fileName} is not valid JSON: ${(cause as Error).message}`, { cause })
    }
    const obj = data as Record<string, unknown>
    if (obj && typeof obj === 'object') {
      if (Array.isArray(obj.utterances)) return 'callqa'
      if (Array.isArray(obj.segments)) return 'whisper'
      if (obj.results && typeof obj.results === 'object') return 'aws'
    }
    throw new TranscriptError(
      `${fileName}: unknown JSON transcript (expected "utterances" (callqa), "segments" (Whisper) or "results" (Amazon Transcribe))`,
    )
  }
  if (/^\s*\d+\s*\r?\n\s*\d{1,2}:\d{2}:\d{2}[,.]\d{1,3}\s*-->/.test(text)) return 'srt'
  throw new TranscriptError(`${fileName}: unknown transcript format (use .json, .vtt or .srt)`)
}

export function parseTranscript({
  text,
  fileName,
  format,
}: {
  text: string
  fileName: string
  format?: TranscriptFormat
}): ParsedTranscript {
  const kind = format ?? detectTranscriptFormat(fileName, text)
  switch (kind) {
    case 'vtt':
      return { format: kind, utterances: parseCues(text, fileName, 'vtt') }
    case 'srt':
      return { format: kind, utterances: parseCues(text, fileName, 'srt') }
    default: {
      let data: unknown
      try {
        data = JSON.parse(text)
      } catch (cause) {
        throw new TranscriptError(`${fileName} is not valid JSON: ${(cause as Error).message}`, { cause })
      }
      if (kind === 'callqa') return { format: kind, utterances: parseCallqa(data, fileName) }
      if (kind === 'whisper') return parseWhisper(data, fileName)
      return parseAws(data, fileName)
    }
  }
}

// ---------------------------------------------------------------- JSON helpers

function fail(fileName: string, where: string, problem: string): never {
  throw new TranscriptError(`${fileName}: ${where} ${problem}`)
}

function num(value: unknown, fileName: string, where: string): number {
  const n = typeof value === 'string' ? Number(value) : value
  if (typeof n !== 'number' || !Number.isFinite(n) || n < 0) fail(fileName, where, 'must be a number ≥ 0')
  return n
}

function str(value: unknown, fileName: string, where: string): string {
  if (typeof value !== 'string') fail(fileName, where, 'must be a string')
  return value
}

function checkOrder(startMs: number, endMs: number, fileName: string, where: string) {
  if (endMs < startMs) fail(fileName, where, `ends (${endMs} ms) before it starts (${startMs} ms)`)
}

const seconds = (s: number) => Math.round(s * 1000)

// ---------------------------------------------------------------- callqa JSON

function parseCallqa(data: unknown, fileName: string): RawUtterance[] {
  const list = (data as { utterances: unknown[] }).utterances
  return list.map((item, i) => {
    const where = `utterances[${i}]`
    if (!item || typeof item !== 'object') fail(fileName, where, 'must be an object')
    const u = item as Record<string, unknown>
    const startMs = Math.round(num(u.start_ms, fileName, `${where}.start_ms`))
    const endMs = Math.round(num(u.end_ms, fileName, `${where}.end_ms`))
    checkOrder(startMs, endMs, fileName, where)
    const words = Array.isArray(u.words)
      ? u.words.map((w, j) => {
          const ww = w as Record<string, unknown>
          const at = `${where}.words[${j}]`
          return {
            word: str(ww.word, fileName, `${at}.word`),
            startMs: Math.round(num(ww.start_ms, fileName, `${at}.start_ms`)),
            endMs: Math.round(num(ww.end_ms, fileName, `${at}.end_ms`)),
          }
        })
      : undefined
    return {
      label: u.speaker === undefined ? '' : str(u.speaker, fileName, `${where}.speaker`),
      startMs,
      endMs,
      text: str(u.text, fileName, `${where}.text`).trim(),
      ...(words ? { words } : {}),
    }
  })
}

// ---------------------------------------------------------------- Whisper JSON

function parseWhisper(data: unknown, fileName: string): ParsedTranscript {
  const obj = data as { segments: unknown[]; language?: unknown }
  const utterances = obj.segments.map((item, i): RawUtterance => {
    const where = `segments[${i}]`
    if (!item || typeof item !== 'object') fail(fileName, where, 'must be an object')
    const seg = item as Record<string, unknown>
    const startMs = seconds(num(seg.start, fileName, `${where}.start`))
    const endMs = seconds(num(seg.end, fileName, `${where}.end`))
    checkOrder(startMs, endMs, fileName, where)
    const words = Array.isArray(seg.words)
      ? seg.words.map((w, j) => {
          const ww = w as Record<string, unknown>
          const at = `${where}.words[${j}]`
          return {
            word: str(ww.word, fileName, `${at}.word`).trim(),
            startMs: seconds(num(ww.start, fileName, `${at}.start`)),
            endMs: seconds(num(ww.end, fileName, `${at}.end`)),
          }
        })
      : undefined
    // WhisperX and similar add a speaker label from diarization.
    const label = typeof seg.speaker === 'string' ? seg.speaker : ''
    return {
      label,
      startMs,
      endMs,
      text: str(seg.text, fileName, `${where}.text`).trim(),
      ...(words ? { words } : {}),
    }
  })
  return {
    format: 'whisper',
    utterances,
    ...(typeof obj.language === 'string' ? { language: obj.language } : {}),
  }
}

// ---------------------------------------------------------------- Amazon Transcribe JSON

interface AwsItem {
  start_time?: string
  end_time?: string
  type: string
  alternatives: Array<{ content: string }>
  speaker_label?: string
  channel_label?: string
}

/** A pause this long between two words of the same speaker starts a new utterance. */
const AWS_UTTERANCE_GAP_MS = 1500

function parseAws(data: unknown, fileName: string): ParsedTranscript {
  const results = (data as { results: Record<string, unknown> }).results
  const labelled: Array<AwsItem & { label: string }> = []
  const channels = (results.channel_labels as { channels?: unknown[] } | undefined)?.channels
  if (Array.isArray(channels)) {
    // Channel identification: each channel lists its own items.
    channels.forEach((ch, c) => {
      const channel = ch as { channel_label?: unknown; items?: unknown }
      const label = str(
        channel.channel_label,
        fileName,
        `results.channel_labels.channels[${c}].channel_label`,
      )
      if (!Array.isArray(channel.items))
        fail(fileName, `results.channel_labels.channels[${c}].items`, 'must be an array')
      for (const item of channel.items as AwsItem[]) labelled.push({ ...item, label })
    })
  } else {
    if (!Array.isArray(results.items)) fail(fileName, 'results.items', 'must be an array')
    const items = results.items as AwsItem[]
    // Speaker labels: on each item (newer output) or as time ranges in speaker_labels.segments.
    const ranges = ((results.speaker_labels as { segments?: unknown[] } | undefined)?.segments ??
      []) as Array<{
      start_time: string
      end_time: string
      speaker_label: string
    }>
    let previous = ''
    for (const item of items) {
      let label = item.speaker_label ?? ''
      if (!label && item.start_time === undefined)
        label = previous // punctuation: the word before's speaker
      else if (!label) {
        const t = Number(item.start_time)
        label = ranges.find((r) => Number(r.start_time) <= t && t < Number(r.end_time))?.speaker_label ?? ''
      }
      labelled.push({ ...item, label })
      previous = label
    }
  }

  // Punctuation has no times: it belongs to the word before it, in the same channel.
  const words: Array<{ label: string; word: Word }> = []
  const lastOf = new Map<string, Word>()
  labelled.forEach((item, i) => {
    const content = item.alternatives?.[0]?.content
    if (typeof content !== 'string') fail(fileName, `item ${i}`, 'has no alternatives[0].content')
    if (item.type === 'punctuation') {
      const prev = lastOf.get(item.label)
      if (prev) prev.word += content
      return
    }
    const where = `item ${i} ("${content}")`
    const word = {
      word: content,
      startMs: seconds(num(item.start_time, fileName, `${where} start_time`)),
      endMs: seconds(num(item.end_time, fileName, `${where} end_time`)),
    }
    lastOf.set(item.label, word)
    words.push({ label: item.label, word })
  })
  words.sort((a, b) => a.word.startMs - b.word.startMs)

  const utterances: RawUtterance[] = []
  const open = new Map<string, RawUtterance>()
  for (const { label, word } of words) {
    const current = open.get(label)
    const last = utterances[utterances.length - 1]
    // A new utterance when the speaker changes (someone else spoke in between) or pauses long.
    if (current && current === last && word.startMs - current.endMs < AWS_UTTERANCE_GAP_MS) {
      current.words?.push(word)
      current.endMs = word.endMs
    } else {
      const u: RawUtterance = { label, startMs: word.startMs, endMs: word.endMs, text: '', words: [word] }
      utterances.push(u)
      open.set(label, u)
    }
  }
  for (const u of utterances) u.text = (u.words ?? []).map((w) => w.word).join(' ')
  const language = typeof results.language_code === 'string' ? results.language_code : undefined
  return { format: 'aws', utterances, ...(language ? { language } : {}) }
}

// ---------------------------------------------------------------- WebVTT and SRT

const TIMING = /^\s*((?:\d+:)?\d{1,2}:\d{2}[.,]\d{1,3})\s*-->\s*((?:\d+:)?\d{1,2}:\d{2}[.,]\d{1,3})/

function timestamp(text: string): number {
  const parts = text.replace(',', '.').split(':')
  const secs = Number(parts.pop())
  const mins = Number(parts.pop() ?? 0)
  const hours = Number(parts.pop() ?? 0)
  return Math.round((hours * 3600 + mins * 60 + secs) * 1000)
}

/** Speaker from `<v Name>` (WebVTT), or a leading "Name:" / "[Name]" / "Name：" (both formats). */
function speakerOf(lines: string[]): { label: string; text: string } {
  let joined = lines.join(' ').trim()
  let label = ''
  const voice = /<v(?:\.[^ >]+)?\s+([^>]+)>/.exec(joined)
  if (voice?.[1]) label = voice[1].trim()
  joined = joined
    .replace(/<[^>]+>/g, '')
    .replace(/\s+/g, ' ')
    .trim()
  if (!label) {
    const prefix = /^(?:\[([^\]]{1,40})\]|([^\s:：][^:：]{0,39})[:：])\s*(.*)$/.exec(joined)
    if (prefix && !/^\d+$/.test(prefix[2] ?? '')) {
      label = (prefix[1] ?? prefix[2] ?? '').trim()
      joined = (prefix[3] ?? '').trim()
    }
  }
  return { label, text: joined }
}

function parseCues(text: string, fileName: string, kind: 'vtt' | 'srt'): RawUtterance[] {
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/)
  if (kind === 'vtt' && !/^WEBVTT/.test(lines[0] ?? '')) fail(fileName, 'line 1', 'must start with WEBVTT')
  const out: RawUtterance[] = []
  for (let i = 0; i < lines.length; i++) {
    const timing = TIMING.exec(lines[i] ?? '')
    if (!timing) {
      const line = (lines[i] ?? '').trim()
      // Cue ids, blank lines and VTT blocks (NOTE, STYLE, REGION) sit between cues.
      if (/^[\d:.,]+\s*-+>/.test(line)) fail(fileName, `line ${i + 1}`, `has a malformed timing "${line}"`)
      continue
    }
    const startMs = timestamp(timing[1] as string)
    const endMs = timestamp(timing[2] as string)
    checkOrder(startMs, endMs, fileName, `line ${i + 1}`)
    const body: string[] = []
    while (i + 1 < lines.length && (lines[i + 1] ?? '').trim() !== '') body.push(lines[++i] as string)
    const { label, text: cueText } = speakerOf(body)
    if (cueText) out.push({ label, startMs, endMs, text: cueText })
  }
  if (out.length === 0) fail(fileName, '', 'has no cues')
  return out
}

// ---------------------------------------------------------------- speaker mapping

const AGENT_NAMES = /^(agent|rep|representative|advisor|operator|csr|坐席|客服|座席)$/i
const CUSTOMER_NAMES = /^(customer|caller|client|客户|顾客|来电人)$/i

export interface SpeakerMappingOptions {
  /** Explicit label → speaker, e.g. { spk_0: 'customer' }; wins over everything else. */
  map?: Record<string, 'agent' | 'customer'>
  /** Swap agent and customer after mapping (a per-call correction). */
  swap?: boolean
  /** The recording's layout: channel labels follow it (ch_0 = left). */
  layout: 'stereo-agent-left' | 'stereo-agent-right' | 'mono'
  /** Who usually speaks first when nothing else tells: the agent on inbound calls, the customer on outbound. */
  direction?: 'inbound' | 'outbound'
}

export interface MappedUtterance extends Omit<RawUtterance, 'label'> {
  speaker: Speaker
}

/**
 * Labels → agent/customer: explicit map, then role names ("Agent", "客户" …), then channel labels by
 * layout, then order of first appearance (inbound: the agent greets first). Labels that stay
 * unknown (no label at all) become `speaker`.
 */
export function mapSpeakers(
  utterances: readonly RawUtterance[],
  options: SpeakerMappingOptions,
): MappedUtterance[] {
  const firstSpeaker = options.direction === 'outbound' ? 'customer' : 'agent'
  const other = firstSpeaker === 'agent' ? 'customer' : 'agent'
  const byOrder = new Map<string, 'agent' | 'customer'>()
  const resolve = (label: string): Speaker => {
    const explicit = options.map?.[label]
    if (explicit) return explicit
    if (!label) return 'speaker'
    if (AGENT_NAMES.test(label)) return 'agent'
    if (CUSTOMER_NAMES.test(label)) return 'customer'
    const channel = /^ch_?(\d+)$/i.exec(label)
    if (channel && options.layout !== 'mono') {
      const left = channel[1] === '0'
      return left === (options.layout === 'stereo-agent-left') ? 'agent' : 'customer'
    }
    let known = byOrder.get(label)
    if (!known) {
      known = byOrder.size === 0 ? firstSpeaker : other
      byOrder.set(label, known)
    }
    return known
  }
  const swap = { agent: 'customer', customer: 'agent', speaker: 'speaker' } as const
  return utterances.map(({ label, ...rest }) => {
    const speaker = resolve(label)
    return { ...rest, speaker: options.swap ? swap[speaker] : speaker }
  })
}
