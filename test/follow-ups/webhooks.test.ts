/**
 * Follow-up events to a real HTTP receiver that fails its first deliveries and then comes back:
 * every event of a case's life (created, updated, resolved, reopened, escalated) arrives, is
 * verified with the Standard Webhooks library a receiver would use, and is accepted exactly once.
 */
import { afterAll, beforeAll, expect, test } from 'vitest'
import { runFollowUpSteps } from '../../followups/schedule.js'
import { type ApiHarness, startApi } from '../helpers/api.js'
import { type Receiver, startReceiver } from '../helpers/webhook-receiver.js'
import { activateRules, PEOPLE } from './seed.js'

let api: ApiHarness
let receiver: Receiver

beforeAll(async () => {
  receiver = await startReceiver({ failFirst: 4 })
  const url = receiver.url
  process.env.CALLQA_WEBHOOK_URL = url
  api = await startApi('follow-ups/webhooks', {
    files: ['call-06-phone-angry.wav', 'call-10-phone-hold-en.wav', 'call-01-clean-billing.flac'],
    users: PEOPLE.map(([n, r]) => [n, r] as const),
    beforeIngest: async (db) => {
      await activateRules(db)
    },
    webhooks: { url, secret: receiver.secret },
  })
}, 180_000)
afterAll(async () => {
  await api?.close()
  receiver?.close()
  delete process.env.CALLQA_WEBHOOK_URL
})

const events = () => [...receiver.accepted.values()].map((p) => `${p.type}#${p.data.id}`)

test('each event of a case’s life is delivered through failures, signed, and accepted once', async () => {
  const items = (await api.call('GET', '/v1/follow-ups', 'max')).body.items as Array<{
    id: number
    call_id: number
  }>
  expect(items.length).toBe(2) // call-06 (P1 outage), call-10 (charged twice); call-01 opens none
  const billing = items.find((f) => f.call_id === api.idOf.get('call-10-phone-hold-en.wav')) as { id: number }
  await expect
    .poll(() => events().filter((e) => e.startsWith('follow_up.created')).length, { timeout: 30_000 })
    .toBe(2)
  const patch = (body: unknown) => api.call('PATCH', `/v1/follow-ups/${billing.id}`, 'max', body)
  expect((await patch({ status: 'in_progress', note: 'refund started' })).status).toBe(200)
  expect((await patch({ status: 'resolved' })).status).toBe(200)
  expect((await patch({ status: 'reopened' })).status).toBe(200)
  // Nothing moves for two days: the scheduler escalates it, once, however often it runs.
  const later = new Date(Date.now() + 3 * 86_400_000)
  await Promise.all([runFollowUpSteps(api.db, later), runFollowUpSteps(api.db, later)])
  await runFollowUpSteps(api.db, later)
  const expected = [
    `follow_up.updated#${billing.id}`,
    `follow_up.resolved#${billing.id}`,
    `follow_up.reopened#${billing.id}`,
    `follow_up.escalated#${billing.id}`,
  ]
  await expect.poll(() => expected.every((e) => events().includes(e)), { timeout: 30_000 }).toBe(true)
  // Exactly once each: one escalation event, every id accepted once (the receiver throws on a repeat).
  expect(events().filter((e) => e === `follow_up.escalated#${billing.id}`).length).toBe(1)
  expect(receiver.refused).toBe(0)
  const escalated = [...receiver.accepted.values()].find(
    (p) => p.type === 'follow_up.escalated' && p.data.id === billing.id,
  )
  expect(escalated?.data).toMatchObject({
    id: billing.id,
    escalation_level: 1,
    escalated_to: ['lee'],
    status: 'reopened',
  })
  // The outbox agrees: all delivered, none pending.
  await expect
    .poll(
      async () =>
        (await api.db.query('SELECT id FROM webhook_outbox WHERE delivered_at IS NULL')).rows.length,
    )
    .toBe(0)
}, 120_000)
