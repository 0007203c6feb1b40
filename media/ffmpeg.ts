/**
 * The only module that imports fluent-ffmpeg (upstream is archived; keep the blast radius small).
 * It finds an ffmpeg binary and streams any audio file out as 16-bit little-endian PCM.
 */
import { accessSync, chmodSync, constants, statSync } from 'node:fs'
import { createRequire } from 'node:module'
import path from 'node:path'
import type { Readable } from 'node:stream'
import ffmpeg from 'fluent-ffmpeg'
import { AudioDecodeError, FfmpegMissingError } from '../errors.js'

export interface FfmpegBinary {
  path: string
  /** `system` = found on PATH, `npm` = the optional @ffmpeg-installer package, `explicit` = configured. */
  source: 'system' | 'npm' | 'explicit'
}

function isExecutable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK)
    const st = statSync(file)
    // access(X_OK) succeeds for root on any file; require an execute bit as well.
    return st.isFile() && (st.mode & 0o111) !== 0
  } catch {
    return false
  }
}

/** System ffmpeg when on PATH, else the binary shipped in the optional npm package. */
export function resolveFfmpeg(explicitPath?: string, envPath = process.env.PATH ?? ''): FfmpegBinary {
  if (explicitPath) {
    if (!isExecutable(explicitPath))
      throw new FfmpegMissingError(`ffmpeg at ${explicitPath} is not executable`)
    return { path: explicitPath, source: 'explicit' }
  }
  for (const dir of envPath.split(path.delimiter)) {
    if (!dir) continue
    const candidate = path.join(dir, 'ffmpeg')
    if (isExecutable(candidate)) return { path: candidate, source: 'system' }
  }
  try {
    const require = createRequire(import.meta.url)
    const installer = require('@ffmpeg-installer/ffmpeg') as { path: string }
    // npm may skip the package's chmod install script; make the shipped binary executable ourselves.
    if (!isExecutable(installer.path)) chmodSync(installer.path, 0o755)
    return { path: installer.path, source: 'npm' }
  } catch (cause) {
    throw new FfmpegMissingError(
      'No ffmpeg found: install it (apt-get install ffmpeg) or the optional npm package @ffmpeg-installer/ffmpeg',
      { cause },
    )
  }
}

/** What ffmpeg says about the input before decoding starts. */
export interface SourceInfo {
  /** Container, e.g. `wav`, `mp3`, `ogg`, `flac`, `mov,mp4,m4a,3gp,3g2,mj2`. */
  format: string
  /** Codec, e.g. `pcm_mulaw`, `mp3`, `opus`. */
  codec: string
  sampleRate: number
  channels: number
  /** Duration from the container header in ms, or undefined when ffmpeg does not know it. */
  headerDurationMs: number | undefined
}

export interface PcmDecode {
  /** Resolves once ffmpeg has read the input header; rejects when the input is not audio. */
  info: Promise<SourceInfo>
  /** Interleaved s16le PCM at the requested rate, `info.channels` channels (or 1 when downmixing). */
  pcm: Readable
  /** Resolves when ffmpeg exits cleanly; rejects with AudioDecodeError otherwise. */
  done: Promise<void>
  kill(): void
}

const CHANNEL_NAMES: Record<string, number> = {
  mono: 1,
  stereo: 2,
  '2.1': 3,
  '3.0': 3,
  '3.0(back)': 3,
  quad: 4,
}

export function parseChannels(detail: string | undefined): number | undefined {
  if (!detail) return undefined
  const named = CHANNEL_NAMES[detail]
  if (named) return named
  const counted = /^(\d+) channels/.exec(detail)
  if (counted?.[1]) return Number(counted[1])
  const layout = /^(\d+)\.(\d+)/.exec(detail) // 5.1, 7.1(wide) ...
  if (layout?.[1] && layout[2]) return Number(layout[1]) + Number(layout[2])
  return undefined
}

function parseDuration(text: string | undefined): number | undefined {
  const m = text ? /^(\d+):(\d+):(\d+(?:\.\d+)?)/.exec(text) : null
  if (!m) return undefined
  return Math.round((Number(m[1]) * 3600 + Number(m[2]) * 60 + Number(m[3])) * 1000)
}

interface CodecData {
  format: string
  audio: string
  audio_details?: string[]
  duration: string
}

/** Last meaningful ffmpeg error line, without the noisy prefix fluent-ffmpeg adds. */
function ffmpegReason(err: Error): string {
  const text = err.message.replace(/^ffmpeg exited with code \d+:\s*/, '').trim()
  const lines = text.split(/\r?\n/).filter((l) => l.trim() !== '')
  return lines.slice(-2).join(' / ') || err.message
}

/**
 * Start ffmpeg decoding `inputPath` to s16le PCM at `sampleRate`.
 * With `downmix` the output is mono; otherwise it keeps the input's channels.
 * The PCM is a stream: memory stays bounded by the consumer's pace (stdout backpressure).
 */
export function decodePcm({
  inputPath,
  sampleRate,
  downmix,
  ffmpegPath,
  displayName = path.basename(inputPath),
}: {
  inputPath: string
  sampleRate: number
  downmix: boolean
  ffmpegPath: string
  /** How errors name the file (the user's file name, not its path in storage). */
  displayName?: string
}): PcmDecode {
  let resolveInfo!: (info: SourceInfo) => void
  let rejectInfo!: (err: Error) => void
  const info = new Promise<SourceInfo>((resolve, reject) => {
    resolveInfo = resolve
    rejectInfo = reject
  })
  let resolveDone!: () => void
  let rejectDone!: (err: Error) => void
  const done = new Promise<void>((resolve, reject) => {
    resolveDone = resolve
    rejectDone = reject
  })
  // Callers may await only one of the two; never leave an unhandled rejection behind.
  info.catch(() => {})
  done.catch(() => {})

  const command = ffmpeg(inputPath)
    .setFfmpegPath(ffmpegPath)
    .inputOptions(['-nostdin'])
    .noVideo()
    .outputOptions(['-nostats', '-map', '0:a:0', '-sn', '-dn'])
    .audioCodec('pcm_s16le')
    .audioFrequency(sampleRate)
    .format('s16le')
  if (downmix) command.audioChannels(1)

  let infoSent = false
  command.on('codecData', (data: CodecData) => {
    const details = data.audio_details ?? []
    const rate = Number.parseInt(details.find((d) => / Hz$/.test(d)) ?? '', 10)
    const channels = parseChannels(details.find((d) => parseChannels(d) !== undefined))
    if (!data.audio || !channels || !Number.isFinite(rate)) {
      rejectInfo(new AudioDecodeError(`no audio stream found in ${displayName}`))
      return
    }
    infoSent = true
    resolveInfo({
      format: data.format,
      codec: data.audio.split(' ')[0] ?? data.audio,
      sampleRate: rate,
      channels,
      headerDurationMs: parseDuration(data.duration),
    })
  })
  command.on('error', (err: Error) => {
    // fluent-ffmpeg reports "Output stream closed" when our end of the pipe closes and the
    // process's exit has not been seen 20 ms later. On a busy event loop that is a clean exit
    // not yet reaped: the exit code, not the timer, says whether the decode worked.
    const proc = (command as unknown as { ffmpegProc?: import('node:child_process').ChildProcess }).ffmpegProc
    if (err.message === 'Output stream closed' && proc) {
      const settle = (code: number | null) => (code === 0 ? finish() : fail(err))
      if (proc.exitCode !== null) settle(proc.exitCode)
      else proc.once('exit', settle)
      return
    }
    fail(err)
  })
  const fail = (err: Error) => {
    const failure = new AudioDecodeError(
      // Name the file as the user knows it, not by its path in storage.
      `ffmpeg could not decode ${displayName}: ${ffmpegReason(err).replaceAll(`${inputPath}: `, '')}`,
      { cause: err },
    )
    if (!infoSent) rejectInfo(failure)
    rejectDone(failure)
  }
  const finish = () => {
    if (!infoSent) rejectInfo(new AudioDecodeError(`no audio stream found in ${displayName}`))
    resolveDone()
  }
  command.on('end', finish)

  const pcm = command.pipe() as Readable
  return {
    info,
    pcm,
    done,
    kill: () => {
      command.kill('SIGKILL')
    },
  }
}

/**
 * Writes a copy of `inputPath` as 16-bit WAV (same rate and channels) with every span silenced or
 * beeped on every channel: personal data said by one party can also be heard on the other's channel.
 */
export function writeRedactedCopy({
  inputPath,
  outputPath,
  spans,
  ffmpegPath,
  mode = 'silence',
  what = 'redacted copy',
}: {
  inputPath: string
  outputPath: string
  spans: ReadonlyArray<{ startMs: number; endMs: number }>
  ffmpegPath: string
  /** silence: zeros over each span; beep: a 1 kHz tone at -14 dBFS instead. */
  mode?: 'silence' | 'beep'
  /** what the copy is, for the error message */
  what?: string
}): Promise<void> {
  // aeval works per sample (timeline `enable` on volume works per frame of ~1000 samples).
  const inside = spans
    .map((s) => `between(t,${(s.startMs / 1000).toFixed(3)},${(s.endMs / 1000).toFixed(3)})`)
    .join('+')
  const cover = mode === 'beep' ? `+gte(${inside},1)*0.2*sin(2*PI*1000*t)` : ''
  const filters = spans.length ? [`aeval='val(ch)*lt(${inside},1)${cover}':c=same`] : []
  return new Promise((resolve, reject) => {
    const command = ffmpeg(inputPath)
      .setFfmpegPath(ffmpegPath)
      .inputOptions(['-nostdin'])
      .noVideo()
      .outputOptions(['-nostats', '-map', '0:a:0'])
      .audioCodec('pcm_s16le')
      .format('wav')
    if (filters.length) command.audioFilters(filters)
    command
      .on('error', (err: Error) =>
        reject(new AudioDecodeError(`could not write the ${what}: ${ffmpegReason(err)}`, { cause: err })),
      )
      .on('end', () => resolve())
      .save(outputPath)
  })
}

/**
 * Writes `inputPath` as 16-bit PCM WAV, same rate and channels: a copy any browser plays, for
 * recordings in μ-law, A-law, GSM and other codecs browsers do not.
 */
export function writePlayableCopy(o: {
  inputPath: string
  outputPath: string
  ffmpegPath: string
}): Promise<void> {
  return writeRedactedCopy({ ...o, spans: [], what: 'playable copy' })
}

/**
 * Writes each speaker's channel as its own 16-bit mono WAV at `sampleRate` (speech recognisers
 * read one channel at a time). One output: the channels are mixed down; two: left and right.
 */
export function writeChannelWavs({
  inputPath,
  outputPaths,
  sampleRate,
  ffmpegPath,
}: {
  inputPath: string
  outputPaths: readonly [string] | readonly [string, string]
  sampleRate: number
  ffmpegPath: string
}): Promise<void> {
  return new Promise((resolve, reject) => {
    const command = ffmpeg(inputPath).setFfmpegPath(ffmpegPath).inputOptions(['-nostdin'])
    const [first, second] = outputPaths
    // fluent-ffmpeg applies codec, rate and format to the output declared last: set them per output.
    const pcm = () => command.audioCodec('pcm_s16le').audioFrequency(sampleRate).format('wav')
    if (second === undefined) {
      command.output(first).outputOptions(['-nostats', '-map', '0:a:0', '-vn', '-sn', '-dn'])
      pcm().audioChannels(1)
    } else {
      command.complexFilter(['[0:a:0]channelsplit=channel_layout=stereo[left][right]'])
      command.output(first).outputOptions(['-nostats', '-map', '[left]'])
      pcm()
      command.output(second).outputOptions(['-map', '[right]'])
      pcm()
    }
    command
      .on('error', (err: Error) =>
        reject(new AudioDecodeError(`could not split the channels: ${ffmpegReason(err)}`, { cause: err })),
      )
      .on('end', () => resolve())
      .run()
  })
}

/** Writes [startMs, endMs) of `inputPath` as a 16-bit WAV (same rate and channels): a coaching clip. */
export function writeClip({
  inputPath,
  outputPath,
  startMs,
  endMs,
  ffmpegPath,
}: {
  inputPath: string
  outputPath: string
  startMs: number
  endMs: number
  ffmpegPath: string
}): Promise<void> {
  return new Promise((resolve, reject) => {
    ffmpeg(inputPath)
      .setFfmpegPath(ffmpegPath)
      .inputOptions(['-nostdin'])
      .noVideo()
      // Output-side seek: sample-accurate for audio.
      .outputOptions([
        '-nostats',
        '-map',
        '0:a:0',
        '-ss',
        (startMs / 1000).toFixed(3),
        '-t',
        ((endMs - startMs) / 1000).toFixed(3),
      ])
      .audioCodec('pcm_s16le')
      .format('wav')
      .on('error', (err: Error) =>
        reject(new AudioDecodeError(`could not cut the clip: ${ffmpegReason(err)}`, { cause: err })),
      )
      .on('end', () => resolve())
      .save(outputPath)
  })
}
