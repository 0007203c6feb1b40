/**
 * The live calls of this process: opens each (its session row, its recording, two voice-activity
 * lanes), stores and publishes what it raises, and when it ends files its recording as a call that
 * the ordinary pipeline analyses, once. Events go to this process's subscribers (the SSE streams
 * of `GET /v1/live/events`) and, through the event bus (Postgres NOTIFY), to every other server's.
 *
 * A process that dies mid-call leaves its sessions `live` with their recordings on disk (valid up to
 * their last second); the next server started on this host files them (`recoverLeftovers`).
 */
import { randomUUID } from 'node:crypto'
import { mkdir, open, rm, stat } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import type { Database, Queryable } from '../db/index.js'
import {
  endLiveSession,
  fileLiveSession,
  insertLiveAlert,
  insertLiveSession,
  type LiveSessionRow,
  liveSessions,
  unfinishedSessions,
} from '../db/queries/live.js'
import { ConflictError, LimitError } from '../errors.js'
import { PRIVATE_DIR_MODE } from '../private-files.js'
import { type ProcessIdentity, processAlive, processIdentity } from '../processes.js'
import type { TaxonomyDefinition } from '../topics/taxonomy.js'
import { type CallListener, LiveCall, type LiveMeta, type LiveProtocol, type Party } from './call.js'
import type { LiveAlert, LiveEvent, LiveSnapshot } from './events.js'
import { Recorder, wavHeader } from './recorder.js'
import type { LiveRules } from './rules.js'
import { LiveVad, VAD_RATE } from './vad.js'

/** Files a finished recording as a call; returns the call's id. */
export type FileRecording = (
  recording: {
    path: string
    sourceName: string
    layout: 'stereo-agent-left' | 'mono'
    meta: LiveMeta & { startedAt: string }
  },
  /** links the session to its call before the analysis starts (it reads the session's pauses) */
  stored: (callId: number) => Promise<void>,
) => Promise<number>

/** Carries events between the servers on one database. */
export interface EventBus {
  publish(event: LiveEvent): Promise<void>
  /** Events other servers published. */
  subscribe(listener: (event: LiveEvent) => void): void
  close(): Promise<void>
}

export interface LiveHubOptions {
  db: Database
  storageDir: string
  file: FileRecording
  rules: LiveRules
  taxonomy?: TaxonomyDefinition | undefined
  /** most calls this process holds at once */
  maxSessions: number
  bus?: EventBus | undefined
  /** also send each alert out (the webhook outbox), in the alert's own transaction */
  alertOut?: ((tx: Queryable, alert: LiveAlert) => Promise<void>) | undefined
  onError?: (err: unknown, what: string) => void
}

export interface OpenCall {
  protocol: LiveProtocol
  externalId: string
  conversationId?: string | null
  parties: Party[]
  meta: LiveMeta
}

/** `host|boot|pid|start`: who holds a session (the host part first, for the leftovers' query). */
export function serverId(who: ProcessIdentity = processIdentity()): string {
  return [os.hostname(), who.boot ?? '', who.pid, who.start ?? ''].join('|')
}

function parseServerId(id: string): { host: string; who: ProcessIdentity } | undefined {
  const [host, boot, pid, start] = id.split('|')
  if (!host || !pid) return undefined
  return {
    host,
    who: {
      pid: Number(pid),
      ...(boot ? { boot } : {}),
      ...(start ? { start: Number(start) } : {}),
    },
  }
}

export class LiveHub implements CallListener {
  readonly calls = new Map<number, LiveCall>()
  /** what other servers' events said about their calls */
  private readonly remote = new Map<number, LiveSnapshot>()
  private readonly listeners = new Set<(event: LiveEvent) => void>()
  private readonly liveDir: string
  private readonly id = serverId()
  private ticker: NodeJS.Timeout | undefined
  /** alert and state writes in flight, awaited before a call is filed */
  private readonly writes = new Map<number, Promise<unknown>>()
  /** calls ending: the session closed first, then the recording filed */
  private readonly filing = new Map<number, { ended: Promise<void>; filed: Promise<number | null> }>()
  readonly stats = {
    sessions: 0,
    alerts: 0,
    /** sample frames of ended calls (live ones add theirs) */
    frames: 0,
    droppedFrames: 0,
    /** told each alert's rule and, for audio rules, its latency in seconds up to publication */
    onAlert: undefined as ((rule: string, latencySeconds: number | undefined) => void) | undefined,
  }

  private constructor(
    private readonly options: LiveHubOptions,
    readonly vad: LiveVad,
  ) {
    this.liveDir = path.join(options.storageDir, 'live')
    options.bus?.subscribe((event) => this.fromElsewhere(event))
    // Each call's figures, once a second, for the Live page.
    this.ticker = setInterval(() => {
      for (const call of this.calls.values())
        if (!call.ended) this.publish({ type: 'call.update', session: call.id, call: call.snapshot() })
    }, 1000)
    this.ticker.unref()
  }

  static async start(options: LiveHubOptions): Promise<LiveHub> {
    const vad = await LiveVad.start(Math.max(2, options.maxSessions * 2))
    await mkdir(path.join(options.storageDir, 'live'), { recursive: true, mode: PRIVATE_DIR_MODE })
    return new LiveHub(options, vad)
  }

  get size(): number {
    return this.calls.size
  }

  /** A call starts: its session, its recording, its lanes. */
  async open(init: OpenCall): Promise<LiveCall> {
    if (this.calls.size >= this.options.maxSessions)
      throw new LimitError(`this server holds ${this.options.maxSessions} live calls already`)
    const parties = (['agent', 'customer'] as const).filter((p) => init.parties.includes(p))
    const recordingPath = path.join(this.liveDir, `${randomUUID()}.wav`)
    const id = await insertLiveSession(this.options.db, {
      protocol: init.protocol,
      externalId: init.externalId,
      conversationId: init.conversationId ?? null,
      serverId: this.id,
      agentId: init.meta.agentId ?? null,
      team: init.meta.team ?? null,
      queue: init.meta.queue ?? null,
      language: init.meta.language ?? null,
      direction: init.meta.direction ?? null,
      metadata: {
        ...(init.meta.extra ?? {}),
        ...(init.meta.externalId ? { external_id: init.meta.externalId } : {}),
      },
      channels: parties,
      recordingPath,
    })
    if (id === undefined)
      throw new ConflictError(`a ${init.protocol} session ${init.externalId} exists already`)
    const recorder = await Recorder.create(recordingPath, parties.length, VAD_RATE)
    const call = new LiveCall(
      id,
      init.protocol,
      init.externalId,
      parties,
      init.meta,
      recorder,
      this.options.rules,
      this.options.taxonomy,
      this,
      (events) => this.vad.open(events),
    )
    call.conversationId = init.conversationId ?? null
    this.calls.set(id, call)
    this.stats.sessions++
    this.publish({ type: 'call.started', session: id, call: call.snapshot() })
    return call
  }

  /**
   * The call is over (closed, stopped, or its connection lost): what arrived is kept, the session
   * ends, and the recording is filed as a call in the background (`filed` waits for it).
   */
  async end(call: LiveCall, reason: string): Promise<void> {
    if (call.ended || this.filing.has(call.id)) return
    const filed = this.finishAndFile(call, reason)
    this.filing.set(call.id, filed)
    await filed.ended
    // Kept a minute after, for whoever waits on `filed`.
    void filed.filed.finally(() => setTimeout(() => this.filing.delete(call.id), 60_000).unref())
  }

  /** The call id a session's recording was filed as (null: nothing to file, or it failed). */
  async filed(sessionId: number): Promise<number | null> {
    const pending = this.filing.get(sessionId)
    return pending ? pending.filed : null
  }

  private finishAndFile(
    call: LiveCall,
    reason: string,
  ): { ended: Promise<void>; filed: Promise<number | null> } {
    const ended = (async () => {
      await call.finish(() => this.vad.flush())
      this.stats.droppedFrames += call.droppedFrames
      this.stats.frames += call.written
      await this.writes.get(call.id)
      await endLiveSession(this.options.db, call.id, {
        audioMs: call.positionMs,
        stretches: call.stretches,
        reason,
        empty: call.written === 0,
        figures: call.figures(),
      })
      this.calls.delete(call.id)
      this.writes.delete(call.id)
      this.publish({ type: 'call.ended', session: call.id, at_ms: call.positionMs, reason, call_id: null })
    })()
    const filed = ended.then(async () => {
      if (call.written === 0) {
        await rm(call.recordingPath, { force: true })
        return null
      }
      try {
        call.callId = await this.fileRecording(
          call.id,
          call.recordingPath,
          call.parties,
          call.meta,
          call.startedAt,
        )
        this.publish({ type: 'call.filed', session: call.id, call_id: call.callId })
        return call.callId
      } catch (err) {
        this.options.onError?.(err, 'filing a live call')
        return null
      }
    })
    return { ended, filed: filed.catch(() => null) }
  }

  private async fileRecording(
    sessionId: number,
    recordingPath: string,
    parties: readonly string[],
    meta: LiveMeta,
    startedAt: Date,
  ): Promise<number> {
    const callId = await this.options.file(
      {
        path: recordingPath,
        sourceName: `live-${sessionId}.wav`,
        layout: parties.length === 2 ? 'stereo-agent-left' : 'mono',
        meta: { ...meta, startedAt: startedAt.toISOString() },
      },
      (id) => fileLiveSession(this.options.db, sessionId, id),
    )
    await rm(recordingPath, { force: true })
    return callId
  }

  /**
   * Sessions a process on this host left when it died: their recordings (valid up to their last
   * second) are filed now; a session whose recording is gone is closed as empty.
   */
  async recoverLeftovers(): Promise<number> {
    let filed = 0
    const rows = await unfinishedSessions(this.options.db, `${os.hostname()}|`)
    for (const row of rows) {
      const holder = parseServerId(row.server_id)
      if (!holder || holder.host !== os.hostname() || processAlive(holder.who)) continue
      filed += (await this.recoverOne(row)) ? 1 : 0
    }
    return filed
  }

  private async recoverOne(row: LiveSessionRow): Promise<boolean> {
    const file = row.recording_path
    const size = file
      ? await stat(file).then(
          (s) => s.size,
          () => 0,
        )
      : 0
    const channels = row.channels.length || 1
    const audioMs = Math.max(0, Math.floor(((size - 44) / (2 * channels) / VAD_RATE) * 1000))
    await endLiveSession(this.options.db, row.id, {
      audioMs,
      stretches: row.stretches,
      reason: 'server stopped',
      empty: audioMs === 0,
    })
    if (!file || audioMs === 0) return false
    await repairWavHeader(file, channels)
    await this.fileRecording(
      row.id,
      file,
      row.channels,
      {
        agentId: row.agent_id,
        team: row.team,
        queue: row.queue,
        language: row.language,
        direction: (row.direction as 'inbound' | 'outbound' | null) ?? null,
      },
      row.started_at,
    )
    return true
  }

  // ---------- what calls raise ----------

  alert(call: LiveCall, draft: Parameters<CallListener['alert']>[1]): void {
    this.stats.alerts++
    const raisedAt = performance.now()
    const write = (this.writes.get(call.id) ?? Promise.resolve())
      .then(() =>
        this.options.db.withTransaction(async (tx) => {
          const row = await insertLiveAlert(tx, {
            sessionId: call.id,
            rule: draft.rule,
            severity: draft.severity,
            atMs: draft.at_ms,
            evidence: draft.evidence,
          })
          const alert: LiveAlert = {
            id: row.id,
            session: call.id,
            call_id: call.callId,
            rule: row.rule,
            severity: row.severity,
            at_ms: row.at_ms,
            evidence: row.evidence,
            raised_at: new Date(row.raised_at).toISOString(),
          }
          await this.options.alertOut?.(tx, alert)
          return alert
        }),
      )
      .then((alert) => {
        this.publish({ type: 'alert', ...alert })
        this.stats.onAlert?.(
          draft.rule,
          draft.latencyMs === undefined
            ? undefined
            : (draft.latencyMs + (performance.now() - raisedAt)) / 1000,
        )
      })
      .catch((err) => this.options.onError?.(err, 'storing a live alert'))
    this.writes.set(call.id, write)
  }

  /** resolves once every alert the call has raised so far is stored (and its webhook queued) */
  async written(call: LiveCall): Promise<void> {
    await this.writes.get(call.id)
  }

  state(call: LiveCall, state: LiveSnapshot['state'], atMs: number): void {
    this.publish({ type: 'call.state', session: call.id, state, at_ms: atMs, call: call.snapshot() })
  }

  // ---------- fan-out ----------

  subscribe(listener: (event: LiveEvent) => void): () => void {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }

  publish(event: LiveEvent): void {
    this.deliver(event)
    this.options.bus?.publish(event).catch((err) => this.options.onError?.(err, 'publishing a live event'))
  }

  private fromElsewhere(event: LiveEvent): void {
    if (this.calls.has(event.session)) return
    if ('call' in event) this.remote.set(event.session, event.call)
    if (event.type === 'call.ended') this.remote.delete(event.session)
    this.deliver(event)
  }

  private deliver(event: LiveEvent): void {
    for (const listener of this.listeners) {
      try {
        listener(event)
      } catch (err) {
        this.options.onError?.(err, 'a live event listener')
      }
    }
  }

  /** Calls in progress: this server's, then what other servers said about theirs. */
  async snapshots(): Promise<LiveSnapshot[]> {
    const local = [...this.calls.values()].map((c) => c.snapshot())
    const rows = await liveSessions(this.options.db)
    const others = rows
      .filter((r) => !this.calls.has(r.id))
      .map((r) => this.remote.get(r.id) ?? rowSnapshot(r))
    return [...local, ...others]
  }

  async close(): Promise<void> {
    if (this.ticker) clearInterval(this.ticker)
    this.ticker = undefined
    for (const call of [...this.calls.values()]) await this.end(call, 'server stopped')
    await Promise.all([...this.filing.values()].map((f) => f.filed))
    await this.options.bus?.close()
  }
}

/** A session another server holds and has said nothing about yet. */
function rowSnapshot(r: LiveSessionRow): LiveSnapshot {
  return {
    session: r.id,
    protocol: r.protocol,
    external_id: r.external_id,
    agent_id: r.agent_id,
    team: r.team,
    queue: r.queue,
    language: r.language,
    started_at: new Date(r.started_at).toISOString(),
    duration_ms: Date.now() - new Date(r.started_at).getTime(),
    state: 'talking',
    silence_ms: 0,
    parties: {},
    alerts: 0,
    call_id: r.call_id,
  }
}

/** A WAV cut short by a crash: sizes in the header set to what the file holds (whole frames). */
async function repairWavHeader(file: string, channels: number): Promise<void> {
  const handle = await open(file, 'r+')
  try {
    const { size } = await handle.stat()
    const data = Math.max(0, size - 44)
    const whole = data - (data % (2 * channels))
    await handle.truncate(44 + whole)
    await handle.write(wavHeader(channels, VAD_RATE, whole), 0, 44, 0)
  } finally {
    await handle.close()
  }
}
