/**
 * Input that used to become a 500, a hang or a silent change, over real HTTP: NUL bytes in filters
 * and fields, impossible dates, over-long fields, forged cursors, malformed multipart bodies, and a
 * non-audio file served as audio. Each is a 4xx with a message now, and loses nothing.
 */
import { readFileSync } from 'node:fs'
import net from 'node:net'
import { afterAll, beforeAll, expect, test } from 'vitest'
import { type ApiHarness, startApi } from '../helpers/api.js'
import { storageFiles as filesIn, sample } from '../helpers/audio.js'

let api: ApiHarness

beforeAll(async () => {
  api = await startApi('api/inputs', {
    files: ['call-03-mono-delivery.wav'],
    users: [
      ['ada', 'admin'],
      ['max', 'manager'],
    ],
    processor: true,
  })
}, 180_000)
afterAll(async () => api?.close())

const storageFiles = () => filesIn(api.storageDir)
const callCount = async () => (await api.db.query('SELECT id FROM calls')).rows.length

async function upload(fields: Record<string, string>, fileName = 'fresh.wav', bytes?: Buffer) {
  const body = new FormData()
  for (const [k, v] of Object.entries(fields)) body.append(k, v)
  // A copy with one byte changed at the end: its own recording (its own sha256).
  const audio =
    bytes ??
    Buffer.concat([readFileSync(sample('call-07-phone-outbound.wav')), Buffer.from([Date.now() % 251])])
  body.append('file', new Blob([audio]), fileName)
  const res = await fetch(`${api.base}/v1/calls`, {
    method: 'POST',
    headers: { authorization: `Bearer ${api.tokens.ada}` },
    body,
  })
  // biome-ignore lint/suspicious/noExplicitAny: checked field by field
  return { status: res.status, body: (await res.json()) as any }
}

test('a NUL byte in a filter, a path, a JSON body or an upload field is a 400 that says where', async () => {
  for (const url of [
    '/v1/calls?agent=a%00b',
    '/v1/calls?team=x%00',
    '/v1/trends?from=2026-01-01T00:00:00Z&to=2027-01-01T00:00:00Z&agent=%00',
  ]) {
    const res = await api.call('GET', url, 'max')
    expect(res.status, url).toBe(400)
    expect(res.body.error.message, url).toMatch(/NUL/)
  }
  const body = await api.call('POST', '/v1/users', 'ada', { name: 'x\u0000y', role: 'agent' })
  expect(body.status).toBe(400)
  const before = { calls: await callCount(), files: storageFiles() }
  const field = await upload({ agent: 'a.\u0000kim' })
  expect(field.status).toBe(400)
  expect(field.body.error.message).toMatch(/control character/)
  // Nothing half-kept: no call row, no recording, no temporary file.
  expect({ calls: await callCount(), files: storageFiles() }).toEqual(before)
})

test('dates must be real ISO 8601: no rolling 31 February into March, no US dates, no six-digit years', async () => {
  const before = { calls: await callCount(), files: storageFiles() }
  for (const started of [
    '2026-02-31T10:00:00Z',
    '03/04/2026 10:00',
    '+012345-01-01T00:00:00Z',
    '2026-13-01',
  ]) {
    const res = await upload({ started_at: started })
    expect(res.status, started).toBe(400)
    expect(res.body.error.message, started).toMatch(/started_at must be a real ISO 8601 date-time/)
  }
  for (const from of ['2026-02-31T00:00:00Z', '2026-02-30']) {
    const res = await api.call('GET', `/v1/calls?from=${encodeURIComponent(from)}`, 'max')
    expect(res.status, from).toBe(400)
  }
  expect({ calls: await callCount(), files: storageFiles() }).toEqual(before)
})

test('an over-long field is refused up front, never cut', async () => {
  const before = { calls: await callCount(), files: storageFiles() }
  const long = await upload({ team: 'x'.repeat(20_000) })
  expect(long.status).toBe(400)
  expect(long.body.error.message).toMatch(/longer than 10,000 bytes/)
  const overField = await upload({ team: 't'.repeat(500) })
  expect(overField.status).toBe(400)
  expect(overField.body.error.message).toMatch(/team is 500 characters long; at most 200/)
  const name = await upload({}, `${'n'.repeat(300)}.wav`)
  expect(name.status).toBe(400)
  expect({ calls: await callCount(), files: storageFiles() }).toEqual(before)
})

test('a forged pagination cursor is a 400', async () => {
  const forge = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url')
  for (const cursor of [
    forge(['not a date', 1]),
    forge(['2026-01-01T00:00:00.000000Z', 1e300]),
    forge(['2026-02-31T00:00:00.000000Z', 1]),
    forge(['2026-01-01T00:00:00.000000Z\u0000', 1]),
    'garbage!!',
  ]) {
    const res = await api.call('GET', `/v1/calls?cursor=${encodeURIComponent(cursor)}`, 'max')
    expect(res.status, cursor).toBe(400)
  }
})

/**
 * A raw HTTP request (the multipart cases fetch cannot send), with a deadline. Like curl, it counts
 * as answered once the whole body has been sent and the answer read: a server that answers but
 * stops reading the body leaves the client stuck sending.
 */
function rawRequest(
  head: string,
  body: Buffer,
  timeoutMs = 10_000,
): Promise<{ status: number; text: string }> {
  const url = new URL(api.base)
  return new Promise((resolve, reject) => {
    const socket = net.createConnection(Number(url.port), url.hostname)
    let data = ''
    const timer = setTimeout(() => {
      socket.destroy()
      reject(
        new Error(
          `no answer within ${timeoutMs} ms (sent: ${sent}, got: ${JSON.stringify(data.slice(0, 200))})`,
        ),
      )
    }, timeoutMs)
    let sent = false
    const settle = () => {
      const m = /^HTTP\/1\.1 (\d{3})/.exec(data)
      if (sent && m && /\r\n\r\n/.test(data)) {
        clearTimeout(timer)
        socket.destroy()
        resolve({ status: Number(m[1]), text: data })
      }
    }
    socket.on('data', (d) => {
      data += d.toString('latin1')
      settle()
    })
    socket.on('error', (err) => {
      clearTimeout(timer)
      if (data) resolve({ status: Number(/^HTTP\/1\.1 (\d{3})/.exec(data)?.[1]), text: data })
      else reject(err)
    })
    socket.write(`${head}Content-Length: ${body.length}\r\nAuthorization: Bearer ${api.tokens.ada}\r\n\r\n`)
    socket.write(body, () => {
      sent = true
      settle()
    })
  })
}

test('malformed multipart gets a 400 at once, and leaves no temporary file', async () => {
  // 16 MB: more than the sockets between client and server buffer.
  const audio = Buffer.concat(
    Array.from({ length: 40 }, () => readFileSync(sample('call-03-mono-delivery.wav'))),
  ).subarray(0, 16 * 2 ** 20)
  const boundary = 'XyZzy'
  const bodies = [
    // a part without a form-data disposition
    `--${boundary}\r\nContent-Type: audio/wav\r\n\r\n`,
    // a newline inside the file name
    `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="a\nb.wav"\r\nContent-Type: audio/wav\r\n\r\n`,
    // another disposition
    `--${boundary}\r\nContent-Disposition: attachment; name="file"; filename="x.wav"\r\n\r\n`,
  ]
  const before = { calls: await callCount(), files: storageFiles() }
  for (const start of bodies) {
    const body = Buffer.concat([Buffer.from(start), audio, Buffer.from(`\r\n--${boundary}--\r\n`)])
    const res = await rawRequest(
      `POST /v1/calls HTTP/1.1\r\nHost: x\r\nContent-Type: multipart/form-data; boundary=${boundary}\r\nConnection: close\r\n`,
      body,
    )
    expect(res.status, JSON.stringify(start)).toBe(400)
  }
  expect({ calls: await callCount(), files: storageFiles() }).toEqual(before)
})

test('a stored file that did not decode as audio is never served as audio', async () => {
  const text = Buffer.from('root:x:0:0:root:/root:/bin/bash\n'.repeat(50))
  const res = await upload({}, 'passwd.wav', text)
  expect(res.status).toBe(202)
  const id = res.body.call_id
  await expect
    .poll(async () => (await api.call('GET', `/v1/calls/${id}`, 'max')).body.call.status)
    .toBe('failed')
  const audio = await fetch(`${api.base}/v1/calls/${id}/audio`, {
    headers: { authorization: `Bearer ${api.tokens.max}` },
  })
  expect(audio.status).toBe(409)
  expect(await audio.text()).not.toContain('root:x:0:0')
})
