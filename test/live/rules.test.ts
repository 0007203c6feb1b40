/**
 * Live rules as data: a YAML file checked with `file:line:col` errors, stored and versioned like
 * scorecards (`callqa live-rules load | list | activate`), and the active key's newest version is
 * what a server's live calls use.
 */
import { writeFileSync } from 'node:fs'
import path from 'node:path'
import { afterAll, beforeAll, expect, test } from 'vitest'
import { runLiveRules } from '../../cli/live-rules.js'
import type { Database } from '../../db/index.js'
import { liveSettings } from '../../live/settings.js'
import { startLive } from '../../live/start.js'
import { localProcessor } from '../../pipeline/processor.js'
import { ffmpegPath, tempDir } from '../helpers/audio.js'
import { openTestDb } from '../helpers/db.js'

let db: Database
const tmp = tempDir()
beforeAll(async () => {
  db = await openTestDb('live/rules')
})
afterAll(async () => {
  await db?.close()
  tmp.remove()
})

const file = (name: string, text: string) => {
  const p = path.join(tmp.dir, name)
  writeFileSync(p, text)
  return p
}

test('a bad file is refused with file:line:col and stores nothing', async () => {
  const bad = file('bad.yaml', 'key: support-live\nrules:\n  dead-air: { seconds: -3 }\n')
  await expect(runLiveRules(db, ['load', bad])).rejects.toThrow(/bad\.yaml:3:\d+/)
  const unknown = file('unknown.yaml', 'key: support-live\nrules:\n  dead-silence: {}\n')
  await expect(runLiveRules(db, ['load', unknown])).rejects.toThrow(/unknown\.yaml:3:\d+/)
  expect((await db.query('SELECT 1 FROM live_rules')).rows).toHaveLength(0)
})

test('versions like scorecards: the same content the same version, a change the next; the active one is used', async () => {
  const v1 = file('live.yaml', 'key: support-live\nrules:\n  dead-air: { seconds: 8 }\n')
  await runLiveRules(db, ['load', v1])
  await runLiveRules(db, ['load', v1])
  const v2 = file(
    'live2.yaml',
    'key: support-live\nrules:\n  dead-air: { seconds: 6 }\n  forbidden-phrase: { phrases: [保证退款] }\n',
  )
  await runLiveRules(db, ['load', v2])
  const other = file('other.yaml', 'key: sales-live\nrules:\n  overtalk: { seconds: 1 }\n')
  await runLiveRules(db, ['load', other])
  const rows = (
    await db.query<{ key: string; version: number; active: boolean }>(
      'SELECT key, version, active FROM live_rules ORDER BY key, version',
    )
  ).rows
  expect(rows).toEqual([
    { key: 'sales-live', version: 1, active: false },
    { key: 'support-live', version: 1, active: true },
    { key: 'support-live', version: 2, active: true },
  ])
  const storage = path.join(tmp.dir, 'storage')
  const processor = localProcessor({ db, storageDir: storage, ffmpegPath, threads: 1 })
  try {
    const live = await startLive({ db, storageDir: storage, processor, settings: liveSettings({}) })
    expect(live.settings.rules.deadAir.seconds).toBe(6)
    expect(live.settings.rules.forbiddenPhrase).toMatchObject({ enabled: true, phrases: ['保证退款'] })
    await live.hub.close()
    await runLiveRules(db, ['activate', 'sales-live'])
    const again = await startLive({ db, storageDir: storage, processor, settings: liveSettings({}) })
    expect(again.settings.rules.overtalk.seconds).toBe(1)
    expect(again.settings.rules.deadAir.seconds).toBe(10)
    await again.hub.close()
    // An unknown key changes nothing.
    await expect(runLiveRules(db, ['activate', 'nobody'])).rejects.toThrow(/no live rules with key nobody/)
    expect((await db.query('SELECT key FROM live_rules WHERE active')).rows).toEqual([{ key: 'sales-live' }])
  } finally {
    await processor.close()
  }
})
