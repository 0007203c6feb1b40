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
  /**
   * Drops segments whose level is more than this many dB below the channel's foreground speech
   * (the loudest 10% of speech time). Background talkers on the same line are quieter than the
   * speaker; 0 turns the gate off.
   */
  levelGateDb: number
}

export class SpeechSegmenter {
  private triggered = false
  private start = 0
  /** Sample where probability first fell below negThreshold in the current dip; -1 when none. */
  private tempEnd = -1
  /** [start, end, mean energy] of each closed segment. */
  private readonly raw: Array<[number, number, number]> = []
  private energy = 0
  private energyWindows = 0
  private readonly minSpeech: number
  private readonly minSilence: number

  /**
   * `onClosed`: told each segment (raw sample bounds, before padding) as soon as it closes — a live
   * call follows speech as it happens; the batch reads them all at `finish`.
   */
  constructor(
    private readonly options: SegmenterOptions,
    private readonly sampleRate: number,
    private readonly onClosed?: (start: number, end: number) => void,
  ) {
    this.minSpeech = (sampleRate * options.minSpeechMs) / 1000
    this.minSilence = (sampleRate * options.minSilenceMs) / 1000
  }

  /** `position` is the sample index where the window starts; `energy` the window's mean square. */
  push(probability: number, position: number, energy = 0): void {
    const { threshold, negThreshold } = this.options
    if (probability >= threshold) {
      this.tempEnd = -1
      if (!this.triggered) {
        this.triggered = true
        this.start = position
        this.energy = 0
        this.energyWindows = 0
      }
      this.energy += energy
      this.energyWindows++
      return
    }
    if (this.triggered && probability >= negThreshold) {
      this.energy += energy
      this.energyWindows++
    }
    if (probability < negThreshold && this.triggered) {
      if (this.tempEnd < 0) this.tempEnd = position
      if (position - this.tempEnd < this.minSilence) return
      this.close(this.tempEnd)
    }
  }

  /** Speech is going on: started and not (yet) in a pause long enough to end it. */
  get speaking(): boolean {
    return this.triggered && this.tempEnd < 0
  }

  /** Where the open segment started (sample), when one is open. */
  get openStart(): number | undefined {
    return this.triggered ? this.start : undefined
  }

  private close(end: number): void {
    if (end - this.start > this.minSpeech) {
      this.raw.push([this.start, end, this.energy / Math.max(1, this.energyWindows)])
      this.onClosed?.(this.start, end)
    }
    this.triggered = false
    this.tempEnd = -1
  }

  /** Segments at least as loud as the foreground speech minus the gate. */
  private gated(): Array<[number, number, number]> {
    const gate = this.options.levelGateDb
    if (!(gate > 0) || this.raw.length === 0) return this.raw
    const db = (e: number) => 10 * Math.log10(e + 1e-12)
    // Duration-weighted 90th percentile of segment levels: the foreground speaker's level.
    const byLevel = [...this.raw].sort((a, b) => db(b[2]) - db(a[2]))
    const total = byLevel.reduce((sum, r) => sum + (r[1] - r[0]), 0)
    let covered = 0
    let reference = db((byLevel[0] as [number, number, number])[2])
    for (const r of byLevel) {
      covered += r[1] - r[0]
      reference = db(r[2])
      if (covered >= 0.1 * total) break
    }
    return this.raw.filter((r) => db(r[2]) >= reference - gate)
  }

  /** Closes an open segment at `totalSamples` and returns padded intervals in ms. */
  finish(totalSamples: number): Interval[] {
    if (this.triggered) this.close(totalSamples)
    const padStart = (this.sampleRate * this.options.padStartMs) / 1000
    const padEnd = (this.sampleRate * this.options.padEndMs) / 1000
    const toMs = (sample: number) => Math.round((sample * 1000) / this.sampleRate)
    const out: Array<[number, number]> = []
    for (const [rawStart, rawEnd] of this.gated()) {
      const prevEnd = out.length ? (out[out.length - 1] as [number, number])[1] : 0
      // Never pad into the previous segment nor outside the audio; a trimmed end stays after the start.
      const start = Math.max(prevEnd, rawStart - padStart, 0)
      const end = Math.min(totalSamples, Math.max(rawEnd + padEnd, start + 1))
      out.push([start, end])
    }
    return out.map(([start, end]) => ({ startMs: toMs(start), endMs: toMs(end) }))
  }
}
