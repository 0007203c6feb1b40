import { readFileSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, test } from 'vitest'
import {
  detectTranscriptFormat,
  mapSpeakers,
  parseTranscript,
  type RawUtterance,
} from '../../../analysis/stages/parse-transcript.js'

const dir = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'fixtures', 'transcripts')
const load = (file: string) =>
  parseTranscript({ text: readFileSync(path.join(dir, file), 'utf8'), fileName: file })
const bad = (fileName: string, text: string) => () => parseTranscript({ fileName, text })

describe('parseTranscript reads each format', () => {
  test('callqa JSON, with word times', () => {
    const t = load('call.callqa.json')
    expect(t.format).toBe('callqa')
    expect(t.utterances).toEqual([
      {
        label: 'agent',
        startMs: 600,
        endMs: 4120,
        text: 'Thank you for calling Acme Energy, my name is Sam.',
        words: [
          { word: 'Thank', startMs: 600, endMs: 820 },
          { word: 'you', startMs: 820, endMs: 950 },
        ],
      },
      {
        label: 'customer',
        startMs: 5860,
        endMs: 9700,
        text: 'Hi Sam, I have a question about my last bill.',
      },
    ])
  })

  test('Whisper JSON: segments in seconds, words, language; no speaker', () => {
    const t = load('whisper.json')
    expect(t).toMatchObject({ format: 'whisper', language: 'en' })
    expect(t.utterances.map((u) => [u.label, u.startMs, u.endMs, u.text])).toEqual([
      ['', 600, 4120, 'Thank you for calling Acme Energy, my name is Sam.'],
      ['', 5860, 9700, 'Hi Sam, I have a question about my last bill.'],
    ])
    expect(t.utterances[0]?.words?.[3]).toEqual({ word: 'calling', startMs: 1100, endMs: 1500 })
  })

  test('Amazon Transcribe with speaker labels: punctuation joins its word, long pauses split', () => {
    const t = load('aws-speakers.json')
    expect(t.language).toBe('en-US')
    expect(t.utterances.map((u) => [u.label, u.startMs, u.endMs, u.text])).toEqual([
      ['spk_0', 600, 3100, 'Thank you for calling, my name is Sam.'],
      ['spk_1', 5800, 6400, 'Hi Sam.'],
      ['spk_1', 8500, 9900, 'My bill is high.'], // 2.1 s pause: a new utterance
    ])
  })

  test('Amazon Transcribe with channel identification', () => {
    const t = load('aws-channels.json')
    expect(t.utterances.map((u) => [u.label, u.startMs, u.endMs, u.text])).toEqual([
      ['ch_0', 800, 2800, 'Good afternoon, this is Sam.'],
      ['ch_1', 3700, 5100, 'Hello, I am locked out.'],
    ])
  })

  test('WebVTT: <v> voices, "Name:" prefixes, multi-line cues, tags, NOTE blocks and cue settings', () => {
    const t = load('call.vtt')
    expect(t.utterances).toEqual([
      {
        label: 'Agent',
        startMs: 600,
        endMs: 4120,
        text: 'Thank you for calling Acme Energy, my name is Sam.',
      },
      {
        label: 'Customer',
        startMs: 5860,
        endMs: 9700,
        text: 'Hi Sam, I have a question about my last bill.',
      },
      { label: 'Agent', startMs: 62_000, endMs: 63_500, text: 'Anything else?' },
    ])
  })

  test('SRT: CRLF, comma decimals, "NAME:", full-width "客户：" and "[Name]" prefixes', () => {
    const t = load('call.srt')
    expect(t.utterances).toEqual([
      { label: 'AGENT', startMs: 600, endMs: 4120, text: 'Thank you for calling Acme Energy.' },
      { label: '客户', startMs: 5860, endMs: 9700, text: '你好，我想退款。' },
      { label: 'Agent', startMs: 10_000, endMs: 11_000, text: 'One moment.' },
    ])
  })
})

describe('malformed transcripts fail with the file and the problem named', () => {
  test.each([
    [
      'x.json',
      '{"utterances": [{"speaker": "agent", "start_ms": 5, "text": "hi"}]}',
      /x\.json: utterances\[0\]\.end_ms must be a number/,
    ],
    [
      'x.json',
      '{"utterances": [{"start_ms": 900, "end_ms": 100, "text": "hi"}]}',
      /utterances\[0\] ends \(100 ms\) before it starts \(900 ms\)/,
    ],
    ['x.json', '{"segments": [{"start": 1, "end": 2}]}', /segments\[0\]\.text must be a string/],
    [
      'x.json',
      '{"results": {"items": [{"type": "pronunciation", "alternatives": [{"content": "hi"}]}]}}',
      /item 0 \("hi"\) start_time must be a number/,
    ],
    ['x.json', '{"foo": 1}', /unknown JSON transcript/],
    ['x.json', '{"utterances": [', /not valid JSON/],
    ['x.vtt', 'WEBVTT\n\n00:00:01.000 -> 00:00:02.000\nhi\n', /line 3 has a malformed timing/],
    ['x.vtt', 'hello\n', /line 1 must start with WEBVTT/],
    [
      'x.srt',
      '1\n00:00:05,000 --> 00:00:01,000\nhi\n',
      /line 2 ends \(1000 ms\) before it starts \(5000 ms\)/,
    ],
    ['x.srt', '\n\n', /has no cues/],
    ['notes.txt', 'just some notes', /unknown transcript format/],
  ])('%s: %s', (fileName, text, message) => {
    expect(bad(fileName, text)).toThrow(message)
    try {
      bad(fileName, text)()
    } catch (err) {
      expect(err).toMatchObject({ code: 'QA_ERR_TRANSCRIPT' })
    }
  })

  test('format detection by content when the ending does not say', () => {
    expect(detectTranscriptFormat('t.txt', 'WEBVTT\n')).toBe('vtt')
    expect(detectTranscriptFormat('t.txt', '1\n00:00:01,000 --> 00:00:02,000\nhi\n')).toBe('srt')
  })
})

describe('mapSpeakers', () => {
  const u = (label: string): RawUtterance => ({ label, startMs: 0, endMs: 1, text: 'x' })
  const speakers = (labels: string[], options: Parameters<typeof mapSpeakers>[1]) =>
    mapSpeakers(labels.map(u), options).map((m) => m.speaker)

  test('role names in English and Chinese', () => {
    expect(speakers(['Agent', 'Customer', 'REP', 'caller', '客服', '客户'], { layout: 'mono' })).toEqual([
      'agent',
      'customer',
      'agent',
      'customer',
      'agent',
      'customer',
    ])
  })
  test('channels follow the layout', () => {
    expect(speakers(['ch_0', 'ch_1'], { layout: 'stereo-agent-left' })).toEqual(['agent', 'customer'])
    expect(speakers(['ch_0', 'ch_1'], { layout: 'stereo-agent-right' })).toEqual(['customer', 'agent'])
  })
  test('unnamed speakers by who speaks first: the agent inbound, the customer outbound', () => {
    expect(speakers(['spk_1', 'spk_0', 'spk_1'], { layout: 'mono' })).toEqual(['agent', 'customer', 'agent'])
    expect(speakers(['spk_1', 'spk_0'], { layout: 'mono', direction: 'outbound' })).toEqual([
      'customer',
      'agent',
    ])
  })
  test('an explicit map wins, swap flips, no label stays unattributed', () => {
    expect(
      speakers(['spk_0', 'Agent'], { layout: 'mono', map: { spk_0: 'customer', Agent: 'customer' } }),
    ).toEqual(['customer', 'customer'])
    expect(speakers(['ch_0', 'ch_1', ''], { layout: 'stereo-agent-left', swap: true })).toEqual([
      'customer',
      'agent',
      'speaker',
    ])
  })
})
