/**
 * Twilio Media Streams at `/v1/live/twilio` (`<Start><Stream>` or `<Connect><Stream>` pointing at
 * it), from Twilio's message reference: `connected`, then `start` (the stream and call sids, the
 * tracks, `customParameters`, the media format: μ-law at 8 kHz, one channel per track), `media`
 * (a track's base-64 μ-law `payload` with its `timestamp`, ms from the stream's start), `dtmf`,
 * `mark` and `stop`. Track `inbound` is the caller (the customer), `outbound` the agent's side.
 *
 * The WebSocket request must carry `X-Twilio-Signature`: HMAC-SHA1 of the stream's URL with the
 * account's auth token (`CALLQA_TWILIO_AUTH_TOKEN`), base 64, as Twilio signs every request.
 * Media is placed by its timestamp, so a track that pauses or arrives late stays aligned.
 */
import { createHmac, timingSafeEqual } from 'node:crypto'
import type { IncomingHttpHeaders } from 'node:http'
import type { WebSocket } from 'ws'
import { decodeMulaw } from '../media/g711.js'
import type { LiveCall, LiveMeta, Party } from './call.js'
import type { LiveHub } from './hub.js'
import { VAD_RATE } from './vad.js'

export interface TwilioSettings {
  maxFrameBytes: number
  maxCallMs: number
}

const expected = (token: string, url: string) => createHmac('sha1', token).update(url, 'utf8').digest()

/**
 * Whether the upgrade request is signed with the auth token: the signature covers the URL Twilio
 * called (`wss://host/path?query`; `ws://` behind a proxy that ends TLS).
 */
export function twilioSignatureValid(
  request: { url: string; headers: IncomingHttpHeaders },
  authToken: string | undefined,
): boolean {
  const given = request.headers['x-twilio-signature']
  const host = request.headers.host
  if (!authToken || typeof given !== 'string' || !host) return false
  const signature = Buffer.from(given, 'base64')
  return ['wss', 'ws', 'https', 'http'].some((scheme) => {
    const want = expected(authToken, `${scheme}://${host}${request.url}`)
    return want.length === signature.length && timingSafeEqual(want, signature)
  })
}

/**
 * Whether a Twilio webhook (a POST with form parameters: real-time transcription callbacks) is
 * signed with the auth token: HMAC-SHA1 over the URL followed by each parameter's name and value,
 * sorted by name, base 64.
 */
export function twilioFormSignatureValid(
  request: { url: string; headers: IncomingHttpHeaders },
  params: Record<string, string>,
  authToken: string | undefined,
): boolean {
  const given = request.headers['x-twilio-signature']
  const host = request.headers.host
  if (!authToken || typeof given !== 'string' || !host) return false
  const tail = Object.keys(params)
    .sort()
    .map((k) => `${k}${params[k]}`)
    .join('')
  const signature = Buffer.from(given, 'base64')
  return ['https', 'http'].some((scheme) => {
    const want = expected(authToken, `${scheme}://${host}${request.url}${tail}`)
    return want.length === signature.length && timingSafeEqual(want, signature)
  })
}

/**
 * A final line of Twilio's real-time transcription (`<Start><Transcription statusCallbackUrl=…>`),
 * as the live call's line: the track says who (inbound = the customer), the event's time where in
 * the call it ended (a line is taken to start 0.3 s per word earlier).
 */
export function transcriptionLine(
  params: Record<string, string>,
  startedAt: Date,
): { speaker: Party; text: string; startMs: number; endMs: number } | undefined {
  if (params.TranscriptionEvent !== 'transcription-content' || params.Final === 'false') return undefined
  let data: { transcript?: unknown }
  try {
    data = JSON.parse(params.TranscriptionData ?? '{}')
  } catch {
    return undefined
  }
  const text = typeof data.transcript === 'string' ? data.transcript.trim() : ''
  const speaker =
    params.Track === 'outbound_track' ? 'agent' : params.Track === 'inbound_track' ? 'customer' : undefined
  if (!text || !speaker) return undefined
  const at = Date.parse(params.Timestamp ?? '')
  const endMs = Math.max(0, Number.isFinite(at) ? at - startedAt.getTime() : Date.now() - startedAt.getTime())
  const words = text.split(/\s+/).length
  return { speaker, text: text.slice(0, 5000), startMs: Math.max(0, endMs - 300 * words), endMs }
}

const TRACKS: Record<string, Party> = { inbound: 'customer', outbound: 'agent' }

function metaFrom(custom: Record<string, unknown>, callSid: string): LiveMeta {
  const text = (...keys: string[]) => {
    for (const k of keys) if (typeof custom[k] === 'string' && custom[k]) return custom[k] as string
    return null
  }
  const direction = text('direction')
  return {
    externalId: text('external_id', 'externalId') ?? callSid,
    agentId: text('agent', 'agent_id', 'agentId'),
    team: text('team'),
    queue: text('queue'),
    language: text('language'),
    direction: direction === 'inbound' || direction === 'outbound' ? direction : null,
    customerId: text('customer_id', 'customerId'),
    extra: {
      call_sid: callSid,
      // The customer's id goes into its own column, never into what the API shows.
      custom: Object.fromEntries(
        Object.entries(custom).filter(([k]) => !['customer_id', 'customerId'].includes(k)),
      ),
    },
  }
}

/** One Media Stream on its WebSocket. */
export class TwilioStream {
  private call: LiveCall | undefined
  private starting: Promise<void> | undefined
  private chain: Promise<void> = Promise.resolve()
  private ended = false

  constructor(
    private readonly ws: WebSocket,
    private readonly hub: LiveHub,
    private readonly settings: TwilioSettings,
    private readonly log: (msg: string) => void = () => {},
  ) {
    ws.on('message', (data: Buffer, isBinary: boolean) => {
      this.chain = this.chain
        .then(() => (isBinary ? this.refuse('Media Streams send text frames only') : this.onMessage(data)))
        .catch((err) => {
          this.log(`twilio stream failed: ${(err as Error).message}`)
          this.refuse('internal server error')
        })
    })
    ws.on('close', () => {
      this.chain = this.chain.then(() => this.end('connection lost'))
    })
    ws.on('error', () => ws.terminate())
  }

  /** A stream we cannot follow is closed (1008: policy), keeping what arrived. */
  private refuse(reason: string): void {
    this.log(`twilio stream refused: ${reason}`)
    if (this.ws.readyState === this.ws.OPEN) this.ws.close(1008, reason.slice(0, 120))
  }

  private async onMessage(data: Buffer): Promise<void> {
    if (data.length > this.settings.maxFrameBytes) return this.refuse('message too large')
    let m: Record<string, unknown>
    try {
      m = JSON.parse(data.toString('utf8'))
    } catch {
      return this.refuse('message is not JSON')
    }
    if (!m || typeof m !== 'object') return this.refuse('message is not an object')
    switch (m.event) {
      case 'connected':
        return
      case 'start':
        return this.onStart(m)
      case 'media':
        return this.onMedia(m)
      case 'dtmf':
      case 'mark':
        // Digits are not kept (card numbers are keyed in); marks are for bidirectional streams.
        return
      case 'stop':
        await this.end('stopped')
        this.ws.close(1000)
        return
      default:
        return this.refuse(`unknown event ${String(m.event).slice(0, 40)}`)
    }
  }

  private async onStart(m: Record<string, unknown>): Promise<void> {
    if (this.call || this.starting) return this.refuse('a second start')
    const start = m.start as Record<string, unknown> | undefined
    const streamSid = (start?.streamSid ?? m.streamSid) as unknown
    const callSid = start?.callSid
    if (!start || typeof streamSid !== 'string' || typeof callSid !== 'string')
      return this.refuse('start needs streamSid and callSid')
    const format = start.mediaFormat as Record<string, unknown> | undefined
    if (format && (format.encoding !== 'audio/x-mulaw' || format.sampleRate !== VAD_RATE))
      return this.refuse('media must be audio/x-mulaw at 8000 Hz')
    const tracks = Array.isArray(start.tracks) ? (start.tracks as unknown[]) : ['inbound']
    const parties = tracks.map((t) => TRACKS[String(t)]).filter((p): p is Party => p !== undefined)
    if (parties.length === 0) return this.refuse('no inbound or outbound track')
    const custom = (start.customParameters ?? {}) as Record<string, unknown>
    this.starting = this.hub
      .open({
        protocol: 'twilio',
        externalId: streamSid,
        conversationId: callSid,
        parties,
        meta: metaFrom(custom, callSid),
      })
      .then((call) => {
        this.call = call
      })
    await this.starting.catch((err) => this.refuse((err as Error).message))
  }

  private async onMedia(m: Record<string, unknown>): Promise<void> {
    const call = this.call
    if (!call) return this.refuse('media before start')
    const media = m.media as Record<string, unknown> | undefined
    const party = TRACKS[String(media?.track)]
    if (!media || !party || typeof media.payload !== 'string')
      return this.refuse('media needs a track and a payload')
    const samples = decodeMulaw(Buffer.from(media.payload, 'base64'))
    const timestamp = Number(media.timestamp)
    call.push(
      party,
      samples,
      Number.isFinite(timestamp) && timestamp >= 0 ? Math.round((timestamp * VAD_RATE) / 1000) : undefined,
    )
    if (call.positionMs > this.settings.maxCallMs) {
      await this.end('call length limit')
      this.ws.close(1000)
    }
  }

  private async end(reason: string): Promise<void> {
    if (this.ended) return
    this.ended = true
    await this.starting?.catch(() => {})
    if (this.call) await this.hub.end(this.call, reason)
  }
}
