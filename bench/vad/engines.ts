/**
 * The detectors the bench compares, run the way a user would run each one:
 *  - Silero v5/v6 through our own stream (context + state per channel), probabilities per window,
 *    then Silero's reference post-processing (get_speech_timestamps in snakers4/silero-vad's
 *    utils_vad.py: threshold 0.5, negative threshold 0.35, min speech 250 ms, min silence 100 ms,
 *    30 ms padding);
 *  - WebRTC VAD (libfvad compiled to wasm, @echogarden/fvad-wasm), modes 0–3 on 30 ms frames, the
 *    frame decisions as they come.
 */
import { spawn } from 'node:child_process'
import fvad from '@echogarden/fvad-wasm'
import type { Interval } from '../../analysis/types.js'
import { getSileroModel, type SileroVersion, type VadSampleRate } from '../../models/silero-vad.js'

/** Whole file as float channels at `rate` (the bench holds a file in memory; the pipeline streams). */
export function decodeChannels(
  file: string,
  rate: number,
  channels: number,
  ffmpegPath: string,
): Promise<Float32Array[]> {
  return new Promise((resolve, reject) => {
    const args = ['-v', 'error', '-i', file, '-ac', String(channels), '-ar', String(rate), '-f', 'f32le', '-']
    const p = spawn(ffmpegPath, args, { stdio: ['ignore', 'pipe', 'inherit'] })
    const chunks: Buffer[] = []
    p.stdout.on('data', (c: Buffer) => chunks.push(c))
    p.on('error', reject)
    p.on('close', (code) => {
      if (code !== 0) return reject(new Error(`ffmpeg exited ${code} on ${file}`))
      const buf = Buffer.concat(chunks)
      const all = new Float32Array(buf.buffer, buf.byteOffset, buf.length >> 2)
      const frames = Math.floor(all.length / channels)
      const out = Array.from({ length: channels }, () => new Float32Array(frames))
      for (let i = 0; i < frames; i++)
        for (let c = 0; c < channels; c++) (out[c] as Float32Array)[i] = all[i * channels + c] as number
      resolve(out)
    })
  })
}

/** Speech probability per model window, per channel (the last partial window zero-padded). */
export async function sileroProbabilities(
  channels: readonly Float32Array[],
  version: SileroVersion,
  rate: VadSampleRate,
): Promise<Float32Array[]> {
  const model = await getSileroModel(version)
  const stream = model.createStream(channels.length, rate)
  const size = stream.window
  const length = channels[0]?.length ?? 0
  const count = Math.ceil(length / size)
  const out = channels.map(() => new Float32Array(count))
  const windows = channels.map(() => new Float32Array(size))
  for (let w = 0; w < count; w++) {
    channels.forEach((ch, c) => {
      const win = windows[c] as Float32Array
      win.fill(0)
      win.set(ch.subarray(w * size, Math.min(length, (w + 1) * size)))
    })
    const p = await stream.process(windows)
    for (let c = 0; c < channels.length; c++) (out[c] as Float32Array)[w] = p[c] as number
  }
  return out
}

export interface ReferenceOptions {
  threshold: number
  negThreshold?: number
  minSpeechMs: number
  minSilenceMs: number
  speechPadMs: number
}

export const SILERO_REFERENCE: ReferenceOptions = {
  threshold: 0.5,
  minSpeechMs: 250,
  minSilenceMs: 100,
  speechPadMs: 30,
}

/** get_speech_timestamps from Silero's utils_vad.py, over probabilities already computed. */
export function referenceSegments(
  probs: Float32Array,
  rate: VadSampleRate,
  totalSamples: number,
  o: ReferenceOptions = SILERO_REFERENCE,
): Interval[] {
  const win = rate === 16000 ? 512 : 256
  const neg = o.negThreshold ?? Math.max(o.threshold - 0.15, 0.01)
  const minSpeech = (rate * o.minSpeechMs) / 1000
  const minSilence = (rate * o.minSilenceMs) / 1000
  const pad = (rate * o.speechPadMs) / 1000
  const speeches: Array<{ start: number; end: number }> = []
  let triggered = false
  let tempEnd = 0
  let start = 0
  for (let i = 0; i < probs.length; i++) {
    const p = probs[i] as number
    const at = win * i
    if (p >= o.threshold && tempEnd) tempEnd = 0
    if (p >= o.threshold && !triggered) {
      triggered = true
      start = at
      continue
    }
    if (p < neg && triggered) {
      if (!tempEnd) tempEnd = at
      if (at - tempEnd < minSilence) continue
      if (tempEnd - start > minSpeech) speeches.push({ start, end: tempEnd })
      triggered = false
      tempEnd = 0
    }
  }
  if (triggered && totalSamples - start > minSpeech) speeches.push({ start, end: totalSamples })
  for (let i = 0; i < speeches.length; i++) {
    const s = speeches[i] as { start: number; end: number }
    if (i === 0) s.start = Math.max(0, s.start - pad)
    const next = speeches[i + 1]
    if (next) {
      const gap = next.start - s.end
      if (gap < 2 * pad) {
        s.end += Math.floor(gap / 2)
        next.start = Math.max(0, next.start - Math.floor(gap / 2))
      } else {
        s.end = Math.min(totalSamples, s.end + pad)
        next.start = Math.max(0, next.start - pad)
      }
    } else s.end = Math.min(totalSamples, s.end + pad)
  }
  return speeches.map((s) => ({
    startMs: Math.round((s.start * 1000) / rate),
    endMs: Math.round((s.end * 1000) / rate),
  }))
}

interface FvadModule {
  _fvad_new(): number
  _fvad_free(inst: number): void
  _fvad_set_mode(inst: number, mode: number): number
  _fvad_set_sample_rate(inst: number, rate: number): number
  _fvad_process(inst: number, ptr: number, length: number): number
  _malloc(bytes: number): number
  _free(ptr: number): void
  HEAP16: Int16Array
}

let fvadModule: Promise<FvadModule> | undefined

/** WebRTC VAD decisions on 30 ms frames (16 kHz input), merged into intervals. */
export async function webrtcSegments(
  channel: Float32Array,
  mode: 0 | 1 | 2 | 3,
  rate = 16000,
): Promise<Interval[]> {
  fvadModule ??= fvad() as Promise<FvadModule>
  const m = await fvadModule
  const inst = m._fvad_new()
  const frame = (rate * 30) / 1000
  const ptr = m._malloc(frame * 2)
  try {
    if (m._fvad_set_mode(inst, mode) !== 0 || m._fvad_set_sample_rate(inst, rate) !== 0)
      throw new Error('fvad setup failed')
    const out: Interval[] = []
    for (let i = 0; i + frame <= channel.length; i += frame) {
      const heap = m.HEAP16.subarray(ptr >> 1, (ptr >> 1) + frame)
      for (let j = 0; j < frame; j++)
        heap[j] = Math.max(-32768, Math.min(32767, Math.round((channel[i + j] as number) * 32768)))
      if (m._fvad_process(inst, ptr, frame) === 1) {
        const startMs = (i * 1000) / rate
        const last = out[out.length - 1]
        if (last && last.endMs === startMs) last.endMs = startMs + 30
        else out.push({ startMs, endMs: startMs + 30 })
      }
    }
    return out
  } finally {
    m._free(ptr)
    m._fvad_free(inst)
  }
}
