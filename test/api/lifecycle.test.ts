/**
 * A data lifecycle, over real HTTP on a real database with real files: deleting a call leaves no
 * file and no row (and the trends lose its share), retention deletes by age and queue, users are
 * disabled and their tokens revoked, expire or are reissued, and failed sign-ins are rate-limited.
 */
import { existsSync } from 'node:fs'
import { afterAll, beforeAll, expect, test } from 'vitest'
import { buildServer } from '../../api/server.js'
import { applyRetention } from '../../pipeline/lifecycle.js'
import { storagePath } from '../../pipeline/storage.js'
import { type ApiHarness, startApi } from '../helpers/api.js'

let api: ApiHarness

beforeAll(async () => {
  api = await startApi('api/lifecycle', {
    files: ['call-03-mono-delivery.wav', 'call-06-phone-angry.wav', 'call-07-phone-outbound.wav'],
    users: [
      ['ada', 'admin'],
      ['max', 'manager'],
      ['rita', 'reviewer'],
      ['a.kim', 'agent'],
    ],
  })
}, 180_000)
afterAll(async () => api?.close())

const count = async (sql: string, params: unknown[] = []) =>
  Number((await api.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${sql}`, params)).rows[0]?.n)

test('deleting a call removes its recording, its copies, every derived row and its share of the trends', async () => {
  const id = api.idOf.get('call-06-phone-angry.wav') as number
  // A review with a comment, and a playable copy, so there is more than the ingest made.
  const auto = (await api.call('GET', `/v1/calls/${id}`, 'rita')).body.evaluations[0].id
  const review = await api.call('POST', `/v1/evaluations/${auto}/reviews`, 'rita')
  await api.call('PATCH', `/v1/reviews/${review.body.id}`, 'rita', { comment: 'customer named Jane Roe' })
  const row = (
    await api.db.query<{ storage_uri: string }>('SELECT storage_uri FROM calls WHERE id = $1', [id])
  ).rows[0] as { storage_uri: string }
  const recording = storagePath(api.storageDir, row.storage_uri)
  expect(existsSync(recording)).toBe(true)
  const callsInTrends = async () =>
    Number(
      (await api.db.query<{ n: number }>('SELECT coalesce(sum(calls), 0)::int AS n FROM daily_call_stats'))
        .rows[0]?.n,
    )
  const trendCallsBefore = await callsInTrends()

  expect((await api.call('DELETE', `/v1/calls/${id}`, 'max')).status).toBe(403)
  const deleted = await api.call('DELETE', `/v1/calls/${id}`, 'ada')
  expect(deleted.status).toBe(200)
  expect(deleted.body).toMatchObject({ call_id: id, deleted: true })
  expect(existsSync(recording)).toBe(false)
  for (const table of [
    'calls WHERE id = $1',
    'segments WHERE call_id = $1',
    'utterances WHERE call_id = $1',
    'call_metrics WHERE call_id = $1',
    'evaluations WHERE call_id = $1',
  ])
    expect(await count(table, [id]), table).toBe(0)
  expect(await count('evaluation_items WHERE evaluation_id = $1', [review.body.id])).toBe(0)
  expect(await callsInTrends()).toBe(trendCallsBefore - 1)
  // The audit keeps who deleted which call and when; the call's earlier entries keep no content.
  const log = await api.db.query<{ action: string; user_id: number; before: unknown; after: unknown }>(
    `SELECT action, user_id, before, after FROM audit_log
     WHERE (entity = 'call' AND entity_id = $1) OR (entity = 'evaluation' AND entity_id = $2) ORDER BY id`,
    [id, review.body.id],
  )
  expect(log.rows.at(-1)).toMatchObject({ action: 'call.delete', user_id: api.userId.ada })
  expect(JSON.stringify(log.rows)).not.toContain('Jane Roe')
  expect(
    log.rows.filter((r) => r.action !== 'call.delete').every((r) => r.before === null && r.after === null),
  ).toBe(true)
  expect((await api.call('GET', `/v1/calls/${id}`, 'ada')).status).toBe(404)
  expect((await api.call('DELETE', `/v1/calls/${id}`, 'ada')).status).toBe(404)
})

test('retention deletes calls older than the period, per queue where one is set', async () => {
  const old = api.idOf.get('call-03-mono-delivery.wav') as number
  const kept = api.idOf.get('call-07-phone-outbound.wav') as number
  await api.db.query(
    `UPDATE calls SET started_at = now() - interval '400 days', queue = 'billing' WHERE id = $1`,
    [old],
  )
  await api.db.query(
    `UPDATE calls SET started_at = now() - interval '400 days', queue = 'legal' WHERE id = $1`,
    [kept],
  )
  // legal keeps its calls 10 years; everything else one year.
  const report = await applyRetention(api.db, api.storageDir, { days: 365, byQueue: { legal: 3650 } })
  expect(report.deleted).toEqual([old])
  expect(await count('calls WHERE id = $1', [old])).toBe(0)
  expect(await count('calls WHERE id = $1', [kept])).toBe(1)
  const again = await applyRetention(api.db, api.storageDir, { days: 365, byQueue: { legal: 3650 } })
  expect(again.deleted).toEqual([])
})

test('a user disabled, a token revoked, reissued or expired is refused at once', async () => {
  const me = () => api.call('GET', '/v1/me', 'a.kim')
  const id = api.userId['a.kim'] as number
  expect((await me()).status).toBe(200)
  expect((await api.call('PATCH', `/v1/users/${id}`, 'max', { disabled: true })).status).toBe(403)
  expect((await api.call('PATCH', `/v1/users/${id}`, 'ada', { disabled: true })).body).toMatchObject({
    disabled: true,
  })
  expect((await me()).status).toBe(401)
  await api.call('PATCH', `/v1/users/${id}`, 'ada', { disabled: false })
  expect((await me()).status).toBe(200)

  expect((await api.call('DELETE', `/v1/users/${id}/token`, 'ada')).body).toMatchObject({
    token_revoked: true,
  })
  expect((await me()).status).toBe(401)
  const issued = await api.call('POST', `/v1/users/${id}/token`, 'ada')
  expect(issued.status).toBe(201)
  api.tokens['a.kim'] = issued.body.token
  expect((await me()).status).toBe(200)
  // A token past its lifetime is refused.
  await api.db.query(`UPDATE users SET token_expires_at = now() - interval '1 second' WHERE id = $1`, [id])
  expect((await me()).status).toBe(401)
  const audit = await api.db.query<{ action: string }>(
    "SELECT action FROM audit_log WHERE entity = 'user' AND entity_id = $1 ORDER BY id",
    [id],
  )
  expect(audit.rows.map((r) => r.action)).toEqual([
    'user.disable',
    'user.enable',
    'user.token.revoke',
    'user.token.issue',
  ])
})

test('failed sign-ins from one client are rate-limited with Retry-After; a valid token from that client still works', async () => {
  const app = await buildServer({ db: api.db, storageDir: api.storageDir, authFailuresPerMinute: 5 })
  try {
    const get = (token: string) =>
      app.inject({ method: 'GET', url: '/v1/me', headers: { authorization: `Bearer ${token}` } })
    for (let i = 0; i < 5; i++) expect((await get(`wrong-${i}`)).statusCode).toBe(401)
    const limited = await get('wrong-again')
    expect(limited.statusCode).toBe(429)
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0)
    expect(limited.json().error.code).toBe('QA_ERR_RATE_LIMITED')
    // A valid token is never locked out by someone else's failures from the same address.
    expect((await get(api.tokens.ada as string)).statusCode).toBe(200)
    // Nor by expired or forged signed links (they count as failures like bad tokens).
    for (let i = 0; i < 3; i++)
      expect(
        (await app.inject({ method: 'GET', url: `/v1/calls/1/audio?exp=1&u=1&sig=forged${i}` })).statusCode,
      ).toBe(429)
    expect((await get(api.tokens.ada as string)).statusCode).toBe(200)
  } finally {
    await app.close()
  }
})

test('behind a trusted proxy, failed sign-ins are counted per client (X-Forwarded-For), not per proxy', async () => {
  const app = await buildServer({
    db: api.db,
    storageDir: api.storageDir,
    authFailuresPerMinute: 5,
    trustProxy: ['127.0.0.1'],
  })
  try {
    const get = (token: string, client: string) =>
      app.inject({
        method: 'GET',
        url: '/v1/me',
        remoteAddress: '127.0.0.1',
        headers: { authorization: `Bearer ${token}`, 'x-forwarded-for': client },
      })
    for (let i = 0; i < 6; i++) await get(`wrong-${i}`, '203.0.113.7')
    expect((await get('wrong-again', '203.0.113.7')).statusCode).toBe(429)
    // Another client behind the same proxy: its own mistakes are its own (401), its token works.
    expect((await get('wrong', '198.51.100.20')).statusCode).toBe(401)
    expect((await get(api.tokens.ada as string, '198.51.100.20')).statusCode).toBe(200)
    // An untrusted peer cannot pick its address: X-Forwarded-For from it is ignored.
    const spoofed = await app.inject({
      method: 'GET',
      url: '/v1/me',
      remoteAddress: '192.0.2.9',
      headers: { authorization: 'Bearer wrong', 'x-forwarded-for': '198.51.100.99' },
    })
    expect(spoofed.statusCode).toBe(401)
  } finally {
    await app.close()
  }
})
