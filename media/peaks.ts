/**
 * A recording's waveform as the page draws it: per channel, the loudest sample in each of
 * `buckets` equal slices of the call. Computed here from a streamed decode, so the browser never
 * downloads and decodes a whole recording to draw it (an hour of 8 kHz stereo is 115 MB of PCM),
 * and memory stays bounded whatever the call's length: one peak per 10 ms per channel is kept,
 * then merged into the buckets.
 */
import { decodePcm } from './ffmpeg.js'

/** 8 kHz is plenty for a picture of loudness, and what telephone audio is anyway. */
const RATE = 8000
const BLOCK = RATE / 100

export interface Peaks {
  durationMs: number
  /** one array per channel, `buckets` long, each value the peak |sample| in [0, 1], 3 decimals */
  channels: number[][]
}

export async function audioPeaks({
  inputPath,
  ffmpegPath,
  buckets,
  displayName,
}: {
  inputPath: string
  ffmpegPath: string
  buckets: number
  displayName?: string
}): Promise<Peaks> {
  const decode = decodePcm({
    inputPath,
    sampleRate: RATE,
    downmix: false,
    ffmpegPath,
    ...(displayName ? { displayName } : {}),
  })
  const { channels } = await decode.info
  const blocks: number[][] = Array.from({ length: channels }, () => [])
  let inBlock = 0
  const current = new Array<number>(channels).fill(0)
  let frames = 0
  let carry: Buffer = Buffer.alloc(0)
  for await (const chunk of decode.pcm as AsyncIterable<Buffer>) {
    const data = carry.length ? Buffer.concat([carry, chunk]) : chunk
    const frameBytes = 2 * channels
    const whole = data.length - (data.length % frameBytes)
    for (let offset = 0; offset < whole; offset += frameBytes) {
      for (let c = 0; c < channels; c++) {
        const v = Math.abs(data.readInt16LE(offset + 2 * c))
        if (v > (current[c] as number)) current[c] = v
      }
      frames++
      if (++inBlock === BLOCK) {
        for (let c = 0; c < channels; c++) {
          ;(blocks[c] as number[]).push(current[c] as number)
          current[c] = 0
        }
        inBlock = 0
      }
    }
    carry = data.subarray(whole)
  }
  await decode.done
  if (inBlock > 0) for (let c = 0; c < channels; c++) (blocks[c] as number[]).push(current[c] as number)
  const count = (blocks[0] as number[]).length
  const out = blocks.map((perBlock) => {
    const peaks = new Array<number>(buckets).fill(0)
    for (let i = 0; i < count; i++) {
      const b = Math.min(buckets - 1, Math.floor((i * buckets) / count))
      if ((perBlock[i] as number) > (peaks[b] as number)) peaks[b] = perBlock[i] as number
    }
    return peaks.map((p) => Math.round((p / 32768) * 1000) / 1000)
  })
  return { durationMs: Math.round((frames / RATE) * 1000), channels: out }
}
