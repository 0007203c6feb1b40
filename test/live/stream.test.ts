/**
 * The plain stream (/v1/live/stream) and live words: a connector with a `telephony` token streams
 * 16-bit PCM (one party, 16 kHz, brought to the telephone rate), posts transcript lines, and the
 * words rules answer in English and Chinese — the agent's rude remark, the customer's P0 words,
 * a forbidden phrase, the customer's mood falling. Roles: only telephony streams and posts lines;
 * only managers, reviewers and admins watch; agents see their own calls in progress only.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { DEFAULT_LIVE_RULES } from '../../live/rules.js'
import { activateRules } from '../follow-ups/seed.js'
import { type ApiHarness, startApi } from '../helpers/api.js'
import { SseReader } from './sse.js'
import { streamClient } from './stream-client.js'

let api: ApiHarness

beforeAll(async () => {
  api = await startApi('live/stream', {
    files: [],
    users: [
      ['pbx', 'telephony'],
      ['max', 'manager'],
      ['rita', 'reviewer'],
      ['a.kim', 'agent', 'a.kim'],
      ['a.sam', 'agent', 'a.sam'],
    ],
    processor: true,
    // A live P0 alert opens a follow-up once the call is filed and analysed.
    beforeIngest: (db) =>
      activateRules(
        db,
        `key: live-follow-ups
sla:
  P0: { respond: 15m, resolve: 4h }
  P1: { respond: 1h, resolve: 1d }
  P2: { respond: 4h, resolve: 2d }
  P3: { respond: 1d, resolve: 5d }
escalate_after: 48h
open_when:
  - live_alert: [urgency-p0]
route:
  - team: fraud
teams:
  fraud: { members: [rita], escalate_to: [max] }
`,
      ).then(() => {}),
    live: {
      rules: {
        ...DEFAULT_LIVE_RULES,
        forbiddenPhrase: {
          enabled: true,
          phrases: ['guaranteed refund', '保证退款'],
          speaker: 'agent',
          severity: 'critical',
        },
      },
    },
  })
}, 120_000)
afterAll(async () => {
  await api?.close()
})

const stream = (token: string | undefined) => streamClient(api.base, token)

/** `seconds` of a 16 kHz tone burst pattern: speech-like energy is not needed for the words rules. */
const pcm16k = (seconds: number) => {
  const b = Buffer.alloc(seconds * 16000 * 2)
  for (let i = 0; i < seconds * 16000; i++)
    b.writeInt16LE(Math.round(3000 * Math.sin((2 * Math.PI * 440 * i) / 16000)), 2 * i)
  return b
}

describe('who may stream and watch', () => {
  test('no token, or a role other than telephony: refused before any audio', async () => {
    expect(await stream(undefined).opened).toBe(401)
    expect(await stream(api.tokens.max).opened).toBe(403)
    expect(await stream(api.tokens['a.kim']).opened).toBe(403)
    const ok = stream(api.tokens.pbx)
    expect(await ok.opened).toBe(101)
    ok.ws.close()
  })

  test('the event stream: managers, reviewers and admins; agents and telephony refused', async () => {
    for (const who of ['a.kim', 'pbx'])
      expect((await api.call('GET', '/v1/live/events', who)).status).toBe(403)
    const link = (await api.call('POST', '/v1/live/events-link', 'rita')).body
    const sse = new SseReader(`${api.base}${link.url}`)
    await sse.ready
    expect(sse.status).toBe(200)
    sse.close()
    const forged = new SseReader(`${api.base}${link.url.replace(/sig=[^&]+$/, 'sig=x')}`)
    await forged.ready
    expect(forged.status).toBe(401)
  })
})

describe('a connector streams and posts lines', () => {
  test('PCM at 16 kHz, lines in English and Chinese: the words rules raise their alerts; agents see their own calls only', async () => {
    const sse = new SseReader(`${api.base}/v1/live/events`, { authorization: `Bearer ${api.tokens.max}` })
    await sse.ready
    const s = stream(api.tokens.pbx)
    expect(await s.opened).toBe(101)
    s.ws.send(
      JSON.stringify({
        type: 'start',
        call_id: 'fs-0001',
        rate: 16000,
        channels: 1,
        party: 'customer',
        metadata: { agent: 'a.kim', queue: 'billing', language: 'zh', customer_id: 'C-9' },
      }),
    )
    const started = await s.next('started')
    const session = started.session as number
    s.ws.send(pcm16k(2))
    // Agents see their own live calls, and nobody else's.
    await expect
      .poll(async () => (await api.call('GET', '/v1/live/calls', 'a.kim')).body.items.length)
      .toBe(1)
    expect((await api.call('GET', '/v1/live/calls', 'a.sam')).body.items).toEqual([])
    expect((await api.call('GET', `/v1/live/calls/${session}`, 'a.sam')).status).toBe(404)

    const line = (speaker: string, text: string, start_ms: number) =>
      api.call('POST', `/v1/live/${session}/utterances`, 'pbx', {
        speaker,
        text,
        start_ms,
        end_ms: start_ms + 1500,
      })
    expect((await line('agent', 'that is not my problem, calm down', 1000)).status).toBe(202)
    expect((await line('customer', '我的账户被盗了，有人在盗刷我的卡', 3000)).status).toBe(202)
    expect((await line('agent', '我们保证退款', 5000)).status).toBe(202)
    for (const [i, text] of [
      'this is not good',
      'this is really bad and annoying',
      'this is terrible, I am furious and disgusted',
    ].entries())
      expect((await line('customer', text, 7000 + i * 2000)).status).toBe(202)
    // Only telephony (and admins) post lines.
    expect(
      (
        await api.call('POST', `/v1/live/${session}/utterances`, 'max', {
          speaker: 'agent',
          text: 'x',
          start_ms: 0,
          end_ms: 1,
        })
      ).status,
    ).toBe(403)

    const rules = async () =>
      ((await api.call('GET', `/v1/live/calls/${session}`, 'max')).body.alerts as Array<{ rule: string }>)
        .map((a) => a.rule)
        .sort()
    await expect.poll(rules).toEqual(['conduct', 'forbidden-phrase', 'sentiment-falling', 'urgency-p0'])
    const alert = await sse.next((e) => e.event === 'alert' && e.data.rule === 'urgency-p0')
    expect(alert.data).toMatchObject({ session, severity: 'critical', at_ms: 4500 })

    // A reviewer acknowledges it: audited, and the stream says so.
    const ack = await api.call('POST', `/v1/live/alerts/${alert.data.id}/acknowledge`, 'rita')
    expect(ack.status).toBe(200)
    expect(ack.body.acknowledged_by).toBe(api.userId.rita)
    await sse.next((e) => e.event === 'alert.acknowledged' && e.data.id === alert.data.id)
    const audited = await api.db.query('SELECT 1 FROM audit_log WHERE action = $1 AND entity_id = $2', [
      'live.alert.acknowledge',
      alert.data.id,
    ])
    expect(audited.rows).toHaveLength(1)

    s.ws.send(JSON.stringify({ type: 'stop' }))
    expect((await s.next('stopped')).session).toBe(session)
    const callId = (await api.live?.filed(session)) as number
    expect(callId).toBeGreaterThan(0)
    const filed = (
      await api.db.query<{ duration_ms: number | null; storage_uri: string }>(
        'SELECT storage_uri FROM calls WHERE id = $1',
        [callId],
      )
    ).rows[0]
    expect(filed?.storage_uri).toBeTruthy()
    expect((await api.call('GET', `/v1/calls/${callId}/alerts`, 'a.kim')).body.items).toHaveLength(4)
    expect((await api.call('GET', `/v1/calls/${callId}/alerts`, 'a.sam')).status).toBe(404)
    // Analysed, the call opens a follow-up for its P0 alert: P0, to the fraud team.
    await expect
      .poll(
        async () => (await api.call('GET', `/v1/follow-ups?call_id=${callId}`, 'max')).body.items.length,
        {
          timeout: 60_000,
        },
      )
      .toBe(1)
    const [followUp] = (await api.call('GET', `/v1/follow-ups?call_id=${callId}`, 'max')).body.items
    expect(followUp).toMatchObject({ reason: 'live_alert', urgency: 'P0', team: 'fraud', owner: 'rita' })
    expect(followUp.reasons[0].evidence.alerts.map((a: { rule: string }) => a.rule)).toEqual(['urgency-p0'])
    sse.close()
  })

  test('a bad start, a frame of half a sample, an unknown message: an error and the stream closes', async () => {
    for (const [first, then, reason] of [
      [{ type: 'start', rate: 8000 }, null, /call_id/],
      [{ type: 'start', call_id: 'x-1', rate: 11025 }, null, /rate/],
      [{ type: 'start', call_id: 'x-2', channels: 2 }, Buffer.alloc(3), /whole 16-bit samples/],
      [{ type: 'start', call_id: 'x-3' }, { type: 'dance' }, /unknown message type/],
    ] as const) {
      const s = stream(api.tokens.pbx)
      expect(await s.opened).toBe(101)
      s.ws.send(JSON.stringify(first))
      if (then) s.ws.send(Buffer.isBuffer(then) ? then : JSON.stringify(then))
      const error = await s.next('error')
      expect(String(error.message)).toMatch(reason)
      expect(await s.closed).toBe(1008)
    }
  }, 30_000)
})
