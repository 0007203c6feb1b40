import { ConfigError } from '../../errors.js'
import { getSileroModel, type SileroVersion, type VadSampleRate } from '../../models/silero-vad.js'
import type { Interval } from '../types.js'
import { SpeechSegmenter } from './segment-speech.js'

export interface DetectVoiceActivityOptions {
  /** Silero model version. */
  model?: SileroVersion
  /** Rate the audio is decoded to for the model: 8000 or 16000. */
  sampleRate?: VadSampleRate
  /** Speech starts when the probability reaches this. */
  threshold?: number
  /** Speech ends when the probability falls below this (hysteresis); default threshold − 0.15. */
  negThreshold?: number
  /** Shorter bursts are dropped (clicks, breaths). */
  minSpeechMs?: number
  /** Pauses shorter than this do not end a segment. */
  minSilenceMs?: number
  /** Moves each segment start earlier (the model reacts a little late to onsets). */
  padStartMs?: number
  /** Moves each segment end later; negative = earlier, compensating the model's lag at speech offsets. */
  padEndMs?: number
  /** Drop segments more than this many dB below the channel's foreground speech; 0 = off. */
  levelGateDb?: number
}

export type ResolvedVadOptions = Required<DetectVoiceActivityOptions>

/**
 * Defaults chosen from `npm run bench:vad` on the sample calls (see README, "Voice activity").
 */
export const defaultVadOptions = {
  model: 'v5',
  // 8 kHz: the same F1 as 16 kHz on telephone audio and 45% faster (README, "Voice activity").
  sampleRate: 8000,
  threshold: 0.5,
  negThreshold: 0.35,
  minSpeechMs: 150,
  minSilenceMs: 300,
  // Measured on the sample calls: Silero marks onsets ~60 ms late and offsets ~70 ms late.
  padStartMs: 60,
  padEndMs: -30,
  levelGateDb: 0,
} satisfies ResolvedVadOptions

export function resolveVadOptions(options: DetectVoiceActivityOptions = {}): ResolvedVadOptions {
  const threshold = options.threshold ?? defaultVadOptions.threshold
  const resolved: ResolvedVadOptions = {
    ...defaultVadOptions,
    ...stripUndefined(options),
    negThreshold: options.negThreshold ?? Math.max(0.01, threshold - 0.15),
  }
  if (resolved.model !== 'v5' && resolved.model !== 'v6') throw new ConfigError('vad.model must be v5 or v6')
  if (resolved.sampleRate !== 8000 && resolved.sampleRate !== 16000)
    throw new ConfigError('vad.sampleRate must be 8000 or 16000')
  if (!(resolved.threshold > 0 && resolved.threshold < 1))
    throw new ConfigError('vad.threshold must be in (0, 1)')
  if (!(resolved.negThreshold > 0 && resolved.negThreshold <= resolved.threshold))
    throw new ConfigError('vad.negThreshold must be in (0, threshold]')
  for (const key of ['minSpeechMs', 'minSilenceMs', 'padStartMs', 'levelGateDb'] as const) {
    if (!(Number.isFinite(resolved[key]) && resolved[key] >= 0))
      throw new ConfigError(`vad.${key} must be ≥ 0`)
  }
  if (!(Number.isFinite(resolved.padEndMs) && Math.abs(resolved.padEndMs) <= 500))
    throw new ConfigError('vad.padEndMs must be between -500 and 500')
  return resolved
}

function meanSquare(w: Float32Array): number {
  let sum = 0
  for (let i = 0; i < w.length; i++) sum += (w[i] as number) * (w[i] as number)
  return sum / w.length
}

export function stripUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>
}

export interface DetectVoiceActivityResult {
  /** Speech intervals per input channel, in channel order. */
  channels: Interval[][]
  /** Samples seen per channel, at `sampleRate`. */
  samples: number
  windows: number
}

/**
 * Runs Silero VAD over streamed PCM. `chunks` yields one Float32Array per channel, all the same length;
 * only one window per channel is held beyond the current chunk, so memory does not grow with the call.
 */
export async function detectVoiceActivity({
  chunks,
  channelCount,
  options,
  signal,
  onWindow,
}: {
  chunks: AsyncIterable<Float32Array[]>
  channelCount: number
  options?: DetectVoiceActivityOptions
  signal?: AbortSignal
  /** Sees every model window (one per channel) with its speech probabilities, e.g. for prosody. */
  onWindow?: (windows: readonly Float32Array[], probabilities: ArrayLike<number>) => void
}): Promise<DetectVoiceActivityResult> {
  const opts = resolveVadOptions(options)
  const model = await getSileroModel(opts.model)
  const stream = model.createStream(channelCount, opts.sampleRate)
  const size = stream.window
  const segmenters = Array.from({ length: channelCount }, () => new SpeechSegmenter(opts, opts.sampleRate))
  const pending = Array.from({ length: channelCount }, () => new Float32Array(size))
  let filled = 0
  let position = 0
  let windows = 0
  // Window energy feeds only the level gate: skip it on the hot path when the gate is off.
  const gated = opts.levelGateDb > 0

  const runWindow = async () => {
    const probs = await stream.process(pending)
    onWindow?.(pending, probs)
    for (let c = 0; c < channelCount; c++) {
      segmenters[c]?.push(probs[c] ?? 0, position, gated ? meanSquare(pending[c] as Float32Array) : 0)
    }
    position += size
    windows++
  }

  for await (const chunk of chunks) {
    signal?.throwIfAborted()
    const length = chunk[0]?.length ?? 0
    let offset = 0
    while (offset < length) {
      const take = Math.min(size - filled, length - offset)
      for (let c = 0; c < channelCount; c++) {
        pending[c]?.set((chunk[c] as Float32Array).subarray(offset, offset + take), filled)
      }
      filled += take
      offset += take
      if (filled === size) {
        await runWindow()
        filled = 0
      }
    }
  }
  const samples = position + filled
  // The last partial window is zero-padded, as Silero's reference implementation does.
  if (filled > 0) {
    for (const p of pending) p.fill(0, filled)
    await runWindow()
  }
  return { channels: segmenters.map((s) => s.finish(samples)), samples, windows }
}
