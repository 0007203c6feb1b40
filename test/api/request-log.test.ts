/**
 * The server's request log: one line per request, public routes and refused sign-ins included
 * (a request that never reached a route's roles has no user; its line must still be written).
 */
import { Writable } from 'node:stream'
import { afterAll, beforeAll, expect, test } from 'vitest'
import { buildServer, serverLogger } from '../../api/server.js'
import type { Database } from '../../db/index.js'
import { createUser } from '../../db/queries/users.js'
import { tempDir } from '../helpers/audio.js'
import { openTestDb } from '../helpers/db.js'

let db: Database
const tmp = tempDir()
beforeAll(async () => {
  db = await openTestDb('api/request-log')
})
afterAll(async () => {
  await db?.close()
  tmp.remove()
})

test('a line for a public route, a refused token and a signed-in request; the user id only where there is one', async () => {
  const lines: Array<Record<string, unknown>> = []
  const stream = new Writable({
    write(chunk, _enc, done) {
      for (const line of String(chunk).split('\n').filter(Boolean)) lines.push(JSON.parse(line))
      done()
    },
  })
  const { token, user } = await createUser(db, { name: 'lena', role: 'manager' })
  const app = await buildServer({ db, storageDir: tmp.dir, logger: { ...serverLogger('info'), stream } })
  try {
    expect((await app.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200)
    expect(
      (await app.inject({ method: 'GET', url: '/v1/me', headers: { authorization: 'Bearer wrong' } }))
        .statusCode,
    ).toBe(401)
    expect(
      (await app.inject({ method: 'GET', url: '/v1/me', headers: { authorization: `Bearer ${token}` } }))
        .statusCode,
    ).toBe(200)
  } finally {
    await app.close()
  }
  const requests = lines.filter((l) => l.msg === 'request')
  expect(
    requests.map((l) => [
      (l.req as { url: string }).url,
      (l.res as { statusCode: number }).statusCode,
      l.user,
    ]),
  ).toEqual([
    ['/healthz', 200, undefined],
    ['/v1/me', 401, undefined],
    ['/v1/me', 200, user.id],
  ])
  expect(lines.filter((l) => Number(l.level) >= 50)).toEqual([])
})
