import { ConfigError } from '../../errors.js'
import {
  contextSamples,
  getSileroModel,
  type SileroLanes,
  type SileroVersion,
  type VadSampleRate,
  windowSamples,
} from '../../models/silero-vad.js'
import type { Interval } from '../types.js'
import { FloatTrack } from './float-track.js'
import { type SegmenterOptions, SpeechSegmenter } from './segment-speech.js'

export interface DetectVoiceActivityOptions {
  /** Silero model version; `auto`: v5 for telephone-band sources, v6 for wider ones. */
  model?: SileroVersion | 'auto'
  /** Rate the model runs at; `auto`: 8 kHz for sources at 8 kHz or less, else 16 kHz. */
  sampleRate?: VadSampleRate | 'auto'
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
  /**
   * On a channel that carries one party (stereo), when the model hears speech in the channel's
   * quietest stretches (other people talking behind the speaker), speech must come within this
   * many dB of the party's own loud speech; 0 = off.
   */
  backgroundGateDb?: number
  /**
   * Windows less than this many dB above the channel's noise floor, with no louder window within
   * 128 ms before or 256 ms after, skip the model (they score 0); 0 = every window runs the model.
   */
  skipMarginDb?: number
}

export type ResolvedVadOptions = Required<DetectVoiceActivityOptions>

/**
 * Defaults chosen on real speech: `npm run bench:vad` (README, "Voice activity"), the
 * pocketsphinx-testdata telephone corpus and the AMI training files; AMI dev/test held out.
 */
export const defaultVadOptions = {
  model: 'auto',
  sampleRate: 'auto',
  threshold: 0.35,
  negThreshold: 0.2,
  minSpeechMs: 150,
  // Pauses under half a second stay inside a turn (AMI's turns bridge up to ~0.7 s).
  minSilenceMs: 500,
  // Silero marks onsets ~60 ms late and offsets ~80 ms late on the real-speech corpus.
  padStartMs: 60,
  padEndMs: -50,
  levelGateDb: 0,
  backgroundGateDb: 12,
  skipMarginDb: 4,
} satisfies ResolvedVadOptions

export function resolveVadOptions(options: DetectVoiceActivityOptions = {}): ResolvedVadOptions {
  const threshold = options.threshold ?? defaultVadOptions.threshold
  const resolved: ResolvedVadOptions = {
    ...defaultVadOptions,
    ...stripUndefined(options),
    negThreshold:
      options.negThreshold ??
      (options.threshold === undefined ? defaultVadOptions.negThreshold : Math.max(0.01, threshold - 0.15)),
  }
  if (!['auto', 'v5', 'v6'].includes(resolved.model))
    throw new ConfigError('vad.model must be auto, v5 or v6')
  if (!['auto', 8000, 16000].includes(resolved.sampleRate))
    throw new ConfigError('vad.sampleRate must be auto, 8000 or 16000')
  if (!(resolved.threshold > 0 && resolved.threshold < 1))
    throw new ConfigError('vad.threshold must be in (0, 1)')
  if (!(resolved.negThreshold > 0 && resolved.negThreshold <= resolved.threshold))
    throw new ConfigError('vad.negThreshold must be in (0, threshold]')
  for (const key of [
    'minSpeechMs',
    'minSilenceMs',
    'padStartMs',
    'levelGateDb',
    'backgroundGateDb',
    'skipMarginDb',
  ] as const) {
    if (!(Number.isFinite(resolved[key]) && resolved[key] >= 0))
      throw new ConfigError(`vad.${key} must be ≥ 0`)
  }
  if (!(Number.isFinite(resolved.padEndMs) && Math.abs(resolved.padEndMs) <= 500))
    throw new ConfigError('vad.padEndMs must be between -500 and 500')
  return resolved
}

export function stripUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>
}

/**
 * The model and its rate for one recording. Telephone audio (8 kHz or less at the source) runs v5
 * at 8 kHz, which leads on the telephone conditions; anything wider runs v6 at 16 kHz, which
 * leads on wide-band speech and the far-field AMI files and loses nothing on band-limited audio.
 */
export function chooseModel(
  options: Pick<ResolvedVadOptions, 'model' | 'sampleRate'>,
  sourceRate: number,
): { model: SileroVersion; sampleRate: VadSampleRate } {
  const narrow = sourceRate > 0 && sourceRate <= 8000
  const sampleRate = options.sampleRate === 'auto' ? (narrow ? 8000 : 16000) : options.sampleRate
  const model = options.model === 'auto' ? (sampleRate === 8000 ? 'v5' : 'v6') : options.model
  return { model, sampleRate }
}

/**
 * The rate to decode at before the source is known: a fixed model rate, else 16 kHz (an 8 kHz
 * source then reaches the model decimated by two, which is exact: ffmpeg's upsampled copy holds
 * nothing above 4 kHz).
 */
export function decodeRateFor(options: Pick<ResolvedVadOptions, 'sampleRate'>): VadSampleRate {
  return options.sampleRate === 'auto' ? 16000 : options.sampleRate
}

/** What the detector decided about one channel, for the call's record. */
export interface ChannelVoiceReport {
  /** The channel's noise floor: 10th percentile of window levels, dBFS. */
  floorDb: number
  /** Its loud speech: 95th percentile of the levels of windows the model calls speech, dBFS. */
  speechDb: number | null
  /** Share of the quietest fifth of the channel the model calls speech (voices behind the speaker). */
  backgroundSpeechShare: number
  /** The background-talker gate was applied. */
  backgroundGated: boolean
}

export interface DetectVoiceActivityResult {
  /** Speech intervals per input channel, in channel order. */
  channels: Interval[][]
  model: SileroVersion
  sampleRate: VadSampleRate
  /** Model windows per channel (32 ms each). */
  windows: number
  /** Windows the model actually ran (summed over channels, warm-up included). */
  modelWindows: number
  /** Model calls (each one batch). */
  modelRuns: number
  report: ChannelVoiceReport[]
}

/**
 * Model windows per block: ~307 s of audio held per channel at a time (10 MB at 8 kHz, 20 MB at
 * 16 kHz), whatever the call's length. Long blocks keep the warm-up a small share of each
 * stretch: every block starts up to 15 fresh stretches, each with a second of warm-up, so a
 * 5-minute call in one block runs ~6% fewer model windows than in three blocks of ~131 s (and
 * the model is most of a call's time; bench/README.md).
 */
const BLOCK_WINDOWS = 9600
/** Parallel stretches per call (all channels together) batched into one model run. */
const LANES_PER_CALL = 16
/** Fewest windows a stretch runs (4 s): shorter ones would spend too much on warm-up. */
const MIN_STRETCH = 128
/**
 * Windows run, output discarded, before a stretch that starts mid-call with a fresh state. The
 * model's state carries about a second of the channel's background: with 256 ms of warm-up, AMI
 * lost 2 points of F1 against one unbroken stream; with ~1 s nothing measurable is lost.
 */
const WARMUP_WINDOWS = 32
/** The level gate keeps the model running this many windows before and after a loud window. */
const GATE_PREROLL = 4
const GATE_HANGOVER = 8
/** The quietest fifth of a channel is where background voices would show. */
const BACKGROUND_QUANTILE = 0.2
/** Above this share of model-heard speech in that fifth, the channel has voices behind the speaker. */
const BACKGROUND_SPEECH_SHARE = 0.15
const FLOOR_QUANTILE = 0.1
const SPEECH_LEVEL_QUANTILE = 0.95

/** Window levels in 0.5 dB bins from −140 dBFS: a channel's floor without keeping its windows. */
class LevelHistogram {
  private readonly bins = new Uint32Array(320)
  private count = 0
  add(db: number): void {
    const bin = Math.max(0, Math.min(this.bins.length - 1, Math.floor((db + 140) * 2)))
    this.bins[bin] = (this.bins[bin] as number) + 1
    this.count++
  }
  quantile(q: number): number {
    const target = q * this.count
    let seen = 0
    for (let b = 0; b < this.bins.length; b++) {
      seen += this.bins[b] as number
      if (seen > target) return b / 2 - 140
    }
    return 20
  }
}

/** Sees every model window (one per channel) with its speech probabilities and levels (dB). */
type OnWindow = (
  windows: readonly Float32Array[],
  probabilities: ArrayLike<number>,
  levelsDb: ArrayLike<number>,
) => void

interface LaneWork {
  lane: number
  channel: number
  /** Block-relative window indices to run, in order (negative: history before the block). */
  windows: number[]
  /** Index into `windows` from which outputs are kept (earlier ones are warm-up). */
  keepFrom: number
}

/**
 * Runs Silero VAD over streamed PCM and decides, per channel, where speech is.
 *
 * `chunks` yields one Float32Array per channel at `inputRate`, all the same length. The audio is
 * cut into blocks of ~307 s per channel; only a block (plus 1 s of history) is held, so memory
 * does not grow with the call. Within a block:
 *  - each window's level is measured and the channel's noise floor updated;
 *  - windows near the floor, far from any louder window, skip the model (`skipMarginDb`);
 *  - the rest run through the model in up to 16 parallel stretches per call, each with its own
 *    recurrent state (one model run per step, batched across stretches and channels); a stretch
 *    that starts mid-call first hears the second before it;
 *  - `onWindow` then sees every window in time order, with its probabilities and levels.
 * At the end each channel's probabilities are turned into speech with hysteresis, after the
 * background-talker gate where it applies.
 */
export async function detectVoiceActivity({
  chunks,
  channelCount,
  inputRate,
  sourceRate,
  oneSpeakerPerChannel,
  options,
  signal,
  onWindow,
  expectedSamples,
}: {
  /** Per-channel PCM; a chunk may be reused by its producer once the next one is asked for. */
  chunks: AsyncIterable<Float32Array[]>
  channelCount: number
  /** Rate of the chunks: the model rate, or twice it (decimated here). */
  inputRate: number
  /** The recording's own rate (chooses the model under `auto`); default: inputRate. */
  sourceRate?: number
  /**
   * Each channel carries one party (stereo calls): enables the background-talker gate. A function
   * is asked at the end, once the whole call has been heard (the channel check needs all of it).
   */
  oneSpeakerPerChannel?: boolean | (() => boolean)
  options?: DetectVoiceActivityOptions
  signal?: AbortSignal
  /** Sees every model window (one per channel) with its speech probabilities and levels (dB). */
  onWindow?: OnWindow
  /** Samples per channel the header announces (at `inputRate`): a short call gets short blocks. */
  expectedSamples?: number
}): Promise<DetectVoiceActivityResult> {
  const opts = resolveVadOptions(options)
  const { model: version, sampleRate } = chooseModel(opts, sourceRate ?? inputRate)
  const step = inputRate / sampleRate
  if (step !== 1 && step !== 2)
    throw new ConfigError(`cannot run the model at ${sampleRate} Hz on ${inputRate} Hz audio`)
  const model = await getSileroModel(version)
  // Every channel has lanes enough to take them all (a lane's state is 1 kB).
  const lanes = model.createLanes(LANES_PER_CALL * channelCount, sampleRate)
  const win = windowSamples(sampleRate)
  const history = WARMUP_WINDOWS * win
  if (history < contextSamples(sampleRate)) throw new ConfigError('warm-up shorter than the model context')

  // A block is at most ~307 s; a call the header says is shorter gets a block its size (the
  // buffers are most of what a call allocates).
  const blockWindows =
    expectedSamples && expectedSamples > 0
      ? Math.max(64, Math.min(BLOCK_WINDOWS, Math.ceil(expectedSamples / step / win) + 1))
      : BLOCK_WINDOWS
  const buffers = Array.from({ length: channelCount }, () => new Float32Array(history + blockWindows * win))
  const histograms = Array.from({ length: channelCount }, () => new LevelHistogram())
  const probs = Array.from({ length: channelCount }, () => new FloatTrack())
  const levels = Array.from({ length: channelCount }, () => new FloatTrack())
  // The lane holding each channel's state at the end of the previous block (continues into the next).
  const carry = Array.from({ length: channelCount }, (_, c) => c * LANES_PER_CALL)
  // Windows since the last loud one, per channel, carried across blocks for the hangover.
  const sinceLoud = new Array<number>(channelCount).fill(Number.POSITIVE_INFINITY)
  let filled = 0
  let parity = 0

  const blockProbs = Array.from({ length: channelCount }, () => new Float32Array(blockWindows))
  const blockLevels = Array.from({ length: channelCount }, () => new Float32Array(blockWindows))
  const needed = Array.from({ length: channelCount }, () => new Uint8Array(blockWindows))
  const maxBatch = LANES_PER_CALL + channelCount
  const slotLanes = new Int32Array(maxBatch)
  const slotOffsets = new Int32Array(maxBatch)
  const slotSources: Float32Array[] = new Array(maxBatch)
  const slotOut = new Float32Array(maxBatch)
  const windowViews: Float32Array[] = new Array(channelCount)
  const windowProbs = new Float32Array(channelCount)
  const windowLevels = new Float32Array(channelCount)

  const run: VadBlockRun = {
    channelCount,
    history,
    win,
    skipMarginDb: opts.skipMarginDb,
    lanes,
    signal,
    onWindow,
    buffers,
    histograms,
    probs,
    levels,
    carry,
    sinceLoud,
    blockProbs,
    blockLevels,
    needed,
    slotLanes,
    slotOffsets,
    slotSources,
    slotOut,
    windowViews,
    windowProbs,
    windowLevels,
    blocks: 0,
    modelWindows: 0,
    modelRuns: 0,
  }

  for await (const chunk of chunks) {
    signal?.throwIfAborted()
    const length = chunk[0]?.length ?? 0
    let offset = 0
    while (offset < length) {
      const room = blockWindows * win - filled
      if (step === 1) {
        const take = Math.min(room, length - offset)
        for (let c = 0; c < channelCount; c++)
          (buffers[c] as Float32Array).set(
            (chunk[c] as Float32Array).subarray(offset, offset + take),
            history + filled,
          )
        filled += take
        offset += take
      } else {
        // Every other sample: the 16 kHz decode of an 8 kHz source has nothing above 4 kHz.
        let i = offset
        let f = filled
        while (i < length && f < blockWindows * win) {
          if ((parity & 1) === 0) {
            for (let c = 0; c < channelCount; c++)
              (buffers[c] as Float32Array)[history + f] = (chunk[c] as Float32Array)[i] as number
            f++
          }
          parity++
          i++
        }
        offset = i
        filled = f
      }
      if (filled === blockWindows * win) {
        await processBlock(run, blockWindows)
        filled = 0
      }
    }
  }
  const samples = run.blocks * blockWindows * win + filled
  if (filled > 0) {
    // The last partial window is zero-padded, as Silero's reference implementation does.
    const count = Math.ceil(filled / win)
    for (const buf of buffers) buf.fill(0, history + filled, history + count * win)
    await processBlock(run, count)
  }

  const report: ChannelVoiceReport[] = []
  const channels = probs.map((track, c) => {
    const decided = decideSpeech(track.view(), (levels[c] as FloatTrack).view(), sampleRate, samples, opts, {
      backgroundGate:
        typeof oneSpeakerPerChannel === 'function' ? oneSpeakerPerChannel() : oneSpeakerPerChannel === true,
    })
    report.push(decided.report)
    return decided.speech
  })
  return {
    channels,
    model: version,
    sampleRate,
    windows: probs[0]?.length ?? 0,
    modelWindows: run.modelWindows,
    modelRuns: run.modelRuns,
    report,
  }
}

/**
 * What one call's VAD carries from block to block. The block's work is a module-level function
 * taking this, not a closure made per call: V8 optimises a closure made anew for every call again
 * for every call (a 5-minute call's single block ran in the interpreter until on-stack
 * replacement, and TurboFan recompiled it on a background thread each time).
 */
interface VadBlockRun {
  readonly channelCount: number
  /** samples of history kept before the block */
  readonly history: number
  /** samples per window */
  readonly win: number
  readonly skipMarginDb: number
  readonly lanes: SileroLanes
  readonly signal: AbortSignal | undefined
  readonly onWindow: OnWindow | undefined
  readonly buffers: Float32Array[]
  readonly histograms: LevelHistogram[]
  readonly probs: FloatTrack[]
  readonly levels: FloatTrack[]
  /** the lane holding each channel's state at the end of the previous block */
  readonly carry: number[]
  /** windows since the last loud one, per channel (the hangover across blocks) */
  readonly sinceLoud: number[]
  readonly blockProbs: Float32Array[]
  readonly blockLevels: Float32Array[]
  readonly needed: Uint8Array[]
  readonly slotLanes: Int32Array
  readonly slotOffsets: Int32Array
  readonly slotSources: Float32Array[]
  readonly slotOut: Float32Array
  readonly windowViews: Float32Array[]
  readonly windowProbs: Float32Array
  readonly windowLevels: Float32Array
  blocks: number
  modelWindows: number
  modelRuns: number
}

/** One block of a call: levels and the gate, stretches onto lanes, the model, windows handed on. */
async function processBlock(run: VadBlockRun, count: number): Promise<void> {
  const { channelCount, history, win, lanes, signal, onWindow, buffers, histograms, probs, levels } = run
  const { carry, sinceLoud, blockProbs, blockLevels, needed, slotLanes, slotOffsets, slotSources, slotOut } =
    run
  const { windowViews, windowProbs, windowLevels } = run
  // 1. Levels, the noise floor, and which windows need the model.
  for (let c = 0; c < channelCount; c++) {
    const buf = buffers[c] as Float32Array
    const lv = blockLevels[c] as Float32Array
    const hist = histograms[c] as LevelHistogram
    for (let w = 0; w < count; w++) {
      let sum = 0
      const from = history + w * win
      for (let i = from; i < from + win; i++) sum += (buf[i] as number) * (buf[i] as number)
      const db = 10 * Math.log10(sum / win + 1e-14)
      lv[w] = db
      hist.add(db)
    }
    const need = needed[c] as Uint8Array
    if (run.skipMarginDb <= 0) {
      need.fill(1, 0, count)
      continue
    }
    const loudFrom = hist.quantile(FLOOR_QUANTILE) + run.skipMarginDb
    need.fill(0, 0, count)
    let since = sinceLoud[c] as number
    for (let w = 0; w < count; w++) {
      if ((lv[w] as number) >= loudFrom) {
        since = 0
        for (let k = Math.max(0, w - GATE_PREROLL); k <= w; k++) need[k] = 1
      } else since++
      if (since <= GATE_HANGOVER) need[w] = 1
    }
    sinceLoud[c] = since
    // The next block is unseen: its first loud window may need these for pre-roll.
    need.fill(1, Math.max(0, count - GATE_PREROLL), count)
  }

  // 2. Stretches: each channel's needed windows cut into runs of equal length, one lane each,
  // so every lane has the same work and the batch stays full to the end of the block. Channels
  // share the lanes in proportion to their work; a stretch is never shorter than MIN_STRETCH
  // (its warm-up would cost more than it saves). The first stretch of a channel continues the
  // lane that ended the previous block; the others start fresh and first hear the needed
  // windows of the second before them.
  const work: LaneWork[] = []
  const todo: number[][] = []
  for (const need of needed) {
    const list: number[] = []
    for (let w = 0; w < count; w++) if (need[w]) list.push(w)
    todo.push(list)
  }
  const total = todo.reduce((sum, list) => sum + list.length, 0)
  for (let c = 0; c < channelCount; c++) {
    ;(blockProbs[c] as Float32Array).fill(0, 0, count)
    const list = todo[c] as number[]
    if (list.length === 0) continue
    const share = Math.max(1, Math.round((LANES_PER_CALL * list.length) / total))
    const stretches = Math.max(1, Math.min(share, Math.ceil(list.length / MIN_STRETCH)))
    const need = needed[c] as Uint8Array
    const firstLane = c * LANES_PER_CALL
    const carried = carry[c] as number
    let next = firstLane
    for (let j = 0; j < stretches; j++) {
      const from = Math.floor((j * list.length) / stretches)
      const to = Math.floor(((j + 1) * list.length) / stretches)
      const start = list[from] as number
      let lane: number
      const continues = j === 0 && run.blocks > 0
      if (continues) lane = carried
      else {
        if (run.blocks > 0 && next === carried) next++
        lane = next++
        lanes.reset(lane)
      }
      const windows: number[] = []
      if (!continues) {
        // History windows (negative) were judged in the previous block: count them as needed.
        for (let w = Math.max(start - WARMUP_WINDOWS, run.blocks > 0 ? -WARMUP_WINDOWS : 0); w < start; w++)
          if (w < 0 || need[w]) windows.push(w)
      }
      const keepFrom = windows.length
      for (let k = from; k < to; k++) windows.push(list[k] as number)
      work.push({ lane, channel: c, windows, keepFrom })
      if (j === stretches - 1) carry[c] = lane
    }
  }

  // 3. Run the model: one batch per step, one window from each stretch that has work left.
  const cursor = new Int32Array(work.length)
  for (;;) {
    signal?.throwIfAborted()
    let n = 0
    for (let k = 0; k < work.length; k++) {
      const job = work[k] as LaneWork
      const at = cursor[k] as number
      if (at >= job.windows.length) continue
      slotLanes[n] = job.lane
      slotSources[n] = buffers[job.channel] as Float32Array
      slotOffsets[n] = history + (job.windows[at] as number) * win
      n++
    }
    if (n === 0) break
    await lanes.run(n, slotLanes, slotSources, slotOffsets, slotOut)
    run.modelWindows += n
    run.modelRuns++
    let s = 0
    for (let k = 0; k < work.length; k++) {
      const job = work[k] as LaneWork
      const at = cursor[k] as number
      if (at >= job.windows.length) continue
      if (at >= job.keepFrom)
        (blockProbs[job.channel] as Float32Array)[job.windows[at] as number] = slotOut[s] as number
      cursor[k] = at + 1
      s++
    }
  }

  // 4. Hand every window on in time order, and keep its probability and level.
  for (let w = 0; w < count; w++) {
    for (let c = 0; c < channelCount; c++) {
      const buf = buffers[c] as Float32Array
      windowViews[c] = buf.subarray(history + w * win, history + (w + 1) * win)
      const p = (blockProbs[c] as Float32Array)[w] as number
      const lv = (blockLevels[c] as Float32Array)[w] as number
      windowProbs[c] = p
      windowLevels[c] = lv
      ;(probs[c] as FloatTrack).push(p)
      ;(levels[c] as FloatTrack).push(lv)
    }
    onWindow?.(windowViews, windowProbs, windowLevels)
  }

  // 5. Keep the end of the block as the next block's history.
  for (const buf of buffers) buf.copyWithin(0, count * win, count * win + history)
  run.blocks++
}

function quantile(values: ArrayLike<number>, q: number, keep?: (i: number) => boolean): number | null {
  // A typed array sorts numerically in native code, without a comparator to call (or to compile).
  const picked = new Float64Array(values.length)
  let n = 0
  for (let i = 0; i < values.length; i++) if (!keep || keep(i)) picked[n++] = values[i] as number
  if (n === 0) return null
  const sorted = picked.subarray(0, n).sort()
  return sorted[Math.min(n - 1, Math.floor(q * n))] as number
}

/**
 * One channel's speech from its per-window probabilities and levels (dB): the background-talker
 * gate where it applies, then hysteresis, minimum durations and padding (SpeechSegmenter).
 */
export function decideSpeech(
  probabilities: Float32Array,
  levelsDb: Float32Array,
  sampleRate: VadSampleRate,
  totalSamples: number,
  options: SegmenterOptions & Pick<ResolvedVadOptions, 'backgroundGateDb'>,
  { backgroundGate }: { backgroundGate: boolean },
): { speech: Interval[]; report: ChannelVoiceReport } {
  const n = probabilities.length
  const floorDb = quantile(levelsDb, FLOOR_QUANTILE) ?? -140
  const speechDb = quantile(levelsDb, SPEECH_LEVEL_QUANTILE, (i) => (probabilities[i] as number) >= 0.5)
  // Is there speech in the channel's quietest stretches? On a line that carries one party, those
  // voices are other people near the microphone: the model hears speech, the level says it is far.
  const quietCut = quantile(levelsDb, BACKGROUND_QUANTILE) ?? -140
  let quiet = 0
  let quietSpeech = 0
  for (let w = 0; w < n; w++) {
    if ((levelsDb[w] as number) > quietCut) continue
    quiet++
    if ((probabilities[w] as number) >= 0.5) quietSpeech++
  }
  const backgroundSpeechShare = quiet ? quietSpeech / quiet : 0
  const gate =
    backgroundGate &&
    options.backgroundGateDb > 0 &&
    speechDb !== null &&
    backgroundSpeechShare > BACKGROUND_SPEECH_SHARE
  let p = probabilities
  if (gate) {
    p = Float32Array.from(probabilities)
    const min = speechDb - options.backgroundGateDb
    // Power mean over ±3 windows (~220 ms): a syllable's dip does not count as far away.
    for (let w = 0; w < n; w++) {
      let sum = 0
      let k = 0
      for (let j = Math.max(0, w - 3); j <= Math.min(n - 1, w + 3); j++) {
        sum += 10 ** ((levelsDb[j] as number) / 10)
        k++
      }
      if (10 * Math.log10(sum / k) < min) p[w] = 0
    }
  }
  const win = windowSamples(sampleRate)
  const segmenter = new SpeechSegmenter(options, sampleRate)
  for (let w = 0; w < n; w++) segmenter.push(p[w] as number, w * win, 10 ** ((levelsDb[w] as number) / 10))
  return {
    speech: segmenter.finish(Math.min(totalSamples, n * win)),
    report: {
      floorDb: Math.round(floorDb * 10) / 10,
      speechDb: speechDb === null ? null : Math.round(speechDb * 10) / 10,
      backgroundSpeechShare: Math.round(backgroundSpeechShare * 1000) / 1000,
      backgroundGated: gate,
    },
  }
}
