import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { afterAll, describe, expect, test } from 'vitest'
import { analyzeCall } from '../../analysis/analyze-call.js'
import { decodePcm, parseChannels, resolveFfmpeg } from '../../media/ffmpeg.js'
import { sample, tempDir } from '../helpers/audio.js'

const tmp = tempDir()
afterAll(() => tmp.remove())

describe('resolveFfmpeg', () => {
  test('prefers an ffmpeg on PATH', () => {
    const bin = path.join(tmp.dir, 'bin')
    mkdirSync(bin)
    symlinkSync(resolveFfmpeg(undefined, '/nonexistent').path, path.join(bin, 'ffmpeg'))
    expect(resolveFfmpeg(undefined, `/nonexistent:${bin}`)).toEqual({
      path: path.join(bin, 'ffmpeg'),
      source: 'system',
    })
  })
  test('falls back to the binary in the npm package when PATH has none, and it decodes', async () => {
    const found = resolveFfmpeg(undefined, '/nonexistent')
    expect(found.source).toBe('npm')
    expect(found.path).toMatch(/@ffmpeg-installer/)
    const viaNpm = await analyzeCall({
      inputPath: sample('call-03-mono-delivery.wav'),
      layout: 'auto',
      ffmpegPath: found.path,
    })
    const viaSystem = await analyzeCall({
      inputPath: sample('call-03-mono-delivery.wav'),
      layout: 'auto',
      ffmpegPath: resolveFfmpeg().path,
    })
    expect(viaNpm.durationMs).toBe(viaSystem.durationMs)
    expect(viaNpm.segments.length).toBe(viaSystem.segments.length)
  })
  test('an explicit path that is not executable is a clear error', () => {
    const file = path.join(tmp.dir, 'ffmpeg')
    writeFileSync(file, '#!/bin/sh\n', { mode: 0o644 })
    expect(() => resolveFfmpeg(file)).toThrow(/not executable/)
  })
})

test('parseChannels understands ffmpeg channel layouts', () => {
  expect(['mono', 'stereo', '2.1', '5.1(side)', '3 channels', '7.1', 'nonsense'].map(parseChannels)).toEqual([
    1,
    2,
    3,
    6,
    3,
    8,
    undefined,
  ])
})

describe('decodePcm', () => {
  // fluent-ffmpeg calls a decode failed when ffmpeg's exit is not seen 20 ms after its output
  // closes. A worker busy with the last block of a call (or a loaded machine) took longer than
  // that, and a good recording failed with "Output stream closed".
  test('a busy event loop when the audio ends does not fail a good decode', async () => {
    const decode = decodePcm({
      inputPath: sample('call-02-phone-password.wav'),
      sampleRate: 8000,
      downmix: false,
      ffmpegPath: resolveFfmpeg().path,
    })
    let bytes = 0
    for await (const chunk of decode.pcm) bytes += (chunk as Buffer).length
    // Block the event loop as synchronous work after the stream ends would.
    const until = Date.now() + 150
    while (Date.now() < until) {}
    await expect(decode.done).resolves.toBeUndefined()
    // Every sample came through: 53.1 s of 16-bit stereo at 8 kHz.
    expect(bytes / 4 / 8000).toBeCloseTo(53.13, 1)
  })
})
