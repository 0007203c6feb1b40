/**
 * Two speakers on one channel, without a downloaded model: who speaks when on a mono call (or a
 * dual-mono one), so that talk time, latency, turns and monologues can be given per party.
 *
 *  1. Features per 32 ms speech window: 12 mel-cepstral coefficients (c1–c12, 24 mel bands from
 *     100 Hz to 3.8 kHz, so telephone audio and wide-band audio give comparable features), their
 *     mean over the call removed (the channel's colour is not a speaker), the window's level (two
 *     parties on one line rarely sound as loud) and its log pitch; standardised over the call,
 *     pitch counted double, outliers clipped at ±3.
 *  2. A first split into two, from chunks of the speech segments (1 or 1.5 s): by agglomerative
 *     clustering (diagonal Gaussians, merging the pair whose merge costs least likelihood), and by
 *     k-means from the two chunks farthest apart. Four starts in all.
 *  3. Re-segmentation of each start: a small Gaussian mixture per speaker, trained on its windows;
 *     each segment decoded window by window (Viterbi; a change costs SWITCH_PENALTY of
 *     log-likelihood), so a change of speaker inside a segment is found where it happens. Three
 *     rounds.
 *  4. The start whose decoding explains the windows best wins, among those that give each voice at
 *     least a tenth of the speech (one bad start, a cluster of a few odd windows, must not decide).
 *  5. Runs shorter than 300 ms join their neighbour.
 * The voice holding most of the first segment is A. Naming A and B agent and customer is the
 * caller's (role cues).
 */
import type { Interval } from '../types.js'
import { PowerSpectrum } from './fft.js'

const CEPSTRA = 12
const MEL_BANDS = 24
const MEL_LOW_HZ = 100
const MEL_HIGH_HZ = 3800
const ROUNDS = 3
/** Log-likelihood a speaker change costs in the decoder. */
const SWITCH_PENALTY = 40
const MIN_RUN_MS = 300
const PITCH_WEIGHT = 2
const LEVEL_WEIGHT = 1
/** Where level and pitch sit in a window's feature vector (after the cepstra). */
const LEVEL = CEPSTRA
const PITCH = CEPSTRA + 1
/** Variances below this (in standard deviations²) are noise of a small sample, not a voice. */
const VARIANCE_FLOOR = 0.05
/** Chunk lengths (windows) of the first splits. */
const CHUNKS = [31, 47]
/** A start that leaves a voice less than this share of the speech is not a two-party split. */
const MIN_SHARE = 0.1

/** Rows per block of stored features (blocks, not one growing array: nothing is copied as a call grows). */
const BLOCK_ROWS = 4096
const ROW = CEPSTRA + 1

/** Per-window features of one channel, gathered while the audio streams past the VAD. */
export class SpeakerFeatures {
  /** ROW values per window (cepstra, then level); NaN level where the window was not speech-like. */
  private readonly blocks: Float32Array[] = []
  private count = 0
  private readonly fftSize: number
  private readonly spectrum: PowerSpectrum
  private readonly hamming: Float64Array
  /** Mel filter bank, flattened: band b covers bins from[b] .. from[b] + width[b] − 1. */
  private readonly from: Int32Array
  private readonly width: Int32Array
  private readonly weights: Float64Array
  private readonly offset: Int32Array
  private readonly logMel = new Float64Array(MEL_BANDS)
  private readonly dct: Float64Array

  constructor(
    readonly sampleRate: number,
    readonly windowSize: number,
  ) {
    this.fftSize = 1 << Math.ceil(Math.log2(windowSize))
    this.spectrum = new PowerSpectrum(this.fftSize)
    // (A loop, not a closure made per call: V8 compiled that again for every call.)
    this.hamming = new Float64Array(windowSize)
    for (let i = 0; i < windowSize; i++)
      this.hamming[i] = 0.54 - 0.46 * Math.cos((2 * Math.PI * i) / (windowSize - 1))
    const mel = (hz: number) => 2595 * Math.log10(1 + hz / 700)
    const hz = (m: number) => 700 * (10 ** (m / 2595) - 1)
    const edges = Array.from({ length: MEL_BANDS + 2 }, (_, i) =>
      hz(mel(MEL_LOW_HZ) + ((mel(MEL_HIGH_HZ) - mel(MEL_LOW_HZ)) * i) / (MEL_BANDS + 1)),
    )
    const binHz = sampleRate / this.fftSize
    const bands = Array.from({ length: MEL_BANDS }, (_, b) => {
      const [lo, mid, hi] = [edges[b] as number, edges[b + 1] as number, edges[b + 2] as number]
      const from = Math.max(1, Math.floor(lo / binHz))
      const to = Math.min(this.fftSize / 2, Math.ceil(hi / binHz))
      const weights = new Float64Array(Math.max(0, to - from + 1))
      for (let k = from; k <= to; k++) {
        const f = k * binHz
        weights[k - from] = f <= mid ? Math.max(0, (f - lo) / (mid - lo)) : Math.max(0, (hi - f) / (hi - mid))
      }
      return { from, weights }
    })
    this.from = Int32Array.from(bands, (b) => b.from)
    this.width = Int32Array.from(bands, (b) => b.weights.length)
    this.offset = new Int32Array(MEL_BANDS)
    let total = 0
    for (let b = 0; b < MEL_BANDS; b++) {
      this.offset[b] = total
      total += this.width[b] as number
    }
    this.weights = new Float64Array(total)
    for (const [i, b] of bands.entries()) this.weights.set(b.weights, this.offset[i] as number)
    this.dct = new Float64Array(CEPSTRA * MEL_BANDS)
    for (let c = 0; c < CEPSTRA; c++)
      for (let b = 0; b < MEL_BANDS; b++)
        this.dct[c * MEL_BANDS + b] = Math.cos((Math.PI * (c + 1) * (b + 0.5)) / MEL_BANDS)
  }

  /**
   * One window; `speech` false keeps its place without computing anything. (Taking the line's
   * noise spectrum out first was tried: it helped at 10 dB SNR and cost more elsewhere; README.)
   */
  push(window: Float32Array, speech: boolean): void {
    const index = this.count++
    const blockIndex = Math.floor(index / BLOCK_ROWS)
    if (blockIndex === this.blocks.length) this.blocks.push(new Float32Array(BLOCK_ROWS * ROW))
    const block = this.blocks[blockIndex] as Float32Array
    const at = (index % BLOCK_ROWS) * ROW
    if (!speech) {
      block[at + CEPSTRA] = Number.NaN
      return
    }
    const { logMel, dct } = this
    const power = this.spectrum.compute(window, this.hamming)
    // The window's level (log energy of the band): parties on one line rarely sound as loud.
    let energy = 0
    for (let b = 0; b < MEL_BANDS; b++) {
      const from = this.from[b] as number
      const off = this.offset[b] as number
      const width = this.width[b] as number
      let e = 0
      for (let k = 0; k < width; k++) e += (this.weights[off + k] as number) * (power[from + k] as number)
      energy += e
      logMel[b] = Math.log(e + 1e-10)
    }
    block[at + CEPSTRA] = Math.log(energy + 1e-10)
    for (let c = 0; c < CEPSTRA; c++) {
      let v = 0
      const base = c * MEL_BANDS
      for (let b = 0; b < MEL_BANDS; b++) v += (dct[base + b] as number) * (logMel[b] as number)
      block[at + c] = v
    }
  }

  get length(): number {
    return this.count
  }

  /** Window i's cepstra and level, or undefined when it was not speech-like. */
  row(i: number): Float32Array | undefined {
    if (i < 0 || i >= this.count) return undefined
    const block = this.blocks[Math.floor(i / BLOCK_ROWS)] as Float32Array
    const at = (i % BLOCK_ROWS) * ROW
    if (Number.isNaN(block[at + CEPSTRA])) return undefined
    return block.subarray(at, at + ROW)
  }
}

export interface DiarizedSegment extends Interval {
  /** A: the first to speak; B: the other. */
  speaker: 'A' | 'B'
}

export interface Diarization {
  segments: DiarizedSegment[]
  /** How far apart the two voices are: distance between the cluster centres, in standard deviations. */
  separation: number
  /** Share of speech given to A. */
  shareA: number
}

/** A diagonal Gaussian mixture; arrays are flat (component c's values at c·dims … c·dims + dims − 1). */
interface Mixture {
  k: number
  dims: number
  weights: Float64Array
  means: Float64Array
  variances: Float64Array
  /** 1 / variance, and per component log weight − ½ Σ log variance (so scoring takes no logs). */
  precisions: Float64Array
  constants: Float64Array
}

/** Most windows a speaker's mixture is trained on (evenly spaced): hours of speech train no better. */
const MAX_TRAINING_WINDOWS = 6000
const MIXTURE = 8
/** Shares e^−25 below the best component's are left out (and kept out of slow subnormal arithmetic). */
const NEGLIGIBLE = -25

/**
 * A diagonal Gaussian mixture by EM (a few iterations) on the windows `rows` of `data` (dims values
 * per window), started from evenly spaced windows sorted by their first coefficient (deterministic).
 * Undefined when there is too little to train on.
 */
function trainMixture(data: Float64Array, dims: number, all: Int32Array): Mixture | undefined {
  if (all.length < 20) return undefined
  const stride = Math.max(1, all.length / MAX_TRAINING_WINDOWS)
  const rows =
    stride === 1
      ? all
      : Int32Array.from(
          { length: Math.floor(all.length / stride) },
          (_, i) => all[Math.floor(i * stride)] as number,
        )
  const n = rows.length
  const k = Math.max(1, Math.min(MIXTURE, Math.floor(n / 20)))
  const sorted = Array.from(rows).sort((a, b) => (data[a * dims] as number) - (data[b * dims] as number))
  const m: Mixture = {
    k,
    dims,
    weights: new Float64Array(k).fill(1 / k),
    means: new Float64Array(k * dims),
    variances: new Float64Array(k * dims).fill(1),
    precisions: new Float64Array(k * dims),
    constants: new Float64Array(k),
  }
  for (let c = 0; c < k; c++) {
    const r = sorted[Math.floor(((c + 0.5) * n) / k)] as number
    m.means.set(data.subarray(r * dims, r * dims + dims), c * dims)
  }
  const resp = new Float64Array(k)
  const nk = new Float64Array(k)
  const sum = new Float64Array(k * dims)
  const sq = new Float64Array(k * dims)
  for (let it = 0; it < 5; it++) {
    updateConstants(m)
    nk.fill(0)
    sum.fill(0)
    sq.fill(0)
    for (let i = 0; i < n; i++) {
      const at = (rows[i] as number) * dims
      let max = Number.NEGATIVE_INFINITY
      for (let c = 0; c < k; c++) {
        const v = componentLogLikelihood(m, c, data, at)
        resp[c] = v
        if (v > max) max = v
      }
      let total = 0
      for (let c = 0; c < k; c++) {
        const v = (resp[c] as number) - max
        const e = v < NEGLIGIBLE ? 0 : Math.exp(v)
        resp[c] = e
        total += e
      }
      for (let c = 0; c < k; c++) {
        if (resp[c] === 0) continue
        const r = (resp[c] as number) / total
        nk[c] = (nk[c] as number) + r
        const base = c * dims
        for (let d = 0; d < dims; d++) {
          const x = data[at + d] as number
          sum[base + d] = (sum[base + d] as number) + r * x
          sq[base + d] = (sq[base + d] as number) + r * x * x
        }
      }
    }
    for (let c = 0; c < k; c++) {
      const count = Math.max(1e-6, nk[c] as number)
      m.weights[c] = Math.max(1e-4, count / n)
      for (let d = 0; d < dims; d++) {
        const mean = (sum[c * dims + d] as number) / count
        m.means[c * dims + d] = mean
        m.variances[c * dims + d] = Math.max(
          VARIANCE_FLOOR,
          (sq[c * dims + d] as number) / count - mean * mean,
        )
      }
    }
  }
  updateConstants(m)
  return m
}

function updateConstants(m: Mixture): void {
  for (let c = 0; c < m.k; c++) {
    let s = Math.log(m.weights[c] as number)
    for (let d = 0; d < m.dims; d++) {
      const v = m.variances[c * m.dims + d] as number
      m.precisions[c * m.dims + d] = 1 / v
      s -= 0.5 * Math.log(v)
    }
    m.constants[c] = s
  }
}

/** log(weight) + the diagonal Gaussian log-density (up to a constant) of component c at data[at…]. */
function componentLogLikelihood(m: Mixture, c: number, data: Float64Array, at: number): number {
  const { dims, means, precisions } = m
  const base = c * dims
  let s = m.constants[c] as number
  for (let d = 0; d < dims; d++) {
    const diff = (data[at + d] as number) - (means[base + d] as number)
    s -= 0.5 * diff * diff * (precisions[base + d] as number)
  }
  return s
}

const parts = new Float64Array(MIXTURE)

function mixtureLogLikelihood(m: Mixture, data: Float64Array, at: number): number {
  let max = Number.NEGATIVE_INFINITY
  for (let c = 0; c < m.k; c++) {
    const s = componentLogLikelihood(m, c, data, at)
    parts[c] = s
    if (s > max) max = s
  }
  let total = 0
  for (let c = 0; c < m.k; c++) {
    const v = (parts[c] as number) - max
    if (v > NEGLIGIBLE) total += Math.exp(v)
  }
  return max + Math.log(total)
}

export function diarize({
  segments,
  features,
  pitchHz,
  windowMs,
}: {
  /** Speech on the channel, sorted. */
  segments: readonly Interval[]
  features: SpeakerFeatures
  /** Pitch per window (0: unvoiced), the prosody tracker's. */
  pitchHz: ArrayLike<number>
  windowMs: number
}): Diarization {
  const frames = windowFeatures(segments, features, pitchHz, windowMs)
  if (frames.length < 40)
    return { segments: segments.map((s) => ({ ...s, speaker: 'A' })), separation: 0, shareA: 1 }
  const dims = CEPSTRA + 2

  // Four starts, each re-segmented; the best explanation among the two-party ones wins.
  const starts: Uint8Array[] = []
  for (const size of CHUNKS) {
    const chunks = chunkFrames(frames, size)
    for (const assign of [clusterAgglomerative(frames, chunks, dims), clusterKmeans(chunks, dims)]) {
      const labels = new Uint8Array(frames.length)
      chunks.forEach((c, i) => {
        labels.fill(assign[i] as number, c.from, c.to)
      })
      starts.push(labels)
    }
  }
  const results = starts.map((labels) => resegment(frames, labels, dims))
  const share = (labels: Uint8Array) => labels.reduce((s, v) => s + v, 0) / labels.length
  const balanced = results.filter((r) => Math.min(share(r.labels), 1 - share(r.labels)) >= MIN_SHARE)
  const best = (balanced.length ? balanced : results).reduce((a, b) => (b.score > a.score ? b : a))
  return toSegments(segments, frames, best.labels, windowMs, best.separation)
}

interface Frame {
  w: number
  seg: number
  x: Float64Array
}

/** Step 1: standardised features of the windows inside speech. */
function windowFeatures(
  segments: readonly Interval[],
  features: SpeakerFeatures,
  pitchHz: ArrayLike<number>,
  windowMs: number,
): Frame[] {
  const dims = CEPSTRA + 2
  const picked: Array<{ w: number; seg: number; row: Float32Array }> = []
  segments.forEach((s, seg) => {
    const first = Math.floor(s.startMs / windowMs)
    const last = Math.min(features.length, Math.ceil(s.endMs / windowMs))
    for (let w = first; w < last; w++) {
      const row = features.row(w)
      if (row) picked.push({ w, seg, row })
    }
  })
  // One buffer for all windows (each frame's x is a view of it): the mixtures read it row by row.
  const data = new Float64Array(picked.length * dims)
  const frames: Frame[] = picked.map(({ w, seg, row }, i) => {
    const x = data.subarray(i * dims, i * dims + dims)
    x.set(row)
    const f0 = pitchHz[w] ?? 0
    x[CEPSTRA + 1] = f0 > 0 ? Math.log(f0) : Number.NaN
    return { w, seg, x }
  })
  const mean = new Float64Array(dims)
  const count = new Float64Array(dims)
  for (const f of frames)
    for (let d = 0; d < dims; d++)
      if (!Number.isNaN(f.x[d])) {
        mean[d] = (mean[d] as number) + (f.x[d] as number)
        count[d] = (count[d] as number) + 1
      }
  for (let d = 0; d < dims; d++) mean[d] = (mean[d] as number) / Math.max(1, count[d] as number)
  const spread = new Float64Array(dims)
  for (const f of frames)
    for (let d = 0; d < dims; d++) {
      // Unvoiced: no pitch evidence either way.
      if (Number.isNaN(f.x[d])) f.x[d] = mean[d] as number
      spread[d] = (spread[d] as number) + ((f.x[d] as number) - (mean[d] as number)) ** 2
    }
  for (let d = 0; d < dims; d++)
    spread[d] = Math.sqrt((spread[d] as number) / Math.max(1, frames.length)) || 1
  // Pitch separates voices better than any one cepstral coefficient: it counts double.
  spread[PITCH] = (spread[PITCH] as number) / PITCH_WEIGHT
  spread[LEVEL] = (spread[LEVEL] as number) / LEVEL_WEIGHT
  for (const f of frames)
    for (let d = 0; d < dims; d++) {
      // Clipped at ±3 standard deviations: the pitch tracker's octave errors are not a voice.
      const limit = 3 * (d === PITCH ? PITCH_WEIGHT : d === LEVEL ? LEVEL_WEIGHT : 1)
      f.x[d] = Math.max(
        -limit,
        Math.min(limit, ((f.x[d] as number) - (mean[d] as number)) / (spread[d] as number)),
      )
    }
  return frames
}

interface Chunk {
  from: number
  to: number
  point: Float64Array
}

/** Chunks of at most `size` windows within a segment, each with its mean feature vector. */
function chunkFrames(frames: readonly Frame[], size: number): Chunk[] {
  const dims = CEPSTRA + 2
  const chunks: Chunk[] = []
  for (let i = 0; i < frames.length; ) {
    let j = i + 1
    while (j < frames.length && j - i < size && (frames[j] as Frame).seg === (frames[i] as Frame).seg) j++
    const point = new Float64Array(dims)
    for (let k = i; k < j; k++)
      for (let d = 0; d < dims; d++)
        point[d] = (point[d] as number) + ((frames[k] as Frame).x[d] as number) / (j - i)
    chunks.push({ from: i, to: j, point })
    i = j
  }
  return chunks
}

function squaredDistance(a: Float64Array, b: Float64Array): number {
  let s = 0
  for (let d = 0; d < a.length; d++) s += ((a[d] as number) - (b[d] as number)) ** 2
  return s
}

/** Most chunks clustered agglomeratively (its cost grows with the cube of their number). */
const MAX_AGGLOMERATIVE_CHUNKS = 400

/**
 * Agglomerative clustering of chunks down to two. A long call's chunks are clustered from an evenly
 * spaced sample of MAX_AGGLOMERATIVE_CHUNKS, the rest going to the nearer cluster's mean.
 */
function clusterAgglomerative(frames: readonly Frame[], chunks: readonly Chunk[], dims: number): Uint8Array {
  if (chunks.length <= MAX_AGGLOMERATIVE_CHUNKS) return agglomerate(frames, chunks, dims)
  const step = chunks.length / MAX_AGGLOMERATIVE_CHUNKS
  const sample = Array.from(
    { length: MAX_AGGLOMERATIVE_CHUNKS },
    (_, i) => chunks[Math.floor(i * step)] as Chunk,
  )
  const sampled = agglomerate(frames, sample, dims)
  const centres = [0, 1].map((k) => {
    const m = new Float64Array(dims)
    let n = 0
    sample.forEach((c, i) => {
      if (sampled[i] !== k) return
      const w = c.to - c.from
      for (let d = 0; d < dims; d++) m[d] = (m[d] as number) + (c.point[d] as number) * w
      n += w
    })
    for (let d = 0; d < dims; d++) m[d] = (m[d] as number) / Math.max(1, n)
    return m
  }) as [Float64Array, Float64Array]
  return Uint8Array.from(chunks, (c) =>
    squaredDistance(c.point, centres[0]) <= squaredDistance(c.point, centres[1]) ? 0 : 1,
  )
}

/**
 * Agglomerative clustering of chunks down to two: each cluster a diagonal Gaussian over its
 * windows; the pair merged is the one whose merge costs least likelihood (generalised likelihood
 * ratio). Returns a cluster (0/1) per chunk.
 */
function agglomerate(frames: readonly Frame[], chunks: readonly Chunk[], dims: number): Uint8Array {
  const stats = chunks.map((c, i) => {
    const sum = new Float64Array(dims)
    const sq = new Float64Array(dims)
    for (let k = c.from; k < c.to; k++) {
      const x = (frames[k] as Frame).x
      for (let d = 0; d < dims; d++) {
        sum[d] = (sum[d] as number) + (x[d] as number)
        sq[d] = (sq[d] as number) + (x[d] as number) ** 2
      }
    }
    return { n: c.to - c.from, sum, sq, members: [i] }
  })
  const logdet = (n: number, sum: Float64Array, sq: Float64Array) => {
    let s = 0
    for (let d = 0; d < dims; d++) {
      const m = (sum[d] as number) / n
      s += Math.log(Math.max(VARIANCE_FLOOR, (sq[d] as number) / n - m * m))
    }
    return s
  }
  const own = stats.map((c) => c.n * logdet(c.n, c.sum, c.sq))
  const sumBuf = new Float64Array(dims)
  const sqBuf = new Float64Array(dims)
  const glr = (i: number, j: number) => {
    const a = stats[i] as (typeof stats)[number]
    const b = stats[j] as (typeof stats)[number]
    for (let d = 0; d < dims; d++) {
      sumBuf[d] = (a.sum[d] as number) + (b.sum[d] as number)
      sqBuf[d] = (a.sq[d] as number) + (b.sq[d] as number)
    }
    return (a.n + b.n) * logdet(a.n + b.n, sumBuf, sqBuf) - (own[i] as number) - (own[j] as number)
  }
  const alive = stats.map(() => true)
  const distance = stats.map((_, i) => Float64Array.from(stats, (__, j) => (j > i ? glr(i, j) : 0)))
  for (let left = stats.length; left > 2; left--) {
    let bi = -1
    let bj = -1
    let best = Number.POSITIVE_INFINITY
    for (let i = 0; i < stats.length; i++) {
      if (!alive[i]) continue
      const row = distance[i] as Float64Array
      for (let j = i + 1; j < stats.length; j++) {
        if (alive[j] && (row[j] as number) < best) {
          best = row[j] as number
          bi = i
          bj = j
        }
      }
    }
    const a = stats[bi] as (typeof stats)[number]
    const b = stats[bj] as (typeof stats)[number]
    for (let d = 0; d < dims; d++) {
      a.sum[d] = (a.sum[d] as number) + (b.sum[d] as number)
      a.sq[d] = (a.sq[d] as number) + (b.sq[d] as number)
    }
    a.n += b.n
    a.members.push(...b.members)
    alive[bj] = false
    own[bi] = a.n * logdet(a.n, a.sum, a.sq)
    for (let k = 0; k < stats.length; k++) {
      if (!alive[k] || k === bi) continue
      const [x, y] = k < bi ? [k, bi] : [bi, k]
      ;(distance[x] as Float64Array)[y] = glr(x, y)
    }
  }
  const assign = new Uint8Array(chunks.length)
  stats
    .filter((_, i) => alive[i])
    .forEach((c, k) => {
      for (const m of c.members) assign[m] = k
    })
  return assign
}

/** k-means with k = 2 over chunk means (weighted by length), from the two chunks farthest apart. */
function clusterKmeans(chunks: readonly Chunk[], dims: number): Uint8Array {
  const weight = (c: Chunk) => c.to - c.from
  const big = chunks.filter((c) => weight(c) >= 10)
  const pool = big.length >= 2 ? big : chunks
  const farthestFrom = (p: Float64Array) =>
    pool.reduce((best, c) => (squaredDistance(c.point, p) > squaredDistance(best.point, p) ? c : best))
  const b = farthestFrom((pool[0] as Chunk).point)
  const a = farthestFrom(b.point)
  const centres = [Float64Array.from(a.point), Float64Array.from(b.point)]
  let assign = new Uint8Array(chunks.length)
  for (let it = 0; it < 20; it++) {
    const next = Uint8Array.from(chunks, (c) =>
      squaredDistance(c.point, centres[0] as Float64Array) <=
      squaredDistance(c.point, centres[1] as Float64Array)
        ? 0
        : 1,
    )
    for (const k of [0, 1]) {
      const sum = new Float64Array(dims)
      let n = 0
      chunks.forEach((c, i) => {
        if (next[i] !== k) return
        for (let d = 0; d < dims; d++) sum[d] = (sum[d] as number) + (c.point[d] as number) * weight(c)
        n += weight(c)
      })
      if (n > 0) for (let d = 0; d < dims; d++) (centres[k] as Float64Array)[d] = (sum[d] as number) / n
    }
    const changed = next.some((v, i) => v !== assign[i])
    assign = next
    if (!changed) break
  }
  return assign
}

/**
 * Step 3: a Gaussian mixture per speaker and a Viterbi decoding of every segment, ROUNDS times.
 * `score`: the decoding's log-likelihood per window (the evidence for this split).
 */
function resegment(
  frames: readonly Frame[],
  start: Uint8Array,
  dims: number,
): { labels: Uint8Array; score: number; separation: number } {
  const labels = Uint8Array.from(start)
  const data = frames.length ? ((frames[0] as Frame).x.buffer as ArrayBuffer) : new ArrayBuffer(0)
  const flat = new Float64Array(data, 0, frames.length * dims)
  const like = new Float64Array(frames.length * 2)
  const back = new Uint8Array(frames.length * 2)
  let total = Number.NEGATIVE_INFINITY
  for (let round = 0; round < ROUNDS; round++) {
    const models = [0, 1].map((k) => {
      const rows = new Int32Array(labels.reduce((n, v) => n + (v === k ? 1 : 0), 0))
      let r = 0
      for (let i = 0; i < labels.length; i++) if (labels[i] === k) rows[r++] = i
      return trainMixture(flat, dims, rows)
    })
    if (models.some((m) => m === undefined)) break
    const [m0, m1] = models as [Mixture, Mixture]
    for (let i = 0; i < frames.length; i++) {
      like[2 * i] = mixtureLogLikelihood(m0, flat, i * dims)
      like[2 * i + 1] = mixtureLogLikelihood(m1, flat, i * dims)
    }
    total = 0
    for (let i = 0; i < frames.length; ) {
      let j = i
      while (j < frames.length && (frames[j] as Frame).seg === (frames[i] as Frame).seg) j++
      let a0 = like[2 * i] as number
      let a1 = like[2 * i + 1] as number
      for (let t = i + 1; t < j; t++) {
        const move0 = a1 - SWITCH_PENALTY
        const move1 = a0 - SWITCH_PENALTY
        back[2 * t] = a0 >= move0 ? 0 : 1
        back[2 * t + 1] = a1 >= move1 ? 1 : 0
        const n0 = Math.max(a0, move0) + (like[2 * t] as number)
        const n1 = Math.max(a1, move1) + (like[2 * t + 1] as number)
        a0 = n0
        a1 = n1
      }
      let state = a0 >= a1 ? 0 : 1
      total += Math.max(a0, a1)
      for (let t = j - 1; t >= i; t--) {
        labels[t] = state
        state = back[2 * t + state] as number
      }
      i = j
    }
  }
  // How far apart the two voices' mean features are, in standard deviations.
  const centre = (k: number) => {
    const m = new Float64Array(dims)
    let n = 0
    frames.forEach((f, i) => {
      if (labels[i] !== k) return
      for (let d = 0; d < dims; d++) m[d] = (m[d] as number) + (f.x[d] as number)
      n++
    })
    for (let d = 0; d < dims; d++) m[d] = (m[d] as number) / Math.max(1, n)
    return m
  }
  const separation = Math.round(Math.sqrt(squaredDistance(centre(0), centre(1))) * 100) / 100
  return { labels, score: total / frames.length, separation }
}

/** Step 5: window labels → segments; A is the voice that holds most of the first segment. */
function toSegments(
  segments: readonly Interval[],
  frames: readonly Frame[],
  labels: Uint8Array,
  windowMs: number,
  separation: number,
): Diarization {
  let inFirst = 0
  let firstCount = 0
  frames.forEach((f, i) => {
    if (f.seg !== (frames[0] as Frame).seg) return
    inFirst += labels[i] as number
    firstCount++
  })
  const first = inFirst * 2 > firstCount ? 1 : 0
  const runs: DiarizedSegment[] = []
  frames.forEach((f, i) => {
    const speaker: 'A' | 'B' = labels[i] === first ? 'A' : 'B'
    const startMs = Math.round(f.w * windowMs)
    const endMs = Math.round((f.w + 1) * windowMs)
    const last = runs[runs.length - 1]
    if (last && last.speaker === speaker && startMs - last.endMs <= windowMs + 1) last.endMs = endMs
    else runs.push({ startMs, endMs, speaker })
  })
  // Each segment filled by its runs: the VAD said where speech is; short runs join the one before.
  const out: DiarizedSegment[] = []
  let next = 0
  for (const seg of segments) {
    while (next < runs.length && (runs[next] as DiarizedSegment).endMs <= seg.startMs) next++
    const inside: DiarizedSegment[] = []
    for (let r = next; r < runs.length && (runs[r] as DiarizedSegment).startMs < seg.endMs; r++)
      inside.push(runs[r] as DiarizedSegment)
    if (inside.length === 0) continue
    const merged: DiarizedSegment[] = []
    for (const r of inside) {
      const last = merged[merged.length - 1]
      if (last && (r.endMs - r.startMs < MIN_RUN_MS || last.speaker === r.speaker)) last.endMs = r.endMs
      else merged.push({ ...r })
    }
    ;(merged[0] as DiarizedSegment).startMs = seg.startMs
    ;(merged[merged.length - 1] as DiarizedSegment).endMs = seg.endMs
    for (let k = 1; k < merged.length; k++)
      (merged[k] as DiarizedSegment).startMs = (merged[k - 1] as DiarizedSegment).endMs
    out.push(...merged.filter((m) => m.endMs > m.startMs))
  }
  const total = out.reduce((s, r) => s + r.endMs - r.startMs, 0)
  const a = out.filter((r) => r.speaker === 'A').reduce((s, r) => s + r.endMs - r.startMs, 0)
  return { segments: out, separation, shareA: total ? Math.round((a / total) * 1000) / 1000 : 1 }
}
