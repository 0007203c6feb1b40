/**
 * Genesys Cloud AudioHook, protocol version 2, at `/v1/live/audiohook`: built from the published
 * protocol, message by message.
 *
 * - The WebSocket upgrade carries `X-API-KEY`, `Audiohook-Organization-Id`, `Audiohook-Session-Id`,
 *   `Audiohook-Correlation-Id` and, when the integration has a client secret, an HTTP message
 *   signature over them (http-signature.ts). Keys are `CALLQA_AUDIOHOOK_KEYS`: a JSON object of API
 *   key → base-64 client secret ('' = no signature). A bad key or signature is refused (401) before
 *   the upgrade: no audio is ever taken from it.
 * - Text messages are JSON: `version` "2", `id` (the session id), `type`, `seq` (the client's, one
 *   more each time), `serverseq` (the last of ours it saw), `position` (ISO 8601 duration) and
 *   `parameters`. We answer with `seq` of our own and `clientseq`.
 * - `open` offers media (PCMU or L16 at 8 kHz; channels `external` = the customer, `internal` = the
 *   agent, or one of them): the first we can take is chosen and `opened` names it. Then binary
 *   frames carry the audio, channels interleaved. `ping` → `pong`; `update` (language) → `updated`;
 *   `paused` / `resumed` (with the audio discarded meanwhile) and `discarded` mark stretches that are
 *   filled and never count as dead air; `error` is noted; `close` → the call is filed → `closed`.
 * - A malformed message, a wrong sequence number, audio before `opened` or while paused, a frame
 *   that is not whole samples or is too large: `disconnect` with reason `error` and what was wrong,
 *   for this session only.
 */
import type { IncomingHttpHeaders } from 'node:http'
import type { WebSocket } from 'ws'
import { decodeMulaw } from '../media/g711.js'
import type { LiveCall, LiveMeta, Party } from './call.js'
import { verifySignature } from './http-signature.js'
import type { LiveHub } from './hub.js'

const UUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/
const DURATION = /^PT(\d*\.)?\d+S$/
const LANGUAGE = /^[a-z]{2,3}-[A-Za-z]{2,3}$/
/** Text messages are at most 64 KiB (the protocol's own limit). */
const MAX_TEXT = 65_535

export interface AudiohookSettings {
  /** largest binary frame, bytes */
  maxFrameBytes: number
  /** longest call, ms: past it the session is disconnected (and filed) */
  maxCallMs: number
}

/** The keys from `CALLQA_AUDIOHOOK_KEYS` (JSON: API key → base-64 client secret). */
export function parseAudiohookKeys(json: string | undefined): Map<string, Buffer> {
  const keys = new Map<string, Buffer>()
  if (!json) return keys
  const parsed: unknown = JSON.parse(json)
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed))
    throw new Error('CALLQA_AUDIOHOOK_KEYS must be a JSON object of API key → base-64 client secret')
  for (const [key, secret] of Object.entries(parsed)) {
    if (typeof secret !== 'string' || !/^[A-Za-z0-9+/]*={0,2}$/.test(secret))
      throw new Error(`CALLQA_AUDIOHOOK_KEYS: the secret of key ${key.slice(0, 4)}… is not base 64`)
    keys.set(key, Buffer.from(secret, 'base64'))
  }
  return keys
}

export type UpgradeCheck =
  | { ok: true; sessionId: string; organizationId: string; correlationId: string | undefined }
  | { ok: false; status: 400 | 401; message: string }

const header = (headers: IncomingHttpHeaders, name: string) => {
  const v = headers[name]
  return Array.isArray(v) ? v[0] : v
}

/** The upgrade request's credentials and session headers, checked before any audio is taken. */
export function checkUpgrade(
  request: { method: string; url: string; headers: IncomingHttpHeaders },
  keys: ReadonlyMap<string, Buffer>,
): UpgradeCheck {
  const apiKey = header(request.headers, 'x-api-key')
  const secret = apiKey === undefined ? undefined : keys.get(apiKey)
  if (!apiKey || !secret) return { ok: false, status: 401, message: 'unknown or missing X-API-KEY' }
  if (secret.length > 0) {
    const verdict = verifySignature(
      { method: request.method, target: request.url, headers: request.headers },
      apiKey,
      secret,
    )
    if (!verdict.ok)
      return { ok: false, status: 401, message: `signature ${verdict.code.toLowerCase()}: ${verdict.reason}` }
  }
  const sessionId = header(request.headers, 'audiohook-session-id')
  const organizationId = header(request.headers, 'audiohook-organization-id')
  if (!sessionId || !UUID.test(sessionId))
    return { ok: false, status: 400, message: 'Audiohook-Session-Id must be a UUID' }
  if (!organizationId || !UUID.test(organizationId))
    return { ok: false, status: 400, message: 'Audiohook-Organization-Id must be a UUID' }
  return {
    ok: true,
    sessionId,
    organizationId,
    correlationId: header(request.headers, 'audiohook-correlation-id'),
  }
}

interface Media {
  type: 'audio'
  format: 'PCMU' | 'L16'
  channels: Array<'external' | 'internal'>
  rate: 8000
}

interface ClientMessage {
  version: '2'
  id: string
  type: string
  seq: number
  serverseq: number
  position: string
  parameters: Record<string, unknown>
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  !!v && typeof v === 'object' && !Array.isArray(v)
const isSeq = (v: unknown): v is number => Number.isInteger(v) && (v as number) >= 0

/** ms of an ISO 8601 duration as the protocol writes them (`PT1.5S`). */
export const durationMs = (d: string) => Math.round(Number(d.slice(2, -1)) * 1000)
const asDuration = (ms: number) => `PT${(ms / 1000).toFixed(3).replace(/\.?0+$/, '') || '0'}S`

function baseProblem(m: unknown): string | undefined {
  if (!isObject(m)) return 'not a JSON object'
  if (m.version !== '2') return 'version must be "2"'
  if (typeof m.id !== 'string' || !UUID.test(m.id)) return 'id must be a UUID'
  if (typeof m.type !== 'string') return 'type must be a string'
  if (!isSeq(m.seq) || !isSeq(m.serverseq)) return 'seq and serverseq must be non-negative integers'
  if (typeof m.position !== 'string' || !DURATION.test(m.position))
    return 'position must be a duration (PT…S)'
  if (!isObject(m.parameters)) return 'parameters must be an object'
  return undefined
}

function acceptableMedia(offer: unknown): Media | undefined {
  if (!Array.isArray(offer)) return undefined
  for (const m of offer) {
    if (!isObject(m) || m.type !== 'audio' || m.rate !== 8000) continue
    if (m.format !== 'PCMU' && m.format !== 'L16') continue
    const ch = m.channels
    if (!Array.isArray(ch) || ch.length < 1 || ch.length > 2) continue
    if (!ch.every((c) => c === 'external' || c === 'internal') || new Set(ch).size !== ch.length) continue
    return { type: 'audio', format: m.format, channels: ch as Media['channels'], rate: 8000 }
  }
  return undefined
}

const PARTY: Record<'external' | 'internal', Party> = { external: 'customer', internal: 'agent' }

/** Call metadata from `open`: the conversation, the participant, and what customConfig names. */
function metaFromOpen(p: Record<string, unknown>): LiveMeta {
  const custom = isObject(p.customConfig) ? p.customConfig : {}
  const text = (...keys: string[]) => {
    for (const k of keys) if (typeof custom[k] === 'string' && custom[k]) return custom[k] as string
    return null
  }
  const participant = isObject(p.participant) ? p.participant : {}
  return {
    externalId: typeof p.conversationId === 'string' ? p.conversationId : null,
    agentId: text('agent', 'agentId', 'agent_id'),
    team: text('team'),
    queue: text('queue', 'queueName', 'queue_name'),
    language: typeof p.language === 'string' ? p.language : null,
    direction:
      text('direction') === 'outbound' ? 'outbound' : text('direction') === 'inbound' ? 'inbound' : null,
    extra: {
      organization_id: p.organizationId,
      conversation_id: p.conversationId,
      ani: participant.ani ?? null,
      ani_name: participant.aniName ?? null,
      dnis: participant.dnis ?? null,
      custom: custom,
    },
  }
}

/** One AudioHook session on its WebSocket. */
export class AudiohookSession {
  private seq = 0
  private clientSeq = 0
  private state: 'preparing' | 'opening' | 'active' | 'paused' | 'closing' | 'closed' | 'error' = 'preparing'
  private media: Media | undefined
  private call: LiveCall | undefined
  /** messages are handled one after another, in order */
  private chain: Promise<void> = Promise.resolve()
  private ending: Promise<unknown> | undefined
  /** the seq of the last well-formed client message, in order or not */
  private lastSeqSeen = 0

  constructor(
    private readonly ws: WebSocket,
    private readonly sessionId: string,
    private readonly hub: LiveHub,
    private readonly settings: AudiohookSettings,
    private readonly log: (msg: string) => void = () => {},
  ) {
    ws.on('message', (data: Buffer, isBinary: boolean) => {
      this.chain = this.chain
        .then(() => (isBinary ? this.onAudio(data) : this.onText(data)))
        .catch((err) => {
          this.log(`audiohook session failed: ${(err as Error).message}`)
          this.disconnect('error', 'internal server error')
        })
    })
    ws.on('close', () => {
      this.chain = this.chain.then(async () => {
        await this.endCall(this.state === 'closed' ? 'closed' : 'connection lost')
      })
    })
    ws.on('error', () => ws.terminate())
  }

  private send(type: string, parameters: Record<string, unknown>): void {
    if (this.ws.readyState !== this.ws.OPEN) return
    this.ws.send(
      JSON.stringify({
        version: '2',
        type,
        id: this.sessionId,
        seq: ++this.seq,
        clientseq: this.clientSeq,
        parameters,
      }),
    )
  }

  /** Tells the client to close the session; it answers with `close`, then we `closed`. */
  private disconnect(reason: 'error' | 'completed' | 'unauthorized', info: string): void {
    if (this.state === 'closing' || this.state === 'closed' || this.state === 'error') return
    this.state = 'error'
    this.send('disconnect', { reason, info })
    // A client that never closes is cut off.
    setTimeout(() => this.ws.terminate(), 10_000).unref()
  }

  private async onText(data: Buffer): Promise<void> {
    if (data.length > MAX_TEXT) return this.disconnect('error', 'text message larger than 64 KiB')
    let message: unknown
    try {
      message = JSON.parse(data.toString('utf8'))
    } catch {
      return this.disconnect('error', 'text message is not JSON')
    }
    const problem = baseProblem(message)
    if (problem) return this.disconnect('error', `not an AudioHook client message: ${problem}`)
    const m = message as ClientMessage
    this.lastSeqSeen = m.seq
    // After a disconnect the client's `close` is taken whatever its numbers: the session ends cleanly.
    if (this.state === 'error' && m.type === 'close') return this.onClose()
    if (m.seq !== this.clientSeq + 1)
      return this.disconnect('error', `seq ${m.seq} is not ${this.clientSeq + 1}`)
    this.clientSeq = m.seq
    if (m.serverseq > this.seq)
      return this.disconnect('error', `serverseq ${m.serverseq} is ahead of ${this.seq}`)
    if (m.id !== this.sessionId) return this.disconnect('error', 'id is not the session id')
    await this.dispatch(m)
  }

  private async dispatch(m: ClientMessage): Promise<void> {
    const p = m.parameters
    switch (m.type) {
      case 'open':
        return this.onOpen(p)
      case 'ping':
        if (p.rtt !== undefined && (typeof p.rtt !== 'string' || !DURATION.test(p.rtt)))
          return this.disconnect('error', 'ping rtt must be a duration')
        return this.send('pong', {})
      case 'update':
        if (typeof p.language !== 'string' || !LANGUAGE.test(p.language))
          return this.disconnect('error', 'update needs a language code')
        if (this.call) this.call.meta.language = p.language
        return this.send('updated', {})
      case 'paused':
        if (this.state === 'active') {
          this.state = 'paused'
          this.call?.setPaused(true)
        }
        return
      case 'resumed':
      case 'discarded': {
        if (
          typeof p.start !== 'string' ||
          !DURATION.test(p.start) ||
          typeof p.discarded !== 'string' ||
          !DURATION.test(p.discarded)
        )
          return this.disconnect('error', `${m.type} needs start and discarded durations`)
        if (m.type === 'resumed') {
          if (this.state !== 'paused') return
          this.state = 'active'
          this.call?.fill(durationMs(p.discarded), 'paused')
          this.call?.setPaused(false)
        } else this.call?.fill(durationMs(p.discarded), 'discarded')
        return
      }
      case 'error':
        // The client's own trouble; it closes the session next.
        if (typeof p.code !== 'number' || typeof p.message !== 'string')
          return this.disconnect('error', 'error needs a code and a message')
        this.log(`audiohook client reported error ${p.code}`)
        return
      case 'close':
        return this.onClose()
      default:
        return this.disconnect('error', `'${m.type}' is not an AudioHook client message`)
    }
  }

  private async onOpen(p: Record<string, unknown>): Promise<void> {
    if (this.state !== 'preparing') return this.disconnect('error', `open in state ${this.state}`)
    if (
      typeof p.organizationId !== 'string' ||
      typeof p.conversationId !== 'string' ||
      !UUID.test(p.conversationId)
    )
      return this.disconnect('error', 'open needs organizationId and conversationId')
    if (!isObject(p.participant) || !Array.isArray(p.media))
      return this.disconnect('error', 'open needs participant and media')
    this.state = 'opening'
    // A connection probe offers no media: answer, take nothing.
    const media = acceptableMedia(p.media)
    if (p.media.length > 0 && !media)
      return this.disconnect('error', 'no offered media is PCMU or L16 at 8000 Hz')
    if (media) {
      try {
        this.call = await this.hub.open({
          protocol: 'audiohook',
          externalId: this.sessionId,
          conversationId: p.conversationId,
          parties: media.channels.map((c) => PARTY[c]),
          meta: metaFromOpen(p),
        })
      } catch (err) {
        return this.disconnect('error', (err as Error).message)
      }
      this.media = media
    }
    this.state = 'active'
    this.send('opened', {
      media: media ? [media] : [],
      startPaused: false,
      ...(p.supportedLanguages === true ? { supportedLanguages: [] } : {}),
    })
  }

  private async onAudio(data: Buffer): Promise<void> {
    const call = this.call
    const media = this.media
    if (this.state !== 'active' || !call || !media)
      return this.disconnect('error', `audio in state ${this.state}`)
    if (data.length > this.settings.maxFrameBytes)
      return this.disconnect('error', `audio frame larger than ${this.settings.maxFrameBytes} bytes`)
    const bytesPerFrame = media.channels.length * (media.format === 'PCMU' ? 1 : 2)
    if (data.length % bytesPerFrame !== 0) return this.disconnect('error', 'audio frame is not whole samples')
    // The order of `media.channels` is the order samples are interleaved in.
    const samples =
      media.format === 'PCMU'
        ? decodeMulaw(data)
        : new Int16Array(Uint8Array.from(data).buffer, 0, data.length / 2)
    const order = media.channels.map((c) => PARTY[c])
    if (order.length === 2 && order[0] !== call.parties[0]) {
      // Interleaved as customer, agent: swap into the call's agent-first order.
      for (let i = 0; i + 1 < samples.length; i += 2) {
        const t = samples[i] as number
        samples[i] = samples[i + 1] as number
        samples[i + 1] = t
      }
    }
    call.pushInterleaved(samples)
    if (call.positionMs > this.settings.maxCallMs)
      this.disconnect('completed', 'the call is longer than this server takes')
  }

  private async onClose(): Promise<void> {
    if (this.state === 'closing' || this.state === 'closed') return
    this.clientSeq = Math.max(this.clientSeq, this.lastSeqSeen)
    this.state = 'closing'
    await this.endCall('closed')
    this.send('closed', {})
    this.state = 'closed'
    // The client closes the socket; one that does not is closed for it.
    setTimeout(() => this.ws.close(1000), 5_000).unref()
  }

  private endCall(reason: string): Promise<unknown> {
    if (!this.ending) this.ending = this.call ? this.hub.end(this.call, reason) : Promise.resolve()
    return this.ending
  }
}

export { asDuration }
