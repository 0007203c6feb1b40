import type { ProgressEvent } from '../pipeline/run.js'
import { logSafe } from './log-safe.js'

/**
 * Batch progress: one line rewritten in place on a terminal, plain log lines otherwise
 * (CI logs, files, pipes).
 */
export function createProgressReporter(stream: NodeJS.WriteStream = process.stderr) {
  const tty = Boolean(stream.isTTY)
  return {
    onProgress(e: ProgressEvent) {
      const hours = e.audioMs / 3_600_000
      const rate = e.elapsedMs > 0 ? e.audioMs / e.elapsedMs : 0
      const finished = e.done + e.failed + e.skipped + e.queued
      const queued = e.queued ? ` · ${e.queued} queued` : ''
      const summary =
        `${finished}/${e.total} calls · ${e.done} done · ${e.failed} failed · ${e.skipped} skipped${queued} · ` +
        `${hours.toFixed(2)} h audio · ${rate.toFixed(0)}× real time`
      if (tty) {
        stream.write(`\r\x1b[2K${summary}`)
        if (finished === e.total) stream.write('\n')
      } else {
        const what =
          e.item.status === 'failed'
            ? `failed ${e.item.errorCode}: ${logSafe(e.item.errorMessage ?? '')}`
            : e.item.status === 'skipped'
              ? `skipped (${logSafe(e.item.note ?? 'already processed')})`
              : e.item.status === 'queued'
                ? `queued as call ${e.item.callId}`
                : `done in call ${e.item.callId}`
        stream.write(`[${finished}/${e.total}] ${logSafe(e.item.path)}: ${what} | ${summary}\n`)
      }
    },
  }
}
