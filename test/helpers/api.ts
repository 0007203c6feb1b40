/**
 * A review API on a real database with real ingested sample calls, listening on a real port, and
 * a `call` helper that speaks JSON as a named user. Shared by the API test files.
 */

import path from 'node:path'
import { type Api, buildServer } from '../../api/server.js'
import type { Database } from '../../db/index.js'
import { installBuiltins } from '../../db/queries/builtins.js'
import { createUser, type Role } from '../../db/queries/users.js'
import type { LiveHub } from '../../live/hub.js'
import { type LiveSettings, liveSettings } from '../../live/settings.js'
import { startLive } from '../../live/start.js'
import { loadMetadata } from '../../pipeline/metadata.js'
import { createPool } from '../../pipeline/pool.js'
import { type CallProcessor, localProcessor } from '../../pipeline/processor.js'
import { ingest } from '../../pipeline/run.js'
import { samplesDir } from '../../samples/ground-truth.js'
import { startDeliverer, type WebhookSettings } from '../../webhooks/outbox.js'
import { ffmpegPath, tempDir } from './audio.js'
import { openTestDb, schemaFor, testDatabaseUrl, testDbKind } from './db.js'

export interface ApiHarness {
  db: Database
  app: Api
  base: string
  storageDir: string
  processor: CallProcessor | undefined
  /** the live hub, when the harness takes live calls */
  live: LiveHub | undefined
  /** call id by recording file name */
  idOf: Map<string, number>
  tokens: Record<string, string>
  userId: Record<string, number>
  call(
    method: string,
    url: string,
    who: string | null,
    body?: unknown,
    // biome-ignore lint/suspicious/noExplicitAny: response bodies are checked field by field
  ): Promise<{ status: number; body: any }>
  close(): Promise<void>
}

export async function startApi(
  name: string,
  {
    files,
    users,
    serverOptions = {},
    processor: withProcessor = false,
    asr = false,
    live: liveOverrides,
    webhooks: hookSettings,
    beforeIngest,
    metadata = path.join(samplesDir, 'metadata.csv'),
  }: {
    /** sample recordings to ingest (file names under samples/calls); default all */
    files?: string[]
    users: ReadonlyArray<readonly [string, Role, string?]>
    serverOptions?: Partial<Parameters<typeof buildServer>[0]>
    /** analyse uploads and swaps in this process (one worker thread) */
    processor?: boolean
    /** transcribe calls that come without a transcript (PocketSphinx) */
    asr?: boolean
    /** take live calls (needs `processor`): settings over the defaults */
    live?: Partial<LiveSettings>
    /** send webhooks (live alerts, follow-ups) there */
    webhooks?: WebhookSettings
    /** after the users are made, before the calls are ingested (rules that act on the calls) */
    beforeIngest?: (db: Database) => Promise<void>
    /** the metadata file of the ingested calls; default the samples' */
    metadata?: string
  },
): Promise<ApiHarness> {
  const db = await openTestDb(name)
  const tmp = tempDir()
  const storageDir = path.join(tmp.dir, 'storage')
  const pool = createPool({ threads: 2 })
  await installBuiltins(db)
  const tokens: Record<string, string> = {}
  const userId: Record<string, number> = {}
  for (const [userName, role, agentId] of users) {
    const made = await createUser(db, { name: userName, role, ...(agentId ? { agentId } : {}) })
    tokens[userName] = made.token
    userId[userName] = made.user.id
  }
  await beforeIngest?.(db)
  const report = await ingest({
    db,
    pool,
    storageDir,
    ffmpegPath,
    inputs: files ? files.map((f) => path.join(samplesDir, f)) : [samplesDir],
    options: {
      metadata: loadMetadata(metadata),
      ...(asr ? { asr: { engine: 'pocketsphinx' as const } } : {}),
    },
  })
  await pool.destroy()
  const idOf = new Map<string, number>()
  for (const item of report.items) idOf.set(path.basename(item.path), item.callId as number)
  const processor = withProcessor ? localProcessor({ db, storageDir, ffmpegPath, threads: 1 }) : undefined
  const webhooks = hookSettings ? startDeliverer(db, hookSettings, { intervalMs: 200 }) : undefined
  const live =
    liveOverrides && processor
      ? await startLive({
          db,
          storageDir,
          processor,
          ...(testDbKind === 'postgres' ? { databaseUrl: testDatabaseUrl, schema: schemaFor(name) } : {}),
          settings: { ...liveSettings({}), ...liveOverrides },
          webhooks,
        })
      : undefined
  // Tests sign in wrongly on purpose many times a minute: the limit is raised unless a test sets it.
  const app = await buildServer({
    db,
    storageDir,
    authFailuresPerMinute: 1_000_000,
    ...(processor ? { processor } : {}),
    ...(live ? { live } : {}),
    ...serverOptions,
  })
  const base = await app.listen({ port: 0, host: '127.0.0.1' })
  return {
    db,
    app,
    base,
    live: live?.hub,
    storageDir,
    processor,
    idOf,
    tokens,
    userId,
    async call(method, url, who, body) {
      const res = await fetch(`${base}${url}`, {
        method,
        headers: {
          ...(who ? { authorization: `Bearer ${tokens[who] ?? who}` } : {}),
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      })
      const type = res.headers.get('content-type') ?? ''
      return { status: res.status, body: type.includes('json') ? await res.json() : await res.text() }
    },
    async close() {
      await app.close()
      await live?.hub.close()
      await webhooks?.stop()
      await processor?.close()
      await db.close()
      tmp.remove()
    },
  }
}
