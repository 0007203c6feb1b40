/** Prosody and arousal: the features on signals with known answers, and the flags on the sample calls. */
import path from 'node:path'
import { describe, expect, test } from 'vitest'
import { analyzeCall } from '../../../analysis/analyze-call.js'
import { ProsodyTracker, scoreArousal } from '../../../analysis/stages/prosody.js'
import { summarizeSentiment } from '../../../analysis/stages/summarize-sentiment.js'
import type { Segment } from '../../../analysis/types.js'
import { loadTruths, samplesDir } from '../../../samples/ground-truth.js'
import { ffmpegPath } from '../../helpers/audio.js'

const RATE = 8000
const WINDOW = 256

/** A voiced-like signal: harmonics of f0 with a syllable-rate amplitude envelope. */
function voice(seconds: number, f0: number, amplitude: number, syllablesPerSecond: number): Float32Array {
  const x = new Float32Array(Math.round(seconds * RATE))
  for (let i = 0; i < x.length; i++) {
    const t = i / RATE
    const envelope = 0.55 - 0.45 * Math.cos(2 * Math.PI * syllablesPerSecond * t)
    let s = 0
    for (let h = 1; h <= 5; h++) s += Math.sin(2 * Math.PI * f0 * h * t) / h
    x[i] = amplitude * envelope * s * 0.5
  }
  return x
}

function track(signal: Float32Array): ProsodyTracker {
  const tracker = new ProsodyTracker(1, RATE, WINDOW)
  for (let at = 0; at + WINDOW <= signal.length; at += WINDOW)
    tracker.push([signal.subarray(at, at + WINDOW)])
  return tracker
}

describe('ProsodyTracker', () => {
  test('pitch, loudness and syllable rate of synthetic voices', () => {
    for (const f0 of [90, 150, 240]) {
      const f = track(voice(2, f0, 0.3, 4)).segment(0, 0, 2000)
      expect(f?.pitchHz).toBeGreaterThan(f0 * 0.97)
      expect(f?.pitchHz).toBeLessThan(f0 * 1.03)
    }
    const quiet = track(voice(2, 120, 0.1, 4)).segment(0, 0, 2000)
    const loud = track(voice(2, 120, 0.2, 4)).segment(0, 0, 2000)
    // Twice the amplitude is +6 dB.
    expect((loud?.loudnessDb ?? 0) - (quiet?.loudnessDb ?? 0)).toBeCloseTo(6.02, 0)
    const slow = track(voice(3, 120, 0.2, 3)).segment(0, 0, 3000)
    const fast = track(voice(3, 120, 0.2, 6)).segment(0, 0, 3000)
    expect(slow?.rate).toBeGreaterThan(2.3)
    expect(slow?.rate).toBeLessThan(3.7)
    expect(fast?.rate).toBeGreaterThan(4.8)
    expect(fast?.rate).toBeLessThan(7.2)
  })

  test('silence has no pitch; a too-short segment no features', () => {
    const tracker = track(new Float32Array(RATE))
    expect(tracker.segment(0, 0, 1000)?.pitchHz).toBeNull()
    expect(tracker.segment(0, 0, 50)).toBeNull()
  })

  test('arousal rises with louder, higher, faster speech against the same speaker at rest', () => {
    const calm = voice(2, 110, 0.1, 3.5)
    const raised = voice(2, 140, 0.22, 4.5)
    const signal = new Float32Array(calm.length * 4)
    signal.set(calm, 0)
    signal.set(calm, calm.length)
    signal.set(raised, calm.length * 2)
    signal.set(calm, calm.length * 3)
    const segments: Segment[] = [0, 2000, 4000, 6000].map((startMs) => ({
      speaker: 'customer',
      startMs,
      endMs: startMs + 2000,
    }))
    const scored = scoreArousal(segments, track(signal), () => 0)
    expect(scored.map((s) => s.agitated)).toEqual([false, false, true, false])
    expect(scored[2]?.arousal).toBeGreaterThan(0.5)
    expect(Math.abs(scored[0]?.arousal ?? 1)).toBeLessThan(0.1)
    // Both speakers on one channel: no single baseline, no arousal.
    const mixed = scoreArousal(segments, track(signal), () => 0, { mixed: true })
    expect(mixed.every((s) => s.arousal === null && !s.agitated && s.loudnessDb !== null)).toBe(true)
  })
})

test('sample calls: the agitated turns of the script, and nothing else, are flagged', async () => {
  for (const truth of loadTruths()) {
    const result = await analyzeCall({
      inputPath: path.join(samplesDir, truth.file),
      layout: truth.layout,
      ffmpegPath,
    })
    const agitatedTurns = truth.utterances.filter((u) => u.agitated)
    const flagged = result.segments.filter((s) => s.agitated)
    expect(flagged.length, truth.id).toBe(agitatedTurns.length)
    for (const turn of agitatedTurns) {
      const hit = flagged.find((s) => s.startMs < turn.endMs && s.endMs > turn.startMs)
      expect(hit?.speaker, `${truth.id} ${turn.startMs}`).toBe(turn.speaker)
    }
    if (truth.layout === 'mono') expect(result.segments.every((s) => s.arousal === null)).toBe(true)
  }
})

describe('summarizeSentiment', () => {
  const u = (speaker: string, startMs: number, sentiment: number | null) => ({
    speaker,
    startMs,
    endMs: startMs + 2000,
    sentiment,
  })
  test('start and end are the customer means over the first and last quarter; min, trend, agent mean', () => {
    const s = summarizeSentiment({
      durationMs: 40_000,
      segments: [],
      utterances: [
        u('agent', 0, 0.5),
        u('customer', 2000, -0.2),
        u('customer', 6000, -0.4),
        u('customer', 20_000, -0.9),
        u('agent', 25_000, 0.1),
        u('customer', 33_000, 0.6),
        u('customer', 36_000, 0.8),
      ],
    })
    expect(s).toMatchObject({
      customerSentimentStart: -0.3,
      customerSentimentEnd: 0.7,
      customerSentimentMin: -0.9,
      customerSentimentTrend: 1,
      agentSentimentMean: 0.3,
      agitatedSegments: 0,
      arousalPeaks: [],
    })
  })
  test('a customer silent at either end: the first and last customer utterance stand in; none at all: nulls', () => {
    const s = summarizeSentiment({
      durationMs: 40_000,
      segments: [],
      utterances: [
        u('agent', 0, 0.5),
        u('customer', 15_000, -0.5),
        u('customer', 20_000, 0.25),
        u('agent', 38_000, 0),
      ],
    })
    expect(s).toMatchObject({
      customerSentimentStart: -0.5,
      customerSentimentEnd: 0.25,
      customerSentimentTrend: 0.75,
    })
    const none = summarizeSentiment({ durationMs: 10_000, segments: [], utterances: [u('agent', 0, 0.4)] })
    expect(none).toMatchObject({
      customerSentimentStart: null,
      customerSentimentEnd: null,
      customerSentimentMin: null,
      customerSentimentTrend: null,
      agentSentimentMean: 0.4,
    })
  })
})
