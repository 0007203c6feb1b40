import { expect, test } from 'vitest'
import { createProgressReporter } from '../cli/progress.js'
import type { ProgressEvent } from '../pipeline/run.js'

function fakeStream(isTTY: boolean) {
  const out: string[] = []
  return { out, stream: { isTTY, write: (s: string) => out.push(s) } as unknown as NodeJS.WriteStream }
}

const event = (finished: number, total: number): ProgressEvent => ({
  item: {
    path: '/r/a.wav',
    callId: finished,
    status: finished === 2 ? 'failed' : 'done',
    errorCode: 'QA_ERR_AUDIO_DECODE',
    errorMessage: 'bad',
  },
  done: finished === 2 ? 1 : finished,
  failed: finished === 2 ? 1 : 0,
  skipped: 0,
  queued: 0,
  total,
  audioMs: 3_600_000,
  elapsedMs: 36_000,
})

test('on a terminal, one line rewritten in place, ended when the batch is', () => {
  const { out, stream } = fakeStream(true)
  const r = createProgressReporter(stream)
  r.onProgress(event(1, 2))
  r.onProgress(event(2, 2))
  expect(out[0]).toBe('\r\x1b[2K1/2 calls · 1 done · 0 failed · 0 skipped · 1.00 h audio · 100× real time')
  expect(out.at(-1)).toBe('\n')
})

test('elsewhere, a plain log line per call, with the reason for a failure', () => {
  const { out, stream } = fakeStream(false)
  const r = createProgressReporter(stream)
  r.onProgress(event(1, 2))
  r.onProgress(event(2, 2))
  expect(out).toEqual([
    '[1/2] /r/a.wav: done in call 1 | 1/2 calls · 1 done · 0 failed · 0 skipped · 1.00 h audio · 100× real time\n',
    '[2/2] /r/a.wav: failed QA_ERR_AUDIO_DECODE: bad | 2/2 calls · 1 done · 1 failed · 0 skipped · 1.00 h audio · 100× real time\n',
  ])
})
