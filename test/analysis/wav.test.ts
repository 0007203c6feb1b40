/**
 * WAV files read without ffmpeg (analysis/wav.ts) give the same samples as ffmpeg's decode of the
 * same file, for every encoding recorders write, and odd but valid headers.
 */
import { readFileSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { afterAll, describe, expect, test } from 'vitest'
import { decodeAudio } from '../../analysis/stages/decode-audio.js'
import { parseWavHeader, probeWav } from '../../analysis/wav.js'
import { ffmpeg, ffmpegPath, sample, tempDir } from '../helpers/audio.js'

const tmp = tempDir()
afterAll(() => tmp.remove())
const source = sample('call-02-phone-password.wav')

async function samples(file: string, direct: boolean, rate: number) {
  const audio = await decodeAudio({ inputPath: file, layout: 'auto', sampleRate: rate, ffmpegPath, direct })
  const channels: number[][] = audio.speakers.map(() => [])
  for await (const chunk of audio.chunks) for (const [i, c] of chunk.entries()) channels[i]?.push(...c)
  await audio.finish()
  return { audio, channels }
}

/** Largest difference between the two decodes, in 16-bit steps (ffmpeg's path goes through s16). */
function maxStep(a: number[][], b: number[][]): number {
  let worst = 0
  a.forEach((ch, c) => {
    expect(ch.length).toBe(b[c]?.length)
    for (let i = 0; i < ch.length; i++)
      worst = Math.max(worst, Math.abs((ch[i] as number) - (b[c]?.[i] as number)) * 32768)
  })
  return worst
}

describe('a WAV at the model rate is read without ffmpeg, sample for sample', () => {
  test.each([
    ['pcm_mulaw', 8000],
    ['pcm_alaw', 8000],
    ['pcm_u8', 8000],
    ['pcm_s16le', 8000],
    ['pcm_s16le', 16000],
    ['pcm_s24le', 16000],
    ['pcm_s32le', 8000],
    ['pcm_f32le', 16000],
  ] as const)('%s at %i Hz', async (codec, rate) => {
    const file = ffmpeg(
      ['-i', source, '-c:a', codec, '-ar', String(rate), '-t', '8'],
      path.join(tmp.dir, `${codec}-${rate}.wav`),
    )
    expect((await probeWav(file))?.codec).toBe(codec)
    const direct = await samples(file, true, rate)
    const viaFfmpeg = await samples(file, false, rate)
    expect(direct.audio.source).toEqual(viaFfmpeg.audio.source)
    expect(direct.channels[0]?.length).toBe(8 * rate)
    // μ-law, A-law, 8- and 16-bit: identical; wider samples differ only by ffmpeg's rounding to 16 bits.
    expect(maxStep(direct.channels, viaFfmpeg.channels)).toBeLessThanOrEqual(
      codec.match(/s24|s32|f32/) ? 1 : 0,
    )
  })

  test('chunks before the data (LIST), and a recorder that never wrote the data size', async () => {
    const file = ffmpeg(
      ['-i', source, '-c:a', 'pcm_mulaw', '-t', '4', '-metadata', 'title=queue 7'],
      path.join(tmp.dir, 'list.wav'),
    )
    const bytes = readFileSync(file)
    const layout = parseWavHeader(bytes, bytes.length)
    expect(bytes.toString('latin1').indexOf('LIST')).toBeGreaterThan(0)
    expect(layout?.dataOffset).toBeGreaterThan(bytes.toString('latin1').indexOf('LIST'))
    // A live recorder's file: both size fields left at 0xFFFFFFFF.
    const open = Buffer.from(bytes)
    open.writeUInt32LE(0xffffffff, 4)
    open.writeUInt32LE(0xffffffff, (layout?.dataOffset ?? 0) - 4)
    const unfinished = path.join(tmp.dir, 'unfinished.wav')
    writeFileSync(unfinished, open)
    const a = await samples(file, true, 8000)
    const b = await samples(unfinished, true, 8000)
    expect(b.audio.source.headerDurationMs).toBeUndefined()
    expect(maxStep(a.channels, b.channels)).toBe(0)
  })

  test('a WAV at another rate, or not a WAV at all, still goes through ffmpeg', async () => {
    const file = ffmpeg(['-i', source, '-ar', '11025', '-t', '2'], path.join(tmp.dir, 'odd-rate.wav'))
    const { audio } = await samples(file, true, 8000)
    expect(audio.sampleRate).toBe(8000)
    expect(parseWavHeader(Buffer.from('RIFF....AVI LIST'), 16)).toBeUndefined()
  })
})
