/**
 * Pipeline speed against its parts, measured in one run on the same audio, plus peak memory on a
 * 2-hour call.   npm run bench   (BENCH_COPIES=N copies of each sample call per corpus; default 4)
 *
 *  1. raw ffmpeg decode to 8 kHz s16 PCM, one process at a time          → x real time per core
 *  2. raw Silero VAD on already-decoded PCM, one thread                   → x real time per core
 *  3. whole pipeline (hash, store, decode → VAD → metrics, commit rows)  → x real time, 1 and 2 workers
 *  4. a 2-hour stereo telephone call, and a 2-hour mono one (two voices told apart on one
 *     channel), each analysed in one process                            → peak RSS, x real time
 */
import { execFile, spawn } from 'node:child_process'
import { mkdirSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { promisify } from 'node:util'
import { openDatabase } from '../db/index.js'
import { migrate } from '../db/migrate.js'
import { resolveFfmpeg } from '../media/ffmpeg.js'
import { getSileroModel } from '../models/silero-vad.js'
import { createPool } from '../pipeline/pool.js'
import { ingest } from '../pipeline/run.js'
import { loadTruths, samplesDir } from '../samples/ground-truth.js'

const run = promisify(execFile)
const ffmpegPath = resolveFfmpeg().path
const copies = Number(process.env.BENCH_COPIES ?? 4)
const work = path.join(os.tmpdir(), `callqa-bench-${process.pid}`)
mkdirSync(work, { recursive: true })
// The parts measured alone are what a user would run: ffmpeg to 8 kHz, Silero v5 on every window.
const rate = 8000

/**
 * Corpus: every sample call, `copies` times (a metadata tag makes each copy a new call), either as
 * it is (~50 s) or looped to `loopSeconds` (a typical handle time is 4–8 minutes).
 */
async function makeCorpus(name: string, loopSeconds?: number): Promise<{ files: string[]; audioMs: number }> {
  const files: string[] = []
  let audioMs = 0
  for (const t of loadTruths()) {
    for (let i = 0; i < copies; i++) {
      const out = path.join(work, name, `${t.id}-${i}${path.extname(t.file)}`)
      mkdirSync(path.dirname(out), { recursive: true })
      const tag = ['-metadata', `comment=bench copy ${i}`]
      const loop = loopSeconds ? ['-stream_loop', '-1'] : []
      const length = loopSeconds ? ['-t', String(loopSeconds)] : []
      const source = path.join(samplesDir, t.file)
      // Looping re-encodes (a stream copy would leave the loop's timestamps jumping back).
      const codec = loopSeconds ? ['-c:a', t.file.endsWith('.wav') ? 'pcm_mulaw' : 'flac'] : ['-c:a', 'copy']
      const args = ['-v', 'error', '-y', ...loop, '-i', source, ...length, ...codec, ...tag, out]
      await run(ffmpegPath, args)
      files.push(out)
      audioMs += loopSeconds ? loopSeconds * 1000 : t.durationMs
    }
  }
  return { files, audioMs }
}

function decodeToMemory(file: string, channels: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const args = ['-v', 'error', '-i', file, '-ac', String(channels), '-ar', String(rate), '-f', 's16le', '-']
    const p = spawn(ffmpegPath, args, { stdio: ['ignore', 'pipe', 'inherit'] })
    const chunks: Buffer[] = []
    p.stdout.on('data', (c: Buffer) => chunks.push(c))
    p.on('error', reject)
    p.on('close', (code) =>
      code === 0 ? resolve(Buffer.concat(chunks)) : reject(new Error(`ffmpeg ${code}`)),
    )
  })
}

async function rawDecode(files: string[]): Promise<number> {
  const began = performance.now()
  for (const f of files) {
    await run(ffmpegPath, ['-v', 'error', '-i', f, '-ar', String(rate), '-f', 's16le', '-y', '/dev/null'])
  }
  return performance.now() - began
}

async function rawVad(files: string[]): Promise<number> {
  const model = await getSileroModel('v5')
  const truths = new Map(loadTruths().map((t) => [t.id, t]))
  // Decode first (not timed), then time only the model over the same PCM.
  const inputs: Array<{ pcm: Int16Array; channels: number }> = []
  for (const f of files) {
    const id = path.basename(f).replace(/-\d+\.\w+$/, '')
    const channels = truths.get(id)?.layout === 'mono' ? 1 : 2
    const buf = await decodeToMemory(f, channels)
    inputs.push({ pcm: new Int16Array(buf.buffer, buf.byteOffset, buf.length / 2), channels })
  }
  const began = performance.now()
  for (const { pcm, channels } of inputs) {
    const stream = model.createStream(channels, rate)
    const frames = pcm.length / channels
    const windows = Array.from({ length: channels }, () => new Float32Array(stream.window))
    for (let start = 0; start + stream.window <= frames; start += stream.window) {
      for (let c = 0; c < channels; c++) {
        const w = windows[c] as Float32Array
        for (let i = 0; i < stream.window; i++) w[i] = (pcm[(start + i) * channels + c] as number) / 32768
      }
      await stream.process(windows)
    }
  }
  return performance.now() - began
}

async function pipeline(files: string[], threads: number): Promise<number> {
  const dir = path.join(work, `pipeline-${threads}-${path.basename(path.dirname(files[0] ?? ''))}`)
  const db = await openDatabase({ dataDir: path.join(dir, 'pglite') })
  await migrate(db)
  const pool = createPool({ threads })
  try {
    // Warm the workers so every run measures steady state: the models load, and the hot paths are
    // compiled, on the sample calls themselves (outside the timed ingest and its database).
    const warm = loadTruths().map((t) => path.join(samplesDir, t.file))
    await Promise.all(
      [...warm, ...warm].map((inputPath) => pool.run({ inputPath, layout: 'auto', ffmpegPath })),
    )
    const began = performance.now()
    const report = await ingest({
      db,
      pool,
      storageDir: path.join(dir, 'storage'),
      ffmpegPath,
      inputs: files,
    })
    // Every copy must really be processed: a skipped duplicate would flatter the figure.
    if (report.done !== files.length)
      throw new Error(
        `${report.done} of ${files.length} calls processed: ${JSON.stringify(report.items.filter((i) => i.status !== 'done'))}`,
      )
    return performance.now() - began
  } finally {
    await pool.destroy()
    await db.close()
  }
}

async function longCallRss(
  sample: string,
): Promise<{ maxRssMb: number; elapsedMs: number; durationMs: number }> {
  const long = path.join(work, 'two-hours.wav')
  const source = path.join(samplesDir, sample)
  await run(ffmpegPath, [
    '-v',
    'error',
    '-y',
    '-stream_loop',
    '-1',
    '-i',
    source,
    '-t',
    '7200',
    '-c:a',
    'pcm_mulaw',
    long,
  ])
  const script = path.join(path.dirname(new URL(import.meta.url).pathname), 'long-call-rss.ts')
  const { stdout } = await run(process.execPath, ['--import', 'tsx', script, long], { maxBuffer: 1 << 20 })
  rmSync(long)
  return JSON.parse(stdout.trim())
}

const xrt = (audioMs: number, ms: number) => audioMs / ms

interface Figures {
  decodeX: number
  vadX: number
  partsX: number
  pipe1X: number
  pipe2X: number
}

async function measure(files: string[], audioMs: number): Promise<Figures> {
  const decodeMs = await rawDecode(files)
  const vadMs = await rawVad(files)
  const pipe1 = await pipeline(files, 1)
  const pipe2 = await pipeline(files, 2)
  return {
    decodeX: xrt(audioMs, decodeMs),
    vadX: xrt(audioMs, vadMs),
    // decode + VAD one after the other, on one core: the ceiling for one core's work.
    partsX: xrt(audioMs, decodeMs + vadMs),
    pipe1X: xrt(audioMs, pipe1),
    pipe2X: xrt(audioMs, pipe2),
  }
}

try {
  const short = await makeCorpus('short')
  const typical = await makeCorpus('typical', 300)
  console.log(
    `corpora: ${short.files.length} sample calls as they are (${(short.audioMs / 60000).toFixed(1)} min), ` +
      `${typical.files.length} looped to 5 min (${(typical.audioMs / 60000).toFixed(1)} min); VAD at ${rate} Hz; ` +
      `${os.cpus()[0]?.model}, ${os.availableParallelism()} cores; ffmpeg ${ffmpegPath}`,
  )
  const a = await measure(short.files, short.audioMs)
  const b = await measure(typical.files, typical.audioMs)
  const line = (name: string, x: number, y: number, unit = '×') =>
    console.log(`${name.padEnd(52)} ${x.toFixed(0).padStart(7)}${unit} ${y.toFixed(0).padStart(9)}${unit}`)
  console.log(`${''.padEnd(52)} ${'~50 s calls'.padStart(8)} ${'5 min calls'.padStart(10)}`)
  line('raw ffmpeg decode, x real time (1 process)', a.decodeX, b.decodeX)
  line('raw Silero VAD, x real time (1 thread)', a.vadX, b.vadX)
  line('decode + VAD one after the other (1 core)', a.partsX, b.partsX)
  line('pipeline, 1 worker (ingest → committed rows)', a.pipe1X, b.pipe1X)
  line('pipeline, 2 workers', a.pipe2X, b.pipe2X)
  line('pipeline per core (2 workers ÷ 2 cores)', a.pipe2X / 2, b.pipe2X / 2)
  line(
    'pipeline per core ÷ (decode + VAD)',
    (100 * a.pipe2X) / 2 / a.partsX,
    (100 * b.pipe2X) / 2 / b.partsX,
    '%',
  )
  for (const [kind, sample] of [
    ['stereo', 'call-02-phone-password.wav'],
    ['mono (diarized)', 'call-03-mono-delivery.wav'],
  ] as const) {
    const rss = await longCallRss(sample)
    console.log(
      `2-hour ${kind} call: peak RSS ${rss.maxRssMb} MB (node process; ffmpeg streams in its own), ` +
        `${(rss.durationMs / 3_600_000).toFixed(2)} h analysed in ${(rss.elapsedMs / 1000).toFixed(1)} s ` +
        `(${xrt(rss.durationMs, rss.elapsedMs).toFixed(0)}× real time)`,
    )
  }
} finally {
  rmSync(work, { recursive: true, force: true })
}
