/** Uploads and swaps over real HTTP: streamed to storage, size limit, bad input loses nothing, analysis. */
import { readFileSync } from 'node:fs'
import path from 'node:path'
import { afterAll, beforeAll, expect, test } from 'vitest'
import { type ApiHarness, startApi } from '../helpers/api.js'
import { storageFiles as filesIn, sample } from '../helpers/audio.js'

let api: ApiHarness
const LIMIT = 900_000

beforeAll(async () => {
  api = await startApi('api/uploads', {
    files: ['call-03-mono-delivery.wav'],
    users: [
      ['ada', 'admin'],
      ['max', 'manager'],
      ['rita', 'reviewer'],
      ['tom', 'trainer'],
      ['a.kim', 'agent'],
    ],
    processor: true,
    serverOptions: { maxUploadBytes: LIMIT },
  })
}, 180_000)
afterAll(async () => api?.close())

function form(file: string | null, fields: Record<string, string> = {}, bytes?: Buffer) {
  const body = new FormData()
  for (const [k, v] of Object.entries(fields)) body.append(k, v)
  if (file) body.append('file', new Blob([bytes ?? readFileSync(sample(file))]), file)
  return body
}
async function upload(who: string | null, body: FormData | string) {
  const res = await fetch(`${api.base}/v1/calls`, {
    method: 'POST',
    headers: {
      ...(who ? { authorization: `Bearer ${api.tokens[who]}` } : {}),
      ...(typeof body === 'string' ? { 'content-type': 'application/json' } : {}),
    },
    body,
  })
  // biome-ignore lint/suspicious/noExplicitAny: checked field by field
  return { status: res.status, body: (await res.json()) as any }
}
const storageFiles = () => filesIn(api.storageDir)
const callCount = async () => (await api.db.query('SELECT id FROM calls')).rows.length

const meta = {
  external_id: 'UP-1',
  started_at: '2026-11-20T10:00:00Z',
  agent: 'a.kim',
  team: 'billing-east',
  queue: 'billing',
  direction: 'inbound',
  csat: '4',
  language: 'en',
  layout: 'stereo-agent-left',
}

test('only admins and managers upload', async () => {
  expect((await upload(null, form('call-02-phone-password.wav'))).status).toBe(401)
  for (const who of ['rita', 'tom', 'a.kim'])
    expect((await upload(who, form('call-02-phone-password.wav'))).status, who).toBe(403)
})

test('bad uploads are 4xx with a message, and leave no call and no file behind', async () => {
  const before = { files: storageFiles(), calls: await callCount() }
  const cases: Array<[FormData | string, number, RegExp]> = [
    ['{"file": "x"}', 400, /multipart/],
    [form(null, meta), 400, /no "file" part/],
    [
      form('call-02-phone-password.wav', { ...meta, direction: 'sideways' }),
      400,
      /direction must be inbound or outbound/,
    ],
    [form('call-02-phone-password.wav', { ...meta, csat: '9' }), 400, /csat must be an integer from 1 to 5/],
    [
      form('call-02-phone-password.wav', { ...meta, transcript: '/etc/passwd' }),
      400,
      /"transcript" is not accepted/,
    ],
    [form('call-02-phone-password.wav', { ...meta, colour: 'red' }), 400, /unknown field "colour"/],
    [form('call-02-phone-password.wav', { ...meta, layout: 'upside-down' }), 400, /layout must be one of/],
    [form('empty.wav', meta, Buffer.alloc(0)), 400, /empty/],
    // call-06 is 935,792 bytes: over the 900,000-byte limit of this server.
    [form('call-06-phone-angry.wav', meta), 413, /larger than 900000 bytes/],
  ]
  for (const [body, status, message] of cases) {
    const res = await upload('max', body)
    expect(res.status, String(message)).toBe(status)
    expect(res.body.error.message).toMatch(message)
  }
  const two = form('call-02-phone-password.wav', meta)
  two.append('file', new Blob([Buffer.from('second')]), 'again.wav')
  expect((await upload('max', two)).status).toBe(400)
  expect({ files: storageFiles(), calls: await callCount() }).toEqual(before)
})

test('an upload is stored byte for byte, queued, analysed, and audited; the same recording again is a duplicate', async () => {
  const res = await upload('max', form('call-02-phone-password.wav', meta))
  expect(res.status).toBe(202)
  expect(res.body).toMatchObject({ status: 'queued', duplicate: false })
  const id = res.body.call_id
  expect(res.body.location).toBe(`/v1/calls/${id}`)
  await api.processor?.idle()
  const detail = await api.call('GET', `/v1/calls/${id}`, 'max')
  expect(detail.body.call).toMatchObject({
    status: 'done',
    source_name: 'call-02-phone-password.wav',
    external_id: 'UP-1',
    agent_id: 'a.kim',
    team: 'billing-east',
    csat: 4,
    direction: 'inbound',
    channel_layout: 'stereo-agent-left',
  })
  expect(detail.body.call.started_at).toBe('2026-11-20T10:00:00.000Z')
  // Analysed like an ingested call: segments on both channels, metrics.
  expect(detail.body.segments.some((s: { speaker: string }) => s.speaker === 'agent')).toBe(true)
  expect(detail.body.segments.some((s: { speaker: string }) => s.speaker === 'customer')).toBe(true)
  expect(detail.body.metrics.duration_ms).toBeGreaterThan(40_000)
  const audio = await fetch(`${api.base}/v1/calls/${id}/audio`, {
    headers: { authorization: `Bearer ${api.tokens.max}` },
  })
  expect(
    Buffer.from(await audio.arrayBuffer()).equals(readFileSync(sample('call-02-phone-password.wav'))),
  ).toBe(true)
  const log = await api.db.query<{ action: string; after: { bytes: number } }>(
    "SELECT action, after FROM audit_log WHERE entity = 'call' AND entity_id = $1",
    [id],
  )
  expect(log.rows).toEqual([{ action: 'call.upload', after: expect.objectContaining({ bytes: 850_162 }) }])
  expect(storageFiles().tmp).toBe(0)

  const again = await upload('ada', form('call-02-phone-password.wav', { external_id: 'UP-2' }))
  expect(again.status).toBe(200)
  expect(again.body).toMatchObject({ call_id: id, duplicate: true, status: 'done' })
})

test('a corrupt recording is accepted, then fails with a reason; the next upload still works', async () => {
  const junk = Buffer.concat([Buffer.from('RIFF'), Buffer.alloc(4000, 7)])
  const res = await upload('max', form('broken.wav', {}, junk))
  expect(res.status).toBe(202)
  const next = await upload('max', form('call-05-phone-overtalk.wav', { direction: 'inbound' }))
  expect(next.status).toBe(202)
  await api.processor?.idle()
  const broken = await api.call('GET', `/v1/calls/${res.body.call_id}`, 'max')
  expect(broken.body.call.status).toBe('failed')
  expect(broken.body.call.error_code).toMatch(/^QA_ERR_/)
  expect(broken.body.call.error_message).toMatch(/broken\.wav/)
  expect((await api.call('GET', `/v1/calls/${next.body.call_id}`, 'max')).body.call.status).toBe('done')
})

test('swap: agent and customer change places and the call is analysed again', async () => {
  const id = (await api.db.query<{ id: number }>("SELECT id FROM calls WHERE external_id = 'UP-1'")).rows[0]
    ?.id as number
  const before = (await api.call('GET', `/v1/calls/${id}`, 'rita')).body
  expect((await api.call('POST', `/v1/calls/${id}/swap`, 'tom')).status).toBe(403)
  expect((await api.call('POST', '/v1/calls/987654/swap', 'rita')).status).toBe(404)
  const res = await api.call('POST', `/v1/calls/${id}/swap`, 'rita')
  expect(res.status).toBe(202)
  // While it runs (a 50-s call takes hundreds of ms; this asks at once), a second swap is refused.
  const second = await api.call('POST', `/v1/calls/${id}/swap`, 'rita')
  expect(second.status).toBe(409)
  expect(second.body.error.message).toMatch(/swap it once it has finished/)
  await api.processor?.idle()
  const after = (await api.call('GET', `/v1/calls/${id}`, 'rita')).body
  expect(after.call).toMatchObject({ status: 'done', speakers_swapped: !before.call.speakers_swapped })
  expect(after.metrics.agent_talk_ms).toBe(before.metrics.customer_talk_ms)
  expect(after.metrics.customer_talk_ms).toBe(before.metrics.agent_talk_ms)
  const log = await api.db.query<{ action: string }>(
    "SELECT action FROM audit_log WHERE entity = 'call' AND entity_id = $1 AND action = 'call.swap'",
    [id],
  )
  expect(log.rows.length).toBe(1)
})

test('calls a stopped server left unfinished are resumed, a swap still as a swap', async () => {
  const { resumeInterrupted } = await import('../../pipeline/processor.js')
  const id = (await api.db.query<{ id: number }>("SELECT id FROM calls WHERE external_id = 'UP-1'")).rows[0]
    ?.id as number
  const before = (await api.call('GET', `/v1/calls/${id}`, 'rita')).body
  // As if the server died after accepting a swap: the call is queued, its last audited action a swap.
  expect((await api.call('POST', `/v1/calls/${id}/swap`, 'rita')).status).toBe(202)
  await api.processor?.idle()
  // (the swap is stored on the call; the process analysing it died and its claim ran out)
  await api.db.query(
    `UPDATE calls SET status = 'processing', swap_pending = true, speakers_swapped = NOT speakers_swapped,
       server_pending = true, lease_owner = 'dead-process', lease_expires_at = now() - interval '1 second'
     WHERE id = $1`,
    [id],
  )
  // What is pending is on the call, not read back from history: without its audit rows (a crash
  // between storing the call and auditing it) the call is still the server's to resume.
  await api.db.query("DELETE FROM audit_log WHERE entity = 'call' AND entity_id = $1", [id])
  // Ingested calls are their ingest run's, not the server's to resume.
  const ingested = api.idOf.get('call-03-mono-delivery.wav') as number
  await api.db.query("UPDATE calls SET status = 'queued' WHERE id = $1", [ingested])
  expect(await resumeInterrupted(api.db, api.processor as NonNullable<typeof api.processor>)).toBe(1)
  await api.processor?.idle()
  const after = (await api.call('GET', `/v1/calls/${id}`, 'rita')).body
  expect(after.call).toMatchObject({ status: 'done', speakers_swapped: !before.call.speakers_swapped })
  expect(after.metrics.agent_talk_ms).toBe(before.metrics.customer_talk_ms)
  await api.db.query("UPDATE calls SET status = 'done' WHERE id = $1", [ingested])
})

test('without a processor the server says so', async () => {
  const { buildServer } = await import('../../api/server.js')
  const bare = await buildServer({ db: api.db, storageDir: path.join(api.storageDir, 'none') })
  const res = await bare.inject({
    method: 'POST',
    url: '/v1/calls/1/swap',
    headers: { authorization: `Bearer ${api.tokens.ada}` },
  })
  expect(res.statusCode).toBe(503)
  expect(res.json().error.code).toBe('QA_ERR_NO_PROCESSOR')
  await bare.close()
})

test('the multipart parser belongs to the upload route alone: another route refuses a multipart body with 415', async () => {
  const form = new FormData()
  form.set('name', 'Greeting drills')
  const res = await fetch(`${api.base}/v1/playlists`, {
    method: 'POST',
    headers: { authorization: `Bearer ${api.tokens.tom}` },
    body: form,
  })
  expect(res.status).toBe(415)
  // JSON still works there, and multipart still works for uploads (tested above).
  const json = await api.call('POST', '/v1/playlists', 'tom', { name: 'Greeting drills' })
  expect(json.status).toBe(201)
})

test('the same failures as the CLI, with the same codes (test/cli.test.ts): a missing call to swap, a taken user name', async () => {
  const swap = await api.call('POST', '/v1/calls/99999/swap', 'ada')
  expect(swap.status).toBe(404)
  expect(swap.body.error).toMatchObject({ code: 'QA_ERR_NOT_FOUND', message: 'no call 99999' })
  expect((await api.call('POST', '/v1/users', 'ada', { name: 'dup.user', role: 'reviewer' })).status).toBe(
    201,
  )
  const again = await api.call('POST', '/v1/users', 'ada', { name: 'dup.user', role: 'reviewer' })
  expect(again.status).toBe(409)
  expect(again.body.error).toMatchObject({
    code: 'QA_ERR_CONFLICT',
    message: 'there is already a user "dup.user"',
  })
})
