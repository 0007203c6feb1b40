/**
 * Signed audio links and the browser-playable copy, over real HTTP: a link works without a token
 * for exactly its request until it expires; a μ-law recording is served as 16-bit PCM WAV (what
 * browsers play) with the same samples as ffmpeg decodes from the original; FLAC is served as is.
 */
import { execFileSync } from 'node:child_process'
import { readFileSync, rmSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { afterAll, beforeAll, expect, test } from 'vitest'
import { linkSigner } from '../../api/links.js'
import { storagePath } from '../../pipeline/storage.js'
import { samplesDir } from '../../samples/ground-truth.js'
import { type ApiHarness, startApi } from '../helpers/api.js'
import { ffmpegPath } from '../helpers/audio.js'

let api: ApiHarness
let mulaw: number
let flac: number

beforeAll(async () => {
  api = await startApi('api/audio-links', {
    files: ['call-04-phone-dead-air.wav', 'call-01-clean-billing.flac'],
    users: [
      ['rita', 'reviewer'],
      ['a.kim', 'agent'],
      ['a.sam', 'agent'],
      ['ada', 'admin'],
      ['lin', 'reviewer'],
    ],
  })
  mulaw = api.idOf.get('call-04-phone-dead-air.wav') as number
  flac = api.idOf.get('call-01-clean-billing.flac') as number
}, 180_000)
afterAll(async () => api?.close())

const fetchRaw = (url: string, headers: Record<string, string> = {}) =>
  fetch(`${api.base}${url}`, { headers })

/** 16-bit little-endian samples of a decoded file, by ffmpeg, for comparison. */
const pcm = (file: string) =>
  execFileSync(ffmpegPath, ['-v', 'error', '-i', file, '-f', 's16le', '-acodec', 'pcm_s16le', '-'], {
    maxBuffer: 64 << 20,
  })

test('GET /v1/me says who the token belongs to', async () => {
  const res = await api.call('GET', '/v1/me', 'a.kim')
  expect(res.status).toBe(200)
  expect(res.body).toEqual({
    id: api.userId['a.kim'],
    name: 'a.kim',
    role: 'agent',
    agent_id: 'a.kim',
    team: null,
  })
  expect((await api.call('GET', '/v1/me', null)).status).toBe(401)
})

test('a μ-law call plays as 16-bit PCM WAV through a signed link, with Range, no token', async () => {
  const link = await api.call('POST', `/v1/calls/${mulaw}/audio-link`, 'rita', { playable: true })
  expect(link.status).toBe(200)
  expect(link.body.url).toMatch(new RegExp(`^/v1/calls/${mulaw}/audio\\?playable=true&exp=\\d+&u=\\d+&sig=`))
  expect(Date.parse(link.body.expires_at) - Date.now()).toBeGreaterThan(14 * 60_000)

  const whole = await fetchRaw(link.body.url)
  expect(whole.status).toBe(200)
  expect(whole.headers.get('content-type')).toBe('audio/wav')
  const bytes = Buffer.from(await whole.arrayBuffer())
  expect(bytes.toString('ascii', 0, 4)).toBe('RIFF')
  // fmt chunk: PCM (1), 2 channels, 8 kHz, 16 bits.
  expect([
    bytes.readUInt16LE(20),
    bytes.readUInt16LE(22),
    bytes.readUInt32LE(24),
    bytes.readUInt16LE(34),
  ]).toEqual([1, 2, 8000, 16])
  // Same samples as decoding the original recording.
  const original = pcm(path.join(samplesDir, 'call-04-phone-dead-air.wav'))
  const dataAt = bytes.indexOf('data', 36) + 8
  expect(bytes.subarray(dataAt).equals(original)).toBe(true)

  const part = await fetchRaw(link.body.url, { range: 'bytes=100-199' })
  expect(part.status).toBe(206)
  expect(part.headers.get('content-range')).toBe(`bytes 100-199/${bytes.length}`)
  expect(Buffer.from(await part.arrayBuffer()).equals(bytes.subarray(100, 200))).toBe(true)
})

test('a FLAC call is served as it is stored', async () => {
  const link = await api.call('POST', `/v1/calls/${flac}/audio-link`, 'rita', { playable: true })
  const res = await fetchRaw(link.body.url)
  expect(res.headers.get('content-type')).toBe('audio/flac')
  const stored = readFileSync(path.join(samplesDir, 'call-01-clean-billing.flac'))
  expect(Buffer.from(await res.arrayBuffer()).equals(stored)).toBe(true)
})

test('a link is good for its own request only, until it expires, and only as its user may', async () => {
  const { url } = (await api.call('POST', `/v1/calls/${mulaw}/audio-link`, 'a.kim', {})).body as {
    url: string
  }
  expect((await fetchRaw(url)).status).toBe(200)
  const refused = async (u: string) => {
    const res = await fetchRaw(u)
    return [res.status, ((await res.json()) as { error: { code: string } }).error.code]
  }
  // Another call, another variant, another user, a changed signature: all refused.
  expect(await refused(url.replace(`/calls/${mulaw}/`, `/calls/${flac}/`))).toEqual([
    401,
    'QA_ERR_UNAUTHENTICATED',
  ])
  expect(await refused(url.replace('/audio?', '/audio?playable=true&'))).toEqual([
    401,
    'QA_ERR_UNAUTHENTICATED',
  ])
  expect(await refused(url.replace(/&u=\d+/, `&u=${api.userId.rita}`))).toEqual([
    401,
    'QA_ERR_UNAUTHENTICATED',
  ])
  // (its first character changed to one it is not: setting it to a fixed letter left it unchanged
  // one time in 64)
  const tampered = url.replace(
    /sig=(.)(.*)$/,
    (_m, first: string, rest: string) => `sig=${first === 'A' ? 'B' : 'A'}${rest}`,
  )
  expect(tampered).not.toBe(url)
  expect(await refused(tampered)).toEqual([401, 'QA_ERR_UNAUTHENTICATED'])
  // An agent gets no link for another agent's call, and the call stays "not found".
  expect((await api.call('POST', `/v1/calls/${mulaw}/audio-link`, 'a.sam', {})).status).toBe(404)
  // A link only works on the audio route, never as a token for anything else.
  const detail = url.replace('/audio?', '?')
  expect((await fetchRaw(detail)).status).toBe(401)
  // Expiry, checked by the signer itself (the route uses the same code).
  const signer = linkSigner('k', 60)
  const stamp = async () => 'token-hash'
  const signed = signer.sign('/v1/calls/1/audio', 7, 'token-hash', 1_000_000)
  expect(await signer.verify(signed.url, stamp, 1_000_000 + 59_000)).toBe(7)
  expect(await signer.verify(signed.url, stamp, 1_000_000 + 61_000)).toBeUndefined()
  expect(await linkSigner('other', 60).verify(signed.url, stamp, 1_000_000)).toBeUndefined()
  // Signed under another token of the same user: refused.
  expect(await signer.verify(signed.url, async () => 'new-token-hash', 1_000_000)).toBeUndefined()
})

test('a link dies with the token it was minted under: revoked, replaced, or its user disabled', async () => {
  const mint = async () =>
    ((await api.call('POST', `/v1/calls/${mulaw}/audio-link`, 'lin', {})).body as { url: string }).url
  const before = await mint()
  expect((await fetchRaw(before)).status).toBe(200)
  expect((await api.call('DELETE', `/v1/users/${api.userId.lin}/token`, 'ada')).status).toBe(200)
  const revoked = await fetchRaw(before)
  expect(revoked.status).toBe(401)
  // A new token: links minted under the old one stay dead; one minted under the new one works.
  const issued = await api.call('POST', `/v1/users/${api.userId.lin}/token`, 'ada', {})
  expect(issued.status).toBe(201)
  api.tokens.lin = issued.body.token
  expect((await fetchRaw(before)).status).toBe(401)
  const after = await mint()
  expect((await fetchRaw(after)).status).toBe(200)
  // Disabled: the new link stops too.
  expect((await api.call('PATCH', `/v1/users/${api.userId.lin}`, 'ada', { disabled: true })).status).toBe(200)
  expect((await fetchRaw(after)).status).toBe(401)
})

test("the waveform's peaks are the recording's, per channel and slice, for those who may hear it", async () => {
  const res = await api.call('GET', `/v1/calls/${mulaw}/peaks?buckets=100`, 'rita')
  expect(res.status).toBe(200)
  const detail = (await api.call('GET', `/v1/calls/${mulaw}`, 'rita')).body
  expect(Math.abs(res.body.duration_ms - detail.call.duration_ms)).toBeLessThan(50)
  expect(res.body.channels).toHaveLength(2)
  // The same peaks from a whole-file decode by ffmpeg, bucketed here: the streamed computation
  // loses nothing at chunk edges.
  const raw = execFileSync(
    ffmpegPath,
    [
      '-v',
      'error',
      '-i',
      path.join(samplesDir, 'call-04-phone-dead-air.wav'),
      '-ar',
      '8000',
      '-f',
      's16le',
      '-acodec',
      'pcm_s16le',
      '-',
    ],
    { maxBuffer: 64 << 20 },
  )
  const frames = raw.length / 4
  const blocks = Math.ceil(frames / 80)
  for (let c = 0; c < 2; c++) {
    const want = new Array<number>(100).fill(0)
    for (let f = 0; f < frames; f++) {
      const b = Math.min(99, Math.floor((Math.floor(f / 80) * 100) / blocks))
      want[b] = Math.max(want[b] as number, Math.abs(raw.readInt16LE(4 * f + 2 * c)) / 32768)
    }
    const got = res.body.channels[c] as number[]
    expect(got).toHaveLength(100)
    for (let b = 0; b < 100; b++)
      expect(Math.abs((got[b] as number) - (want[b] as number))).toBeLessThan(0.002)
  }
  // The 16-second dead air in the middle of the call is a quiet stretch on both channels.
  const quiet = (res.body.channels as number[][]).map((ch) => ch.filter((p) => p < 0.02).length)
  expect(Math.min(...quiet)).toBeGreaterThan(20)
  // Who may not hear the call may not see its waveform either; a silly size is a 400.
  expect((await api.call('GET', `/v1/calls/${mulaw}/peaks`, 'a.sam')).status).toBe(404)
  expect((await api.call('GET', `/v1/calls/${mulaw}/peaks?buckets=5`, 'rita')).status).toBe(400)
})

test('a recording ffmpeg cannot read any more is a 422 with the reason, not a 500', async () => {
  const { rows } = await api.db.query<{ storage_uri: string }>(
    'SELECT storage_uri FROM calls WHERE id = $1',
    [mulaw],
  )
  const key = rows[0]?.storage_uri as string
  rmSync(storagePath(api.storageDir, key.replace(/\.wav$/, '.play.wav')), { force: true })
  writeFileSync(storagePath(api.storageDir, key), Buffer.alloc(4096, 7))
  const { url } = (await api.call('POST', `/v1/calls/${mulaw}/audio-link`, 'rita', { playable: true })).body
  const res = await fetchRaw(url)
  expect(res.status).toBe(422)
  const body = (await res.json()) as { error: { code: string; message: string } }
  expect(body.error.code).toBe('QA_ERR_AUDIO_DECODE')
  expect(body.error.message).toMatch(/^could not write the playable copy: /)
})
