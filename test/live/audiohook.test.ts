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
      ['root', 'admin'],
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

/** 200 ms of a 1 kHz tone in μ-law, on `channels` channels (what Genesys' test client streams). */
const tone = (channels: number) =>
  Uint8Array.from(
    Array.from(
      { length: 1600 * channels },
      (_, i) => [0xff, 0x0d, 0x06, 0x0d, 0xff, 0x8d, 0x86, 0x8d][Math.floor(i / channels) % 8] as number,
    ),
  )

async function opened(media: Array<{ channels: string[] }>, extra: Record<string, unknown> = {}) {
  const client = new AudiohookClient({ url: wsUrl, apiKey: KEY, secret: SECRET })
  await client.connected()
  client.open(media, extra)
  return { client, opened: await client.next('opened') }
}

/** The server's message answers what the client sent last, and follows the last one it sent. */
function inStep(m: { version: string; id: string; seq: number; clientseq: number }, c: AudiohookClient) {
  expect(m).toMatchObject({ version: '2', id: c.sessionId, seq: c.serverseq, clientseq: c.seq })
}

describe('the protocol, as the AudioHook test suite drives it', () => {
  test.each([
    [[['external', 'internal'], ['external'], ['internal']]],
    [[['internal', 'external'], ['internal'], ['external']]],
    [[['external', 'internal']]],
    [[['external']]],
    [[['internal']]],
  ])('open offering %j: the first offer is selected as offered', async (offer) => {
    const { client, opened: o } = await opened(offer.map((channels) => ({ channels })))
    inStep(o, client)
    expect(o.parameters.media).toEqual([{ type: 'audio', format: 'PCMU', channels: offer[0], rate: 8000 }])
    client.audio(tone((offer[0] as string[]).length), (offer[0] as string[]).length)
    client.send('close', { reason: 'end' })
    inStep(await client.next('closed'), client)
  })

  test('ping, update, discarded, error, a double pause and resume, then close: every answer in step', async () => {
    const { client } = await opened([{ channels: ['external', 'internal'] }])
    client.audio(tone(2), 2)
    const ping = client.send('ping', {})
    expect(await client.next('pong')).toMatchObject({ seq: 2, clientseq: ping })
    client.send('update', { language: 'zh-CN' })
    inStep(await client.next('updated'), client)
    client.send('discarded', { start: 'PT0.2S', discarded: 'PT0.3S' })
    client.send('error', { code: 400, message: 'tough stuff' })
    // Genesys' client says "paused" twice (the source and the session each say it).
    client.send('paused', {})
    client.send('paused', {})
    client.send('ping', { rtt: 'PT0.012S' })
    await client.next('pong')
    client.send('resumed', { start: 'PT0.5S', discarded: 'PT2S' })
    client.audio(tone(2), 2)
    client.send('close', { reason: 'end' })
    inStep(await client.next('closed'), client)
    await expect.poll(() => client.closedCode).toBe(1000)
    const row = (
      await api.db.query<{ stretches: unknown; language: string }>(
        'SELECT stretches, language FROM live_sessions WHERE external_id = $1',
        [client.sessionId],
      )
    ).rows[0]
    expect(row?.stretches).toEqual([
      { kind: 'discarded', start_ms: 200, end_ms: 500 },
      { kind: 'paused', start_ms: 500, end_ms: 2500 },
    ])
  })

  test('a bad message disconnects its own session with the reason; another session streams on', async () => {
    const { client: good } = await opened([{ channels: ['external', 'internal'] }])
    const bad: Array<[string, (c: AudiohookClient) => void, RegExp]> = [
      ['not JSON', (c) => c.ws.send('{oops'), /not JSON/],
      [
        'a skipped seq',
        (c) => {
          c.seq += 1
          c.send('ping', {})
        },
        /seq/,
      ],
      ['an unknown type', (c) => c.send('dance', {}), /not an AudioHook client message/],
      ['half a stereo sample', (c) => c.audio(new Uint8Array(3), 2), /whole samples/],
      ['an oversized frame', (c) => c.audio(new Uint8Array(66_000), 2), /larger than/],
      ['a bad duration', (c) => c.send('discarded', { start: '6 s', discarded: 'PT1S' }), /durations/],
    ]
    for (const [, act, reason] of bad) {
      const { client } = await opened([{ channels: ['external', 'internal'] }])
      act(client)
      const d = await client.next('disconnect')
      expect(d.parameters.reason).toBe('error')
      expect(String(d.parameters.info)).toMatch(reason)
      // The client answers with close; the server closes the session.
      client.send('close', { reason: 'disconnect' })
      await client.next('closed')
      // Meanwhile the good session is served as before.
      good.audio(tone(2), 2)
      const ping = good.send('ping', {})
      expect((await good.next('pong')).clientseq).toBe(ping)
    }
    good.send('close', { reason: 'end' })
    await good.next('closed')
  })

  test('audio before opened is an error; a connection cut mid-call keeps what arrived and files it', async () => {
    const early = new AudiohookClient({ url: wsUrl, apiKey: KEY, secret: SECRET })
    await early.connected()
    early.audio(tone(1), 1)
    expect((await early.next('disconnect')).parameters.info).toMatch(/audio in state preparing/)
    early.ws.terminate()

    const { client } = await opened([{ channels: ['external'] }])
    for (let i = 0; i < 25; i++) client.audio(tone(1), 1)
    await client.drained()
    await new Promise((r) => setTimeout(r, 200))
    client.ws.terminate()
    const row = await expect
      .poll(
        async () =>
          (
            await api.db.query<{ id: number; state: string; audio_ms: number; end_reason: string }>(
              'SELECT id, state, audio_ms, end_reason FROM live_sessions WHERE external_id = $1',
              [client.sessionId],
            )
          ).rows[0],
      )
      .toMatchObject({ end_reason: 'connection lost', audio_ms: 5000 })
    void row
    const id = (
      await api.db.query<{ id: number }>('SELECT id FROM live_sessions WHERE external_id = $1', [
        client.sessionId,
      ])
    ).rows[0]?.id
    const callId = await api.live?.filed(id as number)
    expect(callId).toBeGreaterThan(0)
    const call = (await api.call('GET', `/v1/calls/${callId}`, 'max')).body.call
    expect(call.source_name).toBe(`live-${id}.wav`)
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
    // The operations view: frames, the alert and its latency; admins only; no words or audio.
    expect((await api.call('GET', '/metrics', 'max')).status).toBe(403)
    const scraped = await api.call('GET', '/metrics', 'root')
    expect(scraped.status, JSON.stringify(scraped.body)).toBe(200)
    const metrics = scraped.body as string
    expect(metrics).toMatch(/callqa_live_alerts_total\{rule="dead-air"\} 1/)
    expect(Number(/callqa_live_frames_total (\d+)/.exec(metrics)?.[1])).toBeGreaterThanOrEqual(
      sent.agent.length,
    )
    expect(metrics).toMatch(/callqa_live_alert_latency_seconds_count [1-9]/)
    expect(metrics).toMatch(/callqa_calls\{status="done"\} [1-9]/)
    // The filed call was analysed by this server: counted, and its time in the histogram.
    expect(metrics).toMatch(/callqa_calls_analysed_total\{outcome="done"\} [1-9]/)
    expect(metrics).toMatch(/callqa_analysis_duration_seconds_count [1-9]/)
    expect(metrics).not.toMatch(/billing|a\.kim/)
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
