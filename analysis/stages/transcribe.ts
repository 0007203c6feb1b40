/**
 * Local speech recognition for calls that come without a transcript. An engine turns the VAD's
 * speech segments (per channel, so per speaker) into utterances with word times; nothing else in
 * the pipeline knows which engine ran.
 *
 * The one engine here is CMU PocketSphinx from Debian (`apt-get install pocketsphinx
 * pocketsphinx-en-us`), run as `pocketsphinx_batch` once per call: each channel is written as a
 * 16 kHz WAV and the segments are listed as frame ranges in its control file, so the model loads
 * once and only speech is decoded. It is US English only.
 */
import { execFile } from 'node:child_process'
import { accessSync, constants, existsSync, readFileSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { promisify } from 'node:util'
import { AsrError } from '../../errors.js'
import { diesWithParent } from '../temp.js'
import type { Speaker } from '../types.js'
import type { MappedUtterance, Word } from './parse-transcript.js'

export interface AsrSegment {
  /** Index into the channel WAVs. */
  channel: number
  speaker: Speaker
  startMs: number
  endMs: number
}

export interface AsrEngine {
  readonly name: string
  /** Sample rate the channel WAVs must have. */
  readonly sampleRate: number
  /** Languages it can recognise (ISO 639-1). */
  readonly languages: readonly string[]
  transcribe(args: {
    channelWavs: readonly string[]
    segments: readonly AsrSegment[]
    workDir: string
    signal?: AbortSignal
  }): Promise<MappedUtterance[]>
}

const DEFAULT_MODEL_DIR = '/usr/share/pocketsphinx/model/en-us'
/** Longer segments are decoded in pieces of this length (memory and search time grow with length). */
const MAX_PIECE_MS = 30_000

function onPath(binary: string, envPath = process.env.PATH ?? ''): string | undefined {
  for (const dir of envPath.split(path.delimiter)) {
    if (!dir) continue
    const candidate = path.join(dir, binary)
    try {
      accessSync(candidate, constants.X_OK)
      return candidate
    } catch {
      // not here
    }
  }
  return undefined
}

export interface PocketsphinxModel {
  hmm: string
  lm: string
  dict: string
}

export function pocketsphinxModel(modelDir = DEFAULT_MODEL_DIR): PocketsphinxModel {
  return {
    hmm: path.join(modelDir, 'en-us'),
    lm: path.join(modelDir, 'en-us.lm.bin'),
    dict: path.join(modelDir, 'cmudict-en-us.dict'),
  }
}

/** Why PocketSphinx cannot run here, or undefined when it can. */
export function pocketsphinxUnavailable(modelDir = DEFAULT_MODEL_DIR): string | undefined {
  if (!onPath('pocketsphinx_batch'))
    return 'pocketsphinx_batch is not installed (apt-get install pocketsphinx)'
  const model = pocketsphinxModel(modelDir)
  for (const file of [model.hmm, model.lm, model.dict])
    if (!existsSync(file))
      return `PocketSphinx model file ${file} is missing (apt-get install pocketsphinx-en-us)`
  return undefined
}

/**
 * Below this mean word posterior a recognised transcript is kept and shown but not trusted:
 * nothing automatic is derived from it. Measured with `npm run bench:asr`: PocketSphinx on the
 * clean LibriVox and card clips scores 0.53–0.98 per clip, on the real 8 kHz calls in
 * ../shared/real-audio/pca-calls 0.29–0.39 (word salad) and on the espeak calls 0.31–0.41.
 */
export const TRUSTED_CONFIDENCE = 0.45

export interface TranscriptQuality {
  /** Mean word posterior, weighted by word duration; null when no word carries one. */
  confidence: number | null
  /** Share of words the decoder itself gives less than 10%. */
  lowWordShare: number | null
  words: number
  trusted: boolean
}

/** How far the words of a recognised transcript can be trusted (see TRUSTED_CONFIDENCE). */
export function transcriptQuality(
  utterances: ReadonlyArray<{ words?: ReadonlyArray<Word> | null }>,
  threshold = TRUSTED_CONFIDENCE,
): TranscriptQuality {
  let weighted = 0
  let duration = 0
  let low = 0
  let count = 0
  for (const u of utterances)
    for (const w of u.words ?? []) {
      if (w.confidence === undefined) continue
      const d = Math.max(10, w.endMs - w.startMs)
      weighted += w.confidence * d
      duration += d
      if (w.confidence < 0.1) low++
      count++
    }
  const confidence = duration > 0 ? Math.round((weighted / duration) * 1000) / 1000 : null
  return {
    confidence,
    lowWordShare: count > 0 ? Math.round((low / count) * 1000) / 1000 : null,
    words: count,
    trusted: confidence !== null && confidence >= threshold,
  }
}

/** Words PocketSphinx emits that are not words: sentence marks, silence, fillers, noise. */
const NOT_WORDS = /^(<s>|<\/s>|<sil>|\[[A-Z_]+\]|\+\+.*\+\+)$/

export interface CtmWord {
  word: string
  startMs: number
  endMs: number
  /** The decoder's posterior probability of the word, 0–1 (absent when the line has none). */
  confidence?: number
}

/** `hyp` words in CTM lines ("uttid 1 start duration word confidence"), grouped by utterance. */
export function parseCtm(text: string): Map<string, CtmWord[]> {
  const out = new Map<string, CtmWord[]>()
  for (const line of text.split('\n')) {
    const parts = line.trim().split(/\s+/)
    if (parts.length < 5) continue
    const [utt, , start, duration, raw, conf] = parts as [string, string, string, string, string, string?]
    if (NOT_WORDS.test(raw)) continue
    const word = raw.replace(/\(\d+\)$/, '')
    const startMs = Math.round(Number(start) * 1000)
    const endMs = Math.round((Number(start) + Number(duration)) * 1000)
    if (!Number.isFinite(startMs) || !Number.isFinite(endMs)) continue
    const confidence = conf === undefined ? Number.NaN : Number(conf)
    const list = out.get(utt) ?? []
    list.push({ word, startMs, endMs, ...(Number.isFinite(confidence) ? { confidence } : {}) })
    out.set(utt, list)
  }
  return out
}

export function createPocketsphinxEngine(modelDir = DEFAULT_MODEL_DIR): AsrEngine {
  const model = pocketsphinxModel(modelDir)
  return {
    name: 'pocketsphinx',
    sampleRate: 16000,
    languages: ['en'],
    async transcribe({ channelWavs, segments, workDir, signal }) {
      const binary = onPath('pocketsphinx_batch')
      const reason = pocketsphinxUnavailable(modelDir)
      if (!binary || reason) throw new AsrError(reason ?? 'pocketsphinx_batch is not installed')
      // Control file: "<file without .wav> <start frame> <end frame> <utterance id>", frames of 10 ms.
      const pieces: Array<{ id: string; segment: number; startMs: number }> = []
      const lines: string[] = []
      segments.forEach((s, index) => {
        for (let start = s.startMs; start < s.endMs; start += MAX_PIECE_MS) {
          const end = Math.min(s.endMs, start + MAX_PIECE_MS)
          if (end - start < 100) continue
          const id = `u${pieces.length}`
          pieces.push({ id, segment: index, startMs: start })
          const wav = channelWavs[s.channel]
          if (!wav?.endsWith('.wav') || /\s/.test(wav))
            throw new AsrError(`channel ${s.channel} has no usable .wav path`)
          lines.push(`${wav.slice(0, -4)} ${Math.floor(start / 10)} ${Math.ceil(end / 10)} ${id}`)
        }
      })
      if (lines.length === 0) return []
      const ctl = path.join(workDir, 'segments.ctl')
      const ctm = path.join(workDir, 'words.ctm')
      const log = path.join(workDir, 'pocketsphinx.log')
      writeFileSync(ctl, `${lines.join('\n')}\n`)
      try {
        // The recogniser dies with this process (a kill -9 of callqa no longer leaves it running).
        const run = diesWithParent(
          binary,
          [
            ['-adcin', 'yes'],
            ['-adchdr', '44'],
            ['-cepext', '.wav'],
            ['-ctl', ctl],
            ['-ctm', ctm],
            ['-hyp', path.join(workDir, 'hyp.txt')],
            ['-hmm', model.hmm],
            ['-lm', model.lm],
            ['-dict', model.dict],
            ['-logfn', log],
          ].flat(),
        )
        await promisify(execFile)(run.file, run.args, { signal, maxBuffer: 16 * 1024 * 1024 })
      } catch (cause) {
        const tail = existsSync(log) ? readFileSync(log, 'utf8').trim().split('\n').slice(-3).join(' / ') : ''
        throw new AsrError(
          `pocketsphinx_batch failed: ${(cause as Error).message.split('\n')[0]} ${tail}`.trim(),
          {
            cause,
          },
        )
      }
      const words = parseCtm(existsSync(ctm) ? readFileSync(ctm, 'utf8') : '')
      // Pieces back into their segments; word times from utterance-relative to call time.
      const bySegment = new Map<number, Word[]>()
      for (const piece of pieces) {
        const list = bySegment.get(piece.segment) ?? []
        for (const w of words.get(piece.id) ?? [])
          list.push({
            word: w.word,
            startMs: piece.startMs + w.startMs,
            endMs: piece.startMs + w.endMs,
            ...(w.confidence !== undefined ? { confidence: w.confidence } : {}),
          })
        bySegment.set(piece.segment, list)
      }
      const utterances: MappedUtterance[] = []
      segments.forEach((s, index) => {
        const said = bySegment.get(index) ?? []
        if (said.length === 0) return
        utterances.push({
          speaker: s.speaker,
          startMs: s.startMs,
          endMs: s.endMs,
          text: said.map((w) => w.word).join(' '),
          words: said,
        })
      })
      return utterances
    },
  }
}
