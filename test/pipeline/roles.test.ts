/**
 * Who is the agent on a stereo call without CTI metadata: decided from the call's own evidence at
 * save time, stored with the call; explicit metadata and a person's swap always win.
 */
import { copyFileSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import type { Piscina } from 'piscina'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { resolveMetricsOptions } from '../../analysis/stages/compute-metrics.js'
import { resolveVadOptions } from '../../analysis/stages/detect-voice-activity.js'
import type { Database } from '../../db/index.js'
import { getCallMetrics } from '../../db/queries/call-metrics.js'
import { requestSwap } from '../../db/queries/calls.js'
import { loadMetadata } from '../../pipeline/metadata.js'
import { createPool } from '../../pipeline/pool.js'
import { processCall } from '../../pipeline/process-call.js'
import { ingest } from '../../pipeline/run.js'
import { ffmpeg, ffmpegPath, sample, tempDir } from '../helpers/audio.js'
import { openTestDb } from '../helpers/db.js'

let db: Database
let pool: Piscina
const tmp = tempDir()
const storageDir = path.join(tmp.dir, 'storage')
beforeAll(async () => {
  db = await openTestDb('pipeline/roles')
  pool = createPool({ threads: 2 })
})
afterAll(async () => {
  await pool.destroy()
  await db.close()
  tmp.remove()
})

/** call-02 with its channels the other way round (the agent on the right), and its transcript. */
function swappedCopy(name: string): string {
  const file = ffmpeg(
    // The name as a tag: each copy is its own recording (its own sha256).
    [
      '-i',
      sample('call-02-phone-password.wav'),
      '-af',
      'pan=stereo|c0=c1|c1=c0',
      '-c:a',
      'pcm_mulaw',
      '-metadata',
      `title=${name}`,
    ],
    path.join(tmp.dir, `${name}.wav`),
  )
  copyFileSync(sample('call-02-phone-password.json'), path.join(tmp.dir, `${name}.json`))
  return file
}

const row = async (name: string) =>
  (
    await db.query<{ id: number; speakers_swapped: boolean; role_decision: Record<string, unknown> | null }>(
      'SELECT id, speakers_swapped, role_decision FROM calls WHERE source_name = $1',
      [name],
    )
  ).rows[0]
const firstAgentLine = async (id: number) =>
  (
    await db.query<{ speaker: string; text_redacted: string }>(
      'SELECT speaker, text_redacted FROM utterances WHERE call_id = $1 ORDER BY seq LIMIT 1',
      [id],
    )
  ).rows[0]

describe('who is the agent', () => {
  test('both ways: the agent found on the left of the sample, and on the right of its swapped copy', async () => {
    const original = path.join(tmp.dir, 'as-recorded.wav')
    copyFileSync(sample('call-02-phone-password.wav'), original)
    copyFileSync(sample('call-02-phone-password.json'), path.join(tmp.dir, 'as-recorded.json'))
    const swapped = swappedCopy('agent-right')
    const report = await ingest({ db, pool, storageDir, ffmpegPath, inputs: [original, swapped] })
    expect(report.done).toBe(2)

    const kept = await row('as-recorded.wav')
    expect(kept?.role_decision).toMatchObject({ source: 'transcript', agent: 'left', swapped: false })
    const found = await row('agent-right.wav')
    expect(found?.role_decision).toMatchObject({ source: 'transcript', agent: 'right', swapped: true })
    expect(found?.speakers_swapped).toBe(true)
    // The same call either way: the agent's talk, and the agent's words, end up with the agent.
    const a = await getCallMetrics(db, kept?.id as number)
    const b = await getCallMetrics(db, found?.id as number)
    expect(Math.abs((a?.agentTalkMs ?? 0) - (b?.agentTalkMs ?? 0))).toBeLessThan(500)
    expect(await firstAgentLine(found?.id as number)).toMatchObject({
      speaker: 'agent',
      text_redacted: expect.stringMatching(/^Good afternoon, Acme support, this is Sam speaking/),
    })
    // Re-running the swapped call does not swap it back.
    await ingest({ db, pool, storageDir, ffmpegPath, inputs: [swapped], options: { reprocess: true } })
    expect(await row('agent-right.wav')).toMatchObject({
      speakers_swapped: true,
      role_decision: { agent: 'right' },
    })
  })

  test('one channel: two voices split and named by the role cues, with or without the direction', async () => {
    // call-07 mixed to mono, with its transcript: the customer answers "Hello?" first. Without
    // metadata the first voice is taken for the agent until the agent's phrases ("am I speaking
    // with", "calling from", "can you confirm") swap it; tagged outbound, it is named right at once.
    const copies = ['mono-plain', 'mono-outbound'].map((name) => {
      const file = ffmpeg(
        [
          '-i',
          sample('call-07-phone-outbound.wav'),
          '-ac',
          '1',
          '-c:a',
          'pcm_mulaw',
          '-metadata',
          `title=${name}`,
        ],
        path.join(tmp.dir, `${name}.wav`),
      )
      copyFileSync(sample('call-07-phone-outbound.json'), path.join(tmp.dir, `${name}.json`))
      return file
    })
    const meta = path.join(tmp.dir, 'direction.csv')
    writeFileSync(meta, 'file,direction\nmono-outbound.wav,outbound\n')
    const report = await ingest({
      db,
      pool,
      storageDir,
      ffmpegPath,
      inputs: copies,
      options: { metadata: loadMetadata(meta) },
    })
    expect(report.done).toBe(2)
    const plain = await row('mono-plain.wav')
    expect(plain?.role_decision).toMatchObject({ source: 'transcript', agent: 'second voice', swapped: true })
    const outbound = await row('mono-outbound.wav')
    expect(outbound?.role_decision).toMatchObject({ agent: 'second voice', swapped: false })
    for (const call of [plain, outbound]) {
      const metrics = await getCallMetrics(db, call?.id as number)
      // Named right: the agent's talk is the agent's (truth: 21.8 s agent, 5.9 s customer; the
      // customer's short answers come out wider, with the VAD's padding and bridged pauses).
      expect(Math.abs((metrics?.agentTalkMs ?? 0) - 21_830) / 21_830).toBeLessThan(0.15)
      expect(metrics?.agentTalkMs).toBeGreaterThan(1.5 * (metrics?.customerTalkMs ?? 0))
      expect(metrics?.overtalkMs).toBeNull()
    }
    const agentWords = await db.query<{ text_redacted: string }>(
      "SELECT text_redacted FROM utterances WHERE call_id = $1 AND speaker = 'agent' ORDER BY seq LIMIT 1",
      [plain?.id],
    )
    expect(agentWords.rows[0]?.text_redacted).toMatch(/^Hello, this is Ray calling from Acme Insurance/)
  })

  test('explicit metadata wins over the evidence, and a swap by a person wins over both', async () => {
    const swapped = swappedCopy('told-left')
    const meta = path.join(tmp.dir, 'meta.csv')
    writeFileSync(meta, 'file,swap_speakers\ntold-left.wav,false\n')
    await ingest({
      db,
      pool,
      storageDir,
      ffmpegPath,
      inputs: [swapped],
      options: { metadata: loadMetadata(meta) },
    })
    const told = await row('told-left.wav')
    expect(told).toMatchObject({ speakers_swapped: false, role_decision: { source: 'metadata' } })

    const call = (await requestSwap(db, told?.id as number)) as NonNullable<
      Awaited<ReturnType<typeof requestSwap>>
    >
    await processCall({
      db,
      pool,
      storageDir,
      ffmpegPath,
      call,
      vad: resolveVadOptions(),
      metrics: resolveMetricsOptions(),
    })
    expect(await row('told-left.wav')).toMatchObject({
      speakers_swapped: true,
      role_decision: { source: 'manual' },
    })
  })
})
