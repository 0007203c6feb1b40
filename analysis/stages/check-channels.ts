/**
 * Is a stereo recording really one party per channel? Recorders also write the same mix to both
 * channels (dual mono: AWS's post-call analytics samples differ by −91 dB), or leave one channel
 * empty with both parties on the other. Analysed as two parties, the first reports every word as
 * overtalk and the second "0% customer talk"; both are wrong, so the check runs on every stereo
 * call, while the audio streams past the VAD, and the call says what was found.
 *
 * Measured over the whole call: each channel's level distribution, and the correlation between the
 * channels at small lags (a copy may be delayed by a few samples, or scaled).
 */

export type ChannelLayoutCheck = 'two-parties' | 'dual-mono' | 'one-channel-silent'

export interface ChannelCheck {
  layout: ChannelLayoutCheck
  /** Highest normalised correlation between left and right over lags of ±4 samples. */
  correlation: number
  /** The lag of that correlation, in samples at the analysis rate (positive: right is later). */
  lagSamples: number
  /** Energy of left minus the best-scaled right, relative to left, dB (−∞ for exact copies → −120). */
  residualDb: number
  /** Each channel's loud level: the 99th percentile of its 32 ms window levels, dBFS. */
  levelsDb: [number, number]
  /** The channel judged silent, when one is. */
  silentChannel?: 'left' | 'right'
  /** Seconds of audio the check saw. */
  seconds: number
}

/** Above this correlation the channels hold one mix (residual ≤ −17 dB); crosstalk stays far below. */
export const DUAL_MONO_CORRELATION = 0.99
/** A channel whose loud windows stay below this carries no signal at all. */
const SILENT_DB = -60
/** …or stay this far below the other channel's: a leak, not a party. */
const SILENT_BELOW_OTHER_DB = 40
const MAX_LAG = 4
/** Audio heard before the check may call a stereo file plainly two parties (settled()). */
export const SETTLE_SECONDS = 10

/** 0.5 dB bins from −140 dBFS: a channel's level distribution without keeping its windows. */
class Levels {
  private readonly bins = new Uint32Array(320)
  private count = 0
  add(db: number): void {
    const bin = Math.max(0, Math.min(this.bins.length - 1, Math.floor((db + 140) * 2)))
    this.bins[bin] = (this.bins[bin] as number) + 1
    this.count++
  }
  quantile(q: number): number {
    let seen = 0
    for (let b = 0; b < this.bins.length; b++) {
      seen += this.bins[b] as number
      if (seen > q * this.count) return b / 2 - 140
    }
    return 20
  }
}

/** Accumulates the comparison window by window (the VAD's windows, both channels at once). */
export class ChannelComparison {
  private readonly energy = [0, 0]
  /** cross[k] = Σ left[n] · right[n + k − MAX_LAG]. */
  private readonly cross = new Float64Array(2 * MAX_LAG + 1)
  private readonly levels = [new Levels(), new Levels()]
  private samples = 0

  constructor(private readonly sampleRate: number) {}

  push(windows: readonly Float32Array[], levelsDb: ArrayLike<number>): void {
    const left = windows[0] as Float32Array
    const right = windows[1] as Float32Array
    const n = left.length
    let el = 0
    let er = 0
    for (let i = 0; i < n; i++) {
      el += (left[i] as number) * (left[i] as number)
      er += (right[i] as number) * (right[i] as number)
    }
    this.energy[0] = (this.energy[0] as number) + el
    this.energy[1] = (this.energy[1] as number) + er
    // Lags within the window only: the few products lost at its edges do not move a correlation.
    for (let k = -MAX_LAG; k <= MAX_LAG; k++) {
      let sum = 0
      const from = Math.max(0, -k)
      const to = Math.min(n, n - k)
      for (let i = from; i < to; i++) sum += (left[i] as number) * (right[i + k] as number)
      this.cross[k + MAX_LAG] = (this.cross[k + MAX_LAG] as number) + sum
    }
    this.levels[0]?.add(levelsDb[0] as number)
    this.levels[1]?.add(levelsDb[1] as number)
    this.samples += n
  }

  /**
   * Early and safe: after at least SETTLE_SECONDS, the channels are plainly two parties (correlation
   * under 0.5, both loud and within 25 dB of each other), far enough from either verdict's line
   * that the rest of the call will not cross it. The caller may then drop what it kept in case the
   * call had to be analysed as one channel (and, should the end prove it wrong, analyse again).
   */
  settled(): boolean {
    if (this.samples < SETTLE_SECONDS * this.sampleRate) return false
    const check = this.result()
    const [l, r] = check.levelsDb
    return (
      check.layout === 'two-parties' &&
      Math.abs(check.correlation) < 0.5 &&
      l > -50 &&
      r > -50 &&
      Math.abs(l - r) < 25
    )
  }

  result(): ChannelCheck {
    const [el, er] = this.energy as [number, number]
    let best = 0
    let lag = 0
    for (let k = -MAX_LAG; k <= MAX_LAG; k++) {
      const c = el > 0 && er > 0 ? (this.cross[k + MAX_LAG] as number) / Math.sqrt(el * er) : 0
      if (Math.abs(c) > Math.abs(best)) {
        best = c
        lag = k
      }
    }
    // Residual of left after removing the best scaled copy of right: 1 − ρ² of its energy.
    const residualDb = Math.max(-120, 10 * Math.log10(Math.max(1e-12, 1 - best * best)))
    const levelsDb: [number, number] = [
      round1((this.levels[0] as Levels).quantile(0.99)),
      round1((this.levels[1] as Levels).quantile(0.99)),
    ]
    const quiet = (c: 0 | 1) =>
      levelsDb[c] < SILENT_DB || levelsDb[c] < levelsDb[(1 - c) as 0 | 1] - SILENT_BELOW_OTHER_DB
    const common = {
      correlation: Math.round(best * 10000) / 10000,
      lagSamples: lag,
      residualDb: round1(residualDb),
      levelsDb,
      seconds: Math.round((this.samples / this.sampleRate) * 10) / 10,
    }
    // Both silent is not a layout problem the check can name: the VAD will find no speech.
    if (quiet(0) !== quiet(1))
      return { layout: 'one-channel-silent', silentChannel: quiet(0) ? 'left' : 'right', ...common }
    if (best >= DUAL_MONO_CORRELATION) return { layout: 'dual-mono', ...common }
    return { layout: 'two-parties', ...common }
  }
}

function round1(x: number): number {
  return Math.round(x * 10) / 10
}
