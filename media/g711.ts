/**
 * G.711 μ-law: telephone audio as platforms send it (Genesys AudioHook PCMU, Twilio Media Streams).
 * The expansion to 16-bit values is ffmpeg's pcm_mulaw decoder's, so a live call and the same
 * audio read back from its recording give the same samples.
 */

/** μ-law byte → 16-bit linear sample. */
export const MULAW_TO_PCM16 = new Int16Array(256)
for (let i = 0; i < 256; i++) {
  const u = ~i & 0xff
  const t = (((u & 0x0f) << 3) + 0x84) << ((u & 0x70) >> 4)
  MULAW_TO_PCM16[i] = u & 0x80 ? 0x84 - t : t - 0x84
}

/** Expands μ-law bytes into `out` (or a new array). */
export function decodeMulaw(bytes: Uint8Array, out = new Int16Array(bytes.length)): Int16Array {
  for (let i = 0; i < bytes.length; i++) out[i] = MULAW_TO_PCM16[bytes[i] as number] as number
  return out
}

/** 16-bit linear → μ-law byte (G.711's segment encoding; for test clients and tools). */
export function encodeMulaw(sample: number): number {
  const BIAS = 0x84
  let s = Math.max(-32635, Math.min(32635, Math.round(sample)))
  const sign = s < 0 ? 0x80 : 0
  if (sign) s = -s
  s += BIAS
  let exponent = 7
  for (let mask = 0x4000; (s & mask) === 0 && exponent > 0; mask >>= 1) exponent--
  const mantissa = (s >> (exponent + 3)) & 0x0f
  return ~(sign | (exponent << 4) | mantissa) & 0xff
}
