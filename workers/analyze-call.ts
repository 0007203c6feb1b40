import { performance } from 'node:perf_hooks'
import { ConfigError } from '../errors.js'
import type { SourceInfo } from './ffmpeg.js'
import { type CallMetrics, type ComputeMetricsOptions, computeMetrics } from './stages/compute-metrics.js'
import { decodeAudio } from './stages/decode-audio.js'
import {
  type DetectVoiceActivityOptions,
  detectVoiceActivity,
  resolveVadOptions,
} from './stages/detect-voice-activity.js'
import { type ProsodicSegment, ProsodyTracker, scoreArousal } from './stages/prosody.js'
import { type ChannelLayout, LAYOUT_OPTIONS, type LayoutOption, type Segment } from './types.js'

/** One call's work, sent from the pipeline to a worker thread. Plain data only (structured clone). */
export interface AnalyzeCallTask {
  inputPath: string
  /** The recording's name as the user gave it, for error messages. */
  displayName?: string
  layout: LayoutOption
  ffmpegPath: string
  vad?: DetectVoiceActivityOptions
  metrics?: ComputeMetricsOptions
}

/** What comes back: compact, no PCM. */
export interface AnalyzeCallResult {
  source: SourceInfo
  layout: ChannelLayout
  durationMs: number
  /** Speech segments with loudness, pitch, rate and arousal. */
  segments: ProsodicSegment[]
  metrics: CallMetrics
  /** Model calls made (windows × channels run as one batch each). */
  vadWindows: number
  elapsedMs: number
}

export function assertAnalyzeCallTask(task: unknown): asserts task is AnalyzeCallTask {
  const t = task as Partial<AnalyzeCallTask> | null
  if (!t || typeof t !== 'object') throw new ConfigError('task must be an object')
  if (typeof t.inputPath !== 'string' || t.inputPath === '')
    throw new ConfigError('task.inputPath must be a string')
  if (typeof t.ffmpegPath !== 'string') throw new ConfigError('task.ffmpegPath must be a string')
  if (!LAYOUT_OPTIONS.includes(t.layout as LayoutOption))
    throw new ConfigError(`task.layout must be one of ${LAYOUT_OPTIONS.join(', ')}`)
}

/** decode → VAD → metrics for one recording, streamed end to end. */
export async function analyzeCall(task: AnalyzeCallTask, signal?: AbortSignal): Promise<AnalyzeCallResult> {
  const began = performance.now()
  const vad = resolveVadOptions(task.vad)
  const audio = await decodeAudio({
    inputPath: task.inputPath,
    layout: task.layout,
    sampleRate: vad.sampleRate,
    ffmpegPath: task.ffmpegPath,
    displayName: task.displayName,
  })
  let detected: Awaited<ReturnType<typeof detectVoiceActivity>>
  let prosody: ProsodyTracker | undefined
  try {
    detected = await detectVoiceActivity({
      chunks: audio.chunks,
      channelCount: audio.speakers.length,
      options: vad,
      signal,
      onWindow: (windows) => {
        prosody ??= new ProsodyTracker(windows.length, vad.sampleRate, windows[0]?.length ?? 0)
        prosody.push(windows)
      },
    })
  } catch (err) {
    audio.abort()
    throw err
  }
  const { samples } = await audio.finish()
  const durationMs = Math.round((samples * 1000) / vad.sampleRate)
  const segments: Segment[] = detected.channels
    .flatMap((intervals, c) => intervals.map((iv) => ({ speaker: audio.speakers[c] ?? 'speaker', ...iv })))
    .sort((a, b) => a.startMs - b.startMs || a.speaker.localeCompare(b.speaker))
  const channelOf = (speaker: string) => Math.max(0, audio.speakers.indexOf(speaker as never))
  const featured = prosody
    ? scoreArousal(segments, prosody, channelOf, { mixed: audio.layout === 'mono' })
    : segments.map((s) => ({
        ...s,
        loudnessDb: null,
        pitchHz: null,
        rate: null,
        arousal: null,
        agitated: false,
      }))
  const metrics = computeMetrics({
    segments,
    durationMs,
    mono: audio.layout === 'mono',
    options: task.metrics,
  })
  return {
    source: audio.source,
    layout: audio.layout,
    durationMs,
    segments: featured,
    metrics,
    vadWindows: detected.windows,
    elapsedMs: Math.round(performance.now() - began),
  }
}
