/**
 * Where the CPU goes while the pipeline runs: per thread of this process (Linux, from
 * /proc/self/task), one worker and two in turn, on real-speech calls.
 *   npm run bench:threads -- [seconds per call, default 300] [runs, default 2]
 *
 * Prints per run: x real time, and CPU ms of the main thread (intake, saves, PGlite), the workers
 * (decode, VAD, analysis), and the rest (V8's background threads: compiling; libuv's pool: file
 * reads and writes). What is not the workers competes with them for the cores: with one worker it
 * runs on the idle second core, with two it does not, which is what keeps the second worker below
 * the machine's own scaling (bench/README.md).
 *
 * Then where the workers' time went: "busy" is the share of the window × workers in which a worker
 * had a call (each call's analysis timed in its worker); the rest they waited (for the first
 * call, between calls while the main thread handed the next one over, and at the end while the
 * other worker finished the last call and the main thread saved it). "ran" is the share of their
 * busy time they were on a core: the rest they waited for their own file reads, or another thread
 * of the machine had the core (with one worker the first alone, 1–6% here).
 *
 * And per run, the ceiling for this work in the same minutes: the same calls analysed by the same
 * pools with no database and no intake (each worker given what the pipeline gives it for a new
 * call, its conclusions drawn), one worker then two. What the second worker adds there and not in
 * the pipeline is what the rest of the process (hashing, storing, saving) takes from it.
 */
import { mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import type { Piscina } from 'piscina'
import type { AnalyzeCallTask } from '../analysis/analyze-call.js'
import type { CallContext } from '../analysis/conclude.js'
import { resolveFfmpeg } from '../media/ffmpeg.js'
import type { AnalyzeCallOutcome } from '../workers/call.worker.js'
import { timedIngest, warmPool } from './pipeline-run.js'
import { realSpeechCalls } from './real-calls.js'

const seconds = Number(process.argv[2] ?? 300)
const runs = Number(process.argv[3] ?? 2)
const ffmpegPath = resolveFfmpeg().path
const work = path.join(os.tmpdir(), `callqa-threads-${process.pid}`)

/**
 * CPU ms used so far by each thread of this process: from schedstat (nanoseconds) where the kernel
 * keeps it, else from stat (ticks of 10 ms).
 */
function threadCpu(): Map<string, number> {
  const out = new Map<string, number>()
  for (const task of readdirSync('/proc/self/task')) {
    try {
      out.set(task, Number(readFileSync(`/proc/self/task/${task}/schedstat`, 'utf8').split(' ')[0]) / 1e6)
    } catch {
      const stat = readFileSync(`/proc/self/task/${task}/stat`, 'utf8')
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
      out.set(task, (Number(fields[11]) + Number(fields[12])) * 10) // USER_HZ
    }
  }
  return out
}

/** CPU ms the whole machine has used so far: every process and the kernel (hypervisor steal included). */
function machineCpu(): number {
  const ticks = (readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '')
    .trim()
    .split(/\s+/)
    .slice(1)
    .map(Number)
  // user, nice, system, (idle, iowait), irq, softirq, steal; in USER_HZ ticks of 10 ms
  const [user = 0, nice = 0, system = 0, , , irq = 0, softirq = 0, steal = 0] = ticks
  return (user + nice + system + irq + softirq + steal) * 10
}

const sample = () => ({ threads: threadCpu(), machine: machineCpu() })

interface Split {
  ms: number
  threads: number
  busyMs: number
  main: number
  workers: number
  rest: number
  /** other processes and the kernel (hypervisor steal included) */
  elsewhere: number
}

async function once(pool: Piscina, threads: number, files: string[]): Promise<Split> {
  const dir = path.join(work, `run-${Math.random().toString(36).slice(2)}`)
  const { ms, before, after, busyMs } = await timedIngest(pool, files, dir, ffmpegPath, sample)
  const used = [...after.threads].map(([task, cpu]) => [task, cpu - (before.threads.get(task) ?? 0)] as const)
  const main = used.find(([task]) => task === String(process.pid))?.[1] ?? 0
  // The busiest other threads are the workers (each runs its calls' whole analysis).
  const others = used.filter(([task]) => task !== String(process.pid)).sort((a, b) => b[1] - a[1])
  const sum = (list: ReadonlyArray<readonly [string, number]>) => list.reduce((s, [, cpu]) => s + cpu, 0)
  const workers = sum(others.slice(0, threads))
  const elsewhere = after.machine - before.machine - main - sum(others)
  return {
    elsewhere: Math.max(0, Math.round(elsewhere)),
    ms,
    threads,
    busyMs,
    main: Math.round(main),
    workers: Math.round(workers),
    rest: Math.round(sum(others.slice(threads))),
  }
}

/** What the pipeline's worker draws conclusions from for a call just received: nothing stored yet. */
const NEW_CALL: CallContext = {
  transcriptStatus: 'none',
  transcriptFormat: null,
  transcriptSource: null,
  transcriptTrusted: null,
  requestedLayout: 'auto',
  direction: null,
  roleDecided: false,
  toggleSwap: false,
  utterances: [],
}

/** The calls analysed alone (no hashing, storing or saving): ms, and the workers' busy ms. */
async function analysisAlone(
  pool: Piscina,
  files: readonly string[],
): Promise<{ ms: number; busyMs: number }> {
  const began = performance.now()
  const outcomes = await Promise.all(
    files.map((inputPath) => {
      const task: AnalyzeCallTask = { inputPath, layout: 'auto', ffmpegPath, conclude: NEW_CALL }
      return pool.run(task) as Promise<AnalyzeCallOutcome>
    }),
  )
  const ms = performance.now() - began
  let busyMs = 0
  for (const outcome of outcomes) {
    if (!outcome.ok) throw new Error(`a call failed its analysis: ${outcome.code} ${outcome.message}`)
    busyMs += outcome.result.elapsedMs
  }
  return { ms, busyMs }
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
  console.log(
    `24 real-speech calls of ${seconds} s; CPU ms per run: main thread / workers / the rest of this process / other processes and the kernel`,
  )
  const pct = (part: number, whole: number) => `${((100 * part) / whole).toFixed(0)}%`
  const line = (s: Split) =>
    `${(corpus.audioMs / s.ms).toFixed(0)}× [${s.main} / ${s.workers} / ${s.rest} / ${s.elsewhere}; this process's not the workers: ${pct(s.main + s.rest, s.workers)} of theirs; ` +
    `workers busy ${pct(s.busyMs, s.ms * s.threads)}, ran ${pct(s.workers, s.busyMs)} of it]`
  for (let r = 0; r < runs; r++) {
    const one = await once(pools.get(1) as Piscina, 1, corpus.files)
    const two = await once(pools.get(2) as Piscina, 2, corpus.files)
    const alone1 = await analysisAlone(pools.get(1) as Piscina, corpus.files)
    const alone2 = await analysisAlone(pools.get(2) as Piscina, corpus.files)
    console.log(
      `run ${r + 1}: second worker adds ${pct(one.ms - two.ms, two.ms)}; ` +
        `to the analysis alone ${pct(alone1.ms - alone2.ms, alone2.ms)} ` +
        `(${(corpus.audioMs / alone1.ms).toFixed(0)}× → ${(corpus.audioMs / alone2.ms).toFixed(0)}×, workers busy ${pct(alone2.busyMs, alone2.ms * 2)})`,
    )
    console.log(`  1 worker  ${line(one)}`)
    console.log(`  2 workers ${line(two)}`)
  }
  for (const pool of pools.values()) await pool.destroy()
} finally {
  rmSync(work, { recursive: true, force: true })
}
