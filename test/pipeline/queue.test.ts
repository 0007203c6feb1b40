/**
 * Work spread over "machines" through the pg-boss queue: two queue clients with their own pools
 * pull the same queue (as two `callqa worker` processes would). Postgres server only.
 */
import { writeFileSync } from 'node:fs'
import path from 'node:path'
import type PgBoss from 'pg-boss'
import type { Piscina } from 'piscina'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { resolveMetricsOptions } from '../../analysis/stages/compute-metrics.js'
import { resolveVadOptions } from '../../analysis/stages/detect-voice-activity.js'
import type { Database } from '../../db/index.js'
import type { CallRow } from '../../db/queries/calls.js'
import { createPool } from '../../pipeline/pool.js'
import { callAnalyser } from '../../pipeline/process-call.js'
import {
  ANALYZE_QUEUE,
  enqueueCall,
  openQueue,
  type QueueWorkerEvent,
  startQueueWorker,
} from '../../pipeline/queue.js'
import { ingest } from '../../pipeline/run.js'
import { ffmpegPath, sample, tempDir } from '../helpers/audio.js'
import { dropSchema, openTestDb, schemaFor, testDatabaseUrl, testDbKind } from '../helpers/db.js'

describe.runIf(testDbKind === 'postgres')('pg-boss queue', () => {
  const tmp = tempDir()
  const storageDir = path.join(tmp.dir, 'shared-storage')
  const queueSchema = `${schemaFor('pipeline/queue')}_q`
  let db: Database
  const machines: Array<{ boss: PgBoss; pool: Piscina }> = []

  beforeAll(async () => {
    db = await openTestDb('pipeline/queue')
    await dropSchema(queueSchema)
    for (let i = 0; i < 2; i++) {
      machines.push({
        boss: await openQueue({ databaseUrl: testDatabaseUrl, schema: queueSchema }),
        pool: createPool({ threads: 1 }),
      })
    }
  })
  afterAll(async () => {
    for (const m of machines) {
      await m.boss.stop({ graceful: true, wait: true })
      await m.pool.destroy()
    }
    await db.close()
    await dropSchema(queueSchema)
    tmp.remove()
  })

  test('four processes setting up the queue at once on a fresh database: all start, none deadlocks', async () => {
    // Workers and `ingest --queue` launched together on a new database each create the queue;
    // pg-boss does that without a lock, and without ours one of them failed with a deadlock.
    for (let round = 0; round < 3; round++) {
      const schema = `${queueSchema}_setup${round}`
      await dropSchema(schema)
      const opened = await Promise.allSettled(
        [1, 2, 3, 4].map(() => openQueue({ databaseUrl: testDatabaseUrl, schema })),
      )
      for (const o of opened)
        if (o.status === 'fulfilled') await o.value.stop({ graceful: false, wait: true })
      await dropSchema(schema)
      expect(opened.map((o) => (o.status === 'rejected' ? String(o.reason) : 'started'))).toEqual(
        Array(4).fill('started'),
      )
    }
  })

  test('ingest --queue enqueues; two workers process every call exactly once', async () => {
    const bad = path.join(tmp.dir, 'not-audio.wav')
    writeFileSync(bad, 'plain text\n')
    const [first] = machines
    if (!first) throw new Error('no queue')
    const inputs = [
      sample('call-02-phone-password.wav'),
      sample('call-05-phone-overtalk.wav'),
      sample('call-07-phone-outbound.wav'),
      bad,
    ]
    const report = await ingest({
      db,
      pool: first.pool,
      storageDir,
      ffmpegPath,
      inputs,
      options: { enqueue: (call, options) => enqueueCall(first.boss, call, options) },
    })
    expect(report.queued).toBe(4)
    const queued = await db.query<CallRow>('SELECT * FROM calls')
    expect(queued.rows.every((r) => r.status === 'queued')).toBe(true)
    // Enqueueing is idempotent: a second `ingest --queue` (here from the other machine) adds no job.
    const second = machines[1] as (typeof machines)[number]
    for (const call of queued.rows)
      await enqueueCall(second.boss, call, { vad: resolveVadOptions(), metrics: resolveMetricsOptions() })
    expect(await first.boss.getQueueSize(ANALYZE_QUEUE)).toBe(4)

    const events: QueueWorkerEvent[] = []
    let allDone!: () => void
    const finished = new Promise<void>((resolve) => {
      allDone = resolve
    })
    const onCall = (e: QueueWorkerEvent) => {
      events.push(e)
      if (events.length === inputs.length) allDone()
    }
    const workers = await Promise.all(
      machines.map((m) =>
        startQueueWorker({
          boss: m.boss,
          db,
          analyser: callAnalyser({ db, pool: m.pool, storageDir, ffmpegPath }),
          concurrency: 1,
          pollingIntervalSeconds: 0.5,
          onCall,
        }),
      ),
    )
    await finished
    await Promise.all(workers.map((w) => w.stop()))

    const rows = await db.query<{
      source_name: string
      status: string
      error_code: string | null
      attempts: number
    }>('SELECT source_name, status, error_code, attempts FROM calls ORDER BY source_name')
    expect(rows.rows).toEqual([
      { source_name: 'call-02-phone-password.wav', status: 'done', error_code: null, attempts: 1 },
      { source_name: 'call-05-phone-overtalk.wav', status: 'done', error_code: null, attempts: 1 },
      { source_name: 'call-07-phone-outbound.wav', status: 'done', error_code: null, attempts: 1 },
      { source_name: 'not-audio.wav', status: 'failed', error_code: 'QA_ERR_AUDIO_DECODE', attempts: 1 },
    ])
    expect(new Set(events.map((e) => e.callId)).size).toBe(4)
    const metrics = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM call_metrics')
    expect(metrics.rows[0]?.n).toBe(3)
  })
})
