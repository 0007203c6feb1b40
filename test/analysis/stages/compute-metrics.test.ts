import { describe, expect, test } from 'vitest'
import {
  computeMetrics,
  intersect,
  percentile,
  subtract,
  union,
} from '../../../analysis/stages/compute-metrics.js'
import type { Segment } from '../../../analysis/types.js'
import { ConfigError } from '../../../errors.js'

const a = (startMs: number, endMs: number): Segment => ({ speaker: 'agent', startMs, endMs })
const c = (startMs: number, endMs: number): Segment => ({ speaker: 'customer', startMs, endMs })

// A hand-worked conversation (values computed by hand in the comments below).
const conversation = [
  a(1000, 4000),
  c(4100, 4400), // a short customer turn in the agent's pause
  a(4500, 8000), // agent responds 100 ms after the customer stops
  c(8600, 12000),
  a(20000, 26000), // 8 s silence before this: agent response latency 8000
  c(21500, 24000), // customer interrupts: agent talking 1.5 s, customer holds 2.5 s
  a(27000, 28000),
  c(28500, 29000), // customer speaks last
]

describe('computeMetrics', () => {
  test('talk, silence, overtalk, interruptions, monologues, latency and last speaker', () => {
    const m = computeMetrics({ segments: conversation, durationMs: 30_000 })
    expect(m).toEqual({
      durationMs: 30_000,
      agentTalkMs: 13_500, // 3000 + 3500 + 6000 + 1000
      customerTalkMs: 6_700, // 300 + 3400 + 2500 + 500
      speakerTalkMs: null,
      agentTalkRatio: 13_500 / 20_200,
      talkPercent: (100 * 17_700) / 30_000, // union of all speech = 17 700
      nonTalkMs: 12_300,
      deadAirCount: 0, // longest silence is 8 s < 10 s
      deadAirTotalMs: 0,
      deadAirLongestMs: 0,
      holdCount: 0,
      holdTotalMs: 0,
      holdLongestMs: 0,
      overtalkCount: 1,
      overtalkMs: 2_500, // 21 500–24 000
      agentInterruptions: 0,
      customerInterruptions: 1,
      agentLongestMonologueMs: 4_000, // 24 000–28 000: the 1 s pause is bridged, ends where nobody else talks
      customerLongestMonologueMs: 3_400,
      agentResponseLatencyMeanMs: 4_050, // (100 + 8000) / 2
      agentResponseLatencyP90Ms: 8_000,
      agentResponseCount: 2,
      lastSpeaker: 'customer',
      turns: 8,
    })
  })

  test('dead air threshold is configurable and counts only silences inside the conversation', () => {
    const m = computeMetrics({ segments: conversation, durationMs: 60_000, options: { deadAirMs: 5000 } })
    expect([m.deadAirCount, m.deadAirTotalMs, m.deadAirLongestMs]).toEqual([1, 8000, 8000])
  })

  test('silence inside a hold is hold time, not dead air; what the hold leaves over is', () => {
    const options = { deadAirMs: 5000 }
    // The 8 s silence (12 000–20 000) held in full: no dead air, one 8 s hold.
    const held = computeMetrics({
      segments: conversation,
      durationMs: 60_000,
      options,
      holds: [{ startMs: 12_000, endMs: 20_000 }],
    })
    expect([held.deadAirCount, held.holdCount, held.holdTotalMs, held.holdLongestMs]).toEqual([
      0, 1, 8000, 8000,
    ])
    // A hold over its first 2 s only: the 6 s after it are still dead air.
    const partly = computeMetrics({
      segments: conversation,
      durationMs: 60_000,
      options,
      holds: [{ startMs: 12_000, endMs: 14_000 }],
    })
    expect([partly.deadAirCount, partly.deadAirLongestMs, partly.holdTotalMs]).toEqual([1, 6000, 2000])
  })

  test('overlaps shorter than minOvertalkMs are boundary jitter, not overtalk', () => {
    const m = computeMetrics({ segments: [a(0, 1000), c(950, 2000)], durationMs: 2000 })
    expect([m.overtalkCount, m.overtalkMs]).toEqual([0, 0])
    const strict = computeMetrics({
      segments: [a(0, 1000), c(950, 2000)],
      durationMs: 2000,
      options: { minOvertalkMs: 0 },
    })
    expect([strict.overtalkCount, strict.overtalkMs]).toEqual([1, 50])
  })

  test('an interruption needs the other to have talked ≥ 1 s and the interrupter to keep going ≥ 1 s', () => {
    const short = computeMetrics({ segments: [a(0, 5000), c(2000, 2600)], durationMs: 6000 }) // backchannel
    expect(short.customerInterruptions).toBe(0)
    const early = computeMetrics({ segments: [a(0, 5000), c(500, 2600)], durationMs: 6000 }) // agent only 0.5 s in
    expect(early.customerInterruptions).toBe(0)
    const real = computeMetrics({ segments: [a(0, 5000), c(1000, 2000)], durationMs: 6000 })
    expect(real.customerInterruptions).toBe(1)
  })

  test('mono calls: unattributed talk and silence; speaker-pair metrics are null', () => {
    const m = computeMetrics({
      segments: [
        { speaker: 'speaker', startMs: 0, endMs: 1000 },
        { speaker: 'speaker', startMs: 12_000, endMs: 13_000 },
      ],
      durationMs: 14_000,
      mono: true,
    })
    expect(m).toMatchObject({
      speakerTalkMs: 2000,
      agentTalkMs: null,
      agentTalkRatio: null,
      deadAirCount: 1,
      deadAirLongestMs: 11_000,
      overtalkMs: null,
      agentInterruptions: null,
      agentResponseLatencyMeanMs: null,
      lastSpeaker: 'speaker',
    })
  })

  test('two voices on one channel: per-party talk and latency, no overlap or interruptions', () => {
    const m = computeMetrics({
      segments: [a(0, 3000), c(3500, 6000), a(6400, 9000)],
      durationMs: 10_000,
      oneChannel: true,
    })
    expect(m).toMatchObject({
      agentTalkMs: 5600,
      customerTalkMs: 2500,
      speakerTalkMs: 8100,
      overtalkMs: null,
      overtalkCount: null,
      agentInterruptions: null,
      customerInterruptions: null,
      lastSpeaker: 'agent',
    })
    expect(m.agentTalkRatio).toBeCloseTo(5600 / 8100, 5)
    expect(m.agentResponseLatencyMeanMs).toBe(400)
  })

  test('a call with no speech has zero talk and no dead air', () => {
    const m = computeMetrics({ segments: [], durationMs: 5000 })
    expect(m).toMatchObject({ agentTalkMs: 0, nonTalkMs: 5000, deadAirCount: 0, lastSpeaker: null, turns: 0 })
  })

  test('invalid thresholds are rejected with the option named', () => {
    expect(() => computeMetrics({ segments: [], durationMs: 1, options: { deadAirMs: -1 } })).toThrow(
      ConfigError,
    )
    expect(() => computeMetrics({ segments: [], durationMs: 1, options: { deadAirMs: -1 } })).toThrow(
      /deadAirMs/,
    )
  })
})

describe('interval helpers', () => {
  test('union, intersect, subtract and percentile', () => {
    expect(union([a(5, 8), a(0, 3), a(2, 4)])).toEqual([
      { startMs: 0, endMs: 4 },
      { startMs: 5, endMs: 8 },
    ])
    expect(intersect(union([a(0, 10)]), union([c(2, 3), c(8, 12)]))).toEqual([
      { startMs: 2, endMs: 3 },
      { startMs: 8, endMs: 10 },
    ])
    expect(
      subtract(
        [{ startMs: 0, endMs: 10 }],
        [
          { startMs: 2, endMs: 3 },
          { startMs: 8, endMs: 12 },
        ],
      ),
    ).toEqual([
      { startMs: 0, endMs: 2 },
      { startMs: 3, endMs: 8 },
    ])
    expect(percentile([5, 1, 3, 2, 4, 6, 7, 8, 9, 10], 90)).toBe(9)
    expect(percentile([], 90)).toBeNull()
  })
})
