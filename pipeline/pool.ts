/** The one Piscina pool of a process. Create it here, pass it in; never `new Piscina` elsewhere. */
import { Piscina } from 'piscina'

const workerFile = new URL('../workers/call.worker.ts', import.meta.url)

/**
 * The module-loading options of this process (`--import`, `--require`, `--loader`, `--conditions`),
 * which a worker needs to load the same code. Everything else stays out: V8 and process options
 * (`--trace-gc`, `--max-old-space-size`, `--cpu-prof`, …) already apply to the whole process, and
 * a Worker refuses most of them ("invalid execArgv flags"), which failed every call.
 */
export function workerExecArgv(execArgv: readonly string[]): string[] {
  const out: string[] = []
  const loading = /^(--import|--require|-r|--loader|--experimental-loader|--conditions|-C)(=|$)/
  for (let i = 0; i < execArgv.length; i++) {
    const arg = execArgv[i] as string
    const m = loading.exec(arg)
    if (!m) continue
    out.push(arg)
    const next = execArgv[i + 1]
    if (m[2] === '' && next !== undefined) {
      out.push(next)
      i++
    }
  }
  return out
}

export function createPool({ threads }: { threads: number }): Piscina {
  return new Piscina({
    filename: workerFile.href,
    minThreads: threads,
    maxThreads: threads,
    // The worker is TypeScript run through tsx, as the main thread is.
    // Resolved to a file URL so it works whatever the current directory is.
    execArgv: [...workerExecArgv(process.execArgv), '--import', import.meta.resolve('tsx')],
    // A worker holds one call at a time, streaming; no need for a deep queue per thread.
    concurrentTasksPerWorker: 1,
    idleTimeout: 30_000,
  })
}
