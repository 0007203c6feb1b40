/** Whether a process on this machine still runs (a signal 0 probe; EPERM means it runs as someone else). */
export function processRunning(pid: number): boolean {
  if (pid === process.pid) return true
  try {
    process.kill(pid, 0)
    return true
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'
  }
}
