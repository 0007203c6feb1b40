/**
 * A plain stream at `/v1/live/stream`, for FreeSWITCH (mod_audio_stream), Asterisk (AudioSocket
 * bridges), jambonz (listen) and anything else that can open a WebSocket: a bearer token of a user
 * with the role `telephony`, then
 *
 *   → {"type": "start", "call_id": "…", "rate": 8000, "channels": 2, "agent_channel": 0,
 *      "metadata": {"agent": "…", "team": "…", "queue": "…", "language": "en", "direction": "inbound"}}
 *      (one channel: "party": "agent" | "customer" says whose)
 *   ← {"type": "started", "session": 12}
 *   → binary frames: 16-bit little-endian PCM, channels interleaved (8 or 16 kHz)
 *   → {"type": "pause"}  {"type": "resume", "discarded_ms": 4000}  (card numbers: never dead air)
 *   → {"type": "utterance", "speaker": "customer", "text": "…", "start_ms": 1200, "end_ms": 2500}
 *   → {"type": "stop"}
 *   ← {"type": "stopped", "session": 12}, and the socket closes.
 *
 * Anything else gets `{"type": "error", "message": "…"}` and the stream closes (what arrived is
 * kept and filed).
 */
import type { WebSocket } from 'ws'
import type { LiveCall, LiveMeta, Party } from './call.js'
import type { LiveHub } from './hub.js'
import type { LiveSettings } from './settings.js'

interface Start {
  callId: string
  rate: 8000 | 16000
  parties: Party[]
  meta: LiveMeta
}

const text = (v: unknown, max = 200) => (typeof v === 'string' && v.length > 0 && v.length <= max ? v : null)

export function parseStart(m: Record<string, unknown>): Start | string {
  const callId = text(m.call_id)
  if (!callId) return 'start needs a call_id (1–200 characters)'
  const rate = m.rate ?? 8000
  if (rate !== 8000 && rate !== 16000) return 'rate must be 8000 or 16000'
  const channels = m.channels ?? 1
  let parties: Party[]
  if (channels === 2) {
    const agent = m.agent_channel ?? 0
    if (agent !== 0 && agent !== 1) return 'agent_channel must be 0 or 1'
    parties = agent === 0 ? ['agent', 'customer'] : ['customer', 'agent']
  } else if (channels === 1) {
    const party = m.party ?? 'customer'
    if (party !== 'agent' && party !== 'customer') return 'party must be agent or customer'
    parties = [party]
  } else return 'channels must be 1 or 2'
  const md = (m.metadata ?? {}) as Record<string, unknown>
  if (typeof md !== 'object' || Array.isArray(md)) return 'metadata must be an object'
  const direction = text(md.direction)
  return {
    callId,
    rate,
    parties,
    meta: {
      externalId: text(md.external_id) ?? callId,
      agentId: text(md.agent ?? md.agent_id),
      team: text(md.team),
      queue: text(md.queue),
      language: text(md.language, 20),
      direction: direction === 'inbound' || direction === 'outbound' ? direction : null,
      customerId: text(md.customer_id),
      extra: Object.fromEntries(
        Object.entries(md).filter(
          ([k, v]) => k !== 'customer_id' && (typeof v === 'string' || typeof v === 'number'),
        ),
      ),
    },
  }
}

/** One plain stream on its WebSocket. */
export class PlainStream {
  private call: LiveCall | undefined
  private start: Start | undefined
  /** what order the sender interleaves channels in */
  private order: Party[] = []
  private chain: Promise<void> = Promise.resolve()
  private ended = false

  constructor(
    private readonly ws: WebSocket,
    private readonly hub: LiveHub,
    private readonly settings: LiveSettings,
    private readonly log: (msg: string) => void = () => {},
  ) {
    ws.on('message', (data: Buffer, isBinary: boolean) => {
      this.chain = this.chain
        .then(() => (isBinary ? this.onAudio(data) : this.onText(data)))
        .catch((err) => this.fail(`internal server error: ${(err as Error).message}`))
    })
    ws.on('close', () => {
      this.chain = this.chain.then(() => this.end('connection lost'))
    })
    ws.on('error', () => ws.terminate())
  }

  private send(message: Record<string, unknown>): void {
    if (this.ws.readyState === this.ws.OPEN) this.ws.send(JSON.stringify(message))
  }

  private async fail(message: string): Promise<void> {
    this.log(`plain stream refused: ${message.split(':')[0]}`)
    this.send({ type: 'error', message })
    await this.end('refused')
    if (this.ws.readyState === this.ws.OPEN) this.ws.close(1008, message.slice(0, 120))
  }

  private async onText(data: Buffer): Promise<void> {
    let m: Record<string, unknown>
    try {
      m = JSON.parse(data.toString('utf8'))
      if (!m || typeof m !== 'object' || Array.isArray(m)) throw new Error()
    } catch {
      return this.fail('a text frame must be a JSON object')
    }
    if (m.type === 'start') return this.onStart(m)
    const call = this.call
    if (!call) return this.fail('the first message must be start')
    switch (m.type) {
      case 'pause':
        return call.setPaused(true)
      case 'resume': {
        const ms = Number(m.discarded_ms ?? 0)
        if (!(ms >= 0 && ms <= this.settings.maxCallMs)) return this.fail('discarded_ms must be ≥ 0')
        call.fill(ms, 'paused')
        return call.setPaused(false)
      }
      case 'utterance': {
        const speaker = m.speaker
        const words = text(m.text, 5000)
        const startMs = Number(m.start_ms)
        const endMs = Number(m.end_ms)
        if (
          (speaker !== 'agent' && speaker !== 'customer') ||
          !words ||
          !(startMs >= 0) ||
          !(endMs >= startMs)
        )
          return this.fail('utterance needs speaker, text, start_ms ≤ end_ms')
        call.addLine({ speaker, text: words, startMs, endMs })
        return
      }
      case 'stop':
        await this.end('stopped')
        this.send({ type: 'stopped', session: call.id })
        this.ws.close(1000)
        return
      default:
        return this.fail(`unknown message type ${String(m.type).slice(0, 40)}`)
    }
  }

  private async onStart(m: Record<string, unknown>): Promise<void> {
    if (this.call) return this.fail('a second start')
    const start = parseStart(m)
    if (typeof start === 'string') return this.fail(start)
    try {
      this.call = await this.hub.open({
        protocol: 'stream',
        externalId: start.callId,
        conversationId: start.callId,
        parties: start.parties,
        meta: start.meta,
      })
    } catch (err) {
      return this.fail((err as Error).message)
    }
    this.start = start
    this.order = start.parties
    this.send({ type: 'started', session: this.call.id })
  }

  private async onAudio(data: Buffer): Promise<void> {
    const call = this.call
    const start = this.start
    if (!call || !start) return this.fail('audio before start')
    if (data.length > this.settings.maxFrameBytes)
      return this.fail(`frame larger than ${this.settings.maxFrameBytes} bytes`)
    const channels = this.order.length
    const step = start.rate === 16000 ? 2 : 1
    if (data.length % (2 * channels * step) !== 0)
      return this.fail('a frame must hold whole 16-bit samples of every channel')
    const frames = data.length / (2 * channels)
    const out = new Int16Array((frames / step) * channels)
    for (let f = 0, o = 0; f < frames; f += step, o++)
      for (let c = 0; c < channels; c++) {
        // 16 kHz: two samples averaged into one (the telephone band is all the analysis uses).
        let v = data.readInt16LE((f * channels + c) * 2)
        if (step === 2) v = (v + data.readInt16LE(((f + 1) * channels + c) * 2)) >> 1
        const party = this.order[c] as Party
        out[o * channels + call.parties.indexOf(party)] = v
      }
    call.pushInterleaved(out)
    if (call.positionMs > this.settings.maxCallMs) {
      this.send({ type: 'error', message: 'the call is longer than this server takes' })
      await this.end('call length limit')
      this.ws.close(1000)
    }
  }

  private async end(reason: string): Promise<void> {
    if (this.ended) return
    this.ended = true
    if (this.call) await this.hub.end(this.call, reason)
  }
}
