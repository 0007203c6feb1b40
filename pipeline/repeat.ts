/**
 * A background job of a long-running process (the sweeper, retention): runs `task` every
 * `intervalMs` (and once at once with `now`), never two runs at a time; a failed run goes to
 * `onError` and the next one comes as usual. The timer does not keep the process alive.
 * Returns a function that stops it.
 */
import { coerceError } from '../errors.js'

export function repeat(
  task: () => Promise<unknown>,
  intervalMs: number,
  onError: (err: Error) => void,
  { now = false }: { now?: boolean } = {},
): () => void {
  let running = false
  const run = () => {
    if (running) return
    running = true
    task()
      .catch((err: unknown) => onError(coerceError(err)))
      .finally(() => {
        running = false
      })
  }
  if (now) run()
  const timer = setInterval(run, intervalMs)
  timer.unref()
  return () => clearInterval(timer)
}
