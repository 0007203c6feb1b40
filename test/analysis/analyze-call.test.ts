/**
 * The whole worker (ffmpeg decode → Silero VAD → metrics) on the sample calls, against the
 * ground truth their generator wrote. Tolerances are the measured accuracy, documented in the README.
 */
import path from 'node:path'
import { describe, expect, test } from 'vitest'
import { analyzeCall } from '../../analysis/analyze-call.js'
import { computeMetrics } from '../../analysis/stages/compute-metrics.js'
import { defaultVadOptions } from '../../analysis/stages/detect-voice-activity.js'
import {
  bridgePauses,
  frameScore,
  loadTruths,
  samplesDir,
  truthSegments,
} from '../../samples/ground-truth.js'
import { ffmpegPath } from '../helpers/audio.js'

const truths = loadTruths()

test('there are clean, telephone, mono and outbound sample calls', () => {
  expect(truths.length).toBeGreaterThanOrEqual(6)
  expect(truths.some((t) => t.channel === 'clean')).toBe(true)
  expect(truths.some((t) => t.channel === 'telephone' && t.layout === 'mono')).toBe(true)
  expect(truths.some((t) => t.direction === 'outbound')).toBe(true)
})

describe.each(truths)('$id', (truth) => {
  test('speech found, and metrics, match the ground truth', async () => {
    const result = await analyzeCall({
      inputPath: path.join(samplesDir, truth.file),
      layout: 'auto',
      ffmpegPath,
    })
    // A mono call's two voices are told apart too (analysis/stages/diarize.ts): the truth per party.
    const mono = truth.layout === 'mono'
    const expectedSegments = truthSegments({ ...truth, layout: 'stereo-agent-left' })
    const score = frameScore(expectedSegments, result.segments, result.durationMs)
    expect(score.f1).toBeGreaterThanOrEqual(truth.channel === 'clean' ? 0.9 : 0.85)

    const got = result.metrics
    // callqa's segments bridge pauses shorter than minSilenceMs; the truth's figures do the same.
    const bridged = bridgePauses(expectedSegments, defaultVadOptions.minSilenceMs)
    const want = computeMetrics({
      segments: bridged,
      durationMs: truth.durationMs,
      oneChannel: mono,
      // The worker finds holds with music from the audio (announced ones need the transcript).
      holds: (truth.holds ?? []).filter((h) => h.music),
    })
    // The defaults are chosen on real speech (test/analysis/stages/detect-voice-activity.test.ts
    // and the README); on these synthetic voices, whose onsets and offsets are harder than real
    // speech's, Silero's probability stays up 100–200 ms past an offset in line noise. Measured
    // worst cases: dead air 139 ms short, talk 245 ms long per segment (mono), 171 (stereo).
    // Whole-call figures: within 150 ms, counts exact.
    expect(Math.abs(got.durationMs - want.durationMs)).toBeLessThanOrEqual(100)
    expect(Math.abs(got.deadAirLongestMs - want.deadAirLongestMs)).toBeLessThanOrEqual(150)
    expect(Math.abs(got.deadAirTotalMs - want.deadAirTotalMs)).toBeLessThanOrEqual(150)
    expect(got.deadAirCount).toBe(want.deadAirCount)
    expect(got.overtalkCount).toBe(want.overtalkCount)
    expect(got.agentInterruptions).toBe(want.agentInterruptions)
    expect(got.customerInterruptions).toBe(want.customerInterruptions)
    expect(got.lastSpeaker).toBe(want.lastSpeaker)
    // Sums over every segment boundary: each boundary is off by tens of ms, so these
    // accumulate. Allowed: 5% of the talk time, or 250 ms per true segment.
    const close = (a: number | null, b: number | null, tolerance: number) => {
      if (a === null || b === null) return expect(a).toBe(b)
      expect(Math.abs(a - b)).toBeLessThanOrEqual(tolerance)
    }
    const segmentsOf = { agentTalkMs: 'agent', customerTalkMs: 'customer', speakerTalkMs: 'speaker' } as const
    for (const key of ['agentTalkMs', 'customerTalkMs', 'speakerTalkMs'] as const) {
      const count = bridged.filter((s) => s.speaker === segmentsOf[key]).length
      // On one channel each attribution error also moves talk between the parties: 8% there.
      close(got[key], want[key], Math.max(250 * count, (mono ? 0.08 : 0.05) * (want[key] ?? 0)))
    }
    close(got.agentTalkRatio, want.agentTalkRatio, 0.03)
    // Figures made of a few boundaries each: within 350 ms (one missed onset in noise moves them).
    for (const key of [
      'overtalkMs',
      'agentLongestMonologueMs',
      'customerLongestMonologueMs',
      'agentResponseLatencyMeanMs',
      'agentResponseLatencyP90Ms',
    ] as const) {
      close(got[key], want[key], 350)
    }
  })
})

test('calls with known events show them', async () => {
  const run = (id: string) => {
    const t = truths.find((x) => x.id === id)
    if (!t) throw new Error(`missing sample ${id}`)
    return analyzeCall({ inputPath: path.join(samplesDir, t.file), layout: 'auto', ffmpegPath })
  }
  const deadAir = await run('call-04-phone-dead-air')
  expect(deadAir.metrics.deadAirCount).toBe(1)
  expect(deadAir.metrics.deadAirLongestMs).toBeGreaterThan(15_000)
  const overtalk = await run('call-05-phone-overtalk')
  expect(overtalk.metrics.customerInterruptions).toBe(2)
  expect(overtalk.metrics.overtalkMs).toBeGreaterThan(2500)
  // Both parties on one channel: two voices told apart, overlap not measurable (null, not 0).
  const mono = await run('call-03-mono-delivery')
  expect(mono.layout).toBe('mono')
  expect(new Set(mono.segments.map((s) => s.speaker))).toEqual(new Set(['agent', 'customer']))
  expect(mono.metrics).toMatchObject({ overtalkMs: null, agentInterruptions: null })
  expect(mono.metrics.speakerTalkMs).toBe(
    (mono.metrics.agentTalkMs ?? 0) + (mono.metrics.customerTalkMs ?? 0),
  )
  const outbound = await run('call-07-phone-outbound')
  expect(outbound.metrics.lastSpeaker).toBe('customer')
})
