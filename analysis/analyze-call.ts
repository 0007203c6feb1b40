import { rm } from 'node:fs/promises'
import path from 'node:path'
import { performance } from 'node:perf_hooks'
import { ConfigError, coerceError } from '../errors.js'
import { type SourceInfo, writeChannelWavs } from '../media/ffmpeg.js'
import { getSileroModel, windowSamples } from '../models/silero-vad.js'
import { type CallContext, type Conclusions, concludeCall } from './conclude.js'
import { type ChannelCheck, ChannelComparison } from './stages/check-channels.js'
import {
  type CallMetrics,
  type ComputeMetricsOptions,
  computeMetrics,
  union,
} from './stages/compute-metrics.js'
import { decodeAudio } from './stages/decode-audio.js'
import { detectHolds, type HoldEpisode } from './stages/detect-holds.js'
import { MusicDetector } from './stages/detect-music.js'
import {
  type ChannelVoiceReport,
  chooseModel,
  type DetectVoiceActivityOptions,
  decodeRateFor,
  detectVoiceActivity,
  resolveVadOptions,
} from './stages/detect-voice-activity.js'
import { type Diarization, diarize, SpeakerFeatures } from './stages/diarize.js'
import { type ProsodicSegment, ProsodyTracker, scoreArousal } from './stages/prosody.js'
import { redactUtterances } from './stages/redact-utterances.js'
import { type ScoredUtterance, scoreUtterances } from './stages/score-sentiment.js'
import {
  type AsrSegment,
  createPocketsphinxEngine,
  pocketsphinxUnavailable,
  type TranscriptQuality,
  transcriptQuality,
} from './stages/transcribe.js'
import { makeAsrTempDir } from './temp.js'
import {
  type ChannelLayout,
  type Interval,
  LAYOUT_OPTIONS,
  type LayoutOption,
  type Segment,
  type Speaker,
} from './types.js'

/** One call's work, sent from the pipeline to a worker thread. Plain data only (structured clone). */
export interface AnalyzeCallTask {
  inputPath: string
  /** The recording's name as the user gave it, for error messages. */
  displayName?: string
  layout: LayoutOption
  ffmpegPath: string
  vad?: DetectVoiceActivityOptions
  metrics?: ComputeMetricsOptions
  /** Recognise speech locally (the call came without a transcript). */
  asr?: AsrTaskOptions
  /** The call's agent and customer are the other way round from the layout (a per-call fix). */
  swapSpeakers?: boolean
  /** From the metadata: on one channel, the first voice is the agent's on inbound calls. */
  direction?: 'inbound' | 'outbound' | null
  /**
   * Check that a stereo file holds one party per channel (default true). Off only to measure what
   * a user without the check gets (bench/recordings.ts).
   */
  checkChannels?: boolean
  /**
   * What the call had stored when it was claimed: given, the worker also draws the call's
   * conclusions (conclude.ts), so the save only writes them.
   */
  conclude?: CallContext
}

export interface AsrTaskOptions {
  engine: 'pocketsphinx'
  /** The call's language from its metadata, when known; the engine skips languages it lacks. */
  language?: string | null
  keepOriginalText?: boolean
  /** PocketSphinx model folder; default Debian's /usr/share/pocketsphinx/model/en-us. */
  modelDir?: string
  /** Mean word posterior below which the transcript is not trusted; default TRUSTED_CONFIDENCE. */
  minConfidence?: number
}

/**
 * What local speech recognition produced: redacted, scored utterances; or why there are none
 * (`none`: the engine is not installed or lacks the language; `failed`: it ran and failed).
 */
export type AsrOutcome =
  | {
      status: 'asr'
      engine: string
      utterances: ScoredUtterance[]
      /** Below the threshold the text is not trusted: utterances carry no sentiment. */
      quality: TranscriptQuality
      elapsedMs: number
    }
  | { status: 'none' | 'failed'; engine: string; error: string }

/** What comes back: compact, no PCM. */
export interface AnalyzeCallResult {
  source: SourceInfo
  layout: ChannelLayout
  durationMs: number
  /** Speech segments with loudness, pitch, rate and arousal. */
  segments: ProsodicSegment[]
  metrics: CallMetrics
  /** Set when the task asked for speech recognition. */
  transcript?: AsrOutcome
  /** What voice activity detection ran and found, per channel (stored with the call's metrics). */
  vad: VadReport
  /** Stretches with music or tones on the line (ms). */
  music: Interval[]
  /** Holds found from the audio alone (music); persist adds those the transcript announces. */
  holds: HoldEpisode[]
  /**
   * One channel, two voices told apart: how far apart they are (standard deviations between the
   * cluster centres) and the first voice's share of the speech. Absent: one party per channel.
   */
  diarization?: { separation: number; shareFirst: number }
  /**
   * Stereo recordings: whether the channels really hold one party each. When they do not (dual
   * mono, one channel silent), `layout` is `mono` and the call was analysed on one channel.
   */
  channelCheck?: ChannelCheck
  /** What the call concludes (when the task gave its stored context): what the save writes. */
  conclusions?: Conclusions
  elapsedMs: number
}

export interface VadReport {
  model: string
  sampleRate: number
  /** Windows per channel (32 ms each). */
  windows: number
  /** Windows the model ran (all channels, warm-up included); the rest were skipped as quiet. */
  modelWindows: number
  channels: ChannelVoiceReport[]
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

/**
 * Starts loading the telephone model (Silero v5) in this thread before the first call arrives, so
 * a worker's start-up overlaps with the main thread's (opening the database). A load that fails
 * here is forgotten and tried again, and reported, by the first call that needs the model.
 */
export function prepareAnalysis(): void {
  getSileroModel('v5').catch(() => {})
}

/**
 * What hears each VAD window of a call: prosody, music, the speaker features (both parties may be
 * on one channel — mono, or a stereo file that turns out dual mono or with one channel silent — to
 * tell the two voices apart afterwards) and the channel comparison. A class, not a closure made
 * per call: V8 drops a dead closure's optimised code at the next full collection, and this one
 * runs for every window, so it ran unoptimised and was compiled again for every call.
 */
class WindowObservers {
  prosody: ProsodyTracker | undefined
  music: MusicDetector | undefined
  voices: SpeakerFeatures[] | undefined
  private sinceSettleCheck = 0

  constructor(
    private readonly sampleRate: number,
    private readonly comparison: ChannelComparison | undefined,
    public featuresDropped: boolean,
  ) {}

  observe(
    windows: readonly Float32Array[],
    probabilities: ArrayLike<number>,
    levelsDb: ArrayLike<number>,
  ): void {
    const size = windows[0]?.length ?? 0
    this.prosody ??= new ProsodyTracker(windows.length, this.sampleRate, size)
    this.prosody.push(windows, probabilities, levelsDb)
    this.music ??= new MusicDetector(windows.length, this.sampleRate, size)
    this.music.push(windows, levelsDb, probabilities)
    if (!this.featuresDropped) {
      this.voices ??= windows.map((w) => new SpeakerFeatures(this.sampleRate, w.length))
      for (let c = 0; c < windows.length; c++)
        this.voices[c]?.push(windows[c] as Float32Array, (probabilities[c] as number) >= 0.2)
    }
    this.comparison?.push(windows, levelsDb)
    // A stereo call plainly two parties needs no speaker features (~9% of its analysis).
    if (this.comparison && !this.featuresDropped && ++this.sinceSettleCheck >= 128) {
      this.sinceSettleCheck = 0
      if (this.comparison.settled()) {
        this.featuresDropped = true
        this.voices = undefined
      }
    }
  }
}

/** decode → VAD → metrics for one recording, streamed end to end. */
export async function analyzeCall(task: AnalyzeCallTask, signal?: AbortSignal): Promise<AnalyzeCallResult> {
  const began = performance.now()
  const vad = resolveVadOptions(task.vad)
  const decodeRate = decodeRateFor(vad)
  const audio = await decodeAudio({
    inputPath: task.inputPath,
    layout: task.layout,
    sampleRate: decodeRate,
    // A WAV file already at a rate the model runs at is read as it is (no ffmpeg, no resampling).
    acceptRates: vad.sampleRate === 'auto' ? [8000, 16000] : [vad.sampleRate],
    ffmpegPath: task.ffmpegPath,
    displayName: task.displayName,
    swapSpeakers: task.swapSpeakers ?? false,
  })
  let detected: Awaited<ReturnType<typeof detectVoiceActivity>>
  let heard: WindowObservers
  const comparison =
    audio.layout === 'mono' || task.checkChannels === false
      ? undefined
      : new ChannelComparison(chooseModel(vad, audio.source.sampleRate).sampleRate)
  try {
    const chosen = chooseModel(vad, audio.source.sampleRate)
    // Speaker features are not gathered at all when the file cannot need them (stereo, check off).
    heard = new WindowObservers(
      chosen.sampleRate,
      comparison,
      audio.layout !== 'mono' && task.checkChannels === false,
    )
    detected = await detectVoiceActivity({
      chunks: audio.chunks,
      channelCount: audio.speakers.length,
      inputRate: audio.sampleRate,
      oneSpeakerPerChannel: () => comparison?.result().layout === 'two-parties',
      ...(audio.source.headerDurationMs
        ? { expectedSamples: Math.ceil((audio.source.headerDurationMs * audio.sampleRate) / 1000) }
        : {}),
      options: { ...vad, ...chosen },
      signal,
      onWindow: heard.observe.bind(heard),
    })
  } catch (err) {
    audio.abort()
    throw err
  }
  const { prosody, music, voices, featuresDropped } = heard
  const { samples } = await audio.finish()
  const durationMs = Math.round((samples * 1000) / audio.sampleRate)
  const channelCheck = comparison?.result()
  // A stereo file that does not hold one party per channel is analysed as the one channel that
  // carries the call: the louder of two copies, or the one that is not silent.
  const oneChannel =
    channelCheck === undefined || channelCheck.layout === 'two-parties'
      ? undefined
      : channelCheck.layout === 'one-channel-silent'
        ? channelCheck.silentChannel === 'left'
          ? 1
          : 0
        : channelCheck.levelsDb[1] > channelCheck.levelsDb[0]
          ? 1
          : 0
  if (oneChannel !== undefined && featuresDropped) {
    // The call looked plainly two parties early on and its speaker features were dropped, yet the
    // whole call says otherwise: analyse it again as one channel (rare; costs a second pass).
    const again = await analyzeCall({ ...task, layout: 'mono', checkChannels: false }, signal)
    return { ...again, channelCheck: channelCheck as ChannelCheck }
  }
  const layout: ChannelLayout = oneChannel === undefined ? audio.layout : 'mono'
  // On one channel, two voices are told apart (analysis/stages/diarize.ts): the first is the
  // agent's on inbound calls, the customer's on outbound ones (role cues may swap them at save).
  const channel = oneChannel ?? 0
  let diarization: Diarization | undefined
  let segments: Segment[]
  if (layout === 'mono' && voices?.[channel] && prosody) {
    diarization = diarize({
      segments: detected.channels[channel] ?? [],
      features: voices[channel] as SpeakerFeatures,
      pitchHz: prosody.pitchOf(channel),
      windowMs: (windowSamples(detected.sampleRate) * 1000) / detected.sampleRate,
    })
    const first: Speaker = task.direction === 'outbound' ? 'customer' : 'agent'
    const second: Speaker = first === 'agent' ? 'customer' : 'agent'
    segments = diarization.segments.map(({ speaker, ...iv }) => ({
      speaker: speaker === 'A' ? first : second,
      ...iv,
    }))
  } else {
    const speakers: Speaker[] = oneChannel === undefined ? audio.speakers : ['speaker']
    segments = (oneChannel === undefined ? detected.channels : [detected.channels[oneChannel] ?? []])
      .flatMap((intervals, c) => intervals.map((iv) => ({ speaker: speakers[c] ?? 'speaker', ...iv })))
      .sort((a, b) => a.startMs - b.startMs || a.speaker.localeCompare(b.speaker))
  }
  /** The file's channel a speaker's audio is on. */
  const channelOf = (speaker: string) =>
    layout === 'mono' ? channel : Math.max(0, audio.speakers.indexOf(speaker as never))
  const featured = prosody
    ? scoreArousal(segments, prosody, channelOf, { mixed: layout === 'mono' })
    : segments.map((s) => ({
        ...s,
        loudnessDb: null,
        pitchHz: null,
        rate: null,
        arousal: null,
        agitated: false,
      }))
  // Music on the line (any channel the call is analysed on) makes a silence a hold.
  const musicSpans = music
    ? union(
        music
          .spans()
          .filter((_, c) => oneChannel === undefined || c === oneChannel)
          .flat(),
      )
    : []
  const holds = detectHolds({ segments, utterances: [], music: musicSpans })
  const metrics = computeMetrics({
    segments,
    durationMs,
    mono: layout === 'mono' && !diarization,
    oneChannel: diarization !== undefined,
    options: task.metrics,
    holds,
  })
  const transcript = task.asr
    ? await recognise(task, task.asr, segments, channelOf, audio.speakers.length, signal)
    : undefined
  const conclusions = task.conclude
    ? concludeCall(
        {
          layout,
          durationMs,
          segments: featured,
          music: musicSpans,
          ...(diarization
            ? { diarization: { separation: diarization.separation, shareFirst: diarization.shareA } }
            : {}),
          ...(transcript ? { transcript } : {}),
        },
        task.conclude,
        task.metrics,
      )
    : undefined
  return {
    ...(conclusions ? { conclusions } : {}),
    source: audio.source,
    layout,
    ...(channelCheck ? { channelCheck } : {}),
    music: musicSpans,
    holds,
    ...(diarization
      ? { diarization: { separation: diarization.separation, shareFirst: diarization.shareA } }
      : {}),
    durationMs,
    segments: featured,
    metrics,
    ...(transcript ? { transcript } : {}),
    vad: {
      model: detected.model,
      sampleRate: detected.sampleRate,
      windows: detected.windows,
      modelWindows: detected.modelWindows,
      channels: detected.report,
    },
    elapsedMs: Math.round(performance.now() - began),
  }
}

/**
 * Speech recognition on the VAD segments, redacted and scored here in the worker so unredacted
 * text never leaves it. Never throws: a failure is the transcript's, not the call's.
 */
async function recognise(
  task: AnalyzeCallTask,
  options: AsrTaskOptions,
  segments: readonly Segment[],
  channelOf: (speaker: string) => number,
  channels: number,
  signal?: AbortSignal,
): Promise<AsrOutcome> {
  const engine = createPocketsphinxEngine(options.modelDir)
  const language = options.language?.toLowerCase().slice(0, 2)
  if (language && !engine.languages.includes(language))
    return {
      status: 'none',
      engine: engine.name,
      error: `no local speech recognition for language "${language}"`,
    }
  const missing = pocketsphinxUnavailable(options.modelDir)
  if (missing)
    return { status: 'none', engine: engine.name, error: `no local speech recognition: ${missing}` }
  const began = performance.now()
  const workDir = await makeAsrTempDir()
  try {
    const channelWavs =
      channels === 1
        ? ([path.join(workDir, 'c0.wav')] as const)
        : ([path.join(workDir, 'c0.wav'), path.join(workDir, 'c1.wav')] as const)
    await writeChannelWavs({
      inputPath: task.inputPath,
      outputPaths: channelWavs,
      sampleRate: engine.sampleRate,
      ffmpegPath: task.ffmpegPath,
    })
    const asrSegments: AsrSegment[] = segments.map((s) => ({
      channel: channelOf(s.speaker),
      speaker: s.speaker,
      startMs: s.startMs,
      endMs: s.endMs,
    }))
    const recognised = await engine.transcribe({ channelWavs, segments: asrSegments, workDir, signal })
    const redacted = redactUtterances(recognised, { keepOriginal: options.keepOriginalText ?? false })
    const quality = transcriptQuality(recognised, options.minConfidence)
    const scored = scoreUtterances(redacted)
    return {
      status: 'asr',
      engine: engine.name,
      // Sentiment read from word salad would be presented as fact: untrusted text gets none.
      utterances: quality.trusted ? scored : scored.map((u) => ({ ...u, sentiment: null })),
      quality,
      elapsedMs: Math.round(performance.now() - began),
    }
  } catch (thrown) {
    return { status: 'failed', engine: engine.name, error: coerceError(thrown).message }
  } finally {
    await rm(workDir, { recursive: true, force: true })
  }
}
