/**
 * Follow-ups from the command line, as a deployment without a server running would use them: users
 * made, rules loaded (checked against them), calls ingested — the ingest says what it opened and,
 * with a webhook receiver configured, sends the events before it exits, signed.
 */
import { execFile } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { sample, tempDir } from '../helpers/audio.js'
import { testDbKind } from '../helpers/db.js'
import { type Receiver, startReceiver } from '../helpers/webhook-receiver.js'
import { PEOPLE, RULES_YAML } from './seed.js'

const root = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..')
const bin = path.join(root, 'bin', 'callqa.js')
const tmp = tempDir()
let receiver: Receiver

beforeAll(async () => {
  receiver = await startReceiver()
})
afterAll(() => {
  receiver?.close()
  tmp.remove()
})

async function callqa(...args: string[]) {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    CALLQA_DATA_DIR: path.join(tmp.dir, 'data'),
    CALLQA_WORKERS: '2',
    CALLQA_WEBHOOK_URL: receiver.url,
    CALLQA_WEBHOOK_SECRET: receiver.secret,
  }
  delete env.DATABASE_URL
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [bin, ...args], {
      env,
      timeout: 180_000,
    })
    return { code: 0, out: stdout + stderr }
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string }
    return { code: e.code, out: e.stdout + e.stderr }
  }
}

describe.runIf(testDbKind === 'pglite')('callqa follow-ups', () => {
  test('users, rules, ingest: the calls open their follow-ups and the events reach the receiver', async () => {
    const rules = path.join(tmp.dir, 'rules.yaml')
    writeFileSync(rules, RULES_YAML)
    // The rules name people who do not exist yet: refused with the place.
    const early = await callqa('follow-ups', 'load', rules)
    expect(early.code).not.toBe(0)
    expect(early.out).toMatch(/rules\.yaml:21:28: teams\.escalations\.members\.0: no callqa user lee/)
    for (const [name, role] of PEOPLE)
      expect((await callqa('users', 'add', name, '--role', role)).code).toBe(0)
    const loaded = await callqa('follow-ups', 'load', rules)
    expect(loaded.out).toMatch(/support-follow-ups v1: stored as a new version \(active\)/)
    const run = await callqa(
      'ingest',
      sample('call-06-phone-angry.wav'),
      sample('call-10-phone-hold-en.wav'),
      sample('call-01-clean-billing.flac'),
      '--meta',
      sample('metadata.csv'),
    )
    expect(run.out).toMatch(/3 done, 0 failed/)
    expect(run.out).toMatch(/follow-ups: 2 opened, 0 call\(s\) joined an open one/)
    expect(run.out).toMatch(/webhooks: 2 event\(s\) delivered/)
    expect([...receiver.accepted.values()].map((e) => [e.type, e.data.team, e.data.owner]).sort()).toEqual([
      ['follow_up.created', 'billing', 'ana'],
      ['follow_up.created', 'service-desk', 'cy'],
    ])
    const listed = await callqa('users', 'list')
    expect(listed.out).toMatch(/^ana\treviewer\tactive\ttoken does not expire\tteam billing$/m)
  }, 300_000)
})
