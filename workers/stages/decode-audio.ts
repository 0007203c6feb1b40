import { stat } from 'node:fs/promises'
import path from 'node:path'
import {
  AudioDecodeError,
  AudioEmptyError,
  ChannelLayoutError,
  InputEmptyError,
  InputUnreadableError,
} from '../../errors.js'
import { decodePcm, type SourceInfo } from '../ffmpeg.js'
import type { ChannelLayout, LayoutOption, Speaker } from '../types.js'

export interface DecodedAudio {
  source: SourceInfo
  layout: ChannelLayout
  /** Speaker of each output channel, in order. */
  speakers: Speaker[]
  sampleRate: number
  /** Per-channel Float32 PCM in [-1, 1], streamed. Iterate once. */
  chunks: AsyncIterable<Float32Array[]>
  /** After `chunks` is exhausted: samples per channel. Throws the decode error if ffmpeg failed. */
  finish(): Promise<{ samples: number }>
  /** Stops ffmpeg early (on error elsewhere). */
  abort(): void
}

export function speakersFor(layout: ChannelLayout): Speaker[] {
  if (layout === 'mono') return ['speaker']
  return layout === 'stereo-agent-left' ? ['agent', 'customer'] : ['customer', 'agent']
}

export function resolveLayout(requested: LayoutOption, channels: number, file: string): ChannelLayout {
  if (requested === 'mono') return 'mono' // any channel count is downmixed
  if (channels === 2) return requested === 'auto' ? 'stereo-agent-left' : requested
  if (channels === 1) {
    if (requested === 'auto') return 'mono'
    throw new ChannelLayoutError(`${file} has 1 channel but layout ${requested} needs 2`)
  }
  throw new ChannelLayoutError(
    `${file} has ${channels} channels; callqa reads mono or stereo (agent and customer on separate channels). ` +
      'Use --layout mono to downmix it',
  )
}

/** Containers whose header states the exact length: a shorter decode means the file is truncated. */
const EXACT_LENGTH_FORMATS = new Set(['wav', 'flac', 'aiff', 'w64'])

/**
 * Opens a recording with ffmpeg and streams it as per-channel PCM at `sampleRate`.
 * Checks the file first (missing, directory, empty) so the error names the real problem.
 */
export async function decodeAudio({
  inputPath,
  layout,
  sampleRate,
  ffmpegPath,
  displayName,
  swapSpeakers = false,
}: {
  inputPath: string
  layout: LayoutOption
  sampleRate: number
  ffmpegPath: string
  /** Agent and customer the other way round from what the layout says (stereo only). */
  swapSpeakers?: boolean
  /** How errors name the file; default: its base name. */
  displayName?: string
}): Promise<DecodedAudio> {
  const name = displayName ?? path.basename(inputPath)
  let size: number
  try {
    const st = await stat(inputPath)
    if (!st.isFile()) throw new InputUnreadableError(`${name} is not a regular file`)
    size = st.size
  } catch (cause) {
    if (cause instanceof InputUnreadableError) throw cause
    throw new InputUnreadableError(`cannot read ${name}: ${(cause as Error).message}`, { cause })
  }
  if (size === 0) throw new InputEmptyError(`${name} is empty (0 bytes)`)

  // A first, header-only look decides the layout; downmixing must be asked of ffmpeg up front.
  const downmix = layout === 'mono'
  const decode = decodePcm({ inputPath, sampleRate, downmix, ffmpegPath, displayName: name })
  let source: SourceInfo
  try {
    source = await decode.info
  } catch (err) {
    decode.kill()
    throw err
  }
  let resolved: ChannelLayout
  try {
    resolved = resolveLayout(layout, source.channels, name)
    if (swapSpeakers && resolved !== 'mono')
      resolved = resolved === 'stereo-agent-left' ? 'stereo-agent-right' : 'stereo-agent-left'
  } catch (err) {
    decode.kill()
    throw err
  }
  const outChannels = resolved === 'mono' ? 1 : 2
  let samples = 0

  async function* chunks(): AsyncGenerator<Float32Array[]> {
    const frameBytes = 2 * outChannels
    let carry: Buffer = Buffer.alloc(0)
    for await (const data of decode.pcm as AsyncIterable<Buffer>) {
      const buf = carry.length ? Buffer.concat([carry, data]) : data
      const frames = Math.floor(buf.length / frameBytes)
      carry = Buffer.from(buf.subarray(frames * frameBytes))
      if (frames === 0) continue
      // Int16Array needs 2-byte alignment; Buffer slices from the pool may be odd-aligned.
      const pcm =
        buf.byteOffset % 2 === 0
          ? new Int16Array(buf.buffer, buf.byteOffset, frames * outChannels)
          : new Int16Array(Uint8Array.prototype.slice.call(buf, 0, frames * frameBytes).buffer)
      const out = Array.from({ length: outChannels }, () => new Float32Array(frames))
      for (let c = 0; c < outChannels; c++) {
        const channel = out[c] as Float32Array
        for (let i = 0, j = c; i < frames; i++, j += outChannels) channel[i] = (pcm[j] as number) / 32768
      }
      samples += frames
      yield out
    }
  }

  return {
    source,
    layout: resolved,
    speakers: speakersFor(resolved),
    sampleRate,
    chunks: chunks(),
    async finish() {
      await decode.done
      if (samples === 0) throw new AudioEmptyError(`${name} holds no audio (0 seconds)`)
      const decodedMs = (samples * 1000) / sampleRate
      const declared = source.headerDurationMs
      if (declared !== undefined && EXACT_LENGTH_FORMATS.has(source.format) && declared - decodedMs > 1000) {
        throw new AudioDecodeError(
          `${name} is truncated: its header says ${(declared / 1000).toFixed(1)} s ` +
            `but only ${(decodedMs / 1000).toFixed(1)} s could be decoded`,
        )
      }
      return { samples }
    },
    abort: () => decode.kill(),
  }
}
