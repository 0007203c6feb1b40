/**
 * Music and tones on a line: what a caller hears on hold. Speech is not music, and a hold with
 * music is a hold, not dead air (nor agent talk, when the model takes the melody for a voice).
 *
 * Music holds its notes: spectral peaks stay on the same frequency for hundreds of milliseconds,
 * where a voice's harmonics glide with its pitch and break at every consonant within ~100–200 ms.
 * Per 32 ms window (audible, and not taken for speech by the VAD), the strongest peaks of the
 * magnitude spectrum are found; a peak that sits on the same bin (±1) for at least 8 windows
 * (320 ms) is a held note. A second in which most loud windows hold notes is musical; three
 * musical seconds in a row (gaps of a second allowed), with a new note at least every two seconds
 * (a hum or a fan holds one tone for ever), are a music span.
 */
import type { Interval } from '../types.js'
import { PowerSpectrum } from './fft.js'

export interface MusicOptions {
  /** A peak held this many windows is a note. */
  noteWindows: number
  /** Share of a second's loud windows that must hold notes. */
  musicalShare: number
  /** Shortest span reported, ms. */
  minSpanMs: number
  /** Windows quieter than the channel's floor plus this are not looked at. */
  aboveFloorDb: number
}

export const defaultMusicOptions: MusicOptions = {
  noteWindows: 10,
  musicalShare: 0.7,
  minSpanMs: 3000,
  aboveFloorDb: 10,
}

const PEAKS = 3

/** One channel's note tracking. */
class ChannelMusic {
  /** Run length of each bin's peak so far (windows). */
  private readonly runs: Uint16Array
  private readonly nextRuns: Uint16Array
  /** Per window: 1 loud and on a held note, 0 loud without, −1 not looked at. */
  readonly marks: number[] = []
  /** The window each note began at. */
  readonly noteStarts: number[] = []

  constructor(bins: number) {
    this.runs = new Uint16Array(bins)
    this.nextRuns = new Uint16Array(bins)
  }

  push(peaks: number[] | null, noteWindows: number): void {
    const index = this.marks.length
    if (peaks === null) {
      this.marks.push(-1)
      this.runs.fill(0)
      return
    }
    this.nextRuns.fill(0)
    for (const bin of peaks)
      this.nextRuns[bin] = Math.max(this.runs[bin - 1] ?? 0, this.runs[bin] ?? 0, this.runs[bin + 1] ?? 0) + 1
    this.runs.set(this.nextRuns)
    this.marks.push(0)
    for (const bin of peaks) {
      const run = this.runs[bin] as number
      if (run < noteWindows) continue
      // The window a run becomes a note marks the run behind it; later ones mark themselves.
      const from = run === noteWindows ? index - run + 1 : index
      if (run === noteWindows) this.noteStarts.push(from)
      for (let w = from; w <= index; w++) if ((this.marks[w] ?? -1) >= 0) this.marks[w] = 1
    }
  }
}

/** Finds music spans per channel from the VAD's windows (all channels at once, in time order). */
export class MusicDetector {
  private readonly channels: ChannelMusic[]
  private readonly spectrum: PowerSpectrum
  private readonly window: Float64Array
  private readonly levels: number[][]
  private readonly fftSize: number
  /** the strongest peaks of the window being read (peaks()) */
  private readonly topBins = new Int32Array(PEAKS)
  private readonly topPowers = new Float64Array(PEAKS)

  constructor(
    readonly channelCount: number,
    readonly sampleRate: number,
    readonly windowSize: number,
    private readonly options: MusicOptions = defaultMusicOptions,
  ) {
    this.fftSize = 1 << Math.ceil(Math.log2(windowSize))
    this.spectrum = new PowerSpectrum(this.fftSize)
    // (A loop, not a closure made per call: V8 compiled that again for every call.)
    this.window = new Float64Array(windowSize)
    for (let i = 0; i < windowSize; i++) this.window[i] = 0.5 - 0.5 * Math.cos((2 * Math.PI * i) / windowSize)
    this.channels = Array.from({ length: channelCount }, () => new ChannelMusic(this.fftSize / 2))
    this.levels = Array.from({ length: channelCount }, () => [])
  }

  /**
   * One window per channel with its level (dB) and the VAD's speech probability. Windows the VAD
   * takes for speech are not looked at (music with a voice over it is not a hold).
   */
  push(windows: readonly Float32Array[], levelsDb: ArrayLike<number>, speech: ArrayLike<number>): void {
    for (let c = 0; c < this.channelCount; c++) {
      const level = levelsDb[c] as number
      ;(this.levels[c] as number[]).push(level)
      // The floor is the whole call's, known at the end (spans()); here only audible windows the
      // VAD does not take for speech are looked at.
      const look = level > -55 && (speech[c] as number) < 0.5
      ;(this.channels[c] as ChannelMusic).push(
        look ? this.peaks(windows[c] as Float32Array) : null,
        this.options.noteWindows,
      )
    }
  }

  /**
   * The strongest spectral peaks (bins), 150 Hz up to 3.6 kHz: at most PEAKS, strongest first (of
   * equal ones the lower bin first). Kept in place as the spectrum is read: a list of candidates
   * per window, sorted and sliced, was ~2 MB of garbage per 5-minute call.
   */
  private peaks(x: Float32Array): number[] {
    const power = this.spectrum.compute(x, this.window)
    const binHz = this.sampleRate / this.fftSize
    const lo = Math.max(2, Math.ceil(150 / binHz))
    const hi = Math.min(this.fftSize / 2 - 2, Math.floor(3600 / binHz))
    let total = 0
    for (let k = lo; k <= hi; k++) total += power[k] as number
    const mean = total / Math.max(1, hi - lo + 1)
    // A peak must stand well out of the spectrum (a tone, a harmonic), not a ripple of noise.
    const floor = 8 * mean
    const bins = this.topBins
    const powers = this.topPowers
    let found = 0
    for (let k = lo; k <= hi; k++) {
      const p = power[k] as number
      if (!(p > (power[k - 1] as number) && p >= (power[k + 1] as number) && p > floor)) continue
      // Insert after every peak at least as strong (a stable sort's order), if it makes the top.
      let at = found
      while (at > 0 && (powers[at - 1] as number) < p) at--
      if (at >= PEAKS) continue
      for (let j = Math.min(found, PEAKS - 1); j > at; j--) {
        bins[j] = bins[j - 1] as number
        powers[j] = powers[j - 1] as number
      }
      bins[at] = k
      powers[at] = p
      if (found < PEAKS) found++
    }
    const out = new Array<number>(found)
    for (let j = 0; j < found; j++) out[j] = bins[j] as number
    return out
  }

  /** Music spans per channel (ms). */
  spans(): Interval[][] {
    const windowMs = (this.windowSize * 1000) / this.sampleRate
    const perSecond = Math.max(1, Math.round(1000 / windowMs))
    return this.channels.map((ch, c) => this.channelSpans(ch, c, perSecond, windowMs))
  }

  /**
   * One channel's music spans. A method, not a closure made per call: V8 would optimise a new
   * closure again for every call.
   */
  private channelSpans(ch: ChannelMusic, c: number, perSecond: number, windowMs: number): Interval[] {
    const levels = this.levels[c] as number[]
    // The channel's noise floor: its 10th percentile of window levels over the whole call.
    // (A typed array sorts numerically in native code, without a comparator to call or compile.)
    const floor = Float64Array.from(levels).sort()[Math.floor(levels.length / 10)] ?? -140
    const musical: boolean[] = []
    for (let start = 0; start < ch.marks.length; start += perSecond) {
      let loud = 0
      let notes = 0
      for (let w = start; w < Math.min(ch.marks.length, start + perSecond); w++) {
        const m = ch.marks[w] as number
        if (m < 0 || (levels[w] as number) < floor + this.options.aboveFloorDb) continue
        loud++
        if (m === 1) notes++
      }
      musical.push(loud >= perSecond / 2 && notes >= this.options.musicalShare * loud)
    }
    const out: Interval[] = []
    let from = -1
    let gap = 0
    const close = (end: number) => {
      const startMs = Math.round(from * perSecond * windowMs)
      const endMs = Math.round(end * perSecond * windowMs)
      // Music moves from note to note; a hum or a fan holds one tone for ever.
      const notes = ch.noteStarts.filter((w) => w >= from * perSecond && w < end * perSecond).length
      if (endMs - startMs >= this.options.minSpanMs && notes >= (endMs - startMs) / 2000)
        out.push({ startMs, endMs })
    }
    musical.forEach((isMusic, s) => {
      if (isMusic) {
        if (from < 0) from = s
        gap = 0
      } else if (from >= 0 && ++gap > 1) {
        close(s - gap + 1)
        from = -1
        gap = 0
      }
    })
    if (from >= 0) close(musical.length - gap)
    return out
  }
}
