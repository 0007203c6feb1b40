/**
 * Power spectra of short real windows (the music detector's and the speaker features'): a complex
 * FFT of half the length on the even/odd samples, then the split step, with the bit reversal and
 * twiddles computed once per size. 2.2–3× as fast as a complex FFT of the zero-padded
 * window with twiddles by recurrence.
 */
interface Tables {
  reverse: Uint32Array
  cosHalf: Float64Array
  sinHalf: Float64Array
  cosFull: Float64Array
  sinFull: Float64Array
}

/**
 * The bit reversal and twiddles of each size, made once per thread and shared by every spectrum
 * of that size (read only): a call's stages no longer rebuild them, nor V8 recompile the code
 * that builds them, for every call.
 */
const TABLES = new Map<number, Tables>()

function tablesFor(size: number): Tables {
  let t = TABLES.get(size)
  if (!t) {
    const half = size / 2
    const bits = Math.log2(half)
    const reverse = new Uint32Array(half)
    for (let i = 0; i < half; i++) {
      let r = 0
      for (let b = 0; b < bits; b++) r |= ((i >> b) & 1) << (bits - 1 - b)
      reverse[i] = r
    }
    const cosHalf = new Float64Array(half / 2)
    const sinHalf = new Float64Array(half / 2)
    for (let k = 0; k < half / 2; k++) {
      cosHalf[k] = Math.cos((-2 * Math.PI * k) / half)
      sinHalf[k] = Math.sin((-2 * Math.PI * k) / half)
    }
    const cosFull = new Float64Array(half)
    const sinFull = new Float64Array(half)
    for (let k = 0; k < half; k++) {
      cosFull[k] = Math.cos((-2 * Math.PI * k) / size)
      sinFull[k] = Math.sin((-2 * Math.PI * k) / size)
    }
    t = { reverse, cosHalf, sinHalf, cosFull, sinFull }
    TABLES.set(size, t)
  }
  return t
}

export class PowerSpectrum {
  /** Bins 0 … size/2 of |X(k)|² after `compute`. */
  readonly power: Float64Array
  private readonly half: number
  private readonly re: Float64Array
  private readonly im: Float64Array
  private readonly reverse: Uint32Array
  /** cos/sin of −2πk/half for the half-size transform. */
  private readonly cosHalf: Float64Array
  private readonly sinHalf: Float64Array
  /** cos/sin of −2πk/size for the split step. */
  private readonly cosFull: Float64Array
  private readonly sinFull: Float64Array

  constructor(readonly size: number) {
    if (size < 4 || (size & (size - 1)) !== 0)
      throw new RangeError(`FFT size must be a power of two ≥ 4, not ${size}`)
    const half = size / 2
    this.half = half
    this.power = new Float64Array(half + 1)
    this.re = new Float64Array(half)
    this.im = new Float64Array(half)
    const tables = tablesFor(size)
    this.reverse = tables.reverse
    this.cosHalf = tables.cosHalf
    this.sinHalf = tables.sinHalf
    this.cosFull = tables.cosFull
    this.sinFull = tables.sinFull
  }

  /** |FFT|² of `x` times `window` (both up to `size` long; the rest counts as zeros). */
  compute(x: ArrayLike<number>, window: ArrayLike<number>): Float64Array {
    const { half, re, im, reverse, power } = this
    const n = Math.min(x.length, window.length, this.size)
    // Even samples into re, odd into im, in bit-reversed order.
    for (let i = 0; i < half; i++) {
      const j = reverse[i] as number
      const a = 2 * i
      re[j] = a < n ? (x[a] as number) * (window[a] as number) : 0
      im[j] = a + 1 < n ? (x[a + 1] as number) * (window[a + 1] as number) : 0
    }
    for (let span = 2; span <= half; span <<= 1) {
      const step = half / span
      const h = span >> 1
      for (let start = 0; start < half; start += span) {
        for (let k = 0; k < h; k++) {
          const wr = this.cosHalf[k * step] as number
          const wi = this.sinHalf[k * step] as number
          const a = start + k
          const b = a + h
          const br = re[b] as number
          const bi = im[b] as number
          const xr = br * wr - bi * wi
          const xi = br * wi + bi * wr
          const ar = re[a] as number
          const ai = im[a] as number
          re[b] = ar - xr
          im[b] = ai - xi
          re[a] = ar + xr
          im[a] = ai + xi
        }
      }
    }
    // Split: X(k) = E(k) + W^k O(k), where E and O come from Z(k) and conj Z(half − k).
    for (let k = 0; k <= half; k++) {
      const k1 = k % half
      const k2 = (half - k) % half
      const zr = re[k1] as number
      const zi = im[k1] as number
      const cr = re[k2] as number
      const ci = -(im[k2] as number)
      const er = 0.5 * (zr + cr)
      const ei = 0.5 * (zi + ci)
      // O = (Z − conj Z(half−k)) / 2i
      const or = 0.5 * (zi - ci)
      const oi = -0.5 * (zr - cr)
      const wr = k < half ? (this.cosFull[k] as number) : -1
      const wi = k < half ? (this.sinFull[k] as number) : 0
      const xr = er + wr * or - wi * oi
      const xi = ei + wr * oi + wi * or
      power[k] = xr * xr + xi * xi
    }
    return power
  }
}
