/**
 * Reads the WAV files telephone recorders write (PCM, float, μ-law, A-law; one or two channels)
 * without starting ffmpeg. Starting ffmpeg from a worker costs ~90 ms of CPU per call (the fork of
 * a process holding the model, then ffmpeg's own start-up): a third of the whole budget for a
 * 50-second call at 200× real time. Anything this module does not recognise, or would have to
 * resample, goes to ffmpeg as before (media/ffmpeg.ts); both paths give the same samples.
 */

import { createReadStream } from 'node:fs'
import { open } from 'node:fs/promises'
import { MULAW_TO_PCM16 } from '../media/g711.js'

export type WavEncoding =
  | 'pcm_u8'
  | 'pcm_s16le'
  | 'pcm_s24le'
  | 'pcm_s32le'
  | 'pcm_f32le'
  | 'pcm_mulaw'
  | 'pcm_alaw'

export interface WavLayout {
  /** The ffmpeg name of the codec, as the rest of callqa records it. */
  codec: WavEncoding
  channels: number
  sampleRate: number
  bytesPerSample: number
  /** Where the samples start, and how many bytes the header says they take (to the file's end when unknown). */
  dataOffset: number
  dataBytes: number
  /** The header's own size field is missing or a placeholder (a recorder that never finished the file). */
  sizeUnknown: boolean
}

/** How far into the file the `data` chunk may start (LIST, bext, fact … chunks come before it). */
const HEADER_SCAN_BYTES = 1 << 16

const FORMAT_TAGS: Record<number, Record<number, WavEncoding>> = {
  1: { 8: 'pcm_u8', 16: 'pcm_s16le', 24: 'pcm_s24le', 32: 'pcm_s32le' },
  3: { 32: 'pcm_f32le' },
  6: { 8: 'pcm_alaw' },
  7: { 8: 'pcm_mulaw' },
}

/** The layout of a WAV file this module can read, or undefined (not RIFF/WAVE, or an encoding left to ffmpeg). */
export function parseWavHeader(head: Buffer, fileSize: number): WavLayout | undefined {
  if (
    head.length < 12 ||
    head.toString('latin1', 0, 4) !== 'RIFF' ||
    head.toString('latin1', 8, 12) !== 'WAVE'
  )
    return undefined
  let at = 12
  let fmt: { tag: number; channels: number; rate: number; blockAlign: number; bits: number } | undefined
  while (at + 8 <= head.length) {
    const id = head.toString('latin1', at, at + 4)
    const size = head.readUInt32LE(at + 4)
    const body = at + 8
    if (id === 'fmt ') {
      if (size < 16 || body + 16 > head.length) return undefined
      let tag = head.readUInt16LE(body)
      // WAVE_FORMAT_EXTENSIBLE: the real format is the first two bytes of the sub-format GUID.
      if (tag === 0xfffe) {
        if (size < 40 || body + 26 > head.length) return undefined
        tag = head.readUInt16LE(body + 24)
      }
      fmt = {
        tag,
        channels: head.readUInt16LE(body + 2),
        rate: head.readUInt32LE(body + 4),
        blockAlign: head.readUInt16LE(body + 12),
        bits: head.readUInt16LE(body + 14),
      }
    } else if (id === 'data') {
      if (!fmt) return undefined
      const codec = FORMAT_TAGS[fmt.tag]?.[fmt.bits]
      const bytesPerSample = fmt.bits / 8
      if (!codec || fmt.channels < 1 || fmt.rate <= 0 || fmt.blockAlign !== bytesPerSample * fmt.channels)
        return undefined
      const available = Math.max(0, fileSize - body)
      const sizeUnknown = size === 0 || size === 0xffffffff
      return {
        codec,
        channels: fmt.channels,
        sampleRate: fmt.rate,
        bytesPerSample,
        dataOffset: body,
        dataBytes: sizeUnknown ? available : size,
        sizeUnknown,
      }
    }
    // Chunks are word-aligned: an odd size is followed by a pad byte.
    at = body + size + (size & 1)
  }
  return undefined
}

/** Reads the header of `file`; undefined when it is not a WAV this module reads. */
export async function probeWav(file: string): Promise<WavLayout | undefined> {
  const handle = await open(file, 'r')
  try {
    const { size } = await handle.stat()
    const head = Buffer.alloc(Math.min(size, HEADER_SCAN_BYTES))
    await handle.read(head, 0, head.length, 0)
    return parseWavHeader(head, size)
  } finally {
    await handle.close()
  }
}

// G.711 expansions to 16-bit values, as ffmpeg's pcm_mulaw and pcm_alaw decoders produce them.
const MULAW = Float32Array.from(MULAW_TO_PCM16, (v) => v / 32768)
const ALAW = new Float32Array(256)
for (let i = 0; i < 256; i++) {
  const a = i ^ 0x55
  let v = (a & 0x0f) << 4
  const seg = (a & 0x70) >> 4
  if (seg === 0) v += 8
  else if (seg === 1) v += 0x108
  else v = (v + 0x108) << (seg - 1)
  ALAW[i] = (a & 0x80 ? v : -v) / 32768
}

function sampleReader(codec: WavEncoding): (buf: Buffer, at: number) => number {
  switch (codec) {
    case 'pcm_u8':
      return (b, at) => ((b[at] as number) - 128) / 128
    case 'pcm_s16le':
      return (b, at) => b.readInt16LE(at) / 32768
    case 'pcm_s24le':
      return (b, at) => b.readIntLE(at, 3) / 8388608
    case 'pcm_s32le':
      return (b, at) => b.readInt32LE(at) / 2147483648
    case 'pcm_f32le':
      return (b, at) => b.readFloatLE(at)
    case 'pcm_mulaw':
      return (b, at) => MULAW[b[at] as number] as number
    case 'pcm_alaw':
      return (b, at) => ALAW[b[at] as number] as number
  }
}

/**
 * The telephone encodings (μ-law, A-law, 16-bit; one or two channels) without a call per sample:
 * a 5-minute stereo μ-law call is 4.8 million samples, and reading them one closure call at a
 * time took ~7% of the call's analysis. False for anything else (the general reader does it).
 */
function fill(codec: WavEncoding, buf: Buffer, out: Float32Array[], frames: number): boolean {
  const table = codec === 'pcm_mulaw' ? MULAW : codec === 'pcm_alaw' ? ALAW : undefined
  const a = out[0] as Float32Array
  const b = out[1]
  if (table) {
    if (out.length === 1) for (let f = 0; f < frames; f++) a[f] = table[buf[f] as number] as number
    else if (out.length === 2 && b)
      for (let f = 0, at = 0; f < frames; f++, at += 2) {
        a[f] = table[buf[at] as number] as number
        b[f] = table[buf[at + 1] as number] as number
      }
    else return false
    return true
  }
  if (codec !== 'pcm_s16le' || (buf.byteOffset & 1) !== 0 || out.length > 2) return false
  // Aligned: read the 16-bit samples through a typed view (little-endian, as Node runs on).
  const pcm = new Int16Array(buf.buffer, buf.byteOffset, frames * out.length)
  if (out.length === 1) for (let f = 0; f < frames; f++) a[f] = (pcm[f] as number) / 32768
  else if (b)
    for (let f = 0, at = 0; f < frames; f++, at += 2) {
      a[f] = (pcm[at] as number) / 32768
      b[f] = (pcm[at + 1] as number) / 32768
    }
  return true
}

/**
 * The samples of the data chunk, streamed, as one Float32Array per channel (valid until the next
 * chunk is asked for). Stops at the end of the data chunk or of the file, whichever comes first.
 */
export async function* readWavSamples(
  file: string,
  layout: WavLayout,
  { signal }: { signal?: AbortSignal } = {},
): AsyncGenerator<Float32Array[]> {
  const frameBytes = layout.bytesPerSample * layout.channels
  const read = sampleReader(layout.codec)
  const outChannels = layout.channels
  if (layout.dataBytes < frameBytes) return
  const stream = createReadStream(file, {
    start: layout.dataOffset,
    end: layout.dataOffset + layout.dataBytes - 1,
    highWaterMark: 1 << 16,
    ...(signal ? { signal } : {}),
  })
  let carry: Buffer = Buffer.alloc(0)
  // One set of output arrays, reused: the consumer copies a chunk before asking for the next.
  let spare: Float32Array[] = []
  for await (const piece of stream as AsyncIterable<Buffer>) {
    const buf = carry.length ? Buffer.concat([carry, piece]) : piece
    const frames = Math.floor(buf.length / frameBytes)
    carry = Buffer.from(buf.subarray(frames * frameBytes))
    if (frames === 0) continue
    if ((spare[0]?.length ?? 0) < frames)
      spare = Array.from({ length: outChannels }, () => new Float32Array(frames))
    const out = spare.map((a) => a.subarray(0, frames))
    if (!fill(layout.codec, buf, out, frames))
      for (let f = 0, at = 0; f < frames; f++)
        for (let c = 0; c < outChannels; c++, at += layout.bytesPerSample)
          (out[c] as Float32Array)[f] = read(buf, at)
    yield out
  }
}
