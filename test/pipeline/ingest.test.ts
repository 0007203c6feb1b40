/**
 * ingest → piscina workers → persist, against a real database (PGlite, or the Postgres server
 * with CALLQA_TEST_DB=postgres), on the real sample calls and on bad files.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import type { Piscina } from 'piscina'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { analyzeCall } from '../../analysis/analyze-call.js'
import type { Database } from '../../db/index.js'
import { getCallMetrics } from '../../db/queries/call-metrics.js'
import { listProsodicSegments, listSegments } from '../../db/queries/segments.js'
import { loadMetadata } from '../../pipeline/metadata.js'
import { saveCallResult } from '../../pipeline/persist.js'
import { createPool } from '../../pipeline/pool.js'
import { ingest } from '../../pipeline/run.js'
import { loadTruths, samplesDir } from '../../samples/ground-truth.js'
import { ffmpeg, ffmpegPath, sample, tempDir } from '../helpers/audio.js'
import { openTestDb } from '../helpers/db.js'

let db: Database
let pool: Piscina
const tmp = tempDir()
const storageDir = path.join(tmp.dir, 'storage')

beforeAll(async () => {
  db = await openTestDb('pipeline/ingest')
  pool = createPool({ threads: 2 })
})
afterAll(async () => {
  await pool.destroy()
  await db.close()
  tmp.remove()
})

const run = (inputs: string[], options: Parameters<typeof ingest>[0]['options'] = {}) =>
  ingest({ db, pool, storageDir, ffmpegPath, inputs, options })

const count = async (sql: string, params: unknown[] = []) =>
  Number((await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${sql}`, params)).rows[0]?.n)

describe('sample calls', () => {
  test('every sample call is processed through the worker pool and stored with its metadata', async () => {
    const report = await run([samplesDir], { metadata: loadMetadata(path.join(samplesDir, 'metadata.csv')) })
    expect(report.failed).toBe(0)
    expect(report.done).toBe(loadTruths().length)
    expect(await count("calls WHERE status = 'done'")).toBe(loadTruths().length)

    const calls = await db.query<Record<string, unknown>>('SELECT * FROM calls ORDER BY source_name')
    const first = calls.rows[0] as Record<string, unknown>
    expect(first).toMatchObject({
      source_name: 'call-01-clean-billing.flac',
      external_id: 'EXT-call-01-clean-billing',
      agent_id: 'a.sam',
      team: 'billing-east',
      queue: 'billing',
      direction: 'inbound',
      csat: 5,
      channel_layout: 'stereo-agent-left',
      status: 'done',
      pipeline_version: expect.any(String),
    })
    expect(new Date(first.started_at as string).toISOString()).toBe('2026-11-02T09:15:00.000Z')
    const mono = calls.rows.find((r) => r.source_name === 'call-03-mono-delivery.wav')
    expect(mono?.channel_layout).toBe('mono')
    const outbound = calls.rows.find((r) => r.source_name === 'call-07-phone-outbound.wav')
    expect(outbound?.direction).toBe('outbound')

    // The recording was copied into storage under its sha256.
    const stored = path.join(storageDir, first.storage_uri as string)
    expect(existsSync(stored)).toBe(true)
    expect(readFileSync(stored).equals(readFileSync(sample('call-01-clean-billing.flac')))).toBe(true)

    // The stored rows are exactly what the worker computed.
    const id = first.id as number
    const direct = await analyzeCall({ inputPath: stored, layout: 'auto', ffmpegPath })
    expect(await listProsodicSegments(db, id)).toEqual(direct.segments)
    expect(await getCallMetrics(db, id)).toEqual(direct.metrics)
  })

  test('the same file again is the same call; --reprocess runs it again without duplicating', async () => {
    const callsBefore = await count('calls')
    const segmentsBefore = await count('segments')
    const again = await run([sample('call-02-phone-password.wav'), sample('call-05-phone-overtalk.wav')])
    expect(again.items.map((i) => i.status)).toEqual(['skipped', 'skipped'])
    expect(await count('calls')).toBe(callsBefore)

    // A copy under another name has the same bytes: still the same call.
    const copy = path.join(tmp.dir, 'renamed-copy.wav')
    writeFileSync(copy, readFileSync(sample('call-02-phone-password.wav')))
    expect((await run([copy])).items[0]?.status).toBe('skipped')

    const redo = await run([sample('call-02-phone-password.wav')], { reprocess: true })
    expect(redo.items[0]?.status).toBe('done')
    expect(redo.items[0]?.callId).toBe(again.items[0]?.callId)
    expect(await count('calls')).toBe(callsBefore)
    expect(await count('segments')).toBe(segmentsBefore)
    const attempts = await db.query<{ attempts: number }>('SELECT attempts FROM calls WHERE id = $1', [
      redo.items[0]?.callId,
    ])
    // attempts counts the claims since the call was last queued (--reprocess queues it afresh)
    expect(attempts.rows[0]?.attempts).toBe(1)
  })

  test('a call left queued or processing by a crashed run is picked up by the next run', async () => {
    const id = (
      await db.query<{ id: number }>(
        "UPDATE calls SET status = 'processing' WHERE source_name = 'call-06-phone-angry.wav' RETURNING id",
      )
    ).rows[0]?.id
    const report = await run([sample('call-06-phone-angry.wav')])
    expect(report.items[0]).toMatchObject({ callId: id, status: 'done' })
  })
})

describe('recordings as recorders write them', () => {
  test('a dual-mono file is stored as one channel, with what the channel check measured', async () => {
    const file = ffmpeg(
      [
        '-i',
        sample('call-05-phone-overtalk.wav'),
        '-af',
        'pan=stereo|c0=c0+c1|c1=c0+c1',
        '-c:a',
        'pcm_mulaw',
      ],
      path.join(tmp.dir, 'dual-mono.wav'),
    )
    const report = await run([file])
    expect(report.done).toBe(1)
    const id = report.items[0]?.callId
    const row = (
      await db.query<Record<string, unknown>>(
        'SELECT channel_layout, channel_check FROM calls WHERE id = $1',
        [id],
      )
    ).rows[0]
    expect(row).toMatchObject({
      channel_layout: 'mono',
      channel_check: { layout: 'dual-mono', lagSamples: 0 },
    })
    // Overlap cannot be measured on one channel: null, never "all of the talk".
    expect(await getCallMetrics(db, id as number)).toMatchObject({ overtalkMs: null, overtalkCount: null })
  })
})

describe('bad input', () => {
  test('each bad file fails its own call with a reason; the rest of the batch completes', async () => {
    const bad = path.join(tmp.dir, 'bad')
    const { mkdirSync } = await import('node:fs')
    mkdirSync(bad)
    writeFileSync(path.join(bad, 'a-empty.wav'), '')
    writeFileSync(path.join(bad, 'b-text.wav'), 'this is a text file, not a recording\n')
    writeFileSync(
      path.join(bad, 'c-truncated.wav'),
      readFileSync(sample('call-04-phone-dead-air.wav')).subarray(0, 200_000),
    )
    ffmpeg(['-f', 'lavfi', '-i', 'anullsrc=r=8000:cl=mono', '-t', '0'], path.join(bad, 'd-zero.wav'))
    const sine = (f: number) => ['-f', 'lavfi', '-i', `sine=f=${f}:d=2`]
    ffmpeg(
      [
        ...sine(300),
        ...sine(500),
        ...sine(700),
        '-filter_complex',
        '[0][1][2]join=inputs=3:channel_layout=2.1',
      ],
      path.join(bad, 'e-three-channels.wav'),
    )
    // A good recording in the middle of the bad ones, converted so it is a new call.
    ffmpeg(['-i', sample('call-07-phone-outbound.wav'), '-c:a', 'libmp3lame'], path.join(bad, 'f-good.mp3'))
    const missing = path.join(tmp.dir, 'no-such-recording.wav')

    const report = await run([bad, missing])
    const byName = Object.fromEntries(report.items.map((i) => [path.basename(i.path), i]))
    expect(byName['a-empty.wav']).toMatchObject({ status: 'failed', errorCode: 'QA_ERR_INPUT_EMPTY' })
    expect(byName['b-text.wav']).toMatchObject({ status: 'failed', errorCode: 'QA_ERR_AUDIO_DECODE' })
    expect(byName['c-truncated.wav']).toMatchObject({ status: 'failed', errorCode: 'QA_ERR_AUDIO_DECODE' })
    expect(byName['c-truncated.wav']?.errorMessage).toMatch(/truncated/)
    expect(byName['d-zero.wav']).toMatchObject({ status: 'failed', errorCode: 'QA_ERR_AUDIO_EMPTY' })
    expect(byName['e-three-channels.wav']).toMatchObject({
      status: 'failed',
      errorCode: 'QA_ERR_CHANNEL_LAYOUT',
    })
    expect(byName['f-good.mp3']).toMatchObject({ status: 'done' })
    expect(byName['no-such-recording.wav']).toMatchObject({
      status: 'failed',
      errorCode: 'QA_ERR_INPUT_UNREADABLE',
    })
    expect(report).toMatchObject({ done: 1, failed: 6 })

    // The database says the same, with reasons, and no derived rows for failed calls.
    const failed = await db.query<{ source_name: string; error_code: string; error_message: string }>(
      "SELECT source_name, error_code, error_message FROM calls WHERE status = 'failed' ORDER BY source_name",
    )
    expect(failed.rows.map((r) => r.source_name)).toEqual([
      'a-empty.wav',
      'b-text.wav',
      'c-truncated.wav',
      'd-zero.wav',
      'e-three-channels.wav',
      'no-such-recording.wav',
    ])
    for (const row of failed.rows) expect(row.error_message.length).toBeGreaterThan(10)
    expect(await count("segments WHERE call_id IN (SELECT id FROM calls WHERE status = 'failed')")).toBe(0)
  })

  test('a result that cannot be saved leaves nothing half-written', async () => {
    const id = (
      await db.query<{ id: number }>("SELECT id FROM calls WHERE source_name = 'call-05-phone-overtalk.wav'")
    ).rows[0]?.id as number
    const before = await listSegments(db, id)
    const metricsBefore = await getCallMetrics(db, id)
    const result = await analyzeCall({
      inputPath: sample('call-05-phone-overtalk.wav'),
      layout: 'auto',
      ffmpegPath,
    })
    // The second segment breaks a CHECK constraint (end before start) after the delete ran.
    const broken = {
      ...result,
      segments: [
        ...result.segments.slice(0, 1),
        {
          ...(result.segments[0] as (typeof result.segments)[number]),
          speaker: 'agent' as const,
          startMs: 10,
          endMs: 5,
        },
      ],
    }
    await expect(saveCallResult(db, id, broken, {})).rejects.toMatchObject({ code: '23514' })
    expect(await listSegments(db, id)).toEqual(before)
    expect(await getCallMetrics(db, id)).toEqual(metricsBefore)
  })
})
