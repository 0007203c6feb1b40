/**
 * A call's conclusions are pure: drawn in the worker from its audio analysis and what the call had
 * stored, without a database. A real telephone call with an announced hold (real audio through the
 * real analysis), its transcript parsed, redacted and scored as intake does.
 */
import { readFileSync } from 'node:fs'
import { beforeAll, describe, expect, test } from 'vitest'
import { type AnalyzeCallResult, analyzeCall } from '../../analysis/analyze-call.js'
import { type CallContext, concludeCall, storedUtterance } from '../../analysis/conclude.js'
import { computeMetrics } from '../../analysis/stages/compute-metrics.js'
import { mapSpeakers, parseTranscript } from '../../analysis/stages/parse-transcript.js'
import { redactUtterances } from '../../analysis/stages/redact-utterances.js'
import { scoreUtterances } from '../../analysis/stages/score-sentiment.js'
import { ffmpegPath, sample } from '../helpers/audio.js'

let result: AnalyzeCallResult
let context: CallContext

beforeAll(async () => {
  result = await analyzeCall({ inputPath: sample('call-10-phone-hold-en.wav'), layout: 'auto', ffmpegPath })
  const parsed = parseTranscript({
    text: readFileSync(sample('call-10-phone-hold-en.json'), 'utf8'),
    fileName: 'call-10-phone-hold-en.json',
  })
  const scored = scoreUtterances(
    redactUtterances(mapSpeakers(parsed.utterances, { layout: 'stereo-agent-left', direction: 'inbound' }), {
      keepOriginal: false,
    }),
  )
  const utterances = scored.map(storedUtterance)
  context = {
    transcriptStatus: 'supplied',
    transcriptFormat: parsed.format,
    transcriptSource: 'call-10-phone-hold-en.json',
    transcriptTrusted: true,
    requestedLayout: 'auto',
    direction: 'inbound',
    roleDecided: false,
    toggleSwap: false,
    utterances,
  }
}, 60_000)

describe('the conclusions of a call', () => {
  test('the announced hold is a hold, not dead air; metrics are those of the final segments; the same twice', () => {
    const c = concludeCall(result, context)
    const announced = c.holds.filter((h) => h.reason === 'announced')
    expect(announced.length).toBe(1)
    expect((announced[0]?.endMs ?? 0) - (announced[0]?.startMs ?? 0)).toBeGreaterThan(15_000)
    expect(c.metrics.holdCount).toBeGreaterThanOrEqual(1)
    for (const d of c.episodes.deadAir)
      expect(d.endMs <= (announced[0]?.startMs ?? 0) || d.startMs >= (announced[0]?.endMs ?? 0)).toBe(true)
    expect(c.metrics).toEqual(
      computeMetrics({
        segments: c.segments,
        durationMs: result.durationMs,
        mono: false,
        oneChannel: false,
        holds: c.holds,
      }),
    )
    expect(c.language).toBe('en')
    expect(c.arousal.map((a) => a.seq)).toEqual(context.utterances.map((u) => u.seq))
    expect(c.arousal.some((a) => a.arousal !== null)).toBe(true)
    expect(c.sentiment.customerSentimentEnd).not.toBeNull()
    expect(c.transcript).toBeNull()
    expect(c.speakers).toEqual([])
    expect(concludeCall(result, context)).toEqual(c)
  })

  test('the same call asked for by the worker task: the worker draws them itself', async () => {
    const inWorker = await analyzeCall({
      inputPath: sample('call-10-phone-hold-en.wav'),
      layout: 'auto',
      ffmpegPath,
      conclude: context,
    })
    expect(inWorker.conclusions).toEqual(concludeCall(inWorker, context))
  })

  test('a swap turns every utterance round and is said to be a person’s', () => {
    const c = concludeCall(result, { ...context, toggleSwap: true })
    expect(c.flips).toBe(1)
    expect(c.roleDecision).toBeNull()
    expect(c.speakers).toHaveLength(context.utterances.length)
    for (const s of c.speakers) {
      const before = context.utterances.find((u) => u.seq === s.seq)?.speaker
      expect(s.speaker).toBe(before === 'agent' ? 'customer' : 'agent')
    }
  })

  test('a transcript of another, longer call is dropped with the reason, and feeds nothing', () => {
    const shifted = context.utterances.map((u) => ({
      ...u,
      startMs: u.startMs + 600_000,
      endMs: u.endMs + 600_000,
    }))
    const c = concludeCall(result, { ...context, utterances: shifted })
    expect(c.transcript).toMatchObject({ kind: 'misfit', status: { status: 'failed' } })
    expect(c.transcript?.status.error).toMatch(/does not belong to this recording/)
    expect(c.arousal).toEqual([])
    expect(c.holds.filter((h) => h.reason === 'announced')).toEqual([])
  })

  test('a recogniser that could not run: the transcript is emptied and says why', () => {
    const c = concludeCall(
      {
        ...result,
        transcript: { status: 'none', engine: 'pocketsphinx', error: 'no local speech recognition' },
      },
      { ...context, transcriptStatus: 'none', utterances: [] },
    )
    expect(c.transcript).toMatchObject({ kind: 'replace', utterances: [], status: { status: 'none' } })
    expect(c.language).toBeNull()
  })
})
