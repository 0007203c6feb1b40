/**
 * Each call analysed exactly once: a call is claimed atomically with a lease its owner renews, a
 * result is saved only under a live claim, a dead process's call is claimed again once its lease
 * runs out, and after MAX_ATTEMPTS it fails with the reason. Real audio through the real pool.
 */
import path from 'node:path'
import type { Piscina } from 'piscina'
import { afterAll, beforeAll, beforeEach, expect, test } from 'vitest'
import { resolveMetricsOptions } from '../../analysis/stages/compute-metrics.js'
import { resolveVadOptions } from '../../analysis/stages/detect-voice-activity.js'
import type { Database } from '../../db/index.js'
import { type CallRow, MAX_ATTEMPTS, requeueCall } from '../../db/queries/calls.js'
import { createPool } from '../../pipeline/pool.js'
import { processCall } from '../../pipeline/process-call.js'
import { ingest } from '../../pipeline/run.js'
import { startSweeper } from '../../pipeline/sweeper.js'
import { ffmpegPath, sample, tempDir } from '../helpers/audio.js'
import { openTestDb } from '../helpers/db.js'

let db: Database
let pool: Piscina
const tmp = tempDir()
const storageDir = path.join(tmp.dir, 'storage')
let callId: number

beforeAll(async () => {
  db = await openTestDb('pipeline/lease')
  pool = createPool({ threads: 2 })
  const report = await ingest({
    db,
    pool,
    storageDir,
    ffmpegPath,
    inputs: [sample('call-03-mono-delivery.wav')],
    options: { enqueue: async () => {} },
  })
  callId = report.items[0]?.callId as number
})
afterAll(async () => {
  await pool.destroy()
  await db.close()
  tmp.remove()
})
beforeEach(async () => {
  await db.query(
    `UPDATE calls SET status = 'queued', attempts = 0, lease_owner = NULL, lease_expires_at = NULL,
       error_code = NULL, error_message = NULL WHERE id = $1`,
    [callId],
  )
})

const row = async () =>
  (await db.query<CallRow>('SELECT * FROM calls WHERE id = $1', [callId])).rows[0] as CallRow
const segments = async () =>
  Number(
    (await db.query<{ n: string }>('SELECT count(*) AS n FROM segments WHERE call_id = $1', [callId])).rows[0]
      ?.n,
  )
const run = async (call: CallRow, leaseMs?: number) =>
  processCall({
    db,
    pool,
    storageDir,
    ffmpegPath,
    call,
    vad: resolveVadOptions(),
    metrics: resolveMetricsOptions(),
    ...(leaseMs ? { leaseMs } : {}),
  })

test('two analyses of one call at once: one claims it and saves, the other is skipped', async () => {
  const call = await row()
  const outcomes = await Promise.all([run(call), run(call)])
  expect(outcomes.map((o) => o.status).sort()).toEqual(['done', 'skipped'])
  const skipped = outcomes.find((o) => o.status === 'skipped')
  expect(skipped).toMatchObject({ reason: 'being analysed by another process right now' })
  const once = await segments()
  expect(once).toBeGreaterThan(0)
  expect(await row()).toMatchObject({
    status: 'done',
    attempts: 1,
    lease_owner: null,
    lease_expires_at: null,
  })
  // A finished call is not claimed again by a late delivery of the same job.
  expect((await run(call)).status).toBe('skipped')
  expect(await segments()).toBe(once)
})

test('a result is not saved once the claim has passed to another process', async () => {
  await db.query('DELETE FROM segments WHERE call_id = $1', [callId])
  const job = run(await row(), 400)
  // Another process takes the call over (as if this one had stalled past its lease).
  for (let i = 0; i < 200 && (await row()).status !== 'processing'; i++)
    await new Promise((r) => setTimeout(r, 10))
  await db.query("UPDATE calls SET lease_owner = 'another-process' WHERE id = $1", [callId])
  const outcome = await job
  expect(outcome.status).toBe('skipped')
  expect(await segments()).toBe(0)
  expect(await row()).toMatchObject({ status: 'processing', lease_owner: 'another-process' })
})

test("a dead process's call is claimed again once its lease runs out, not before", async () => {
  await db.query(
    `UPDATE calls SET status = 'processing', attempts = 1, lease_owner = 'dead-process',
       lease_expires_at = now() + interval '1 minute' WHERE id = $1`,
    [callId],
  )
  expect(await run(await row())).toMatchObject({ status: 'skipped' })
  await db.query("UPDATE calls SET lease_expires_at = now() - interval '1 second' WHERE id = $1", [callId])
  expect(await run(await row())).toMatchObject({ status: 'done' })
  expect(await row()).toMatchObject({ status: 'done', attempts: 2 })
})

test('after MAX_ATTEMPTS claims that died the call fails with the reason; the sweeper hands on the rest', async () => {
  await db.query(
    `UPDATE calls SET status = 'processing', attempts = $2, lease_owner = 'dead-process',
       lease_expires_at = now() - interval '1 second' WHERE id = $1`,
    [callId, MAX_ATTEMPTS - 1],
  )
  const handed: number[] = []
  const sweeper = startSweeper({ db, handOn: async (call) => void handed.push(call.id), intervalMs: 60_000 })
  try {
    expect(await sweeper.sweep()).toEqual({ handedOn: [callId], failed: [] })
    await db.query('UPDATE calls SET attempts = $2 WHERE id = $1', [callId, MAX_ATTEMPTS])
    expect(await sweeper.sweep()).toEqual({ handedOn: [], failed: [callId] })
  } finally {
    sweeper.stop()
  }
  const failed = await row()
  expect(failed).toMatchObject({ status: 'failed', error_code: 'QA_ERR_ABANDONED', lease_owner: null })
  expect(failed.error_message).toMatch(/3 times without finishing/)
})

test('a call left processing with no lease (by a version before leases) is not held by anyone', async () => {
  await db.query(
    `UPDATE calls SET status = 'processing', lease_owner = NULL, lease_expires_at = NULL WHERE id = $1`,
    [callId],
  )
  // `ingest --reprocess` may queue it again (it was refused as "being analysed" before)…
  expect(await requeueCall(db, callId, 'auto', {})).toMatchObject({ id: callId, status: 'queued' })
  // …and a live claim is still respected.
  await db.query(
    `UPDATE calls SET status = 'processing', lease_owner = 'alive', lease_expires_at = now() + interval '1 minute' WHERE id = $1`,
    [callId],
  )
  expect(await requeueCall(db, callId, 'auto', {})).toBeUndefined()
})
