/**
 * A recording's waveform as the page draws it: per channel, the loudest sample in each of
 * `buckets` equal slices of the call. Computed here from a streamed decode, so the browser never
 * downloads and decodes a whole recording to draw it (an hour of 8 kHz stereo is 115 MB of PCM).
 * The decode keeps one peak per 10 ms per channel (`PeakBlocks`, 16 bits each: 14 MB for ten hours
 * of stereo), from which any number of buckets is drawn; pipeline/peaks-cache.ts keeps those per
 * recording, so a recording is decoded for its waveform once.
 */
import { decodePcm } from './ffmpeg.js'

/** 8 kHz is plenty for a picture of loudness, and what telephone audio is anyway. */
const RATE = 8000
const BLOCK = RATE / 100

/** The peak |sample| of every 10 ms of each channel, and the length decoded. */
export interface PeakBlocks {
  durationMs: number
  /** one array per channel, one value (0–32768) per 10 ms */
  channels: Uint16Array[]
}

export interface Peaks {
  durationMs: number
  /** one array per channel, `buckets` long, each value the peak |sample| in [0, 1], 3 decimals */
  channels: number[][]
}

/** A Uint16Array that grows as values are pushed. */
class Growing {
  values = new Uint16Array(4096)
  length = 0
  push(v: number): void {
    if (this.length === this.values.length) {
      const bigger = new Uint16Array(this.values.length * 2)
      bigger.set(this.values)
      this.values = bigger
    }
    this.values[this.length++] = v
  }
  done(): Uint16Array {
    return this.values.slice(0, this.length)
  }
}

export async function peakBlocks({
  inputPath,
  ffmpegPath,
  displayName,
}: {
  inputPath: string
  ffmpegPath: string
  displayName?: string
}): Promise<PeakBlocks> {
  const decode = decodePcm({
    inputPath,
    sampleRate: RATE,
    downmix: false,
    ffmpegPath,
    ...(displayName ? { displayName } : {}),
  })
  const { channels } = await decode.info
  const blocks = Array.from({ length: channels }, () => new Growing())
  let inBlock = 0
  const current = new Array<number>(channels).fill(0)
  let frames = 0
  let carry: Buffer = Buffer.alloc(0)
  for await (const chunk of decode.pcm as AsyncIterable<Buffer>) {
    const joined = carry.length ? Buffer.concat([carry, chunk]) : chunk
    const frameBytes = 2 * channels
    const whole = joined.length - (joined.length % frameBytes)
    // Samples read through an aligned Int16Array view (a copy when the chunk is not aligned).
    const data = joined.byteOffset % 2 === 0 ? joined : Buffer.from(joined)
    const samples = new Int16Array(data.buffer, data.byteOffset, whole / 2)
    for (let s = 0; s < samples.length; s += channels) {
      for (let c = 0; c < channels; c++) {
        const v = Math.abs(samples[s + c] as number)
        if (v > (current[c] as number)) current[c] = v
      }
      frames++
      if (++inBlock === BLOCK) {
        for (let c = 0; c < channels; c++) {
          ;(blocks[c] as Growing).push(current[c] as number)
          current[c] = 0
        }
        inBlock = 0
      }
    }
    carry = joined.subarray(whole)
  }
  await decode.done
  if (inBlock > 0) for (let c = 0; c < channels; c++) (blocks[c] as Growing).push(current[c] as number)
  return { durationMs: Math.round((frames / RATE) * 1000), channels: blocks.map((b) => b.done()) }
}

/** The blocks merged into `buckets` equal slices, as the page draws them. */
export function bucketPeaks(blocks: PeakBlocks, buckets: number): Peaks {
  const out = blocks.channels.map((perBlock) => {
    const count = perBlock.length
    const peaks = new Array<number>(buckets).fill(0)
    for (let i = 0; i < count; i++) {
      const b = Math.min(buckets - 1, Math.floor((i * buckets) / count))
      if ((perBlock[i] as number) > (peaks[b] as number)) peaks[b] = perBlock[i] as number
    }
    return peaks.map((p) => Math.round((p / 32768) * 1000) / 1000)
  })
  return { durationMs: blocks.durationMs, channels: out }
}

/** Peaks of a recording in `buckets` slices, decoded now (no cache). */
export async function audioPeaks(o: {
  inputPath: string
  ffmpegPath: string
  buckets: number
  displayName?: string
}): Promise<Peaks> {
  return bucketPeaks(await peakBlocks(o), o.buckets)
}
