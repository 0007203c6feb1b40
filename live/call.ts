/**
 * One call in progress, whichever platform sends it: the protocol adapters (audiohook.ts,
 * twilio.ts, stream.ts) push each party's samples; nothing here knows which one delivered them.
 *
 * The parties' audio is aligned on one timeline (a party that falls behind is filled with silence,
 * and so are pauses, discarded audio and gaps, each marked), written to the recording as it comes,
 * and followed by voice activity per party. From that the live rules raise alerts as the audio
 * that makes them true arrives: dead air (outside pauses), overtalk, a customer's raised voice; and
 * from words, when the platform sends them, falling sentiment, conduct, P0 urgency and forbidden
 * phrases.
 */

import { defaultVadOptions } from '../analysis/stages/detect-voice-activity.js'
import type { TaxonomyDefinition } from '../topics/taxonomy.js'
import type { CallState, LiveSnapshot } from './events.js'
import type { Recorder } from './recorder.js'
import type { LiveRules, Severity } from './rules.js'
import { type SpeechEvents, VAD_RATE, type VadLane, WINDOW } from './vad.js'
import {
  type LineFinding,
  type LiveLine,
  readLine,
  type ScoredLine,
  scoreLine,
  sentimentFalling,
} from './words.js'

export type Party = 'agent' | 'customer'
export type LiveProtocol = 'audiohook' | 'twilio' | 'stream'
export type StretchKind = 'paused' | 'discarded' | 'gap'

export interface Stretch {
  kind: StretchKind
  start_ms: number
  end_ms: number
}

/** Call metadata as a platform gives it, in the fields a recording's metadata uses. */
export interface LiveMeta {
  externalId?: string | null
  agentId?: string | null
  team?: string | null
  queue?: string | null
  language?: string | null
  direction?: 'inbound' | 'outbound' | null
  customerId?: string | null
  /** anything else the platform sent (ANI/DNIS, custom parameters); kept with the session */
  extra?: Record<string, unknown>
}

/** A party falling further behind than this is filled with silence (5 s: tracks arrive out of step). */
const MAX_LAG = 5 * VAD_RATE
/** Speech time the customer needs before their voice has a baseline to be "raised" against. */
const BASELINE_SPEECH_MS = 15_000
/** Raised: this many dB over the customer's resting level (the batch's arousal ≥ 0.5 on loudness). */
const RAISED_DB = 4
/** A raised-voice run ends after this much speech without a raised window. */
const AGITATION_RESET_MS = 3000
const WINDOW_MS = (WINDOW * 1000) / VAD_RATE
const PAD_START = (defaultVadOptions.padStartMs * VAD_RATE) / 1000
const PAD_END = (defaultVadOptions.padEndMs * VAD_RATE) / 1000

export interface AlertDraft {
  rule: string
  severity: Severity
  at_ms: number
  evidence: Record<string, unknown>
  /** ms from the arrival of the audio that made the rule true to the alert (audio rules) */
  latencyMs?: number
}

/** What a live call tells the hub that holds it. */
export interface CallListener {
  alert(call: LiveCall, alert: AlertDraft): void
  state(call: LiveCall, state: CallState, atMs: number): void
}

class PartyTrack {
  /** samples received and not yet written (the aligner's queue) */
  pending: Int16Array[] = []
  pendingLength = 0
  /** the sample after the last one received */
  end = 0
  talkSamples = 0
  lastSegmentEnd = 0
  processed = 0
  lastProbability = 0
  // Raised voice: a histogram of speech windows' levels (0.5 dB bins) for the resting level.
  readonly levels = new Uint32Array(240)
  speechWindows = 0
  agitatedMs = 0
  calmMs = 0
  agitationFired = false
  recent: boolean[] = []
  lane: VadLane | undefined

  constructor(readonly party: Party) {}

  restDb(): number | undefined {
    if (this.speechWindows * WINDOW_MS < BASELINE_SPEECH_MS) return undefined
    let seen = 0
    const want = this.speechWindows * 0.3
    for (let bin = 0; bin < this.levels.length; bin++) {
      seen += this.levels[bin] as number
      if (seen >= want) return -120 + bin * 0.5
    }
    return undefined
  }
}

export class LiveCall {
  readonly startedAt = new Date()
  readonly tracks: Map<Party, PartyTrack>
  readonly stretches: Stretch[] = []
  readonly lines: ScoredLine[] = []
  /** frames written to the recording (the aligned timeline) */
  written = 0
  paused = false
  /** where the audio resumed after the last pause (frames) */
  private resumedAt = 0
  ended = false
  alerts = 0
  callId: number | null = null
  /** the platform's id of the call (AudioHook conversationId, Twilio CallSid) */
  conversationId: string | null = null
  state: CallState = 'silence'
  /** frames dropped: out of order or overlapping what was already received */
  droppedFrames = 0
  /** when recent audio arrived: [timeline frame it reaches, performance.now()] (alert latency) */
  private readonly arrivals: Array<[number, number]> = []
  private deadAirFiredFor = -1
  /** the dead air raised so far, with where each ended (null: still silent) */
  readonly deadAir: Array<{ start_ms: number; end_ms: number | null }> = []
  private overlapStart = -1
  private overtalkFired = false
  private sentimentFired = false

  constructor(
    readonly id: number,
    readonly protocol: LiveProtocol,
    readonly externalId: string,
    readonly parties: readonly Party[],
    readonly meta: LiveMeta,
    private readonly recorder: Recorder,
    private readonly rules: LiveRules,
    private readonly taxonomy: TaxonomyDefinition | undefined,
    private readonly listener: CallListener,
    openLane: (events: SpeechEvents) => VadLane | undefined,
  ) {
    this.tracks = new Map(parties.map((p) => [p, new PartyTrack(p)]))
    for (const track of this.tracks.values())
      track.lane = openLane({
        window: (at, probability, energy) => this.onWindow(track, at, probability, energy),
        segment: (rawStart, rawEnd) => {
          // Padded as the batch pads its segments (Silero marks onsets late and offsets late).
          const start = Math.max(track.lastSegmentEnd, rawStart - PAD_START)
          const end = Math.max(start + 1, rawEnd + PAD_END)
          track.talkSamples += end - start
          track.lastSegmentEnd = Math.max(track.lastSegmentEnd, end)
        },
      })
  }

  get recordingPath(): string {
    return this.recorder.path
  }

  /** ms of audio on the call's timeline so far. */
  get positionMs(): number {
    return Math.round((this.written * 1000) / VAD_RATE)
  }

  // ---------- audio in ----------

  /**
   * A party's samples (8 kHz, 16-bit); `at` is where they start on the call's timeline (samples),
   * by default right after the party's last ones. Samples before that are out of order and dropped.
   */
  push(party: Party, samples: Int16Array, at?: number): void {
    const track = this.tracks.get(party)
    if (!track || this.ended) return
    let from = at ?? track.end
    let data = samples
    if (from < track.end) {
      const overlap = Math.min(data.length, track.end - from)
      this.droppedFrames += overlap
      data = data.subarray(overlap)
      from = track.end
    }
    if (data.length === 0) return
    if (from > track.end) this.silenceFor(track, from - track.end, 'gap')
    track.pending.push(data)
    track.pendingLength += data.length
    track.end += data.length
    this.align()
  }

  /** Interleaved frames of all parties in `parties` order. */
  pushInterleaved(frames: Int16Array): void {
    const n = this.parties.length
    if (n === 1) {
      this.push(this.parties[0] as Party, frames)
      return
    }
    const count = Math.floor(frames.length / n)
    this.parties.forEach((party, c) => {
      const one = new Int16Array(count)
      for (let i = 0; i < count; i++) one[i] = frames[i * n + c] as number
      this.push(party, one)
    })
  }

  /** `ms` of audio that will not come (a pause, discarded audio, a gap): silence, marked. */
  fill(ms: number, kind: StretchKind): void {
    if (!(ms > 0) || this.ended) return
    const frames = Math.round((ms * VAD_RATE) / 1000)
    const start = Math.max(...[...this.tracks.values()].map((t) => t.end))
    for (const track of this.tracks.values()) {
      if (track.end < start) this.silenceFor(track, start - track.end, 'gap', false)
      this.silenceFor(track, frames, kind, false)
    }
    this.mark(kind, start, start + frames)
    this.align()
  }

  setPaused(paused: boolean): void {
    if (this.paused === paused || this.ended) return
    this.paused = paused
    if (!paused) this.resumedAt = Math.max(...[...this.tracks.values()].map((t) => t.end))
    this.setState(paused ? 'paused' : 'silence')
    // A pause ends any silence: dead air counts again from where the audio resumes.
  }

  private silenceFor(track: PartyTrack, frames: number, kind: StretchKind, mark = true): void {
    if (frames <= 0) return
    track.pending.push(new Int16Array(frames))
    track.pendingLength += frames
    const start = track.end
    track.end += frames
    if (mark && frames >= WINDOW) this.mark(kind, start, track.end)
  }

  private mark(kind: StretchKind, startFrame: number, endFrame: number): void {
    const toMs = (f: number) => Math.round((f * 1000) / VAD_RATE)
    const last = this.stretches.at(-1)
    if (last && last.kind === kind && last.end_ms === toMs(startFrame)) last.end_ms = toMs(endFrame)
    else this.stretches.push({ kind, start_ms: toMs(startFrame), end_ms: toMs(endFrame) })
  }

  /** Writes the frames every party has; fills a party that lags more than a second. */
  private align(): void {
    const tracks = [...this.tracks.values()]
    const ahead = Math.max(...tracks.map((t) => t.end))
    for (const t of tracks) if (ahead - t.end > MAX_LAG) this.silenceFor(t, ahead - MAX_LAG - t.end, 'gap')
    const ready = Math.min(...tracks.map((t) => t.end)) - this.written
    if (ready <= 0) return
    const blocks = tracks.map((t) => this.take(t, ready))
    const out = new Int16Array(ready * tracks.length)
    for (let c = 0; c < tracks.length; c++) {
      const block = blocks[c] as Int16Array
      for (let i = 0; i < ready; i++) out[i * tracks.length + c] = block[i] as number
    }
    // The recording's channels: agent left, customer right (the order `parties` lists them in).
    this.recorder.append(out)
    this.written += ready
    this.arrivals.push([this.written, performance.now()])
    if (this.arrivals.length > 500) this.arrivals.shift()
    tracks.forEach((t, c) => {
      t.lane?.push(blocks[c] as Int16Array)
    })
  }

  private take(track: PartyTrack, count: number): Int16Array {
    const out = new Int16Array(count)
    let filled = 0
    while (filled < count) {
      const head = track.pending[0] as Int16Array
      const n = Math.min(head.length, count - filled)
      out.set(head.subarray(0, n), filled)
      filled += n
      if (n === head.length) track.pending.shift()
      else track.pending[0] = head.subarray(n)
    }
    track.pendingLength -= count
    return out
  }

  // ---------- voice activity and the rules on it ----------

  private onWindow(track: PartyTrack, at: number, probability: number, energy: number): void {
    track.processed = at + WINDOW
    track.lastProbability = probability
    const speaking = track.lane?.segmenter.speaking ?? false
    if (speaking && probability >= 0.35) this.followVoice(track, energy)
    // The rules look at the timeline every party has been heard up to.
    const heard = Math.min(...[...this.tracks.values()].map((t) => t.processed))
    if (heard < track.processed) return
    this.checkAudioRules(heard)
  }

  private followVoice(track: PartyTrack, energy: number): void {
    const db = 10 * Math.log10(energy + 1e-12)
    const bin = Math.max(0, Math.min(239, Math.round((db + 120) * 2)))
    track.levels[bin] = (track.levels[bin] as number) + 1
    track.speechWindows++
    const rest = track.restDb()
    const raised = rest !== undefined && db >= rest + RAISED_DB
    track.recent.push(raised)
    if (track.recent.length > 150) track.recent.shift()
    if (track.party !== 'customer' || !this.rules.customerAgitated.enabled) return
    if (raised) {
      track.agitatedMs += WINDOW_MS
      track.calmMs = 0
    } else {
      track.calmMs += WINDOW_MS
      if (track.calmMs >= AGITATION_RESET_MS) {
        track.agitatedMs = 0
        track.agitationFired = false
      }
    }
    if (!track.agitationFired && track.agitatedMs >= this.rules.customerAgitated.seconds * 1000) {
      track.agitationFired = true
      this.raise('customer-agitated', this.rules.customerAgitated.severity, track.processed, {
        raised_speech_ms: Math.round(track.agitatedMs),
        over_rest_db: RAISED_DB,
      })
    }
  }

  private checkAudioRules(heard: number): void {
    const tracks = [...this.tracks.values()]
    const speaking = tracks.map((t) => t.lane?.segmenter.openStart !== undefined)
    const anyone = speaking.some(Boolean)
    if (!this.paused) this.setState(anyone ? 'talking' : 'silence')
    const open = this.deadAir.at(-1)
    if (anyone && open && open.end_ms === null) {
      const starts = tracks
        .map((t) => t.lane?.segmenter.openStart)
        .filter((x): x is number => x !== undefined)
      open.end_ms = Math.round((Math.min(...starts) * 1000) / VAD_RATE)
    }
    this.checkDeadAir(tracks, anyone, heard)
    this.checkOvertalk(tracks, heard)
  }

  private checkDeadAir(tracks: PartyTrack[], anyone: boolean, heard: number): void {
    const rule = this.rules.deadAir
    if (!rule.enabled || anyone || this.paused) return
    // Silence since the last speech, the call's start, or the end of the last pause or gap.
    const lastPause = this.stretches.filter((s) => s.kind !== 'gap').at(-1)
    const pauseEnd = lastPause ? Math.round((lastPause.end_ms * VAD_RATE) / 1000) : 0
    const since = Math.max(pauseEnd, this.resumedAt, ...tracks.map((t) => t.lastSegmentEnd))
    const need = rule.seconds * VAD_RATE
    if (heard - since < need || this.deadAirFiredFor === since) return
    this.deadAirFiredFor = since
    const startMs = Math.round((since * 1000) / VAD_RATE)
    this.deadAir.push({ start_ms: startMs, end_ms: null })
    this.raise('dead-air', rule.severity, since + need, { start_ms: startMs, silent_ms: rule.seconds * 1000 })
  }

  private checkOvertalk(tracks: PartyTrack[], heard: number): void {
    const rule = this.rules.overtalk
    if (!rule.enabled || tracks.length < 2) return
    const both = tracks.every((t) => t.lane?.segmenter.speaking)
    if (!both) {
      this.overlapStart = -1
      this.overtalkFired = false
      return
    }
    if (this.overlapStart < 0) this.overlapStart = heard - WINDOW
    if (!this.overtalkFired && heard - this.overlapStart >= rule.seconds * VAD_RATE) {
      this.overtalkFired = true
      this.raise('overtalk', rule.severity, heard, {
        start_ms: Math.round((this.overlapStart * 1000) / VAD_RATE),
        overlap_ms: Math.round(((heard - this.overlapStart) * 1000) / VAD_RATE),
      })
    }
  }

  private setState(state: CallState): void {
    if (this.state === state) return
    this.state = state
    this.listener.state(this, state, this.positionMs)
  }

  private raise(rule: string, severity: Severity, atFrame: number, evidence: Record<string, unknown>): void {
    this.alerts++
    // From the arrival of the audio that made the rule true to now.
    const arrived = this.arrivals.find(([upTo]) => upTo >= atFrame)?.[1]
    this.listener.alert(this, {
      rule,
      severity,
      at_ms: Math.round((atFrame * 1000) / VAD_RATE),
      evidence,
      ...(arrived === undefined ? {} : { latencyMs: performance.now() - arrived }),
    })
  }

  // ---------- words ----------

  /** A line of the live transcript; raises what it sets off. */
  addLine(line: LiveLine): ScoredLine {
    const scored = scoreLine(line)
    this.lines.push(scored)
    if (this.lines.length > 500) this.lines.shift()
    const findings: LineFinding[] = readLine(scored, this.rules, this.taxonomy)
    for (const [rule, evidence] of findings) {
      const severity =
        rule === 'conduct'
          ? this.rules.conduct.severity
          : rule === 'urgency-p0'
            ? this.rules.urgencyP0.severity
            : this.rules.forbiddenPhrase.severity
      this.alerts++
      this.listener.alert(this, { rule, severity, at_ms: line.endMs, evidence })
    }
    if (this.rules.sentimentFalling.enabled && scored.speaker === 'customer' && scored.sentiment !== null) {
      const falling = sentimentFalling(this.lines, this.rules)
      if (falling && !this.sentimentFired) {
        this.sentimentFired = true
        this.alerts++
        this.listener.alert(this, {
          rule: 'sentiment-falling',
          severity: this.rules.sentimentFalling.severity,
          at_ms: line.endMs,
          evidence: falling,
        })
      } else if (!falling) this.sentimentFired = false
    }
    return scored
  }

  // ---------- the end ----------

  /** Stops taking audio: aligns what is left, lets voice activity catch up, closes the recording. */
  async finish(flushVad: () => Promise<void>): Promise<void> {
    if (this.ended) return
    // What one party sent past the other's end is kept: the other is filled with silence.
    const tracks = [...this.tracks.values()]
    const end = Math.max(...tracks.map((t) => t.end))
    for (const t of tracks) this.silenceFor(t, end - t.end, 'gap')
    this.align()
    this.ended = true
    await flushVad()
    for (const t of tracks) {
      t.lane?.segmenter.finish(this.written)
      t.lane?.close()
    }
    const last = this.deadAir.at(-1)
    if (last && last.end_ms === null) last.end_ms = this.positionMs
    this.state = 'ended'
    await this.recorder.close()
  }

  /** What the live analysis measured, kept with the session when the call ends. */
  figures(): Record<string, unknown> {
    return {
      talk_ms: Object.fromEntries(
        [...this.tracks.values()].map((t) => [t.party, Math.round((t.talkSamples * 1000) / VAD_RATE)]),
      ),
      dead_air: this.deadAir,
      frames_dropped: this.droppedFrames,
    }
  }

  snapshot(): LiveSnapshot {
    const sentimentOf = (party: Party) => {
      const scored = this.lines.filter((l) => l.speaker === party && l.sentiment !== null).slice(-3)
      return scored.length ? scored.reduce((a, l) => a + (l.sentiment as number), 0) / scored.length : null
    }
    const heard = Math.min(...[...this.tracks.values()].map((t) => t.processed))
    const since = Math.max(0, ...[...this.tracks.values()].map((t) => t.lastSegmentEnd))
    return {
      session: this.id,
      protocol: this.protocol,
      external_id: this.externalId,
      agent_id: this.meta.agentId ?? null,
      team: this.meta.team ?? null,
      queue: this.meta.queue ?? null,
      language: this.meta.language ?? null,
      started_at: this.startedAt.toISOString(),
      duration_ms: this.positionMs,
      state: this.state,
      silence_ms: this.state === 'silence' ? Math.max(0, Math.round(((heard - since) * 1000) / VAD_RATE)) : 0,
      parties: Object.fromEntries(
        [...this.tracks.values()].map((t) => [
          t.party,
          {
            talk_ms: Math.round((t.talkSamples * 1000) / VAD_RATE),
            speaking: t.lane?.segmenter.speaking ?? false,
            agitation: t.recent.length ? t.recent.filter(Boolean).length / t.recent.length : 0,
            sentiment: sentimentOf(t.party),
          },
        ]),
      ),
      alerts: this.alerts,
      call_id: this.callId,
    }
  }
}
