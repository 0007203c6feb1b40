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
  /** Moves each start earlier by this much. */
  padStartMs: number
  /**
   * Moves each end later by this much; negative moves it earlier. The model's probability
   * falls below negThreshold a few windows after the speech has ended, so a negative value
   * compensates for that lag.
   */
  padEndMs: number
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
    const padStart = (this.sampleRate * this.options.padStartMs) / 1000
    const padEnd = (this.sampleRate * this.options.padEndMs) / 1000
    const toMs = (sample: number) => Math.round((sample * 1000) / this.sampleRate)
    const out: Array<[number, number]> = []
    for (const [rawStart, rawEnd] of this.raw) {
      const prevEnd = out.length ? (out[out.length - 1] as [number, number])[1] : 0
      // Never pad into the previous segment nor outside the audio; a trimmed end stays after the start.
      const start = Math.max(prevEnd, rawStart - padStart, 0)
      const end = Math.min(totalSamples, Math.max(rawEnd + padEnd, start + 1))
      out.push([start, end])
    }
    return out.map(([start, end]) => ({ startMs: toMs(start), endMs: toMs(end) }))
  }
}
