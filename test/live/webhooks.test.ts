/**
 * Webhooks of live alerts, delivered to a real HTTP receiver that is down at first (500, then a
 * timeout... then a refused connection), then back: every event arrives, is verified with the
 * Standard Webhooks library a receiver would use, and is accepted exactly once; what was not
 * delivered yet is visible to admins.
 */

import { afterAll, beforeAll, expect, test } from 'vitest'
import { type ApiHarness, startApi } from '../helpers/api.js'
import { type Receiver, startReceiver } from '../helpers/webhook-receiver.js'
import { startedStream } from './stream-client.js'

let api: ApiHarness
let receiver: Receiver

beforeAll(async () => {
  receiver = await startReceiver({ failFirst: 3 })
  api = await startApi('live/webhooks', {
    files: [],
    users: [
      ['pbx', 'telephony'],
      ['root', 'admin'],
      ['max', 'manager'],
    ],
    processor: true,
    live: {},
    webhooks: { url: receiver.url, secret: receiver.secret },
  })
}, 120_000)
afterAll(async () => {
  await api?.close()
  receiver?.close()
})

test('alerts go out signed, through failures, each accepted exactly once; admins see the backlog', async () => {
  const { ws, next, session } = await startedStream(api.base, api.tokens.pbx as string, {
    call_id: 'hook-1',
    channels: 1,
    party: 'customer',
    metadata: { agent: 'a.kim' },
  })
  const lines = [
    ['customer', 'there is fraud on my card'],
    ['agent', 'that is not my problem, calm down'],
    ['customer', '我的账户被盗了，有人在盗刷我的卡'],
  ] as const
  for (const [i, [speaker, text]] of lines.entries()) {
    const posted = await api.call('POST', `/v1/live/${session}/utterances`, 'pbx', {
      speaker,
      text,
      start_ms: i * 2000,
      end_ms: i * 2000 + 1500,
    })
    expect(posted.status).toBe(202)
  }
  // The call ends: every alert it raised is stored by then.
  ws.send(JSON.stringify({ type: 'stop' }))
  await next('stopped')
  const alerts = (await api.call('GET', `/v1/live/calls/${session}`, 'max')).body.alerts as Array<{
    id: number
    rule: string
  }>
  expect(alerts.map((a) => a.rule).sort()).toEqual(['conduct', 'urgency-p0', 'urgency-p0'])
  // While the receiver fails, the backlog is visible to admins (and only to them).
  await expect
    .poll(async () => (await api.call('GET', '/v1/webhooks/outbox', 'root')).body.items.length)
    .toBeGreaterThan(0)
  expect((await api.call('GET', '/v1/webhooks/outbox', 'max')).status).toBe(403)
  const backlog = (await api.call('GET', '/v1/webhooks/outbox', 'root')).body.items as Array<{
    last_error: string | null
  }>
  expect(backlog.some((r) => r.last_error === 'HTTP 500')).toBe(true)
  // Retried with backoff until accepted: each alert exactly once.
  await expect.poll(() => receiver.accepted.size, { timeout: 40_000, interval: 250 }).toBe(alerts.length)
  const outbox = async () =>
    (
      await api.db.query<{ id: string; delivered_at: Date | null }>(
        'SELECT id, delivered_at FROM webhook_outbox',
      )
    ).rows
  // The receiver answers before the sender records the answer: the outbox catches up.
  await expect.poll(async () => (await outbox()).every((r) => r.delivered_at !== null)).toBe(true)
  const ids = await outbox()
  expect([...receiver.accepted.keys()].sort()).toEqual(ids.map((r) => r.id).sort())
  const bodies = [...receiver.accepted.values()] as Array<{
    type: string
    data: { id: number; rule: string; session: number }
  }>
  expect(bodies.every((b) => b.type === 'live.alert' && b.data.session === session)).toBe(true)
  expect(bodies.map((b) => b.data.id).sort()).toEqual(alerts.map((a) => a.id).sort())
  expect(receiver.attempts.filter((a) => a.status === 500)).toHaveLength(3)
  expect((await api.call('GET', '/v1/webhooks/outbox', 'root')).body.items).toEqual([])
}, 60_000)
