/**
 * Waveform peaks are decoded once per recording and their work is bounded: eight viewers of a long
 * call at once cost one decode, the next viewer none (the peaks file beside the recording), and
 * the peaks are those of a fresh decode. Real audio through real ffmpeg.
 */
import { mkdirSync, statSync } from 'node:fs'
import path from 'node:path'
import { afterAll, expect, test } from 'vitest'
import { audioPeaks, bucketPeaks } from '../../media/peaks.js'
import { PEAK_DECODES, peaksCache, peaksKey } from '../../pipeline/peaks-cache.js'
import { ffmpeg, ffmpegPath, sample, tempDir } from '../helpers/audio.js'

const tmp = tempDir()
afterAll(() => tmp.remove())

test('eight requests at once for a 40-minute call: one decode, the same peaks as a fresh decode, then none', async () => {
  const storageDir = path.join(tmp.dir, 'storage')
  const key = `ab/${'ab'.repeat(32)}.wav`
  mkdirSync(path.join(storageDir, 'ab'), { recursive: true })
  // 40 minutes of a real two-channel telephone call.
  ffmpeg(
    ['-stream_loop', '-1', '-i', sample('call-04-phone-dead-air.wav'), '-t', '2400', '-c:a', 'pcm_mulaw'],
    path.join(storageDir, key),
  )
  const cache = peaksCache(storageDir, ffmpegPath)
  const many = await Promise.all(Array.from({ length: 8 }, () => cache.blocks(key)))
  expect(cache.decodes).toBe(1)
  expect(new Set(many).size).toBe(1)
  const fresh = await audioPeaks({ inputPath: path.join(storageDir, key), ffmpegPath, buckets: 1000 })
  expect(bucketPeaks(many[0] as never, 1000)).toEqual(fresh)
  expect(fresh.durationMs).toBeGreaterThan(2_390_000)
  // Kept beside the recording, private, 2 bytes a channel per 10 ms.
  const file = statSync(path.join(storageDir, peaksKey(key)))
  expect(file.mode & 0o777).toBe(0o600)
  expect(file.size).toBe(16 + 2 * 2 * 240_000)
  // Another process (a fresh cache) reads the file: no decode.
  const again = peaksCache(storageDir, ffmpegPath)
  expect(bucketPeaks(await again.blocks(key), 1000)).toEqual(fresh)
  expect(again.decodes).toBe(0)
}, 120_000)

test(`different recordings at once: at most ${PEAK_DECODES} decodes run together`, async () => {
  const storageDir = path.join(tmp.dir, 'storage-many')
  mkdirSync(path.join(storageDir, 'cd'), { recursive: true })
  const keys = Array.from({ length: 5 }, (_, i) => `cd/${String(i).repeat(64)}.wav`)
  for (const key of keys) ffmpeg(['-i', sample('call-04-phone-dead-air.wav')], path.join(storageDir, key))
  const cache = peaksCache(storageDir, ffmpegPath)
  // Counting ffmpeg children while the five are asked for at once.
  const { execFileSync } = await import('node:child_process')
  let most = 0
  const watch = setInterval(() => {
    const out = execFileSync('sh', ['-c', `pgrep -P ${process.pid} -c ffmpeg || true`])
      .toString()
      .trim()
    most = Math.max(most, Number(out) || 0)
  }, 5)
  await Promise.all(keys.map((k) => cache.blocks(k)))
  clearInterval(watch)
  expect(cache.decodes).toBe(5)
  expect(most).toBeGreaterThan(0)
  expect(most).toBeLessThanOrEqual(PEAK_DECODES)
}, 120_000)
