/** Supplied transcripts at ingest: parsed, mapped, redacted before storage, failures recorded. */
import { execFileSync } from 'node:child_process'
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import type { Piscina } from 'piscina'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { resolveMetricsOptions } from '../../analysis/stages/compute-metrics.js'
import { resolveVadOptions } from '../../analysis/stages/detect-voice-activity.js'
import { redactUtterances } from '../../analysis/stages/redact-utterances.js'
import { pocketsphinxUnavailable, TRUSTED_CONFIDENCE } from '../../analysis/stages/transcribe.js'
import type { Database } from '../../db/index.js'
import { requestSwap } from '../../db/queries/calls.js'
import { listUtterances } from '../../db/queries/utterances.js'
import { loadMetadata } from '../../pipeline/metadata.js'
import { createPool } from '../../pipeline/pool.js'
import { processCall } from '../../pipeline/process-call.js'
import { type IngestOptions, ingest } from '../../pipeline/run.js'
import { loadTruths, samplesDir } from '../../samples/ground-truth.js'
import { ffmpeg, ffmpegPath, sample, tempDir } from '../helpers/audio.js'
import { openTestDb } from '../helpers/db.js'

let db: Database
let pool: Piscina
const tmp = tempDir()
const storageDir = path.join(tmp.dir, 'storage')
beforeAll(async () => {
  db = await openTestDb('pipeline/transcript')
  pool = createPool({ threads: 2 })
})
afterAll(async () => {
  await pool.destroy()
  await db.close()
  tmp.remove()
})

const callBySource = async (name: string) =>
  (
    await db.query<{
      id: number
      status: string
      transcript_status: string
      transcript_format: string | null
      transcript_error: string | null
    }>(
      'SELECT id, status, transcript_status, transcript_format, transcript_error FROM calls WHERE source_name = $1',
      [name],
    )
  ).rows[0]

test('sample calls: transcripts beside the recordings are stored redacted; a call without one says so', async () => {
  const report = await ingest({ db, pool, storageDir, ffmpegPath, inputs: [samplesDir] })
  expect(report.failed).toBe(0)
  for (const truth of loadTruths()) {
    const call = await callBySource(truth.file)
    if (truth.id === 'call-03-mono-delivery') {
      expect(call?.transcript_status).toBe('none')
      continue
    }
    expect(call).toMatchObject({ status: 'done', transcript_status: 'supplied', transcript_format: 'callqa' })
    const utterances = await listUtterances(db, call?.id as number)
    expect(utterances.map((u) => [u.speaker, u.start_ms, u.end_ms])).toEqual(
      truth.utterances.map((u) => [u.speaker, u.startMs, u.endMs]),
    )
    for (const u of utterances) expect(u.text).toBeNull() // originals are not kept by default
  }
  // The customer spells an e-mail address in the overtalk call: it never reaches the database.
  const overtalk = await callBySource('call-05-phone-overtalk.wav')
  const said = (await listUtterances(db, overtalk?.id as number)).find((u) =>
    u.text_redacted.includes('[EMAIL]'),
  )
  expect(said?.text_redacted).toBe('It is [EMAIL], the order was placed online.')
  expect(said?.redactions).toHaveLength(1)
  const span = said?.redactions[0]
  expect(span?.kind).toBe('email')
  expect(span?.start_ms).toBeGreaterThanOrEqual(said?.start_ms as number)
  expect(span?.end_ms).toBeLessThanOrEqual(said?.end_ms as number)
  const stored = await db.query<{ n: number }>(
    "SELECT count(*)::int AS n FROM utterances WHERE text_redacted ILIKE '%example dot com%'",
  )
  expect(stored.rows[0]?.n).toBe(0)
})

test('sample calls: sentiment per utterance, arousal from the audio, and the call-level summary', async () => {
  // Runs on the calls the first test ingested.
  const summary = async (name: string) => {
    const call = await callBySource(name)
    const metrics = await db.query<{
      customer_sentiment_start: number | null
      customer_sentiment_end: number | null
      customer_sentiment_min: number | null
      customer_sentiment_trend: number | null
      agent_sentiment_mean: number | null
      agitated_segments: number
      arousal_peaks: Array<{ speaker: string; start_ms: number; end_ms: number; arousal: number }>
    }>('SELECT * FROM call_metrics WHERE call_id = $1', [call?.id])
    return { id: call?.id as number, m: metrics.rows[0] }
  }
  for (const truth of loadTruths()) {
    const { id, m } = await summary(truth.file)
    const utterances = await listUtterances(db, id)
    if (truth.id === 'call-03-mono-delivery') {
      // No transcript: no sentiment, but the acoustic part still ran.
      expect(m).toMatchObject({
        customer_sentiment_start: null,
        agent_sentiment_mean: null,
        agitated_segments: 0,
      })
      continue
    }
    for (const u of utterances) {
      expect(u.language).toBe(truth.language)
      expect(u.sentiment).toBeGreaterThanOrEqual(-1)
      expect(u.sentiment).toBeLessThanOrEqual(1)
    }
    const customer = utterances.filter((u) => u.speaker === 'customer').map((u) => u.sentiment as number)
    expect(m?.customer_sentiment_min).toBeCloseTo(Math.min(...customer), 3)
    expect(m?.customer_sentiment_trend).toBeCloseTo(
      (m?.customer_sentiment_end as number) - (m?.customer_sentiment_start as number),
      2,
    )
    // The script's agitated turns, and only those, are flagged: the peaks lie on them.
    const agitated = truth.utterances.filter((u) => u.agitated)
    expect(m?.agitated_segments).toBe(agitated.length)
    for (const peak of m?.arousal_peaks ?? []) {
      const turn = agitated.find((u) => peak.start_ms < u.endMs && peak.end_ms > u.startMs)
      expect(turn, `peak at ${peak.start_ms} ms in ${truth.id}`).toBeDefined()
      expect(peak.speaker).toBe(turn?.speaker)
      expect(peak.arousal).toBeGreaterThanOrEqual(0.5)
    }
    // Utterance arousal comes from the segments under it.
    for (const u of utterances) {
      const said = truth.utterances.find((t) => t.startMs === u.start_ms)
      if (said?.agitated) expect(u.arousal).toBeGreaterThan(0.5)
    }
  }
  // The angry call: calm at first, angry at the end — the trend says so; the resolved billing
  // call ends at least as well as it began.
  const angry = await summary('call-06-phone-angry.wav')
  expect(angry.m?.customer_sentiment_trend).toBeLessThan(-0.3)
  expect(angry.m?.customer_sentiment_min).toBeLessThan(-0.5)
  const billing = await summary('call-01-clean-billing.flac')
  expect(billing.m?.customer_sentiment_end).toBeGreaterThan(0.05)
  expect(billing.m?.customer_sentiment_trend).toBeGreaterThanOrEqual(0)
})

describe('local speech recognition for a call without a transcript', () => {
  const installed = pocketsphinxUnavailable() === undefined
  const mono = 'call-03-mono-delivery.wav'
  const run = (asr: IngestOptions) =>
    ingest({ db, pool, storageDir, ffmpegPath, inputs: [sample(mono)], options: { reprocess: true, ...asr } })
  const status = async () => {
    const call = await callBySource(mono)
    return { call, utterances: await listUtterances(db, call?.id as number) }
  }

  const librivox = '/usr/share/pocketsphinx/test/data/librivox'
  const readSpeech = !installed || !existsSync(librivox) ? undefined : 'librivox-read.wav'

  test.skipIf(!readSpeech)(
    'PocketSphinx transcribes real read speech: trusted, redacted and scored',
    async () => {
      // The five LibriVox clips of pocketsphinx-testdata with a second of silence between them.
      const clips = readdirSync(librivox)
        .filter((f) => f.endsWith('.wav'))
        .sort()
      const file = ffmpeg(
        [
          ...clips.flatMap((c) => ['-i', path.join(librivox, c)]),
          '-filter_complex',
          `${clips.map((_, i) => `[${i}]apad=pad_dur=1[p${i}]`).join(';')};${clips.map((_, i) => `[p${i}]`).join('')}concat=n=${clips.length}:v=0:a=1`,
        ],
        path.join(tmp.dir, readSpeech as string),
      )
      const report = await ingest({
        db,
        pool,
        storageDir,
        ffmpegPath,
        inputs: [file],
        options: { asr: { engine: 'pocketsphinx' } },
      })
      expect(report.done).toBe(1)
      const call = (
        await db.query<Record<string, unknown>>('SELECT * FROM calls WHERE source_name = $1', [readSpeech])
      ).rows[0]
      expect(call).toMatchObject({
        status: 'done',
        transcript_status: 'asr',
        transcript_format: 'pocketsphinx',
        transcript_trusted: true,
      })
      expect(call?.transcript_confidence).toBeGreaterThanOrEqual(TRUSTED_CONFIDENCE)
      const utterances = await listUtterances(db, call?.id as number)
      expect(utterances.length).toBeGreaterThanOrEqual(4)
      const segments = await db.query<{ start_ms: number; end_ms: number }>(
        'SELECT start_ms, end_ms FROM segments WHERE call_id = $1',
        [call?.id],
      )
      for (const u of utterances) {
        // One utterance per segment it found words in; a mono call is read as two voices (a
        // recording is taken to hold two parties, even one read by a single narrator).
        expect(['agent', 'customer']).toContain(u.speaker)
        expect(segments.rows).toContainEqual({ start_ms: u.start_ms, end_ms: u.end_ms })
        expect(u.words?.length).toBeGreaterThan(0)
        expect(u.text).toBeNull()
        expect(u.language).toBe('en')
        expect(u.sentiment).not.toBeNull()
      }
    },
  )

  test.skipIf(!installed)(
    'word salad (PocketSphinx on synthetic 8 kHz voices) is kept and shown, but nothing is derived from it',
    async () => {
      const report = await run({ asr: { engine: 'pocketsphinx' } })
      expect(report.done).toBe(1)
      const { call, utterances } = await status()
      const row = (
        await db.query<Record<string, unknown>>(
          `SELECT c.transcript_status, c.transcript_trusted, c.transcript_confidence, m.customer_sentiment_end,
                  m.agent_sentiment_mean, m.customer_arousal_max
           FROM calls c JOIN call_metrics m ON m.call_id = c.id WHERE c.id = $1`,
          [call?.id],
        )
      ).rows[0]
      expect(row).toMatchObject({
        transcript_status: 'asr',
        transcript_trusted: false,
        customer_sentiment_end: null,
        agent_sentiment_mean: null,
      })
      expect(row?.transcript_confidence).toBeLessThan(TRUSTED_CONFIDENCE)
      // The text is stored (redacted) and shown; no utterance carries a sentiment.
      expect(utterances.length).toBeGreaterThan(3)
      expect(utterances.every((u) => u.sentiment === null && (u.words?.length ?? 0) > 0)).toBe(true)
      // Acoustic analysis is untouched.
      const acoustic = await db.query(
        'SELECT 1 FROM segments WHERE call_id = $1 AND loudness_db IS NOT NULL',
        [call?.id],
      )
      expect(acoustic.rows.length).toBeGreaterThan(0)
    },
  )

  test('without the engine, or for a language it lacks, the call completes acoustic-only and says why', async () => {
    await run({ asr: { engine: 'pocketsphinx', modelDir: path.join(tmp.dir, 'no-model') } })
    let { call, utterances } = await status()
    expect(call).toMatchObject({ status: 'done', transcript_status: 'none' })
    expect(call?.transcript_error).toMatch(/^no local speech recognition: .*(not installed|no-model)/)
    expect(utterances).toEqual([])

    await db.query("UPDATE calls SET language = 'zh' WHERE source_name = $1", [mono])
    await run({ asr: { engine: 'pocketsphinx' } })
    ;({ call } = await status())
    expect(call).toMatchObject({ status: 'done', transcript_status: 'none' })
    expect(call?.transcript_error).toBe('no local speech recognition for language "zh"')
    await db.query('UPDATE calls SET language = NULL WHERE source_name = $1', [mono])
  })

  test.skipIf(!installed)('a recogniser that fails marks the transcript failed, never the call', async () => {
    // A model folder whose files exist but are not a model: pocketsphinx_batch exits with an error.
    const broken = path.join(tmp.dir, 'broken-model')
    mkdirSync(path.join(broken, 'en-us'), { recursive: true })
    writeFileSync(path.join(broken, 'en-us.lm.bin'), 'not a language model')
    writeFileSync(path.join(broken, 'cmudict-en-us.dict'), 'hello HH AH L OW\n')
    const report = await run({ asr: { engine: 'pocketsphinx', modelDir: broken } })
    expect(report.done).toBe(1)
    const { call, utterances } = await status()
    expect(call).toMatchObject({ status: 'done', transcript_status: 'failed', transcript_format: null })
    expect(call?.transcript_error).toMatch(/^pocketsphinx_batch failed/)
    expect(utterances).toEqual([])
    const metrics = await db.query('SELECT 1 FROM call_metrics WHERE call_id = $1', [call?.id])
    expect(metrics.rows).toHaveLength(1)
  })
})

test('a transcript named in the metadata, and a per-call swap of agent and customer', async () => {
  const dir = path.join(tmp.dir, 'named')
  mkdirSync(path.join(dir, 'transcripts'), { recursive: true })
  // A recording whose transcript has another name, in another folder; bytes changed so it is a new call.
  const recording = path.join(dir, 'rec-0001.flac')
  ffmpeg(['-i', sample('call-01-clean-billing.flac'), '-af', 'volume=0.9'], recording)
  copyFileSync(sample('call-01-clean-billing.json'), path.join(dir, 'transcripts', 'billing.json'))
  writeFileSync(
    path.join(dir, 'meta.csv'),
    'file,transcript,swap_speakers,direction\nrec-0001.flac,transcripts/billing.json,true,inbound\n',
  )
  const metadata = loadMetadata(path.join(dir, 'meta.csv'))
  const report = await ingest({
    db,
    pool,
    storageDir,
    ffmpegPath,
    inputs: [recording],
    options: { metadata },
  })
  expect(report.done).toBe(1)
  const call = await callBySource('rec-0001.flac')
  expect(call).toMatchObject({ transcript_status: 'supplied' })
  const truth = loadTruths().find((t) => t.id === 'call-01-clean-billing')
  const flip = (s: string) => (s === 'agent' ? 'customer' : 'agent')
  const utterances = await listUtterances(db, call?.id as number)
  expect(utterances.map((u) => u.speaker)).toEqual(truth?.utterances.map((u) => flip(u.speaker)))
  const layout = await db.query<{ channel_layout: string; speakers_swapped: boolean }>(
    'SELECT channel_layout, speakers_swapped FROM calls WHERE id = $1',
    [call?.id],
  )
  expect(layout.rows[0]).toEqual({ channel_layout: 'stereo-agent-right', speakers_swapped: true })
  const talk = async () =>
    (
      await db.query<{ agent_talk_ms: number; customer_talk_ms: number }>(
        'SELECT agent_talk_ms, customer_talk_ms FROM call_metrics WHERE call_id = $1',
        [call?.id],
      )
    ).rows[0]
  const swapped = await talk()

  // Swapping back (what `callqa swap` does) re-analyses the audio and turns the transcript round.
  const row = await requestSwap(db, call?.id as number)
  const outcome = await processCall({
    db,
    pool,
    storageDir,
    ffmpegPath,
    call: row as NonNullable<typeof row>,
    vad: resolveVadOptions(),
    metrics: resolveMetricsOptions(),
  })
  expect(outcome.status).toBe('done')
  expect((await listUtterances(db, call?.id as number)).map((u) => u.speaker)).toEqual(
    truth?.utterances.map((u) => u.speaker),
  )
  expect(await talk()).toEqual({
    agent_talk_ms: swapped?.customer_talk_ms,
    customer_talk_ms: swapped?.agent_talk_ms,
  })

  // A transcript named in the metadata that is not there fails the transcript, not the call.
  writeFileSync(path.join(dir, 'meta2.csv'), 'file,transcript\nrec-0001.flac,transcripts/missing.vtt\n')
  const again = await ingest({
    db,
    pool,
    storageDir,
    ffmpegPath,
    inputs: [recording],
    options: { metadata: loadMetadata(path.join(dir, 'meta2.csv')), reprocess: true },
  })
  expect(again.done).toBe(1)
  expect(await callBySource('rec-0001.flac')).toMatchObject({
    status: 'done',
    transcript_status: 'failed',
    transcript_error: 'missing.vtt, named in the metadata, is not a readable file',
  })
})

test('a malformed transcript fails the transcript, not the call', async () => {
  const dir = path.join(tmp.dir, 'broken')
  mkdirSync(dir)
  const recording = path.join(dir, 'broken-subs.wav')
  copyFileSync(sample('call-03-mono-delivery.wav'), recording)
  // Same audio as the sample: make it a different file so it is a new call.
  writeFileSync(recording, Buffer.concat([readFileSync(recording), Buffer.alloc(16)]))
  writeFileSync(path.join(dir, 'broken-subs.vtt'), 'WEBVTT\n\n00:00:01.000 -> 00:00:02.000\nhello\n')
  const report = await ingest({ db, pool, storageDir, ffmpegPath, inputs: [recording] })
  expect(report.items[0]?.status).toBe('done')
  expect(report.items[0]?.transcript).toMatchObject({ status: 'failed' })
  const call = await callBySource('broken-subs.wav')
  expect(call).toMatchObject({ status: 'done', transcript_status: 'failed' })
  expect(call?.transcript_error).toMatch(/broken-subs\.vtt: line 3 has a malformed timing/)
  expect(await listUtterances(db, call?.id as number)).toEqual([])
})

test('with redactAudio, a copy of the recording is silent exactly over the redacted spans', async () => {
  const report = await ingest({
    db,
    pool,
    storageDir,
    ffmpegPath,
    inputs: [sample('call-05-phone-overtalk.wav')],
    options: { reprocess: true, redactAudio: true },
  })
  const key = report.items[0]?.transcript?.redactedAudio
  expect(key).toMatch(/^[0-9a-f]{2}\/[0-9a-f]{64}\.redacted\.wav$/)
  const call = await callBySource('call-05-phone-overtalk.wav')
  const row = await db.query<{ redacted_audio_uri: string }>(
    'SELECT redacted_audio_uri FROM calls WHERE id = $1',
    [call?.id],
  )
  expect(row.rows[0]?.redacted_audio_uri).toBe(key)

  const pcm = (file: string) => {
    const buf = execFileSync(
      ffmpegPath,
      ['-v', 'error', '-i', file, '-f', 's16le', '-ac', '2', '-ar', '8000', '-'],
      {
        maxBuffer: 64 << 20,
      },
    )
    return new Int16Array(buf.buffer, buf.byteOffset, buf.length / 2)
  }
  const original = pcm(sample('call-05-phone-overtalk.wav'))
  const copy = pcm(path.join(storageDir, key as string))
  expect(copy.length).toBe(original.length)
  const spans = (await listUtterances(db, call?.id as number)).flatMap((u) => u.redactions)
  expect(spans.length).toBeGreaterThan(0)
  const frame = (ms: number) => Math.round((ms * 8000) / 1000) * 2 // interleaved stereo
  const energy = (x: Int16Array, from: number, to: number) => {
    let sum = 0
    for (let i = from; i < to; i++) sum += (x[i] as number) ** 2
    return sum / Math.max(1, to - from)
  }
  for (const span of spans) {
    // Both channels silent over the span (1 ms inside each edge for the filter's sample rounding).
    const from = frame(span.start_ms + 1)
    const to = frame(span.end_ms - 1)
    expect(energy(copy, from, to)).toBe(0)
    expect(energy(original, from, to)).toBeGreaterThan(0)
  }
  // Outside the spans the audio is the same.
  const first = spans[0] as { start_ms: number }
  const before = frame(first.start_ms - 1)
  expect(energy(copy, 0, before) / energy(original, 0, before)).toBeCloseTo(1, 2)
})

test("with redactAudio 'beep', the spans carry a 1 kHz tone instead of the speech", async () => {
  const report = await ingest({
    db,
    pool,
    storageDir,
    ffmpegPath,
    inputs: [sample('call-05-phone-overtalk.wav')],
    options: { reprocess: true, redactAudio: 'beep' },
  })
  const key = report.items[0]?.transcript?.redactedAudio as string
  const call = await callBySource('call-05-phone-overtalk.wav')
  const [span] = (await listUtterances(db, call?.id as number)).flatMap((u) => u.redactions)
  if (!span) throw new Error('the overtalk call has a redacted e-mail address')
  // Left channel at 16 kHz over the span, 5 ms inside each edge.
  const start = (span.start_ms + 5) / 1000
  const length = (span.end_ms - span.start_ms - 10) / 1000
  const buf = execFileSync(ffmpegPath, [
    ...['-v', 'error', '-ss', String(start), '-t', String(length), '-i', path.join(storageDir, key)],
    ...['-af', 'pan=mono|c0=c0', '-f', 's16le', '-ar', '16000', '-'],
  ])
  const x = new Int16Array(buf.buffer, buf.byteOffset, buf.length / 2)
  let crossings = 0
  let power = 0
  for (let i = 0; i < x.length; i++) {
    power += ((x[i] as number) / 32768) ** 2
    if (i > 0 && (x[i - 1] as number) < 0 !== (x[i] as number) < 0) crossings++
  }
  const seconds = x.length / 16000
  // A sine at 1 kHz crosses zero 2000 times a second; amplitude 0.2 is an RMS of 0.141.
  expect(crossings / seconds).toBeGreaterThan(1900)
  expect(crossings / seconds).toBeLessThan(2100)
  expect(Math.sqrt(power / x.length)).toBeCloseTo(0.141, 2)
})

describe('redactUtterances', () => {
  const card = {
    speaker: 'customer' as const,
    startMs: 1000,
    endMs: 6000,
    text: 'Sure, it is 4111 1111 1111 1111 thanks',
    words: [
      { word: 'Sure,', startMs: 1000, endMs: 1300 },
      { word: 'it', startMs: 1300, endMs: 1400 },
      { word: 'is', startMs: 1400, endMs: 1500 },
      { word: '4111', startMs: 1600, endMs: 2400 },
      { word: '1111', startMs: 2500, endMs: 3300 },
      { word: '1111', startMs: 3400, endMs: 4200 },
      { word: '1111', startMs: 4300, endMs: 5100 },
      { word: 'thanks', startMs: 5300, endMs: 6000 },
    ],
  }

  test('text, words and the span times are redacted together', () => {
    const [u] = redactUtterances([card])
    expect(u).toMatchObject({
      text: null,
      textRedacted: 'Sure, it is [CARD] thanks',
      redactions: [{ kind: 'card', startMs: 1600, endMs: 5100 }],
    })
    expect(u?.words?.map((w) => w.word)).toEqual(['Sure,', 'it', 'is', '[CARD]', 'thanks'])
    expect(u?.words?.[3]).toEqual({ word: '[CARD]', startMs: 1600, endMs: 5100 })
  })

  test('a span found only through the words around it is redacted in the word list too', () => {
    const [u] = redactUtterances([
      {
        speaker: 'customer',
        startMs: 0,
        endMs: 3000,
        text: 'my bank account number is 12345678',
        words: [
          { word: 'my', startMs: 0, endMs: 200 },
          { word: 'bank', startMs: 200, endMs: 500 },
          { word: 'account', startMs: 500, endMs: 900 },
          { word: 'number', startMs: 900, endMs: 1200 },
          { word: 'is', startMs: 1200, endMs: 1400 },
          { word: '12345678', startMs: 1500, endMs: 3000 },
        ],
      },
    ])
    expect(u?.textRedacted).toBe('my bank account number is [ACCOUNT]')
    expect(u?.words?.at(-1)).toEqual({ word: '[ACCOUNT]', startMs: 1500, endMs: 3000 })
  })

  test('without word times, a span is timed by its share of the text; originals only on request', () => {
    const [u] = redactUtterances([{ ...card, words: undefined }], { keepOriginal: true })
    expect(u?.text).toBe(card.text)
    const span = u?.redactions[0]
    // chars 12–31 of 38 over 1000–6000 ms
    expect(span).toEqual({ kind: 'card', startMs: 2579, endMs: 5079 })
  })
})
