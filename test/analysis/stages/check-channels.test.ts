/**
 * Stereo files that do not hold one party per channel, made by real ffmpeg from a sample call:
 * the same mix on both channels (dual mono, and a scaled, delayed copy), one channel silent. Each
 * is analysed as one channel and says so; a true two-party call is left as it is.
 */
import path from 'node:path'
import { afterAll, describe, expect, test } from 'vitest'
import { analyzeCall } from '../../../analysis/analyze-call.js'
import { ffmpeg, ffmpegPath, sample, tempDir } from '../../helpers/audio.js'

const tmp = tempDir()
afterAll(() => tmp.remove())
const source = sample('call-02-phone-password.wav')
const make = (name: string, pan: string, codec = 'pcm_mulaw') =>
  ffmpeg(['-i', source, '-af', pan, '-c:a', codec], path.join(tmp.dir, name))

describe('the stereo channel check', () => {
  test('a two-party call stays two parties', async () => {
    const r = await analyzeCall({ inputPath: source, layout: 'auto', ffmpegPath })
    expect(r.layout).toBe('stereo-agent-left')
    expect(r.channelCheck).toMatchObject({ layout: 'two-parties' })
    expect(Math.abs(r.channelCheck?.correlation ?? 1)).toBeLessThan(0.2)
  })

  test('dual mono (both channels the same mix): one channel, two voices, no overtalk invented', async () => {
    const file = make('dual.wav', 'pan=stereo|c0=c0+c1|c1=c0+c1')
    const r = await analyzeCall({ inputPath: file, layout: 'auto', ffmpegPath })
    expect(r.channelCheck).toMatchObject({ layout: 'dual-mono', lagSamples: 0 })
    expect(r.channelCheck?.correlation).toBeGreaterThan(0.999)
    expect(r.layout).toBe('mono')
    // The two voices of the one channel are told apart; overlap cannot be measured on one channel,
    // so it is null, not "overtalk equal to all of the talk".
    expect(new Set(r.segments.map((s) => s.speaker))).toEqual(new Set(['agent', 'customer']))
    expect(r.metrics).toMatchObject({ overtalkMs: null, overtalkCount: null, agentInterruptions: null })
    expect(r.metrics.speakerTalkMs).toBeGreaterThan(30_000)
    expect(r.metrics.agentTalkRatio).toBeGreaterThan(0.4)
    expect(r.metrics.agentTalkRatio).toBeLessThan(0.8)
  })

  test('a file that looks two-party early and is dual mono as a whole is still split in two voices', async () => {
    // 25 s of a two-party call, quiet, then two minutes of one mix on both channels: early on the
    // check lets the speaker features go; the whole call is dual mono, so it is analysed again.
    const file = ffmpeg(
      [
        '-i',
        sample('call-05-phone-overtalk.wav'),
        '-stream_loop',
        '2',
        '-i',
        source,
        '-filter_complex',
        '[0]atrim=0:25,volume=-20dB[a];[1]pan=stereo|c0=c0+c1|c1=c0+c1[b];[a][b]concat=n=2:v=0:a=1',
        '-c:a',
        'pcm_mulaw',
      ],
      path.join(tmp.dir, 'late-dual.wav'),
    )
    const r = await analyzeCall({ inputPath: file, layout: 'auto', ffmpegPath })
    expect(r.channelCheck).toMatchObject({ layout: 'dual-mono' })
    expect(r.layout).toBe('mono')
    expect(r.diarization?.separation).toBeGreaterThan(1)
    expect(new Set(r.segments.map((s) => s.speaker))).toEqual(new Set(['agent', 'customer']))
    expect(r.metrics.overtalkMs).toBeNull()
  })

  test('a scaled copy two samples late is dual mono too', async () => {
    const file = make('scaled.wav', 'pan=stereo|c0=c0+c1|c1=0.4*c0+0.4*c1,adelay=0|0.25', 'pcm_s16le')
    const r = await analyzeCall({ inputPath: file, layout: 'auto', ffmpegPath })
    expect(r.channelCheck).toMatchObject({ layout: 'dual-mono', lagSamples: 2 })
    expect(r.channelCheck?.levelsDb[1]).toBeLessThan((r.channelCheck?.levelsDb[0] ?? 0) - 6)
  })

  test('one channel silent: a layout problem, analysed on the other, no "0% customer talk"', async () => {
    const file = make('silent-right.wav', 'pan=stereo|c0=c0|c1=0*c1')
    const r = await analyzeCall({ inputPath: file, layout: 'auto', ffmpegPath })
    expect(r.channelCheck).toMatchObject({ layout: 'one-channel-silent', silentChannel: 'right' })
    expect(r.layout).toBe('mono')
    // The silent channel's party is not "0%": the call is read as the one channel it has.
    expect(r.metrics.overtalkMs).toBeNull()
    expect(r.metrics.speakerTalkMs).toBeGreaterThan(20_000)
  })
})
