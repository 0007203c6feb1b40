/**
 * Two servers on one Postgres: a call held by server A is seen, with its alerts, by a supervisor
 * whose browser is connected to server B (live events travel by LISTEN/NOTIFY, no other broker).
 * Runs on the Postgres server only: an embedded database has one server.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import WebSocket from 'ws'
import { buildServer } from '../../api/server.js'
import { liveSettings } from '../../live/settings.js'
import { startLive } from '../../live/start.js'
import { localProcessor } from '../../pipeline/processor.js'
import { type ApiHarness, startApi } from '../helpers/api.js'
import { ffmpegPath } from '../helpers/audio.js'
import { schemaFor, testDatabaseUrl, testDbKind } from '../helpers/db.js'
import { SseReader } from './sse.js'

const onPostgres = testDbKind === 'postgres'
let a: ApiHarness
let bBase: string
let closeB: () => Promise<void>

beforeAll(async () => {
  if (!onPostgres) return
  a = await startApi('live/two-servers', {
    files: [],
    users: [
      ['pbx', 'telephony'],
      ['max', 'manager'],
    ],
    processor: true,
    live: {},
  })
  const processor = localProcessor({ db: a.db, storageDir: a.storageDir, ffmpegPath, threads: 1 })
  const live = await startLive({
    db: a.db,
    storageDir: a.storageDir,
    processor,
    databaseUrl: testDatabaseUrl,
    schema: schemaFor('live/two-servers'),
    settings: liveSettings({}),
  })
  const b = await buildServer({ db: a.db, storageDir: a.storageDir, processor, live })
  bBase = await b.listen({ port: 0, host: '127.0.0.1' })
  closeB = async () => {
    await b.close()
    await live.hub.close()
    await processor.close()
  }
}, 120_000)
afterAll(async () => {
  await closeB?.()
  await a?.close()
})

describe.skipIf(!onPostgres)('two servers', () => {
  test("a browser on server B sees server A's call, its state and its alert", async () => {
    const sse = new SseReader(`${bBase}/v1/live/events`, { authorization: `Bearer ${a.tokens.max}` })
    await sse.ready
    const ws = new WebSocket(`${a.base.replace('http', 'ws')}/v1/live/stream`, {
      headers: { authorization: `Bearer ${a.tokens.pbx}` },
    })
    await new Promise((resolve) => ws.once('open', resolve))
    const messages: Array<Record<string, unknown>> = []
    ws.on('message', (d) => messages.push(JSON.parse(String(d))))
    ws.send(JSON.stringify({ type: 'start', call_id: 'two-1', channels: 2, metadata: { agent: 'a.kim' } }))
    await expect.poll(() => messages.find((m) => m.type === 'started')).toBeDefined()
    const session = messages.find((m) => m.type === 'started')?.session as number
    const started = await sse.next((e) => e.event === 'call.started' && e.data.session === session)
    expect(started.data.call).toMatchObject({ agent_id: 'a.kim', protocol: 'stream' })
    // 12 s of silence on both lines: dead air at 10 s, raised on A, seen on B.
    for (let i = 0; i < 600; i++) ws.send(Buffer.alloc(640))
    const alert = await sse.next((e) => e.event === 'alert' && e.data.session === session)
    expect(alert.data).toMatchObject({ rule: 'dead-air', at_ms: 10_000 })
    // B lists A's call among those in progress.
    const listed = await fetch(`${bBase}/v1/live/calls`, {
      headers: { authorization: `Bearer ${a.tokens.max}` },
    })
    expect(
      ((await listed.json()) as { items: Array<{ session: number }> }).items.map((c) => c.session),
    ).toContain(session)
    ws.send(JSON.stringify({ type: 'stop' }))
    await sse.next((e) => e.event === 'call.ended' && e.data.session === session)
    sse.close()
    ws.close()
  }, 60_000)
})
