import { describe, expect, test } from 'vitest'
import { SpeechSegmenter } from '../../../analysis/stages/segment-speech.js'

const RATE = 8000
const WINDOW = 256 // 32 ms at 8 kHz
const options = {
  threshold: 0.5,
  negThreshold: 0.35,
  minSpeechMs: 150,
  minSilenceMs: 300,
  padStartMs: 30,
  padEndMs: 30,
  levelGateDb: 0,
}

/** Feeds one probability per window, `runs` as [probability, windows] pairs. */
function segment(runs: Array<[number, number]>, opts = options) {
  const s = new SpeechSegmenter(opts, RATE)
  let w = 0
  for (const [p, n] of runs) {
    for (let i = 0; i < n; i++) s.push(p, WINDOW * w++)
  }
  return s.finish(WINDOW * w)
}

describe('SpeechSegmenter', () => {
  test('a pause shorter than minSilenceMs does not split speech; ends are padded', () => {
    const segs = segment([
      [0.1, 10],
      [0.9, 30],
      [0.2, 2], // 64 ms dip
      [0.9, 18],
      [0.1, 40],
    ])
    // start = window 10 = 2560 samples (320 ms) − 30 ms pad; end = window 60 (1920 ms) + 30 ms
    expect(segs).toEqual([{ startMs: 290, endMs: 1950 }])
  })

  test('a pause of minSilenceMs or more splits speech', () => {
    const segs = segment([
      [0.9, 20],
      [0.1, 12], // 384 ms
      [0.9, 20],
      [0.1, 20],
    ])
    expect(segs).toEqual([
      { startMs: 0, endMs: 670 },
      { startMs: 994, endMs: 1694 },
    ])
  })

  test('hysteresis: probabilities between negThreshold and threshold keep speech going but never start it', () => {
    const segs = segment([
      [0.4, 10], // not triggered: ignored
      [0.9, 10],
      [0.4, 20], // still speech
      [0.1, 20],
    ])
    expect(segs).toEqual([{ startMs: 290, endMs: 1310 }])
  })

  test('bursts shorter than minSpeechMs are dropped', () => {
    expect(
      segment([
        [0.1, 10],
        [0.9, 3], // 96 ms
        [0.1, 20],
      ]),
    ).toEqual([])
  })

  test('speech running to the end is closed at the end of the audio, padding clamped to it', () => {
    expect(
      segment([
        [0.1, 5],
        [0.9, 10],
      ]),
    ).toEqual([{ startMs: 130, endMs: 480 }])
  })

  test('the level gate drops segments far below the foreground speech (background talkers)', () => {
    const run = (levelGateDb: number) => {
      const s = new SpeechSegmenter({ ...options, levelGateDb }, RATE)
      let w = 0
      const feed = (p: number, n: number, energy: number) => {
        for (let i = 0; i < n; i++) s.push(p, WINDOW * w++, energy)
      }
      feed(0.9, 40, 1e-2) // foreground speaker, 1.28 s
      feed(0.1, 20, 1e-6)
      feed(0.9, 20, 1e-4) // 20 dB quieter: someone behind the speaker
      feed(0.1, 20, 1e-6)
      feed(0.9, 10, 2e-3) // the speaker, 7 dB quieter: kept
      feed(0.1, 20, 1e-6)
      return s.finish(WINDOW * w).length
    }
    expect(run(0)).toBe(3)
    expect(run(10)).toBe(2)
  })
})
