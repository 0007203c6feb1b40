/**
 * The Live page in a real browser: a supervisor watches a call a connector streams (the plain
 * stream, real speech from pocketsphinx-testdata at real-time pace), sees it appear with its agent
 * and state, sees the urgent words the customer says raised as an alert within a second,
 * acknowledges it (audited), opens the call's growing timeline, and sees the call leave the list
 * when it ends — then finds the alert on the filed call's own page.
 */
import { afterAll, beforeAll, expect, test } from 'vitest'
import { MULAW_TO_PCM16 } from '../../media/g711.js'
import { realSpeechUnavailable } from '../../samples/real-speech.js'
import { type TelephoneCall, telephoneCall } from '../live/real-call.js'
import { startedStream } from '../live/stream-client.js'
import { openPage, type PageHarness } from './page.js'

const skip = realSpeechUnavailable()
let web: PageHarness
let call: TelephoneCall

beforeAll(async () => {
  web = await openPage('web/live', {
    files: [],
    users: [
      ['pbx', 'telephony'],
      ['max', 'manager'],
      ['a.kim', 'agent', 'a.kim'],
    ],
    processor: true,
    live: {},
  })
  if (!skip) call = await telephoneCall(20, 0, 2)
}, 180_000)
afterAll(async () => {
  await web?.close()
})

test.skipIf(skip)(
  'a supervisor watches a call, gets its alert, acknowledges it; the call keeps it when filed',
  async () => {
    const { api, page } = web
    await web.signIn('max')
    await page.click('#nav-live')
    await page.waitForSelector('#live-calls')
    const { ws, session } = await startedStream(api.base, api.tokens.pbx as string, {
      call_id: 'web-1',
      channels: 2,
      agent_channel: 0,
      metadata: { agent: 'a.kim', queue: 'cards' },
    })
    const row = page.locator(`#live-calls tr[data-session="${session}"]`)
    await row.waitFor()
    expect(await row.locator('td').first().textContent()).toBe('a.kim')
    // Real speech at real-time pace, 20 ms frames of 16-bit stereo, for 4 s.
    const frame = 160
    for (let at = 0; at < 4 * 8000; at += frame) {
      const b = Buffer.alloc(frame * 4)
      for (let i = 0; i < frame; i++) {
        b.writeInt16LE(MULAW_TO_PCM16[call.agent[at + i] as number] as number, 4 * i)
        b.writeInt16LE(MULAW_TO_PCM16[call.customer[at + i] as number] as number, 4 * i + 2)
      }
      ws.send(b)
      await new Promise((r) => setTimeout(r, 20))
    }
    await expect.poll(async () => (await row.locator('td.duration').textContent()) ?? '').not.toBe('0:00')
    // The customer's urgent words: the alert is on the page within a second.
    const sent = performance.now()
    const posted = await api.call('POST', `/v1/live/${session}/utterances`, 'pbx', {
      speaker: 'customer',
      text: 'someone used my card, this is fraud',
      start_ms: 2000,
      end_ms: 3800,
    })
    expect(posted.status).toBe(202)
    const alert = page.locator('#live-alerts li[data-rule="urgency-p0"]')
    await alert.waitFor({ timeout: 5000 })
    expect(performance.now() - sent).toBeLessThan(1000)
    await alert.locator('button.acknowledge').click()
    await page.locator('#live-alerts li[data-rule="urgency-p0"] .ack').waitFor()
    const stored = (await api.call('GET', `/v1/live/calls/${session}`, 'max')).body.alerts
    expect(stored[0].acknowledged_by).toBe(api.userId.max)

    // The call's own live view: its figures, and the alert.
    await page.click(`#live-calls tr[data-session="${session}"] a`)
    await page.waitForSelector('#live-figures')
    expect(await page.textContent('#live-figures')).toContain('a.kim')
    expect(await page.locator('#live-alerts li[data-rule="urgency-p0"]').count()).toBe(1)
    await page.goBack()
    await page.waitForSelector(`#live-calls tr[data-session="${session}"]`)

    ws.send(JSON.stringify({ type: 'stop' }))
    await page.locator(`#live-calls tr[data-session="${session}"]`).waitFor({ state: 'detached' })
    const callId = (await api.live?.filed(session)) as number
    await page.goto(`${api.base}/#/calls/${callId}`)
    await page.waitForSelector('#call-alerts li[data-rule="urgency-p0"]')
    expect(await page.textContent('#call-alerts')).toContain('acknowledged by max')
    ws.close()
  },
  60_000,
)

test('an agent sees the Live page with their own calls only, and no alerts to acknowledge', async () => {
  const { page } = web
  await web.signIn('a.kim')
  await page.click('#nav-live')
  await page.waitForSelector('#live-calls')
  expect(await page.locator('button.acknowledge').count()).toBe(0)
})

// Last: every flow above ran under the page's policy.
test('nothing the page did broke its Content-Security-Policy', () => {
  expect(web.cspViolations).toEqual([])
})
