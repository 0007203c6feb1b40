import { stat } from 'node:fs/promises'
import path from 'node:path'
import {
  AudioDecodeError,
  AudioEmptyError,
  ChannelLayoutError,
  InputEmptyError,
  InputUnreadableError,
} from '../../errors.js'
import { decodePcm, type SourceInfo } from '../../media/ffmpeg.js'
import type { ChannelLayout, LayoutOption, Speaker } from '../types.js'
import { probeWav, readWavSamples, type WavLayout } from '../wav.js'

export interface DecodedAudio {
  source: SourceInfo
  layout: ChannelLayout
  /** Speaker of each output channel, in order. */
  speakers: Speaker[]
  /** Rate of the chunks: `sampleRate` as asked, or the file's own when it is one of `acceptRates`. */
  sampleRate: number
  /** Per-channel Float32 PCM in [-1, 1], streamed; a chunk is valid until the next is asked for. Iterate once. */
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
  acceptRates = [sampleRate],
  ffmpegPath,
  displayName,
  swapSpeakers = false,
  direct = true,
}: {
  inputPath: string
  layout: LayoutOption
  sampleRate: number
  /** Rates the caller takes as they are: a WAV file at one of them is read without ffmpeg. */
  acceptRates?: readonly number[]
  /** false: always decode through ffmpeg (tests compare the two paths). */
  direct?: boolean
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

  const downmix = layout === 'mono'
  const wav = direct ? await probeWav(inputPath).catch(() => undefined) : undefined
  if (wav && wav.channels <= 2 && acceptRates.includes(wav.sampleRate) && !(downmix && wav.channels > 1))
    return readWavDirect(inputPath, wav, layout, swapSpeakers, name)

  // A first, header-only look decides the layout; downmixing must be asked of ffmpeg up front.
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
    // One set of output arrays, reused: the consumer copies a chunk before asking for the next.
    let spare: Float32Array[] = []
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
      if ((spare[0]?.length ?? 0) < frames)
        spare = Array.from({ length: outChannels }, () => new Float32Array(frames))
      const out = spare.map((a) => a.subarray(0, frames))
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
      checkComplete(name, source, samples, sampleRate)
      return { samples }
    },
    abort: () => decode.kill(),
  }
}

/** The decode got everything: some audio, and as much as an exact-length header promises. */
function checkComplete(name: string, source: SourceInfo, samples: number, rate: number): void {
  if (samples === 0) throw new AudioEmptyError(`${name} holds no audio (0 seconds)`)
  const decodedMs = (samples * 1000) / rate
  const declared = source.headerDurationMs
  if (declared !== undefined && EXACT_LENGTH_FORMATS.has(source.format) && declared - decodedMs > 1000) {
    throw new AudioDecodeError(
      `${name} is truncated: its header says ${(declared / 1000).toFixed(1)} s ` +
        `but only ${(decodedMs / 1000).toFixed(1)} s could be decoded`,
    )
  }
}

/** A WAV file read without ffmpeg (analysis/wav.ts): same channels, same rate, same samples. */
function readWavDirect(
  inputPath: string,
  wav: WavLayout,
  layout: LayoutOption,
  swapSpeakers: boolean,
  name: string,
): DecodedAudio {
  let resolved = resolveLayout(layout, wav.channels, name)
  if (swapSpeakers && resolved !== 'mono')
    resolved = resolved === 'stereo-agent-left' ? 'stereo-agent-right' : 'stereo-agent-left'
  const frameBytes = wav.bytesPerSample * wav.channels
  const source: SourceInfo = {
    format: 'wav',
    codec: wav.codec,
    sampleRate: wav.sampleRate,
    channels: wav.channels,
    headerDurationMs: wav.sizeUnknown
      ? undefined
      : Math.round((Math.floor(wav.dataBytes / frameBytes) * 1000) / wav.sampleRate),
  }
  const abort = new AbortController()
  let samples = 0
  async function* chunks(): AsyncGenerator<Float32Array[]> {
    try {
      for await (const out of readWavSamples(inputPath, wav, { signal: abort.signal })) {
        samples += out[0]?.length ?? 0
        yield out
      }
    } catch (cause) {
      if (abort.signal.aborted) return
      throw new AudioDecodeError(`could not read ${name}: ${(cause as Error).message}`, { cause })
    }
  }
  return {
    source,
    layout: resolved,
    speakers: speakersFor(resolved),
    sampleRate: wav.sampleRate,
    chunks: chunks(),
    async finish() {
      checkComplete(name, source, samples, wav.sampleRate)
      return { samples }
    },
    abort: () => abort.abort(),
  }
}
