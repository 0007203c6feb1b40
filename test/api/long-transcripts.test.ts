/**
 * Transcripts that do not fit their recording, and transcripts too long for one answer: a
 * transcript whose times run far past the audio fails with the reason (it fed the scores as if
 * true before); a call with thousands of utterances is served in pages, and the page reads them all.
 */
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { afterAll, beforeAll, expect, test } from 'vitest'
import { createPool } from '../../pipeline/pool.js'
import { ingest } from '../../pipeline/run.js'
import { type ApiHarness, startApi } from '../helpers/api.js'
import { ffmpegPath, sample, tempDir } from '../helpers/audio.js'

let api: ApiHarness
const tmp = tempDir()

beforeAll(async () => {
  api = await startApi('api/long-transcripts', { files: [], users: [['max', 'manager']] })
}, 180_000)
afterAll(async () => {
  await api?.close()
  tmp.remove()
})

/** call-07 (36 s) copied with a transcript of our own beside it. */
async function ingestWith(
  name: string,
  utterances: Array<{ speaker: string; start_ms: number; end_ms: number; text: string }>,
) {
  const wav = path.join(tmp.dir, `${name}.wav`)
  copyFileSync(sample('call-07-phone-outbound.wav'), wav)
  // Its own recording (its own sha256): one byte more at the end.
  writeFileSync(wav, Buffer.concat([readFileSync(wav), Buffer.from(name)]))
  writeFileSync(path.join(tmp.dir, `${name}.json`), JSON.stringify({ utterances }))
  const pool = createPool({ threads: 1 })
  try {
    const report = await ingest({ db: api.db, pool, storageDir: api.storageDir, ffmpegPath, inputs: [wav] })
    return report.items[0]?.callId as number
  } finally {
    await pool.destroy()
  }
}

test('a transcript whose times run far past the recording fails with the reason and feeds nothing', async () => {
  const id = await ingestWith('far-past', [
    { speaker: 'agent', start_ms: 1000, end_ms: 4000, text: 'Hello, thank you for calling.' },
    { speaker: 'customer', start_ms: 3_600_000, end_ms: 3_605_000, text: 'This is from another call.' },
  ])
  const detail = await api.call('GET', `/v1/calls/${id}`, 'max')
  expect(detail.body.call).toMatchObject({ status: 'done', transcript_status: 'failed' })
  expect(detail.body.call.transcript_error).toMatch(/reach 3605\.0 s but the recording lasts 36\.\d s/)
  expect(detail.body.utterances).toEqual([])
  // A transcript that ends a little after the audio (rounding, trailing silence) is fine.
  const ok = await ingestWith('a-little-past', [
    { speaker: 'agent', start_ms: 1000, end_ms: 4000, text: 'Hello, thank you for calling.' },
    { speaker: 'customer', start_ms: 35_000, end_ms: 37_500, text: 'Bye.' },
  ])
  expect((await api.call('GET', `/v1/calls/${ok}`, 'max')).body.call.transcript_status).toBe('supplied')
})

test('a call with 2,500 utterances is served 1,000 at a time, and every page is reachable', async () => {
  const many = Array.from({ length: 2500 }, (_, i) => ({
    speaker: i % 2 ? 'customer' : 'agent',
    start_ms: i * 14,
    end_ms: i * 14 + 10,
    text: `word ${i}`,
  }))
  const id = await ingestWith('many', many)
  const detail = await api.call('GET', `/v1/calls/${id}`, 'max')
  expect(detail.body.utterances).toHaveLength(1000)
  expect(detail.body.utterances_total).toBe(2500)
  const seen = [...detail.body.utterances]
  for (let after = detail.body.utterances_next; after !== null; ) {
    const page = await api.call('GET', `/v1/calls/${id}/utterances?after=${after}`, 'max')
    expect(page.status).toBe(200)
    seen.push(...page.body.items)
    after = page.body.next
  }
  expect(seen.map((u: { text_redacted: string }) => u.text_redacted)).toEqual(many.map((u) => u.text))
  expect((await api.call('GET', `/v1/calls/${id}/utterances?limit=5000`, 'max')).status).toBe(400)
})
