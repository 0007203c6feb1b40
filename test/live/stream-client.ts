/**
 * A client of the plain live stream (/v1/live/stream) as a connector would be: a WebSocket with a
 * bearer token, every JSON message it gets kept in order, and a wait for the first of a type.
 */
import { expect } from 'vitest'
import WebSocket from 'ws'

export function streamClient(base: string, token: string | undefined) {
  const url = `${base.replace('http', 'ws')}/v1/live/stream`
  const ws = new WebSocket(url, token ? { headers: { authorization: `Bearer ${token}` } } : {})
  const messages: Array<Record<string, unknown>> = []
  ws.on('message', (d) => messages.push(JSON.parse(String(d))))
  const closed = new Promise<number>((resolve) => ws.once('close', (code) => resolve(code)))
  const opened = new Promise<number>((resolve) => {
    ws.once('open', () => resolve(101))
    ws.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0))
  })
  const next = async (type: string) => {
    await expect.poll(() => messages.find((m) => m.type === type), { timeout: 10_000 }).toBeDefined()
    return messages.find((m) => m.type === type) as Record<string, unknown>
  }
  return { ws, opened, next, closed, messages }
}

/** Opens a stream and starts a call with `start`; its session once the server says so. */
export async function startedStream(base: string, token: string, start: Record<string, unknown>) {
  const client = streamClient(base, token)
  expect(await client.opened).toBe(101)
  client.ws.send(JSON.stringify({ type: 'start', ...start }))
  const session = (await client.next('started')).session as number
  return { ...client, session }
}
