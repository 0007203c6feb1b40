import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { afterAll, describe, expect, test } from 'vitest'
import { analyzeCall } from '../../workers/analyze-call.js'
import { parseChannels, resolveFfmpeg } from '../../workers/ffmpeg.js'
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
