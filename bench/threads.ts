/**
 * Where the CPU goes while the pipeline runs: per thread of this process (Linux, from
 * /proc/self/task), one worker and two in turn, on real-speech calls.
 *   npm run bench:threads -- [seconds per call, default 300] [runs, default 2]
 *
 * Prints per run: x real time, and CPU ms of the main thread (intake, saves, PGlite), the workers
 * (decode, VAD, analysis), and the rest (V8's background threads: concurrent marking, sweeping,
 * compiling; libuv's pool: file reads and writes). What is not the workers competes with them for
 * the cores: with one worker it runs on the idle second core, with two it does not, which is
 * what keeps the second worker below the machine's own scaling (bench/README.md).
 */
import { mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import type { Piscina } from 'piscina'
import { resolveFfmpeg } from '../media/ffmpeg.js'
import { timedIngest, warmPool } from './pipeline-run.js'
import { realSpeechCalls } from './real-calls.js'

const seconds = Number(process.argv[2] ?? 300)
const runs = Number(process.argv[3] ?? 2)
const ffmpegPath = resolveFfmpeg().path
const work = path.join(os.tmpdir(), `callqa-threads-${process.pid}`)

/** CPU ms used so far by each thread of this process. */
function threadCpu(): Map<string, number> {
  const out = new Map<string, number>()
  const tick = 1000 / 100 // USER_HZ
  for (const task of readdirSync('/proc/self/task')) {
    const stat = readFileSync(`/proc/self/task/${task}/stat`, 'utf8')
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    out.set(task, (Number(fields[11]) + Number(fields[12])) * tick)
  }
  return out
}

interface Split {
  ms: number
  main: number
  workers: number
  rest: number
}

async function once(pool: Piscina, threads: number, files: string[]): Promise<Split> {
  const dir = path.join(work, `run-${Math.random().toString(36).slice(2)}`)
  const { ms, before, after } = await timedIngest(pool, files, dir, ffmpegPath, threadCpu)
  const used = [...after].map(([task, cpu]) => [task, cpu - (before.get(task) ?? 0)] as const)
  const main = used.find(([task]) => task === String(process.pid))?.[1] ?? 0
  // The busiest other threads are the workers (each runs its calls' whole analysis).
  const others = used.filter(([task]) => task !== String(process.pid)).sort((a, b) => b[1] - a[1])
  const sum = (list: ReadonlyArray<readonly [string, number]>) => list.reduce((s, [, cpu]) => s + cpu, 0)
  return { ms, main, workers: sum(others.slice(0, threads)), rest: sum(others.slice(threads)) }
}

try {
  mkdirSync(work, { recursive: true })
  const corpus = await realSpeechCalls(path.join(work, 'calls'), 24, seconds, ffmpegPath)
  if (typeof corpus === 'string') {
    console.log(`not measured: ${corpus}`)
    process.exit(0)
  }
  const pools = new Map<number, Piscina>()
  for (const threads of [1, 2]) pools.set(threads, await warmPool(threads, ffmpegPath))
  console.log(`24 real-speech calls of ${seconds} s; CPU ms per run: main thread / workers / the rest`)
  const line = (s: Split) =>
    `${(corpus.audioMs / s.ms).toFixed(0)}× [${s.main} / ${s.workers} / ${s.rest}; not the workers: ${((100 * (s.main + s.rest)) / s.workers).toFixed(0)}% of theirs]`
  for (let r = 0; r < runs; r++) {
    const one = await once(pools.get(1) as Piscina, 1, corpus.files)
    const two = await once(pools.get(2) as Piscina, 2, corpus.files)
    console.log(
      `run ${r + 1}: 1 worker ${line(one)}  2 workers ${line(two)}  second worker adds ${((100 * (one.ms - two.ms)) / two.ms).toFixed(0)}%`,
    )
  }
  for (const pool of pools.values()) await pool.destroy()
} finally {
  rmSync(work, { recursive: true, force: true })
}
