/**
 * The review API over real HTTP (a listening fastify, fetch), on the real database of the run
 * (PGlite or the Postgres server): auth and roles, filters and search, cursor pagination, detail,
 * audio with Range, health, the error format and the OpenAPI document.
 */

import { readFileSync } from 'node:fs'
import path from 'node:path'
import type { Piscina } from 'piscina'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { type Api, buildServer } from '../../api/server.js'
import type { Database } from '../../db/index.js'
import { installBuiltins } from '../../db/queries/builtins.js'
import { createUser, type Role } from '../../db/queries/users.js'
import { loadMetadata } from '../../pipeline/metadata.js'
import { createPool } from '../../pipeline/pool.js'
import { ingest } from '../../pipeline/run.js'
import { storagePath } from '../../pipeline/storage.js'
import { loadTruths, samplesDir } from '../../samples/ground-truth.js'
import { ffmpegPath, tempDir } from '../helpers/audio.js'
import { openTestDb } from '../helpers/db.js'

let db: Database
let pool: Piscina
let app: Api
let base: string
const tmp = tempDir()
const storageDir = path.join(tmp.dir, 'storage')
const tokens = {} as Record<Role | 'sam', string>
const idOf = new Map<string, number>()

beforeAll(async () => {
  db = await openTestDb('api/calls')
  pool = createPool({ threads: 2 })
  await installBuiltins(db)
  const report = await ingest({
    db,
    pool,
    storageDir,
    ffmpegPath,
    inputs: [samplesDir],
    options: { metadata: loadMetadata(path.join(samplesDir, 'metadata.csv')) },
  })
  for (const item of report.items) idOf.set(path.basename(item.path), item.callId as number)
  for (const role of ['admin', 'manager', 'trainer', 'reviewer', 'agent'] as const)
    tokens[role] = (await createUser(db, { name: `${role}-1`, role, agentId: 'a.kim' })).token
  tokens.sam = (await createUser(db, { name: 'a.sam', role: 'agent' })).token
  app = await buildServer({ db, storageDir })
  base = `${await app.listen({ port: 0, host: '127.0.0.1' })}`
}, 120_000)
afterAll(async () => {
  await app?.close()
  await pool.destroy()
  await db.close()
  tmp.remove()
})

async function get(url: string, token?: string, headers: Record<string, string> = {}) {
  const res = await fetch(`${base}${url}`, {
    headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...headers },
  })
  const type = res.headers.get('content-type') ?? ''
  const body = type.includes('json') ? await res.json() : Buffer.from(await res.arrayBuffer())
  // biome-ignore lint/suspicious/noExplicitAny: response bodies are checked field by field below
  return { status: res.status, headers: res.headers, body: body as any }
}
const names = (body: { items: Array<{ source_name: string }> }) => body.items.map((c) => c.source_name).sort()

describe('auth', () => {
  test('401 without a token or with a wrong one; 403 for a role the route does not allow', async () => {
    for (const url of [
      '/v1/calls',
      `/v1/calls/${idOf.get('call-01-clean-billing.flac')}`,
      '/v1/calls/1/audio',
    ]) {
      const none = await get(url)
      expect(none.status, url).toBe(401)
      expect(none.body.error.code).toBe('QA_ERR_UNAUTHENTICATED')
      expect(none.headers.get('www-authenticate')).toBe('Bearer')
      expect((await get(url, 'cqa_not-a-real-token')).status).toBe(401)
    }
    // Only admins create users: every other role is 403, an admin 201 (and it is audited).
    const body = JSON.stringify({ name: 'new-reviewer', role: 'reviewer' })
    for (const role of ['manager', 'trainer', 'reviewer', 'agent'] as const) {
      const res = await fetch(`${base}/v1/users`, {
        method: 'POST',
        headers: { authorization: `Bearer ${tokens[role]}`, 'content-type': 'application/json' },
        body,
      })
      expect(res.status, role).toBe(403)
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe('QA_ERR_FORBIDDEN')
    }
    const made = await fetch(`${base}/v1/users`, {
      method: 'POST',
      headers: { authorization: `Bearer ${tokens.admin}`, 'content-type': 'application/json' },
      body,
    })
    expect(made.status).toBe(201)
    const created = (await made.json()) as { token: string; role: string }
    expect(created.role).toBe('reviewer')
    expect((await get('/v1/calls?limit=1', created.token)).status).toBe(200)
    const stored = await db.query<{ token_hash: string }>(
      "SELECT token_hash FROM users WHERE name = 'new-reviewer'",
    )
    expect(stored.rows[0]?.token_hash).toMatch(/^[0-9a-f]{64}$/)
    expect(stored.rows[0]?.token_hash).not.toContain(created.token)
    const log = await db.query<{ action: string; after: { name: string } }>(
      "SELECT action, after FROM audit_log WHERE entity = 'user' ORDER BY id DESC LIMIT 1",
    )
    expect(log.rows[0]).toMatchObject({ action: 'user.create', after: { name: 'new-reviewer' } })
    const again = await fetch(`${base}/v1/users`, {
      method: 'POST',
      headers: { authorization: `Bearer ${tokens.admin}`, 'content-type': 'application/json' },
      body,
    })
    expect(again.status).toBe(409)
  })

  test('an agent sees only their own calls; another agent’s call is not found', async () => {
    const mine = await get('/v1/calls', tokens.sam)
    expect(names(mine.body)).toEqual(['call-01-clean-billing.flac', 'call-02-phone-password.wav'])
    expect((await get(`/v1/calls/${idOf.get('call-06-phone-angry.wav')}`, tokens.sam)).status).toBe(404)
    expect((await get(`/v1/calls/${idOf.get('call-06-phone-angry.wav')}/audio`, tokens.sam)).status).toBe(404)
    expect((await get(`/v1/calls/${idOf.get('call-01-clean-billing.flac')}`, tokens.sam)).status).toBe(200)
  })
})

describe('list and search', () => {
  test('filters', async () => {
    const list = async (query: string) => names((await get(`/v1/calls?${query}`, tokens.reviewer)).body)
    expect(await list('')).toHaveLength(loadTruths().length)
    expect(await list('direction=outbound')).toEqual(['call-07-phone-outbound.wav'])
    expect(await list('language=zh')).toEqual(['call-08-clean-zh-refund.flac', 'call-12-clean-zh-hold.flac'])
    expect(await list('queue=billing')).toEqual([
      'call-01-clean-billing.flac',
      'call-04-phone-dead-air.wav',
      'call-10-phone-hold-en.wav',
    ])
    expect(await list('agent=a.ray&team=support-west')).toEqual(['call-09-phone-street-noise.wav'])
    expect(await list('dead_air_min_ms=10000')).toEqual(['call-04-phone-dead-air.wav'])
    expect(await list('trend_max=-0.3')).toEqual(['call-06-phone-angry.wav'])
    expect(await list('failed_item=anything-else')).toEqual(['call-06-phone-angry.wav'])
    expect(await list('scorecard=inbound-support-en&qa_max=80')).toEqual(
      expect.arrayContaining(['call-04-phone-dead-air.wav', 'call-06-phone-angry.wav']),
    )
    expect(await list('from=2026-11-09T00:00:00Z&to=2026-11-10T00:00:00Z')).toEqual([
      'call-08-clean-zh-refund.flac',
    ])
  })

  test("QA % is one card's score: the card that fits the call, or the one asked for, never the best of several", async () => {
    const items = (await get('/v1/calls?limit=200', tokens.reviewer)).body.items as Array<{
      id: number
      source_name: string
      direction: string
      language: string
      qa_percent: number | null
      qa_scorecard: string | null
    }>
    let hidden = 0
    for (const c of items) {
      const detail = (await get(`/v1/calls/${c.id}`, tokens.reviewer)).body
      const auto = (
        detail.evaluations as Array<{ source: string; scorecard_key: string; percent: number }>
      ).filter((e) => e.source === 'auto')
      // The sample calls are inbound or outbound, English or Chinese: the fitting card is the
      // direction's card in the call's language (the compliance card fits every call, less closely).
      const fitting = c.direction === 'outbound' ? 'outbound-en' : `inbound-support-${c.language}`
      const mine = auto.find((e) => e.scorecard_key === fitting)
      expect(c.qa_scorecard, c.source_name).toBe(mine ? fitting : (auto[0]?.scorecard_key ?? null))
      if (mine) expect(c.qa_percent, c.source_name).toBe(mine.percent)
      if (mine && Math.max(...auto.map((e) => e.percent)) > mine.percent) hidden++
    }
    // Calls where the best of several cards would have shown a higher, wrong figure (the angry and
    // the dead-air calls score 100 on compliance).
    expect(hidden).toBeGreaterThan(0)
    const compliance = (await get('/v1/calls?scorecard=compliance-deduction&limit=200', tokens.reviewer)).body
      .items as Array<{ qa_scorecard: string | null }>
    expect(new Set(compliance.map((c) => c.qa_scorecard))).toEqual(new Set(['compliance-deduction']))
  })

  test('each row carries the flags a reader needs first: holds, fatal items, low-confidence text, channel problems', async () => {
    const items = (await get('/v1/calls?limit=200', tokens.reviewer)).body.items as Array<{
      id: number
      source_name: string
      hold_count: number | null
      fatal_failed: boolean | null
      transcript_trusted: boolean | null
      channel_problem: string | null
      qa_scorecard: string | null
    }>
    for (const c of items) {
      const detail = (await get(`/v1/calls/${c.id}`, tokens.reviewer)).body
      expect(c.hold_count, c.source_name).toBe(detail.metrics?.hold_count ?? null)
      expect(c.transcript_trusted, c.source_name).toBe(detail.call.transcript_trusted)
      const layout = detail.call.channel_check?.layout
      expect(c.channel_problem, c.source_name).toBe(
        layout === 'dual-mono' || layout === 'one-channel-silent' ? layout : null,
      )
      const standing = (
        detail.evaluations as Array<{ source: string; scorecard_key: string; fatal_failed: boolean }>
      ).find((e) => e.source === 'auto' && e.scorecard_key === c.qa_scorecard)
      expect(c.fatal_failed, c.source_name).toBe(standing?.fatal_failed ?? null)
    }
    // The hold sample calls are flagged.
    expect(items.filter((c) => (c.hold_count ?? 0) > 0).map((c) => c.source_name)).toEqual(
      expect.arrayContaining(['call-10-phone-hold-en.wav']),
    )
  })

  test('the stretches behind the dead-air and overtalk counts are stored, and add up to them', async () => {
    const items = (await get('/v1/calls?limit=200&status=done', tokens.reviewer)).body.items as Array<{
      id: number
    }>
    let deadAir = 0
    let overtalk = 0
    for (const c of items) {
      const m = (await get(`/v1/calls/${c.id}`, tokens.reviewer)).body.metrics
      const span = (es: Array<{ startMs: number; endMs: number }>) =>
        es.reduce((t, e) => t + e.endMs - e.startMs, 0)
      expect(m.dead_air_episodes).toHaveLength(m.dead_air_count)
      expect(span(m.dead_air_episodes)).toBe(m.dead_air_total_ms)
      if (m.overtalk_ms === null) expect(m.overtalk_episodes).toEqual([])
      else expect(span(m.overtalk_episodes)).toBe(m.overtalk_ms)
      deadAir += m.dead_air_episodes.length
      overtalk += m.overtalk_episodes.length
    }
    // The dead-air and overtalk sample calls have some.
    expect(deadAir).toBeGreaterThan(0)
    expect(overtalk).toBeGreaterThan(0)
  })

  test('transcript search in English (full text) and Chinese (characters)', async () => {
    const search = async (q: string) =>
      names((await get(`/v1/calls?q=${encodeURIComponent(q)}`, tokens.reviewer)).body)
    expect(await search('supervisor')).toEqual(['call-06-phone-angry.wav'])
    expect(await search('meter reading')).toEqual(['call-01-clean-billing.flac'])
    expect(await search('退款')).toEqual(['call-08-clean-zh-refund.flac'])
    // Redacted text is what is searched: the spelled e-mail address is not there.
    expect(await search('example')).toEqual([])
  })

  test('cursor pagination walks every call once, newest first', async () => {
    const seen: string[] = []
    let cursor: string | null = null
    let pages = 0
    do {
      const page: Awaited<ReturnType<typeof get>> = await get(
        `/v1/calls?limit=4${cursor ? `&cursor=${cursor}` : ''}`,
        tokens.manager,
      )
      expect(page.status).toBe(200)
      seen.push(...page.body.items.map((c: { source_name: string }) => c.source_name))
      cursor = page.body.next_cursor
      pages++
    } while (cursor)
    expect(pages).toBe(3)
    expect(seen).toHaveLength(loadTruths().length)
    expect(new Set(seen).size).toBe(loadTruths().length)
    expect(seen[0]).toBe('call-12-clean-zh-hold.flac') // started last (metadata)
    const bad = await get('/v1/calls?cursor=bm9wZQ', tokens.manager)
    expect(bad).toMatchObject({ status: 400, body: { error: { code: 'QA_ERR_VALIDATION' } } })
  })

  test('bad parameters are 400 with the one error format', async () => {
    for (const query of [
      'limit=0',
      'limit=abc',
      'direction=sideways',
      'from=yesterday',
      'nope=1',
      'qa_min=120',
    ]) {
      const res = await get(`/v1/calls?${query}`, tokens.reviewer)
      expect(res.status, query).toBe(400)
      expect(res.body.error.code).toBe('QA_ERR_VALIDATION')
      expect(res.body.error.details.length).toBeGreaterThan(0)
    }
    expect((await get('/v1/calls/abc', tokens.reviewer)).status).toBe(400)
    expect((await get('/v1/nothing', tokens.reviewer)).body.error.code).toBe('QA_ERR_NOT_FOUND')
  })
})

test('detail: metadata, metrics, segments, redacted utterances only, evaluations with evidence', async () => {
  const id = idOf.get('call-05-phone-overtalk.wav') as number
  const res = await get(`/v1/calls/${id}`, tokens.trainer)
  expect(res.status).toBe(200)
  expect(res.body.call).toMatchObject({ id, agent_id: 'a.lee', queue: 'returns', has_redacted_audio: false })
  expect(res.body.call.storage_uri).toBeUndefined()
  expect(res.body.metrics.overtalk_ms).toBeGreaterThan(0)
  expect(res.body.segments.length).toBeGreaterThan(5)
  const email = res.body.utterances.find((u: { text_redacted: string }) =>
    u.text_redacted.includes('[EMAIL]'),
  )
  expect(email).toBeDefined()
  expect(res.body.utterances.every((u: object) => !('text' in u))).toBe(true)
  expect(res.body.evaluations.map((e: { scorecard_key: string }) => e.scorecard_key).sort()).toEqual([
    'compliance-deduction',
    'inbound-support-en',
  ])
  expect((await get('/v1/calls/999999', tokens.trainer)).status).toBe(404)
})

test('detail says how the parties were found: channels checked, voices told apart, who is the agent', async () => {
  const stereo = (await get(`/v1/calls/${idOf.get('call-05-phone-overtalk.wav')}`, tokens.reviewer)).body
  expect(stereo.call).toMatchObject({ channel_check: { layout: 'two-parties' }, diarization: null })
  const mono = (await get(`/v1/calls/${idOf.get('call-03-mono-delivery.wav')}`, tokens.reviewer)).body
  // One channel, two voices: the split is stored with how far apart they were, and the agent is
  // named a voice (the first speaker on this inbound call, kept by the role cues).
  expect(mono.call.channel_layout).toBe('mono')
  expect(mono.call.diarization.separation).toBeGreaterThan(1)
  expect(mono.call.diarization.shareFirst).toBeGreaterThan(0.2)
  expect(mono.call.diarization.shareFirst).toBeLessThan(0.8)
  expect(mono.call.role_decision).toMatchObject({ agent: 'first voice', swapped: false })
  // Per-party figures exist; overlap cannot be measured on one channel.
  expect(mono.metrics.agent_talk_ms).toBeGreaterThan(0)
  expect(mono.metrics.customer_talk_ms).toBeGreaterThan(0)
  expect(mono.metrics.overtalk_ms).toBeNull()
  expect(new Set(mono.segments.map((s: { speaker: string }) => s.speaker))).toEqual(
    new Set(['agent', 'customer']),
  )
})

describe('audio with Range', () => {
  const call = 'call-02-phone-password.wav'
  const original = () => {
    const key = readFileSync(path.join(samplesDir, call))
    return key
  }
  test('whole file, first bytes, middle, open end, suffix; unsatisfiable ranges are 416, unsupported ones get the whole file', async () => {
    const id = idOf.get(call) as number
    const bytes = original()
    const url = `/v1/calls/${id}/audio`
    const whole = await get(url, tokens.reviewer)
    expect(whole.status).toBe(200)
    expect(whole.headers.get('accept-ranges')).toBe('bytes')
    expect(whole.headers.get('content-type')).toBe('audio/wav')
    expect(Buffer.compare(whole.body, bytes)).toBe(0)

    const cases: Array<[string, number, number]> = [
      ['bytes=0-99', 0, 99],
      ['bytes=1000-1999', 1000, 1999],
      [`bytes=${bytes.length - 10}-`, bytes.length - 10, bytes.length - 1],
      ['bytes=-500', bytes.length - 500, bytes.length - 1],
      [`bytes=100-${bytes.length + 5000}`, 100, bytes.length - 1],
    ]
    for (const [range, start, end] of cases) {
      const part = await get(url, tokens.reviewer, { range })
      expect(part.status, range).toBe(206)
      expect(part.headers.get('content-range')).toBe(`bytes ${start}-${end}/${bytes.length}`)
      expect(Number(part.headers.get('content-length'))).toBe(end - start + 1)
      expect(Buffer.compare(part.body, bytes.subarray(start, end + 1)), range).toBe(0)
    }
    for (const range of [`bytes=${bytes.length}-`, 'bytes=-0']) {
      const bad = await get(url, tokens.reviewer, { range })
      expect(bad.status, range).toBe(416)
      expect(bad.headers.get('content-range')).toBe(`bytes */${bytes.length}`)
      expect(bad.body.error.code).toBe('QA_ERR_RANGE')
    }
    // RFC 9110: a Range this server does not serve (several ranges, another unit, bad syntax) is
    // ignored and the whole file sent.
    for (const range of ['bytes=0-1,5-9', 'items=0-1', 'bytes=abc', 'bytes=500-100']) {
      const full = await get(url, tokens.reviewer, { range })
      expect(full.status, range).toBe(200)
      expect(full.headers.get('content-range'), range).toBeNull()
      expect(Buffer.compare(full.body, bytes), range).toBe(0)
    }
    // The stored copy is what is served (the same bytes as the sample).
    const stored = await db.query<{ storage_uri: string }>('SELECT storage_uri FROM calls WHERE id = $1', [
      id,
    ])
    expect(readFileSync(storagePath(storageDir, stored.rows[0]?.storage_uri as string)).length).toBe(
      bytes.length,
    )
    const noCopy = await get(`${url}?redacted=true`, tokens.reviewer)
    expect(noCopy).toMatchObject({
      status: 404,
      body: { error: { message: 'this call has no redacted copy' } },
    })
  })
})

test('health, readiness and the OpenAPI document are public', async () => {
  expect(await get('/healthz')).toMatchObject({ status: 200, body: { status: 'ok' } })
  expect((await get('/readyz')).body).toMatchObject({ status: 'ready' })
  const doc = await get('/docs/json')
  expect(doc.status).toBe(200)
  expect(Object.keys(doc.body.paths)).toEqual(
    expect.arrayContaining(['/v1/calls', '/v1/calls/{id}', '/v1/calls/{id}/audio', '/v1/users']),
  )
  expect(doc.body.components.securitySchemes.bearer).toEqual({ type: 'http', scheme: 'bearer' })
  // A missing migration makes the service not ready.
  await db.query('DELETE FROM callqa_migrations WHERE version = 5')
  try {
    const notReady = await get('/readyz')
    expect(notReady).toMatchObject({
      status: 503,
      body: { error: { code: 'QA_ERR_NOT_READY', details: { missing: ['000005_users_audit_search.sql'] } } },
    })
  } finally {
    await db.query(
      "INSERT INTO callqa_migrations (version, name) VALUES (5, '000005_users_audit_search.sql')",
    )
  }
})

describe('trends', () => {
  const range = 'from=2026-11-01T00:00:00Z&to=2026-12-01T00:00:00Z'
  test('grouped KPIs per month and week, counts and averages checked against the rows', async () => {
    const res = await get(`/v1/trends?${range}&group_by=team&period=month`, tokens.manager)
    expect(res.status).toBe(200)
    const rows = res.body.items as Array<Record<string, number | string>>
    expect(rows.reduce((n, r) => n + (r.calls as number), 0)).toBe(loadTruths().length)
    const west = rows.find((r) => r.group === 'support-west')
    // support-west: call-06 (a.kim, csat 1) and call-09 (a.ray): the metadata's CSAT values averaged.
    const csat = await db.query<{ avg: number; n: number }>(
      "SELECT avg(csat)::float8 AS avg, count(*)::int AS n FROM calls WHERE team = 'support-west'",
    )
    expect(west).toMatchObject({ period: '2026-11-01', calls: csat.rows[0]?.n })
    expect(west?.csat).toBeCloseTo(csat.rows[0]?.avg as number, 2)
    const aht = await db.query<{ avg: number }>(
      "SELECT avg(duration_ms)::float8 AS avg FROM calls WHERE team = 'support-west'",
    )
    expect(west?.aht_ms).toBe(Math.round(aht.rows[0]?.avg as number))
    const billing = await get(
      `/v1/trends?${range}&group_by=queue&period=week&scorecard=inbound-support-en`,
      tokens.manager,
    )
    const deadAir = (billing.body.items as Array<Record<string, number | string>>).filter(
      (r) => r.group === 'billing',
    )
    // billing: call-01 (no dead air) and call-04 (16 s) fall in the same week of the metadata;
    // call-10, the week after, has an 18 s silence the agent announced: a hold, not dead air.
    expect(deadAir).toEqual([
      expect.objectContaining({ calls: 2, dead_air_rate: 0.5, hold_rate: 0 }),
      expect.objectContaining({ calls: 1, dead_air_rate: 0, hold_rate: 1 }),
    ])
  })

  test('top failed items, CSV export, and who may see trends', async () => {
    const failed = await get(`/v1/trends/failed-items?${range}&scorecard=inbound-support-en`, tokens.admin)
    expect(failed.status).toBe(200)
    const items = failed.body.items as Array<{ item_key: string; failed: number; answered: number }>
    expect(items[0]?.item_key).toBe('restate-problem')
    expect(items.every((i, k) => k === 0 || (items[k - 1]?.failed ?? 0) >= i.failed)).toBe(true)
    const csv = await get(`/v1/trends?${range}&group_by=agent&period=month&format=csv`, tokens.manager)
    expect(csv.headers.get('content-type')).toMatch(/^text\/csv/)
    const lines = csv.body.toString('utf8').trim().split('\r\n')
    expect(lines[0]).toBe(
      'period,group,calls,qa_percent,qa_evaluations,qa_reviewed,customer_sentiment_end,customer_sentiment_trend,csat,csat_responses,aht_ms,dead_air_rate,overtalk_share,agent_talk_ratio,hold_rate,hold_ms_per_call,low_confidence_transcripts',
    )
    expect(lines).toHaveLength(1 + 8) // eight agents
    for (const role of ['reviewer', 'trainer', 'agent'] as const)
      expect((await get(`/v1/trends?${range}&group_by=agent&period=day`, tokens[role])).status).toBe(403)
    expect((await get('/v1/trends?group_by=agent&period=day', tokens.manager)).status).toBe(400)
    expect((await get(`/v1/trends?${range}&group_by=planet&period=day`, tokens.manager)).status).toBe(400)
  })
})
