import { describe, expect, it } from 'vitest'
import { PowerSpectrum } from '../../../analysis/stages/fft.js'

/** The power spectrum by the definition, O(n²). */
function naive(x: ArrayLike<number>, w: ArrayLike<number>, size: number): number[] {
  return Array.from({ length: size / 2 + 1 }, (_, k) => {
    let re = 0
    let im = 0
    for (let i = 0; i < Math.min(x.length, w.length, size); i++) {
      const v = (x[i] as number) * (w[i] as number)
      re += v * Math.cos((-2 * Math.PI * k * i) / size)
      im += v * Math.sin((-2 * Math.PI * k * i) / size)
    }
    return re * re + im * im
  })
}

describe('PowerSpectrum', () => {
  it.each([8, 256, 512])('matches the definition at size %i, shorter windows zero-padded', (size) => {
    let seed = 7
    const random = () => {
      seed = (seed * 16807) % 2147483647
      return seed / 2147483647 - 0.5
    }
    const x = Float32Array.from({ length: size - 3 }, random)
    const w = Float64Array.from(
      { length: size - 3 },
      (_, i) => 0.54 - 0.46 * Math.cos((2 * Math.PI * i) / size),
    )
    const got = new PowerSpectrum(size).compute(x, w)
    const want = naive(x, w, size)
    const scale = Math.max(...want)
    for (let k = 0; k <= size / 2; k++)
      expect(Math.abs((got[k] as number) - (want[k] as number))).toBeLessThan(1e-9 * scale)
  })

  it('a tone lands on its bin', () => {
    const size = 256
    const x = Float32Array.from({ length: size }, (_, i) => Math.sin((2 * Math.PI * 20 * i) / size))
    const power = new PowerSpectrum(size).compute(x, new Float64Array(size).fill(1))
    const peak = power.indexOf(Math.max(...power))
    expect(peak).toBe(20)
  })

  it('refuses a size that is not a power of two', () => {
    expect(() => new PowerSpectrum(300)).toThrow(/power of two/)
  })
})
