/** The one Piscina pool of a process. Create it here, pass it in; never `new Piscina` elsewhere. */
import { Piscina } from 'piscina'

const workerFile = new URL('../workers/call.worker.ts', import.meta.url)

export function createPool({ threads }: { threads: number }): Piscina {
  return new Piscina({
    filename: workerFile.href,
    minThreads: threads,
    maxThreads: threads,
    // The worker is TypeScript run through tsx, as the main thread is.
    // Resolved to a file URL so it works whatever the current directory is.
    execArgv: [
      ...process.execArgv.filter((a) => !a.startsWith('--inspect')),
      '--import',
      import.meta.resolve('tsx'),
    ],
    // A worker holds one call at a time, streaming; no need for a deep queue per thread.
    concurrentTasksPerWorker: 1,
    idleTimeout: 30_000,
  })
}
