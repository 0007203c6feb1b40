/**
 * The database is a dependency of the server: decorated on it (every route group reads it from the
 * instance) and, where the server owns it (`callqa serve`), closed by `app.close()` after every
 * other shutdown step — what stops later (live calls filed, webhooks flushed, workers finishing)
 * still writes to it.
 */
import { afterAll, expect, test } from 'vitest'
import { buildServer } from '../../api/server.js'
import { createUser } from '../../db/queries/users.js'
import { tempDir } from '../helpers/audio.js'
import { openTestDb } from '../helpers/db.js'

const tmp = tempDir()
afterAll(() => tmp.remove())

test('a server that owns its database closes it on shutdown, after the steps added after it', async () => {
  const db = await openTestDb('api/shutdown-owned')
  try {
    const { token } = await createUser(db, { name: 'ines', role: 'admin' })
    const app = await buildServer({ db, storageDir: tmp.dir, closeDatabase: true })
    expect(app.db).toBe(db)
    // A step of `callqa serve`'s shutdown (added after the server was built, as serve adds its own):
    // it still reads and writes the database while the server closes.
    let usersAtShutdown: number | undefined
    app.addHook('onClose', async () => {
      usersAtShutdown = (await db.query<{ n: number }>('SELECT count(*)::int AS n FROM users')).rows[0]?.n
    })
    const me = await app.inject({
      method: 'GET',
      url: '/v1/me',
      headers: { authorization: `Bearer ${token}` },
    })
    expect(me.statusCode).toBe(200)
    await app.close()
    expect(usersAtShutdown).toBe(1)
    await expect(db.query('SELECT 1')).rejects.toThrow()
  } finally {
    // Closing again (as the command that opened it does) waits for the first close; no error.
    await db.close()
  }
})

test("by default the database stays the caller's: open after the server closes", async () => {
  const db = await openTestDb('api/shutdown-lent')
  try {
    const app = await buildServer({ db, storageDir: tmp.dir })
    await app.close()
    expect((await db.query<{ one: number }>('SELECT 1 AS one')).rows).toEqual([{ one: 1 }])
  } finally {
    await db.close()
  }
})
