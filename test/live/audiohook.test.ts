/**
 * Genesys AudioHook over a real WebSocket, with a client written from the protocol
 * (audiohook-client.ts): refused before any audio without a known key and a valid signature; a
 * real-speech call streamed faster than real time, with a pause, discarded audio, ping, update and
 * close; the dead air in it raised as an alert at its moment, the pause never counted; the stored
 * recording equal to what was sent, sample for sample; the call filed and analysed once.
 */

import { randomBytes, randomUUID } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { MULAW_TO_PCM16 } from '../../media/g711.js'
import { realSpeechUnavailable } from '../../samples/real-speech.js'
import { type ApiHarness, startApi } from '../helpers/api.js'
import { AudiohookClient } from './audiohook-client.js'
import { type TelephoneCall, telephoneCall } from './real-call.js'
import { SseReader } from './sse.js'

const KEY = 'callqa-test-key'
const SECRET = randomBytes(32)
const UNSIGNED_KEY = 'unsigned-key'
const skip = realSpeechUnavailable()

let api: ApiHarness
let wsUrl: string
let call: TelephoneCall

beforeAll(async () => {
  api = await startApi('live/audiohook', {
    files: [],
    users: [
      ['max', 'manager'],
      ['a.kim', 'agent'],
    ],
    processor: true,
    live: {
      audiohookKeys: new Map([
        [KEY, SECRET],
        [UNSIGNED_KEY, Buffer.alloc(0)],
      ]),
    },
  })
  wsUrl = `${api.base.replace('http', 'ws')}/v1/live/audiohook`
  if (!skip) call = await telephoneCall(60, 12)
}, 180_000)
afterAll(async () => {
  await api?.close()
})

describe('refused before any audio', () => {
  const status = async (c: AudiohookClient) =>
    c.connected().then(
      () => 101,
      (err: { status?: number }) => err.status,
    )
  test('no key, an unknown key, a missing or wrong signature, a forged header: 401', async () => {
    expect(await status(new AudiohookClient({ url: wsUrl, apiKey: 'nobody' }))).toBe(401)
    expect(await status(new AudiohookClient({ url: wsUrl, apiKey: KEY }))).toBe(401)
    expect(await status(new AudiohookClient({ url: wsUrl, apiKey: KEY, secret: randomBytes(32) }))).toBe(401)
    const forged = new AudiohookClient({
      url: wsUrl,
      apiKey: KEY,
      secret: SECRET,
      tamper: (h) => {
        h['Audiohook-Session-Id'] = randomUUID()
      },
    })
    expect(await status(forged)).toBe(401)
    const ok = new AudiohookClient({ url: wsUrl, apiKey: KEY, secret: SECRET })
    expect(await status(ok)).toBe(101)
    ok.ws.close()
    const unsigned = new AudiohookClient({ url: wsUrl, apiKey: UNSIGNED_KEY })
    expect(await status(unsigned)).toBe(101)
    unsigned.ws.close()
  })
})

describe.skipIf(skip)('a real-speech call', () => {
  test('streamed with a pause: dead air raised at its moment, the pause not counted, the recording exact, filed once', async () => {
    const sse = new SseReader(`${api.base}/v1/live/events`, { authorization: `Bearer ${api.tokens.max}` })
    await sse.ready
    expect(sse.status).toBe(200)
    expect(sse.contentType).toMatch(/^text\/event-stream/)
    const client = new AudiohookClient({ url: wsUrl, apiKey: KEY, secret: SECRET })
    await client.connected()
    // Stereo first, then each party alone: the server takes the first it can.
    client.open(
      [{ channels: ['external', 'internal'] }, { channels: ['external'] }, { channels: ['internal'] }],
      {
        customConfig: { agent: 'a.kim', queue: 'billing' },
      },
    )
    const opened = await client.next('opened')
    expect(opened).toMatchObject({ version: '2', id: client.sessionId, seq: 1, clientseq: 1 })
    expect(opened.parameters.media).toEqual([
      { type: 'audio', format: 'PCMU', channels: ['external', 'internal'], rate: 8000 },
    ])
    const pingSeq = client.send('ping', {})
    const pong = await client.next('pong')
    expect(pong).toMatchObject({ clientseq: pingSeq, seq: 2 })

    // 20 ms frames, customer (external) then agent (internal) interleaved; a 10 s pause at 20 s.
    const frame = 160
    const pauseAt = 20 * 8000
    const sent = { agent: [] as number[], customer: [] as number[] }
    let pos = 0
    while (pos < call.agent.length) {
      if (pos === pauseAt) {
        client.send('paused', {})
        client.send('resumed', { start: `PT${pos / 8000}S`, discarded: 'PT10S' })
        for (let i = 0; i < 80_000; i++) {
          sent.agent.push(0)
          sent.customer.push(0)
        }
      }
      const n = Math.min(frame, call.agent.length - pos)
      const bytes = new Uint8Array(n * 2)
      for (let i = 0; i < n; i++) {
        bytes[2 * i] = call.customer[pos + i] as number
        bytes[2 * i + 1] = call.agent[pos + i] as number
        sent.agent.push(MULAW_TO_PCM16[call.agent[pos + i] as number] as number)
        sent.customer.push(MULAW_TO_PCM16[call.customer[pos + i] as number] as number)
      }
      client.audio(bytes, 2)
      pos += n
      if (pos % 8000 === 0) await client.drained()
    }
    client.send('update', { language: 'en-GB' })
    await client.next('updated')
    client.send('close', { reason: 'end' })
    const closed = await client.next('closed', 30_000)
    expect(closed.clientseq).toBe(client.seq)

    const session = (await api.call('GET', '/v1/live/calls?all=1', 'max')).body
    expect(session.items ?? []).toEqual([])
    const row = (
      await api.db.query<{
        id: number
        state: string
        call_id: number | null
        stretches: unknown
        audio_ms: number
      }>('SELECT id, state, call_id, stretches, audio_ms FROM live_sessions WHERE external_id = $1', [
        client.sessionId,
      ])
    ).rows[0]
    expect(row).toBeDefined()
    const callId = (await api.live?.filed(row?.id as number)) as number
    expect(callId).toBeGreaterThan(0)
    const detail = (await api.call('GET', `/v1/live/calls/${row?.id}`, 'max')).body
    // The pause: 10 s at 20 s, marked, and never dead air.
    expect(detail.stretches).toEqual([{ kind: 'paused', start_ms: 20_000, end_ms: 30_000 }])
    const deadAir = detail.alerts.filter((a: { rule: string }) => a.rule === 'dead-air')
    expect(deadAir).toHaveLength(1)
    // The spliced silence is after the pause point: its times move by the 10 s pause.
    const shift = call.silence.atMs >= 20_000 ? 10_000 : 0
    const expectedStart = call.silence.lastSpeechEndMs + shift
    expect(Math.abs(deadAir[0].evidence.start_ms - expectedStart)).toBeLessThan(400)
    expect(Math.abs(deadAir[0].at_ms - (expectedStart + 10_000))).toBeLessThan(400)

    // The supervisors' stream said so: the call started, the alert with its rule and position, the end.
    const started = await sse.next((e) => e.event === 'call.started' && e.data.session === row?.id)
    expect(started.data.call).toMatchObject({ agent_id: 'a.kim', queue: 'billing', protocol: 'audiohook' })
    const alert = await sse.next((e) => e.event === 'alert' && e.data.session === row?.id)
    expect(alert.data).toMatchObject({ rule: 'dead-air', at_ms: deadAir[0].at_ms, id: deadAir[0].id })
    await sse.next((e) => e.event === 'call.filed' && e.data.call_id === callId)
    sse.close()

    // The recording: what was sent, sample for sample (agent left, customer right).
    const stored = await api.db.query<{ storage_uri: string }>(
      'SELECT storage_uri FROM calls WHERE id = $1',
      [callId],
    )
    const wav = await readFile(`${api.storageDir}/${stored.rows[0]?.storage_uri}`)
    const data = new Int16Array(wav.buffer.slice(wav.byteOffset + 44, wav.byteOffset + wav.length))
    expect(data.length).toBe(sent.agent.length * 2)
    let mismatches = 0
    for (let i = 0; i < sent.agent.length; i++)
      if (data[2 * i] !== sent.agent[i] || data[2 * i + 1] !== sent.customer[i]) mismatches++
    expect(mismatches).toBe(0)

    // Analysed once, like any call: the alerts are the call's; live and batch figures agree.
    await expect
      .poll(async () => (await api.call('GET', `/v1/calls/${callId}`, 'max')).body.call.status, {
        timeout: 60_000,
      })
      .toBe('done')
    const filed = (await api.call('GET', `/v1/calls/${callId}`, 'max')).body
    expect(filed.call).toMatchObject({ agent_id: 'a.kim', queue: 'billing' })
    const once = await api.db.query<{ attempts: number }>('SELECT attempts FROM calls WHERE id = $1', [
      callId,
    ])
    expect(once.rows[0]?.attempts).toBe(1)
    expect(
      (await api.call('GET', `/v1/calls/${callId}/alerts`, 'max')).body.items.map(
        (a: { rule: string }) => a.rule,
      ),
    ).toEqual(['dead-air'])
    const figures = (
      await api.db.query<{
        figures: { talk_ms: Record<string, number>; dead_air: Array<{ start_ms: number; end_ms: number }> }
      }>('SELECT figures FROM live_sessions WHERE id = $1', [row?.id])
    ).rows[0]?.figures
    const m = filed.metrics
    for (const [party, batch] of [
      ['agent', m.agent_talk_ms],
      ['customer', m.customer_talk_ms],
    ] as const)
      expect(Math.abs((figures?.talk_ms[party] as number) - batch) / batch).toBeLessThan(0.02)
    // The same dead air: the batch finds the stretch the live rule raised, and not the pause.
    const batchDeadAir = m.dead_air_episodes as Array<{ startMs: number; endMs: number }>
    expect(batchDeadAir).toHaveLength(1)
    expect(
      Math.abs((batchDeadAir[0]?.startMs as number) - (figures?.dead_air[0]?.start_ms as number)),
    ).toBeLessThan(250)
    expect(
      Math.abs((batchDeadAir[0]?.endMs as number) - (figures?.dead_air[0]?.end_ms as number)),
    ).toBeLessThan(250)
  }, 120_000)
})
