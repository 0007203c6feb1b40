/** A `callqa serve` child process, however it was started: its log, and its address once it listens. */
import type { ChildProcess } from 'node:child_process'

export function servedAt(child: ChildProcess): { listening: Promise<string>; log: () => string } {
  let log = ''
  const append = (d: Buffer) => {
    log += d.toString()
  }
  child.stdout?.on('data', append)
  child.stderr?.on('data', append)
  const listening = new Promise<string>((resolve, reject) => {
    const timer = setInterval(() => {
      const m = /review page on (http:\/\/[^/\s]+)\//.exec(log)
      if (m?.[1]) {
        clearInterval(timer)
        resolve(m[1])
      }
    }, 100)
    child.once('exit', (code) => {
      clearInterval(timer)
      reject(new Error(`serve exited ${code}: ${log}`))
    })
  })
  return { listening, log: () => log }
}
