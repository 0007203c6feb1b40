import type { Interval } from '../types.js'

/**
 * Turns per-window speech probabilities into speech intervals, as Silero's own
 * get_speech_timestamps does: start when p ≥ threshold, end only after p < negThreshold
 * for minSilenceMs (hysteresis), drop segments shorter than minSpeechMs, pad both ends.
 */
export interface SegmenterOptions {
  threshold: number
  negThreshold: number
  minSpeechMs: number
  minSilenceMs: number
  speechPadMs: number
}

export class SpeechSegmenter {
  private triggered = false
  private start = 0
  /** Sample where probability first fell below negThreshold in the current dip; -1 when none. */
  private tempEnd = -1
  private readonly raw: Array<[number, number]> = []
  private readonly minSpeech: number
  private readonly minSilence: number

  constructor(
    private readonly options: SegmenterOptions,
    private readonly sampleRate: number,
  ) {
    this.minSpeech = (sampleRate * options.minSpeechMs) / 1000
    this.minSilence = (sampleRate * options.minSilenceMs) / 1000
  }

  /** `position` is the sample index where the window starts. */
  push(probability: number, position: number): void {
    const { threshold, negThreshold } = this.options
    if (probability >= threshold) {
      this.tempEnd = -1
      if (!this.triggered) {
        this.triggered = true
        this.start = position
      }
      return
    }
    if (probability < negThreshold && this.triggered) {
      if (this.tempEnd < 0) this.tempEnd = position
      if (position - this.tempEnd < this.minSilence) return
      if (this.tempEnd - this.start > this.minSpeech) this.raw.push([this.start, this.tempEnd])
      this.triggered = false
      this.tempEnd = -1
    }
  }

  /** Closes an open segment at `totalSamples` and returns padded intervals in ms. */
  finish(totalSamples: number): Interval[] {
    if (this.triggered && totalSamples - this.start > this.minSpeech)
      this.raw.push([this.start, totalSamples])
    this.triggered = false
    const pad = (this.sampleRate * this.options.speechPadMs) / 1000
    const toMs = (sample: number) => Math.round((sample * 1000) / this.sampleRate)
    const out: Interval[] = []
    for (let i = 0; i < this.raw.length; i++) {
      const seg = this.raw[i] as [number, number]
      const prev = this.raw[i - 1]
      const next = this.raw[i + 1]
      // Pad, but never into a neighbour: split a short gap in the middle, as Silero does.
      const start = prev && seg[0] - prev[1] < 2 * pad ? (seg[0] + prev[1]) / 2 : Math.max(0, seg[0] - pad)
      const end =
        next && next[0] - seg[1] < 2 * pad ? (seg[1] + next[0]) / 2 : Math.min(totalSamples, seg[1] + pad)
      out.push({ startMs: toMs(start), endMs: toMs(end) })
    }
    return out
  }
}
