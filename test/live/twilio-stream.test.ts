/**
 * Twilio Media Streams over a real WebSocket: the request signed as Twilio signs it (X-Twilio-
 * Signature computed by Twilio's own helper library), then the messages of Twilio's reference —
 * connected, start (tracks, customParameters, μ-law 8 kHz), media per track with timestamps, dtmf,
 * mark, stop — carrying a real-speech call; the tracks aligned by timestamp into one recording,
 * the call's metadata from customParameters, a late track kept in place, filed as a call.
 */
import { randomUUID } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import twilio from 'twilio'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import WebSocket from 'ws'
import { MULAW_TO_PCM16 } from '../../media/g711.js'
import { realSpeechUnavailable } from '../../samples/real-speech.js'
import { type ApiHarness, startApi } from '../helpers/api.js'
import { type TelephoneCall, telephoneCall } from './real-call.js'

const TOKEN = 'twilio-auth-token-for-tests'
const skip = realSpeechUnavailable()
let api: ApiHarness
let call: TelephoneCall

beforeAll(async () => {
  api = await startApi('live/twilio', {
    files: [],
    users: [['max', 'manager']],
    processor: true,
    live: { twilioAuthToken: TOKEN },
  })
  if (!skip) call = await telephoneCall(30, 0, 1)
}, 180_000)
afterAll(async () => {
  await api?.close()
})

function connect(signWith = TOKEN, query = '?tenant=a'): { ws: WebSocket; opened: Promise<number> } {
  const url = `${api.base.replace('http', 'ws')}/v1/live/twilio${query}`
  const signature = twilio.getExpectedTwilioSignature(signWith, url, {})
  const ws = new WebSocket(url, { headers: { 'X-Twilio-Signature': signature } })
  const opened = new Promise<number>((resolve) => {
    ws.once('open', () => resolve(101))
    ws.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0))
  })
  return { ws, opened }
}

describe('Twilio Media Streams', () => {
  test('an unsigned or wrongly signed request is refused before any audio', async () => {
    const unsigned = new WebSocket(`${api.base.replace('http', 'ws')}/v1/live/twilio`)
    expect(
      await new Promise((resolve) =>
        unsigned.once('unexpected-response', (_req, res) => resolve(res.statusCode)),
      ),
    ).toBe(401)
    expect(await connect('another-token').opened).toBe(401)
    const ok = connect()
    expect(await ok.opened).toBe(101)
    ok.ws.close()
  })

  test.skipIf(skip)(
    'a call streamed per track: aligned by timestamp, metadata from customParameters, filed',
    async () => {
      const { ws, opened } = connect()
      expect(await opened).toBe(101)
      const streamSid = `MZ${randomUUID().replace(/-/g, '')}`
      const callSid = `CA${randomUUID().replace(/-/g, '')}`
      let seq = 0
      const send = (m: Record<string, unknown>) =>
        ws.send(JSON.stringify({ ...m, sequenceNumber: String(++seq), streamSid }))
      ws.send(JSON.stringify({ event: 'connected', protocol: 'Call', version: '1.0.0' }))
      send({
        event: 'start',
        start: {
          accountSid: 'AC0123',
          streamSid,
          callSid,
          tracks: ['inbound', 'outbound'],
          customParameters: { agent: 'a.kim', queue: 'billing', language: 'en', customer_id: 'C-42' },
          mediaFormat: { encoding: 'audio/x-mulaw', sampleRate: 8000, channels: 1 },
        },
      })
      // 20 ms chunks per track; the outbound (agent) track's first second arrives after the
      // inbound's second second — out of step, as tracks are.
      const chunk = 160
      const total = call.agent.length
      const media = (track: 'inbound' | 'outbound', at: number) => {
        const bytes = (track === 'inbound' ? call.customer : call.agent).subarray(at, at + chunk)
        send({
          event: 'media',
          media: {
            track,
            chunk: String(at / chunk + 1),
            timestamp: String((at * 1000) / 8000),
            payload: Buffer.from(bytes).toString('base64'),
          },
        })
      }
      for (let at = 0; at < 16_000; at += chunk) media('inbound', at)
      for (let at = 0; at < 16_000; at += chunk) media('outbound', at)
      send({ event: 'dtmf', dtmf: { track: 'inbound_track', digit: '5' } })
      for (let at = 16_000; at < total - (total % chunk); at += chunk) {
        media('inbound', at)
        media('outbound', at)
      }
      send({ event: 'mark', mark: { name: 'greeting' } })
      send({ event: 'stop', stop: { accountSid: 'AC0123', callSid } })
      await new Promise((resolve) => ws.once('close', resolve))

      const row = await expect
        .poll(
          async () =>
            (
              await api.db.query<{
                id: number
                state: string
                agent_id: string
                queue: string
                metadata: Record<string, unknown>
              }>('SELECT id, state, agent_id, queue, metadata FROM live_sessions WHERE external_id = $1', [
                streamSid,
              ])
            ).rows[0],
        )
        .toMatchObject({ agent_id: 'a.kim', queue: 'billing' })
      void row
      const session = (
        await api.db.query<{ id: number; metadata: Record<string, unknown> }>(
          'SELECT id, metadata FROM live_sessions WHERE external_id = $1',
          [streamSid],
        )
      ).rows[0]
      // The customer's id goes to its column, not into what the API shows.
      expect(JSON.stringify(session?.metadata)).not.toContain('C-42')
      const callId = (await api.live?.filed(session?.id as number)) as number
      const stored = (
        await api.db.query<{ storage_uri: string; customer_id: string; agent_id: string }>(
          'SELECT storage_uri, customer_id, agent_id FROM calls WHERE id = $1',
          [callId],
        )
      ).rows[0]
      expect(stored).toMatchObject({ customer_id: 'C-42', agent_id: 'a.kim' })
      const wav = await readFile(`${api.storageDir}/${stored?.storage_uri}`)
      const data = new Int16Array(wav.buffer.slice(wav.byteOffset + 44, wav.byteOffset + wav.length))
      const frames = total - (total % chunk)
      expect(data.length).toBe(frames * 2)
      let mismatches = 0
      for (let i = 0; i < frames; i++)
        if (
          data[2 * i] !== MULAW_TO_PCM16[call.agent[i] as number] ||
          data[2 * i + 1] !== MULAW_TO_PCM16[call.customer[i] as number]
        )
          mismatches++
      expect(mismatches).toBe(0)
    },
    60_000,
  )

  test("Twilio's real-time transcription callbacks feed the live call's words: signed, final lines only", async () => {
    const { ws, opened } = connect()
    expect(await opened).toBe(101)
    const streamSid = `MZ${randomUUID().replace(/-/g, '')}`
    const callSid = `CA${randomUUID().replace(/-/g, '')}`
    ws.send(JSON.stringify({ event: 'connected', protocol: 'Call', version: '1.0.0' }))
    ws.send(
      JSON.stringify({
        event: 'start',
        sequenceNumber: '1',
        streamSid,
        start: {
          streamSid,
          callSid,
          tracks: ['inbound', 'outbound'],
          customParameters: {},
          mediaFormat: { encoding: 'audio/x-mulaw', sampleRate: 8000, channels: 1 },
        },
      }),
    )
    await expect
      .poll(
        async () =>
          (await api.db.query('SELECT id FROM live_sessions WHERE external_id = $1', [streamSid])).rows
            .length,
      )
      .toBe(1)
    const session = (
      await api.db.query<{ id: number }>('SELECT id FROM live_sessions WHERE external_id = $1', [streamSid])
    ).rows[0]?.id
    const url = `${api.base}/v1/live/twilio/transcriptions`
    const post = (params: Record<string, string>, token = TOKEN) =>
      fetch(url, {
        method: 'POST',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          'x-twilio-signature': twilio.getExpectedTwilioSignature(token, url, params),
        },
        body: new URLSearchParams(params),
      })
    const line = (final: string, text: string) => ({
      AccountSid: 'AC0123',
      CallSid: callSid,
      TranscriptionSid: 'GT0123',
      TranscriptionEvent: 'transcription-content',
      LanguageCode: 'en-US',
      Track: 'inbound_track',
      TranscriptionData: JSON.stringify({ transcript: text, confidence: 0.93 }),
      Timestamp: new Date().toISOString(),
      Final: final,
      SequenceId: '1',
    })
    expect((await post(line('true', 'this is fraud'), 'wrong-token')).status).toBe(401)
    expect(await (await post(line('false', 'this is fra'))).json()).toEqual({ taken: false })
    expect(await (await post(line('true', 'someone used my card, this is fraud'))).json()).toEqual({
      taken: true,
    })
    const alerts = (await api.call('GET', `/v1/live/calls/${session}`, 'max')).body.alerts as Array<{
      rule: string
      evidence: { text: string }
    }>
    expect(alerts.map((a) => a.rule)).toEqual(['urgency-p0'])
    expect(alerts[0]?.evidence.text).toBe('fraud')
    ws.send(JSON.stringify({ event: 'stop', sequenceNumber: '2', streamSid, stop: { callSid } }))
    await new Promise((resolve) => ws.once('close', resolve))
  })

  test('a stream that breaks the protocol is closed with the reason, keeping nothing it did not send', async () => {
    const { ws, opened } = connect()
    expect(await opened).toBe(101)
    ws.send(JSON.stringify({ event: 'media', media: { track: 'inbound', payload: 'AAAA' } }))
    const [code, reason] = await new Promise<[number, string]>((resolve) =>
      ws.once('close', (c, r) => resolve([c, String(r)])),
    )
    expect(code).toBe(1008)
    expect(reason).toMatch(/media before start/)
  })
})
