/**
 * An AudioHook client written from the Genesys AudioHook protocol (v2) for the tests: the upgrade
 * request with X-API-KEY and an HTTP message signature (HMAC-SHA256 over the request target, the
 * authority, the AudioHook headers and the key, then the signature parameters; Structured Field
 * encoding written out by hand here, independent of the server's parser), then `open`, binary
 * audio frames, `ping`, `update`, `paused`/`resumed`, `discarded`, `error` and `close`, each with
 * the client's `seq`, the last `serverseq` seen and the stream `position`.
 */
import { createHmac, randomBytes, randomUUID } from 'node:crypto'
import WebSocket from 'ws'

export interface ServerMessage {
  version: string
  type: string
  id: string
  seq: number
  clientseq: number
  parameters: Record<string, unknown>
}

export interface ClientOptions {
  url: string
  apiKey: string
  /** the client secret; undefined: no signature */
  secret?: Buffer
  sessionId?: string
  organizationId?: string
  /** change the signed request after signing (a forged header, a wrong target) */
  tamper?: (headers: Record<string, string>) => void
}

const sfString = (s: string) => `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`

/** The signature headers for an AudioHook upgrade request, per the HTTP message signatures draft. */
export function signAudiohook(
  url: URL,
  headers: Record<string, string>,
  apiKey: string,
  secret: Buffer,
  created = Math.floor(Date.now() / 1000),
): Record<string, string> {
  const components: Array<[string, string]> = [
    ['@request-target', url.pathname + url.search],
    ['@authority', url.host],
    ['audiohook-organization-id', headers['Audiohook-Organization-Id'] as string],
    ['audiohook-session-id', headers['Audiohook-Session-Id'] as string],
    ['audiohook-correlation-id', headers['Audiohook-Correlation-Id'] as string],
    ['x-api-key', apiKey],
  ]
  const params = `;keyid=${sfString(apiKey)};nonce=${sfString(randomBytes(18).toString('base64'))};alg="hmac-sha256";created=${created};expires=${created + 30}`
  const inner = `(${components.map(([name]) => sfString(name)).join(' ')})${params}`
  const base = [
    ...components.map(([name, value]) => `${sfString(name)}: ${value}`),
    `"@signature-params": ${inner}`,
  ].join('\n')
  const signature = createHmac('sha256', secret).update(base).digest('base64')
  return { 'Signature-Input': `sig1=${inner}`, Signature: `sig1=:${signature}:` }
}

export class AudiohookClient {
  readonly sessionId: string
  readonly ws: WebSocket
  seq = 0
  serverseq = 0
  /** samples per channel sent so far, for `position` */
  positionMs = 0
  readonly received: ServerMessage[] = []
  private waiters: Array<{ type: string; resolve: (m: ServerMessage) => void }> = []
  closedCode: number | undefined

  constructor(options: ClientOptions) {
    this.sessionId = options.sessionId ?? randomUUID()
    const url = new URL(options.url)
    const headers: Record<string, string> = {
      'Audiohook-Organization-Id': options.organizationId ?? randomUUID(),
      'Audiohook-Session-Id': this.sessionId,
      'Audiohook-Correlation-Id': randomUUID(),
      'X-API-KEY': options.apiKey,
    }
    if (options.secret) Object.assign(headers, signAudiohook(url, headers, options.apiKey, options.secret))
    options.tamper?.(headers)
    this.ws = new WebSocket(options.url, { headers, perMessageDeflate: false })
    this.ws.on('message', (data, isBinary) => {
      if (isBinary) throw new Error('the server sent a binary message')
      const m = JSON.parse(String(data)) as ServerMessage
      if (m.seq !== this.serverseq + 1) throw new Error(`server seq ${m.seq} after ${this.serverseq}`)
      this.serverseq = m.seq
      this.received.push(m)
      // As Genesys' client does: the session is over, the socket is closed.
      if (m.type === 'closed') this.ws.close(1000)
      for (const w of this.waiters.filter((x) => x.type === m.type)) w.resolve(m)
      this.waiters = this.waiters.filter((x) => x.type !== m.type)
    })
    this.ws.on('close', (code) => {
      this.closedCode = code
    })
  }

  /** Resolves when the upgrade succeeds; rejects with the HTTP status when it is refused. */
  connected(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.ws.once('open', () => resolve())
      this.ws.once('unexpected-response', (_req, res) =>
        reject(Object.assign(new Error(`HTTP ${res.statusCode}`), { status: res.statusCode })),
      )
      this.ws.once('error', reject)
    })
  }

  next(type: string, timeoutMs = 15_000): Promise<ServerMessage> {
    const seen = this.received.find((m) => m.type === type && !(m as { taken?: boolean }).taken)
    if (seen) {
      ;(seen as { taken?: boolean }).taken = true
      return Promise.resolve(seen)
    }
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no ${type} within ${timeoutMs} ms`)), timeoutMs)
      this.waiters.push({
        type,
        resolve: (m) => {
          clearTimeout(timer)
          ;(m as { taken?: boolean }).taken = true
          resolve(m)
        },
      })
    })
  }

  send(type: string, parameters: Record<string, unknown>): number {
    const seq = ++this.seq
    this.ws.send(
      JSON.stringify({
        version: '2',
        type,
        id: this.sessionId,
        seq,
        serverseq: this.serverseq,
        position: `PT${(this.positionMs / 1000).toFixed(3)}S`,
        parameters,
      }),
    )
    return seq
  }

  open(media: Array<{ channels: string[]; format?: string }>, extra: Record<string, unknown> = {}): number {
    return this.send('open', {
      organizationId: randomUUID(),
      conversationId: randomUUID(),
      participant: { id: randomUUID(), ani: '+15555551234', aniName: 'Caller', dnis: '+18005556789' },
      media: media.map((m) => ({
        type: 'audio',
        format: m.format ?? 'PCMU',
        channels: m.channels,
        rate: 8000,
      })),
      language: 'en-US',
      ...extra,
    })
  }

  /** A binary frame: `bytes` of interleaved PCMU (one byte per sample per channel). */
  audio(bytes: Uint8Array, channels: number): void {
    this.ws.send(bytes, { binary: true })
    this.positionMs += ((bytes.length / channels) * 1000) / 8000
  }

  /** Resolves once everything queued so far has been handed to the socket. */
  drained(): Promise<void> {
    return new Promise((resolve) => {
      const check = () => (this.ws.bufferedAmount === 0 ? resolve() : setTimeout(check, 5))
      check()
    })
  }
}
