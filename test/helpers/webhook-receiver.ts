/**
 * A webhook receiver as a ticketing system would run one: a real HTTP server that verifies each
 * event with the Standard Webhooks library and keeps the ids it accepted (a repeat is refused and
 * counted, never accepted twice); it can answer 500 to its first deliveries, as one that is down.
 */
import { randomBytes } from 'node:crypto'
import { createServer } from 'node:http'
import { Webhook } from 'standardwebhooks'

export interface Receiver {
  url: string
  secret: string
  /** accepted events by webhook id, in order */
  accepted: Map<string, { type: string; data: Record<string, unknown> }>
  /** every delivery: its id and the status answered */
  attempts: Array<{ id: string; status: number }>
  /** deliveries refused: a bad signature, or an id accepted before */
  refused: number
  close(): void
}

export async function startReceiver({ failFirst = 0 }: { failFirst?: number } = {}): Promise<Receiver> {
  const secret = `whsec_${randomBytes(24).toString('base64')}`
  const verifier = new Webhook(secret)
  let failuresLeft = failFirst
  const accepted: Receiver['accepted'] = new Map()
  const attempts: Receiver['attempts'] = []
  const state = { refused: 0 }
  const server = createServer((req, res) => {
    let body = ''
    req.on('data', (c) => {
      body += c
    })
    req.on('end', () => {
      const id = String(req.headers['webhook-id'])
      if (failuresLeft > 0) {
        failuresLeft--
        attempts.push({ id, status: 500 })
        res.writeHead(500).end()
        return
      }
      try {
        const payload = verifier.verify(body, req.headers as Record<string, string>) as never
        if (accepted.has(id)) throw new Error(`event ${id} delivered twice`)
        accepted.set(id, payload)
        attempts.push({ id, status: 204 })
        res.writeHead(204).end()
      } catch {
        state.refused++
        attempts.push({ id, status: 400 })
        res.writeHead(400).end()
      }
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const url = `http://127.0.0.1:${(server.address() as { port: number }).port}/hooks`
  return {
    url,
    secret,
    accepted,
    attempts,
    get refused() {
      return state.refused
    },
    close: () => server.close(),
  }
}
