import { execFileSync } from 'node:child_process'
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { afterAll, describe, expect, test } from 'vitest'
import { analyzeCall } from '../../../analysis/analyze-call.js'
import { decodeAudio } from '../../../analysis/stages/decode-audio.js'
import { frameScore, loadTruths, truthSegments } from '../../../samples/ground-truth.js'
import { ffmpeg, ffmpegPath, sample, tempDir } from '../../helpers/audio.js'

const tmp = tempDir()
afterAll(() => tmp.remove())

const truth = loadTruths().find((t) => t.id === 'call-02-phone-password')
if (!truth) throw new Error('sample call-02 missing: run npm run samples')
const source = sample(truth.file)

/** Each format callqa must read, made from the same noisy stereo call by real ffmpeg. */
const formats: Array<{ name: string; file: string; args: string[]; channels: number }> = [
  { name: 'WAV PCM 8-bit 8 kHz', file: 'u8.wav', args: ['-c:a', 'pcm_u8'], channels: 2 },
  {
    name: 'WAV PCM 16-bit 44.1 kHz',
    file: 's16.wav',
    args: ['-c:a', 'pcm_s16le', '-ar', '44100'],
    channels: 2,
  },
  {
    name: 'WAV PCM 24-bit 48 kHz',
    file: 's24.wav',
    args: ['-c:a', 'pcm_s24le', '-ar', '48000'],
    channels: 2,
  },
  { name: 'WAV mu-law 8 kHz', file: 'ulaw.wav', args: ['-c:a', 'pcm_mulaw'], channels: 2 },
  { name: 'WAV A-law 8 kHz', file: 'alaw.wav', args: ['-c:a', 'pcm_alaw'], channels: 2 },
  {
    name: 'MP3 22.05 kHz',
    file: 'call.mp3',
    args: ['-c:a', 'libmp3lame', '-b:a', '64k', '-ar', '22050'],
    channels: 2,
  },
  { name: 'OGG/Opus 48 kHz', file: 'call.ogg', args: ['-c:a', 'libopus', '-b:a', '32k'], channels: 2 },
  { name: 'FLAC 16 kHz', file: 'call.flac', args: ['-c:a', 'flac', '-ar', '16000'], channels: 2 },
  {
    name: 'M4A/AAC 11.025 kHz',
    file: 'call.m4a',
    args: ['-c:a', 'aac', '-b:a', '48k', '-ar', '11025'],
    channels: 2,
  },
  { name: 'mono WAV 16 kHz', file: 'mono.wav', args: ['-ac', '1', '-ar', '16000'], channels: 1 },
]

describe('decodeAudio reads every supported format', () => {
  test.each(formats)('$name', async ({ file, args, channels }) => {
    const out = ffmpeg(['-i', source, ...args], path.join(tmp.dir, file))
    const result = await analyzeCall({ inputPath: out, layout: 'auto', ffmpegPath })
    expect(result.source.channels).toBe(channels)
    expect(result.layout).toBe(channels === 2 ? 'stereo-agent-left' : 'mono')
    // Codec delay and padding may add a few ms, never more.
    expect(Math.abs(result.durationMs - truth.durationMs)).toBeLessThan(100)
    // The speech found is the same call's speech, whatever the container and codec.
    // Mono: speech is scored as speech, whichever of the two voices it was given to.
    const expected = channels === 2 ? truthSegments(truth) : truthSegments({ ...truth, layout: 'mono' })
    const found =
      channels === 2 ? result.segments : result.segments.map((s) => ({ ...s, speaker: 'speaker' as const }))
    expect(frameScore(expected, found, result.durationMs).f1).toBeGreaterThan(0.85)
  })
})

describe('decodeAudio rejects bad input with a clear error', () => {
  const open = (file: string, layout: 'auto' | 'mono' | 'stereo-agent-right' = 'auto') =>
    decodeAudio({ inputPath: file, layout, sampleRate: 8000, ffmpegPath }).then(async (audio) => {
      for await (const _ of audio.chunks) {
        // drain
      }
      return audio.finish()
    })

  test('missing file', async () => {
    await expect(open(path.join(tmp.dir, 'nope.wav'))).rejects.toMatchObject({
      code: 'QA_ERR_INPUT_UNREADABLE',
      message: expect.stringContaining('nope.wav'),
    })
  })

  test('a directory', async () => {
    const dir = path.join(tmp.dir, 'folder.wav')
    mkdirSync(dir)
    await expect(open(dir)).rejects.toMatchObject({ code: 'QA_ERR_INPUT_UNREADABLE' })
  })

  test('empty file', async () => {
    const file = path.join(tmp.dir, 'empty.wav')
    writeFileSync(file, '')
    await expect(open(file)).rejects.toMatchObject({ code: 'QA_ERR_INPUT_EMPTY', message: /empty/ })
  })

  test('a text file named .wav', async () => {
    const file = path.join(tmp.dir, 'notes.wav')
    writeFileSync(file, 'Customer called about a refund. Agent promised a call back.\n')
    await expect(open(file)).rejects.toMatchObject({
      code: 'QA_ERR_AUDIO_DECODE',
      message: expect.stringMatching(/notes\.wav.*Invalid data/),
    })
  })

  test('a truncated WAV (the header promises more than the file holds)', async () => {
    const file = path.join(tmp.dir, 'truncated.wav')
    writeFileSync(file, readFileSync(source).subarray(0, 300_000))
    await expect(open(file)).rejects.toMatchObject({ code: 'QA_ERR_AUDIO_DECODE', message: /truncated/ })
  })

  test('a WAV cut inside its header', async () => {
    const file = path.join(tmp.dir, 'header-only.wav')
    writeFileSync(file, readFileSync(source).subarray(0, 30))
    await expect(open(file)).rejects.toMatchObject({ code: 'QA_ERR_AUDIO_DECODE' })
  })

  test('0-second audio', async () => {
    const file = ffmpeg(
      ['-f', 'lavfi', '-i', 'anullsrc=r=8000:cl=mono', '-t', '0'],
      path.join(tmp.dir, 'zero.wav'),
    )
    await expect(open(file)).rejects.toMatchObject({ code: 'QA_ERR_AUDIO_EMPTY', message: /0 seconds/ })
  })

  test('a 3-channel file fails unless downmixed with layout mono', async () => {
    const sine = (f: number) => ['-f', 'lavfi', '-i', `sine=f=${f}:d=2`]
    const file = ffmpeg(
      [
        ...sine(440),
        ...sine(660),
        ...sine(880),
        '-filter_complex',
        '[0][1][2]join=inputs=3:channel_layout=2.1',
      ],
      path.join(tmp.dir, 'three.wav'),
    )
    await expect(open(file)).rejects.toMatchObject({ code: 'QA_ERR_CHANNEL_LAYOUT', message: /3 channels/ })
    await expect(open(file, 'mono')).resolves.toEqual({ samples: 16000 })
  })

  test('a mono file with a stereo layout', async () => {
    const file = ffmpeg(['-f', 'lavfi', '-i', 'sine=f=440:d=1'], path.join(tmp.dir, 'one.wav'))
    await expect(open(file, 'stereo-agent-right')).rejects.toMatchObject({ code: 'QA_ERR_CHANNEL_LAYOUT' })
  })

  test('a video file without an audio stream', async () => {
    const file = ffmpeg(
      ['-f', 'lavfi', '-i', 'testsrc=d=1:s=32x32', '-c:v', 'mpeg4'],
      path.join(tmp.dir, 'video.mp4'),
    )
    await expect(open(file)).rejects.toMatchObject({ code: 'QA_ERR_AUDIO_DECODE' })
  })

  test('the stereo-agent-right layout swaps speakers', async () => {
    const left = await analyzeCall({ inputPath: source, layout: 'stereo-agent-left', ffmpegPath })
    const right = await analyzeCall({ inputPath: source, layout: 'stereo-agent-right', ffmpegPath })
    const swap = { agent: 'customer', customer: 'agent', speaker: 'speaker' } as const
    expect(
      right.segments
        .map((s) => ({ ...s, speaker: swap[s.speaker] }))
        .sort((x, y) => x.startMs - y.startMs || x.speaker.localeCompare(y.speaker)),
    ).toEqual(left.segments)
    expect(right.metrics.agentTalkMs).toBe(left.metrics.customerTalkMs)
  })
})

test('ffmpeg is the real binary', () => {
  expect(execFileSync(ffmpegPath, ['-version']).toString()).toMatch(/^ffmpeg version/)
})
