/**
 * Every documented /v1 route, walked with no token, a wrong token and every role: 401 without a
 * valid token, 403 for each role the route does not list, never 401/403 for a role it lists.
 * The roles come from the OpenAPI document, which the server writes from each route's own config.
 */
import { afterAll, beforeAll, expect, test } from 'vitest'
import { ROLES } from '../../db/queries/users.js'
import { type ApiHarness, startApi } from '../helpers/api.js'

let api: ApiHarness
let routes: Array<{ method: string; url: string; roles: string[] }>

beforeAll(async () => {
  api = await startApi('api/auth', {
    files: ['call-03-mono-delivery.wav'],
    users: ROLES.map((role) => [`${role}-1`, role] as const),
  })
  const doc = (await (await fetch(`${api.base}/docs/json`)).json()) as {
    paths: Record<string, Record<string, { description?: string }>>
  }
  routes = Object.entries(doc.paths).flatMap(([url, methods]) =>
    Object.entries(methods).map(([method, op]) => ({
      method: method.toUpperCase(),
      // Path parameters: any well-formed id; auth is checked before the route looks anything up.
      url: url.replace(/\{[^}]+\}/g, '1'),
      roles: /Roles: ([a-z, ]+)\./.exec(op.description ?? '')?.[1]?.split(', ') ?? [],
    })),
  )
}, 180_000)
afterAll(async () => api?.close())

test('every /v1 route is documented with its roles', () => {
  const v1 = routes.filter((r) => r.url.startsWith('/v1/'))
  // 39 routes when this test was written; a route that drops out of the docs shrinks this.
  expect(v1.length).toBeGreaterThanOrEqual(39)
  for (const r of v1) expect(r.roles.length, `${r.method} ${r.url}`).toBeGreaterThan(0)
})

test('401 without a valid token, 403 for every role not listed, through for every role listed', async () => {
  const send = async (method: string, url: string, token: string | null) => {
    const res = await fetch(`${api.base}${url}`, {
      method,
      headers: {
        ...(token ? { authorization: `Bearer ${token}` } : {}),
        ...(method === 'GET' || method === 'DELETE' ? {} : { 'content-type': 'application/json' }),
      },
      ...(method === 'GET' || method === 'DELETE' ? {} : { body: '{}' }),
    })
    const text = await res.text()
    return { status: res.status, text }
  }
  let checked = 0
  for (const r of routes.filter((x) => x.url.startsWith('/v1/'))) {
    const where = `${r.method} ${r.url}`
    expect((await send(r.method, r.url, null)).status, `${where} without a token`).toBe(401)
    expect((await send(r.method, r.url, 'cqa_forged')).status, `${where} with a forged token`).toBe(401)
    for (const role of ROLES) {
      const { status, text } = await send(r.method, r.url, api.tokens[`${role}-1`] as string)
      const roleRefused = text.includes(`role ${role} may not`)
      // A listed role may still meet a 403 from the route itself (not the reviewer of this
      // review, not a participant…), but never the role check's, whose message names the role.
      if (r.roles.includes(role)) {
        expect(status, `${where} as ${role}`).not.toBe(401)
        expect(roleRefused, `${where} as ${role}: ${text}`).toBe(false)
      } else {
        expect(status, `${where} as ${role}`).toBe(403)
        expect(roleRefused, `${where} as ${role}: ${text}`).toBe(true)
      }
      checked++
    }
  }
  expect(checked).toBe(routes.filter((x) => x.url.startsWith('/v1/')).length * ROLES.length)
})

test('every /v1 JSON response says what its body holds in /docs/json (issue 14: types on the wire)', async () => {
  const doc = (await (await fetch(`${api.base}/docs/json`)).json()) as {
    paths: Record<
      string,
      Record<string, { responses: Record<string, { content?: Record<string, { schema: Schema }> }> }>
    >
  }
  interface Schema {
    type?: string
    properties?: Record<string, unknown>
    items?: Schema
    anyOf?: Schema[]
  }
  // Bodies that are not JSON: audio, and trends that are CSV on request.
  const notJson = new Set([
    '/v1/calls/{id}/audio',
    '/v1/clips/{id}/audio',
    '/v1/trends',
    '/v1/trends/failed-items',
    '/v1/trends/agreement',
    // server-sent events (text/event-stream)
    '/v1/live/events',
  ])
  const described = (s: Schema | undefined): boolean =>
    !!s &&
    (s.type === 'null' ||
      (s.type === 'object' && Object.keys(s.properties ?? {}).length > 0) ||
      (s.type === 'array' && described(s.items)) ||
      (s.anyOf?.every(described) ?? false))
  const vague: string[] = []
  for (const [url, methods] of Object.entries(doc.paths)) {
    if (!url.startsWith('/v1/') || notJson.has(url)) continue
    for (const [method, op] of Object.entries(methods))
      for (const [status, response] of Object.entries(op.responses))
        if (
          /^2/.test(status) &&
          status !== '204' &&
          !described(response.content?.['application/json']?.schema)
        )
          vague.push(`${method.toUpperCase()} ${url} ${status}`)
  }
  expect(vague).toEqual([])
})
