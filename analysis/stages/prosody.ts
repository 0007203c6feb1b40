/**
 * Acoustic arousal per speech segment: loudness, pitch and speaking rate, each against that
 * speaker's own resting level in the same call. It needs no transcript.
 *
 * Frame features are taken while the audio streams past the VAD (one frame per VAD window, 32 ms):
 * energy in dB and, where the VAD hears speech, F0 from normalised autocorrelation over the last
 * two windows, decimated to 4 kHz (the pitch search would otherwise cost as much as the VAD). That is two floats per channel per frame (~0.5 kB per second of stereo audio); no PCM
 * is kept. After VAD, each segment gets
 *   loudness  power mean of its frames, dB re full scale
 *   pitch     median F0 of its voiced frames, Hz
 *   rate      syllable nuclei (voiced energy peaks with a dip between them) per second
 * and its arousal: tanh of the mean of (loudness − rest) / 6 dB, (pitch − rest) / 4 semitones and
 * ln(rate / rest) / ln 1.3, where "rest" is the speaker's duration-weighted 30th percentile — an
 * elevation above how the speaker sounds when calm, so a call that is tense throughout does not
 * hide its peaks and a calm call's natural variation stays below the flag.
 */
import type { Segment, Speaker } from '../types.js'
import { FloatTrack } from './float-track.js'

/**
 * A segment is flagged agitated when its arousal is at least this AND it is at least
 * AGITATED_LOUDER_DB louder than the speaker at rest: pitch and rate alone swing with content
 * (tonal languages, lists of numbers), raised voices are what reviewers mean by agitated.
 */
export const AGITATED_AROUSAL = 0.5
export const AGITATED_LOUDER_DB = 2

const MIN_F0 = 60
const MAX_F0 = 400
/** Below this (dBFS) a frame is too quiet to carry pitch or a syllable. */
const SILENCE_DB = -55
/** Pitch is searched only where the VAD's speech probability reaches this. */
const PITCH_SPEECH_PROBABILITY = 0.3
/** The pitch search runs at this rate (telephone F0 is far below its Nyquist). */
const PITCH_RATE = 4000
const VOICING = 0.5
const LOUDNESS_SCALE_DB = 6
const PITCH_SCALE_ST = 4
const RATE_SCALE = Math.log(1.3)
const REST_QUANTILE = 0.3
/** Segments shorter than this get no arousal (too few frames to judge) and do not set the baseline. */
const MIN_SEGMENT_MS = 1000

export interface SegmentProsody {
  loudnessDb: number
  /** null: no voiced frame */
  pitchHz: number | null
  /** syllables per second */
  rate: number
}

export class ProsodyTracker {
  readonly frameMs: number
  private readonly energy: FloatTrack[]
  private readonly pitch: FloatTrack[]
  private readonly previous: Float32Array[]
  private readonly buffer: Float32Array
  private readonly decimated: Float32Array
  private readonly scores: Float32Array
  private readonly lastF0: Float32Array
  private readonly factor: number
  private readonly minLag: number
  private readonly maxLag: number

  constructor(
    readonly channelCount: number,
    readonly sampleRate: number,
    readonly windowSize: number,
  ) {
    this.frameMs = (windowSize * 1000) / sampleRate
    this.energy = Array.from({ length: channelCount }, () => new FloatTrack())
    this.pitch = Array.from({ length: channelCount }, () => new FloatTrack())
    this.previous = Array.from({ length: channelCount }, () => new Float32Array(windowSize))
    this.buffer = new Float32Array(windowSize * 2)
    this.factor = Math.max(1, Math.round(sampleRate / PITCH_RATE))
    this.decimated = new Float32Array(Math.floor((windowSize * 2) / this.factor))
    const rate = sampleRate / this.factor
    this.minLag = Math.floor(rate / MAX_F0)
    this.maxLag = Math.ceil(rate / MIN_F0)
    this.scores = new Float32Array(this.maxLag + 2)
    this.lastF0 = new Float32Array(channelCount)
  }

  /**
   * One VAD window per channel (all `windowSize` long) and the VAD's speech probability for each;
   * `energyDb`, when the caller has it, is each window's mean power in dB (not computed twice).
   */
  push(windows: readonly Float32Array[], speech?: ArrayLike<number>, energyDb?: ArrayLike<number>): void {
    for (let c = 0; c < this.channelCount; c++) {
      const w = windows[c] as Float32Array
      let db = energyDb?.[c]
      if (db === undefined) {
        let power = 0
        for (let i = 0; i < w.length; i++) power += (w[i] as number) * (w[i] as number)
        db = 10 * Math.log10(power / w.length + 1e-12)
      }
      this.energy[c]?.push(db)
      const prev = this.previous[c] as Float32Array
      let f0 = 0
      const voiced = db > SILENCE_DB && (speech === undefined || (speech[c] ?? 0) >= PITCH_SPEECH_PROBABILITY)
      // The pitch frame is two windows long, so one search every other window covers the
      // signal; the window between takes the F0 of the frame that contains it (half the cost).
      const odd = ((this.energy[c]?.length ?? 0) & 1) === 0
      if (voiced && odd) f0 = this.lastF0[c] ?? 0
      else if (voiced) {
        this.buffer.set(prev, 0)
        this.buffer.set(w, this.windowSize)
        // Decimate by averaging (a crude low-pass that is enough below 400 Hz).
        const d = this.decimated
        const k = this.factor
        for (let i = 0; i < d.length; i++) {
          let sum = 0
          for (let j = 0; j < k; j++) sum += this.buffer[i * k + j] as number
          d[i] = sum / k
        }
        f0 = this.estimatePitch(d)
      }
      this.lastF0[c] = f0
      this.pitch[c]?.push(f0)
      prev.set(w)
    }
  }

  /** F0 by normalised cross-correlation; the shortest lag near the best one avoids octave errors. */
  private estimatePitch(x: Float32Array): number {
    const n = x.length - this.maxLag
    if (n <= 0) return 0
    let e0 = 0
    for (let i = 0; i < n; i++) e0 += (x[i] as number) * (x[i] as number)
    if (e0 <= 0) return 0
    const scores = this.scores
    scores.fill(0)
    let best = 0
    let energyLag = 0
    for (let i = this.minLag; i < this.minLag + n; i++) energyLag += (x[i] as number) * (x[i] as number)
    for (let lag = this.minLag; lag <= this.maxLag; lag++) {
      if (lag > this.minLag) {
        const out = x[lag - 1] as number
        const inn = x[lag + n - 1] as number
        energyLag += inn * inn - out * out
      }
      let r = 0
      for (let i = 0; i < n; i++) r += (x[i] as number) * (x[i + lag] as number)
      const score = r / Math.sqrt(e0 * Math.max(energyLag, 1e-12))
      scores[lag] = score
      if (score > best) best = score
    }
    if (best < VOICING) return 0
    for (let lag = this.minLag; lag <= this.maxLag; lag++) {
      const s = scores[lag] as number
      // first local peak that is nearly as good as the best
      if (s >= 0.9 * best && s >= (scores[lag - 1] ?? 0) && s >= (scores[lag + 1] ?? 0)) {
        // Parabolic interpolation between the neighbouring lags for sub-sample precision.
        const a = scores[lag - 1] ?? s
        const b = lag < this.maxLag ? (scores[lag + 1] ?? s) : s
        const denominator = a - 2 * s + b
        const shift = denominator < 0 ? (0.5 * (a - b)) / denominator : 0
        return this.sampleRate / this.factor / (lag + Math.max(-0.5, Math.min(0.5, shift)))
      }
    }
    return 0
  }

  /** Pitch per window of a channel (0: unvoiced or not searched). */
  pitchOf(channel: number): Float32Array {
    return this.pitch[channel]?.view() ?? new Float32Array(0)
  }

  /** Features of one channel's segment. */
  segment(channel: number, startMs: number, endMs: number): SegmentProsody | null {
    const energy = this.energy[channel]
    const pitch = this.pitch[channel]
    if (!energy || !pitch) return null
    const first = Math.max(0, Math.floor(startMs / this.frameMs))
    const last = Math.min(energy.length, Math.ceil(endMs / this.frameMs))
    if (last - first < 3) return null
    let power = 0
    const f0s: number[] = []
    const db: number[] = []
    for (let f = first; f < last; f++) {
      const e = energy.get(f)
      db.push(e)
      power += 10 ** (e / 10)
      const p = pitch.get(f)
      if (p > 0) f0s.push(p)
    }
    const loudnessDb = 10 * Math.log10(power / (last - first) + 1e-12)
    // (A typed array sorts numerically in native code, without a comparator to call or compile.)
    const sortedF0 = Float64Array.from(f0s).sort()
    const pitchHz = sortedF0.length >= 3 ? (sortedF0[Math.floor(sortedF0.length / 2)] as number) : null
    // Syllable nuclei: peaks of the smoothed energy, voiced, within 25 dB of the loudest frame,
    // with at least a 2 dB dip since the previous peak.
    const smooth = db.map(
      (_, i) => ((db[i - 1] ?? db[i] ?? 0) + (db[i] ?? 0) + (db[i + 1] ?? db[i] ?? 0)) / 3,
    )
    const top = Math.max(...smooth)
    let nuclei = 0
    let lastPeak = Number.NEGATIVE_INFINITY
    let dip = Number.POSITIVE_INFINITY
    for (let i = 1; i + 1 < smooth.length; i++) {
      const v = smooth[i] as number
      dip = Math.min(dip, v)
      const isPeak = v >= (smooth[i - 1] as number) && v > (smooth[i + 1] as number)
      if (!isPeak || v < top - 25 || pitch.get(first + i) <= 0) continue
      if (lastPeak === Number.NEGATIVE_INFINITY || Math.min(lastPeak, v) - dip >= 2) {
        nuclei++
        lastPeak = v
        dip = v
      } else if (v > lastPeak) {
        lastPeak = v
        dip = v
      }
    }
    const seconds = ((last - first) * this.frameMs) / 1000
    return { loudnessDb, pitchHz, rate: nuclei / seconds }
  }
}

// Module-level, not made per call: V8 drops a dead closure's optimised code at the next full
// collection and compiled these again for every call.
const byValue = (a: { v: number }, b: { v: number }) => a.v - b.v
const round = (v: number, digits: number) => Math.round(v * 10 ** digits) / 10 ** digits

function weightedQuantile(values: ReadonlyArray<{ v: number; w: number }>, q: number): number | null {
  if (values.length === 0) return null
  const sorted = [...values].sort(byValue)
  let total = 0
  for (const x of sorted) total += x.w
  let acc = 0
  for (const x of sorted) {
    acc += x.w
    if (acc >= q * total) return x.v
  }
  return sorted[sorted.length - 1]?.v ?? null
}

export interface ProsodicSegment extends Segment {
  loudnessDb: number | null
  pitchHz: number | null
  rate: number | null
  /**
   * [-1, 1]: elevation over the speaker's resting loudness, pitch and rate; null if the segment
   * is too short or the channel mixes both speakers (mono: no speaker's own baseline exists).
   */
  arousal: number | null
  agitated: boolean
}

/** Adds features and arousal to each segment; `channelOf` maps a speaker to its channel index. */
export function scoreArousal(
  segments: readonly Segment[],
  tracker: ProsodyTracker,
  channelOf: (speaker: Speaker) => number,
  { mixed = false }: { mixed?: boolean } = {},
): ProsodicSegment[] {
  const featured = segments.map((s) => ({ s, f: tracker.segment(channelOf(s.speaker), s.startMs, s.endMs) }))
  const rest = new Map<Speaker, { loudness: number | null; pitch: number | null; rate: number | null }>()
  for (const speaker of new Set(segments.map((s) => s.speaker))) {
    const own = featured.filter(
      (x) => x.s.speaker === speaker && x.f && x.s.endMs - x.s.startMs >= MIN_SEGMENT_MS,
    )
    const w = (x: (typeof own)[number]) => x.s.endMs - x.s.startMs
    rest.set(speaker, {
      loudness: weightedQuantile(
        own.map((x) => ({ v: x.f?.loudnessDb ?? 0, w: w(x) })),
        REST_QUANTILE,
      ),
      pitch: weightedQuantile(
        own.filter((x) => x.f?.pitchHz).map((x) => ({ v: x.f?.pitchHz ?? 0, w: w(x) })),
        REST_QUANTILE,
      ),
      rate: weightedQuantile(
        own.filter((x) => (x.f?.rate ?? 0) > 0).map((x) => ({ v: x.f?.rate ?? 0, w: w(x) })),
        REST_QUANTILE,
      ),
    })
  }
  return featured.map(({ s, f }) => {
    if (!f) return { ...s, loudnessDb: null, pitchHz: null, rate: null, arousal: null, agitated: false }
    const base = rest.get(s.speaker)
    // Weighted: speaking rate is the noisiest of the three (it depends on what is said).
    let sum = 0
    let weight = 0
    if (base?.loudness != null) {
      sum += 0.4 * ((f.loudnessDb - base.loudness) / LOUDNESS_SCALE_DB)
      weight += 0.4
    }
    if (base?.pitch && f.pitchHz) {
      sum += 0.4 * ((12 * Math.log2(f.pitchHz / base.pitch)) / PITCH_SCALE_ST)
      weight += 0.4
    }
    if (base?.rate && f.rate > 0) {
      sum += 0.2 * (Math.log(f.rate / base.rate) / RATE_SCALE)
      weight += 0.2
    }
    const long = s.endMs - s.startMs >= MIN_SEGMENT_MS
    const arousal = !mixed && long && weight > 0 ? round(Math.tanh(sum / weight), 3) : null
    const louder = base?.loudness != null ? f.loudnessDb - base.loudness : 0
    return {
      ...s,
      loudnessDb: round(f.loudnessDb, 1),
      pitchHz: f.pitchHz === null ? null : round(f.pitchHz, 1),
      rate: round(f.rate, 2),
      arousal,
      agitated: arousal !== null && arousal >= AGITATED_AROUSAL && louder >= AGITATED_LOUDER_DB,
    }
  })
}
