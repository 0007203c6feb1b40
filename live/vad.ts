/**
 * Voice activity for live calls: the batch pipeline's Silero model (v5 at 8 kHz, the telephone
 * default) with its defaults (threshold, hysteresis, minimum speech and silence), run on every
 * party of every live call of this process. Each party is a lane that keeps its recurrent state
 * across frames; the windows that are ready, of all lanes, run as one batched model call, so a
 * hundred calls cost a few model calls per 32 ms, not two hundred.
 */
import { defaultVadOptions } from '../analysis/stages/detect-voice-activity.js'
import { SpeechSegmenter } from '../analysis/stages/segment-speech.js'
import { getSileroModel, type SileroLanes } from '../models/silero-vad.js'

export const VAD_RATE = 8000
/** Samples per model window at 8 kHz (32 ms). */
export const WINDOW = 256
const CONTEXT = 32
/** Most windows in one model call. */
const MAX_BATCH = 512

export interface SpeechEvents {
  /** A window's speech probability; `at` is the sample where the window starts. */
  window(at: number, probability: number, energy: number): void
  /** A segment closed (raw sample bounds). */
  segment(start: number, end: number): void
}

interface Pending {
  lane: VadLane
  generation: number
  input: Float32Array
  at: number
  energy: number
}

/** The process's live voice activity detector: lanes batched into shared model calls. */
export class LiveVad {
  private readonly free: number[] = []
  /** Lanes with windows waiting, in the order they became ready. */
  private readonly ready = new Set<VadLane>()
  private queued = 0
  private running = false
  private scheduled = false
  /** Model calls and windows run, for the metrics. */
  readonly stats = { calls: 0, windows: 0, errors: 0 }

  private constructor(
    private readonly lanes: SileroLanes,
    readonly capacity: number,
  ) {
    for (let i = capacity - 1; i >= 0; i--) this.free.push(i)
  }

  static async start(capacity: number): Promise<LiveVad> {
    const model = await getSileroModel('v5')
    return new LiveVad(model.createLanes(capacity, VAD_RATE), capacity)
  }

  /** A lane for one party of a call; undefined when every lane is taken. */
  open(events: SpeechEvents): VadLane | undefined {
    const index = this.free.pop()
    if (index === undefined) return undefined
    this.lanes.reset(index)
    return new VadLane(this, index, events)
  }

  /** Lanes given back while a model call may still write their state: freed after it. */
  private releasing: number[] = []
  private idle: Array<() => void> = []

  /** @internal */
  release(lane: VadLane): void {
    this.queued -= lane.queue.length
    lane.queue.length = 0
    this.ready.delete(lane)
    if (this.running) this.releasing.push(lane.index)
    else this.free.push(lane.index)
  }

  /** Resolves when every window pushed so far has been through the model. */
  flush(): Promise<void> {
    if (!this.running && this.ready.size === 0) return Promise.resolve()
    return new Promise((resolve) => this.idle.push(resolve))
  }

  /** @internal */
  enqueue(item: Pending): void {
    item.lane.queue.push(item)
    this.ready.add(item.lane)
    this.queued++
    if (!this.scheduled && !this.running) {
      this.scheduled = true
      setImmediate(() => void this.drain())
    }
  }

  /** Windows waiting for the model (backlog: the detector is behind real time when this grows). */
  get backlog(): number {
    return this.queued
  }

  /**
   * The next windows to run: at most one per lane (a lane's second window needs the state its
   * first one leaves), lanes in the order they became ready.
   */
  private nextBatch(): Pending[] {
    const batch: Pending[] = []
    for (const lane of this.ready) {
      if (batch.length >= MAX_BATCH) break
      const next = lane.queue.shift()
      if (next) batch.push(next)
      if (lane.queue.length === 0) this.ready.delete(lane)
    }
    this.queued -= batch.length
    return batch
  }

  private async drain(): Promise<void> {
    this.scheduled = false
    if (this.running) return
    this.running = true
    try {
      while (this.ready.size > 0) {
        const batch = this.nextBatch()
        const count = batch.length
        const lanes = new Int32Array(count)
        const offsets = new Int32Array(count).fill(CONTEXT)
        const out = new Float32Array(count)
        for (let i = 0; i < count; i++) lanes[i] = (batch[i] as Pending).lane.index
        try {
          await this.lanes.run(
            count,
            lanes,
            batch.map((p) => p.input),
            offsets,
            out,
          )
        } catch {
          // The windows are lost (scored as silence); the next ones run.
          this.stats.errors++
          out.fill(0)
        }
        this.stats.calls++
        this.stats.windows += count
        for (let i = 0; i < count; i++) {
          const p = batch[i] as Pending
          // A lane closed (and maybe reused) since: its windows are dropped.
          if (p.lane.generation === p.generation && !p.lane.closed)
            p.lane.deliver(p.at, out[i] as number, p.energy)
        }
      }
    } finally {
      this.running = false
      this.free.push(...this.releasing)
      this.releasing = []
      for (const resolve of this.idle.splice(0)) resolve()
    }
  }
}

let generations = 0

/** One party's stream into the detector: samples in, speech probabilities and segments out. */
export class VadLane {
  readonly generation = ++generations
  closed = false
  /** @internal windows waiting for the model, oldest first */
  readonly queue: Pending[] = []
  /** Samples pushed so far. */
  private position = 0
  private readonly buffer = new Float32Array(CONTEXT + WINDOW)
  private filled = CONTEXT
  readonly segmenter: SpeechSegmenter

  constructor(
    private readonly vad: LiveVad,
    readonly index: number,
    private readonly events: SpeechEvents,
  ) {
    this.segmenter = new SpeechSegmenter(defaultVadOptions, VAD_RATE, (start, end) =>
      this.events.segment(start, end),
    )
  }

  /** 16-bit samples at 8 kHz. */
  push(samples: Int16Array): void {
    let i = 0
    while (i < samples.length) {
      const take = Math.min(samples.length - i, this.buffer.length - this.filled)
      for (let k = 0; k < take; k++) this.buffer[this.filled + k] = (samples[i + k] as number) / 32768
      this.filled += take
      i += take
      if (this.filled === this.buffer.length) {
        const input = this.buffer.slice()
        let energy = 0
        for (let k = CONTEXT; k < input.length; k++) energy += (input[k] as number) ** 2
        this.vad.enqueue({
          lane: this,
          generation: this.generation,
          input,
          at: this.position,
          energy: energy / WINDOW,
        })
        this.position += WINDOW
        // The window's last samples are the next window's context.
        this.buffer.copyWithin(0, WINDOW, WINDOW + CONTEXT)
        this.filled = CONTEXT
      }
    }
  }

  /** @internal */
  deliver(at: number, probability: number, energy: number): void {
    this.segmenter.push(probability, at, energy)
    this.events.window(at, probability, energy)
  }

  close(): void {
    if (this.closed) return
    this.closed = true
    this.vad.release(this)
  }
}
