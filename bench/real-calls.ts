/**
 * Real-speech telephone calls for the speed benches: `count` distinct two-party calls of `seconds`
 * each, laid out from pocketsphinx-testdata voices (samples/real-speech.ts composeCall, a seed and
 * a choice of voices per call, so no two calls are the same audio), under the telephone condition
 * (band limit, 8 kHz μ-law, a line noise floor), written as stereo WAV files (agent left).
 * Dense speech: the VAD runs on most windows, unlike the espeak sample calls' long digital pauses.
 *
 * Also, when `../shared/real-audio` is present, the recorded calls there (pca-calls): the files as
 * they are (~1 min, dual-mono MP3 at 44.1 kHz and one 4.6-minute mono 8-bit call).
 */
import { existsSync, mkdirSync, readdirSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import {
  CONDITIONS,
  composeCall,
  type LoadedClip,
  loadClips,
  realSpeechUnavailable,
  renderCondition,
  writeConditionFile,
} from '../samples/real-speech.js'

const VOICE_SETS: ReadonlyArray<readonly [readonly string[], readonly string[]]> = [
  [['librivox'], ['cards', 'numbers', 'tidigits']],
  [['cards', 'turtle'], ['librivox']],
  [
    ['turtle', 'numbers'],
    ['librivox', 'cards'],
  ],
  [
    ['tidigits', 'cards'],
    ['turtle', 'librivox'],
  ],
  [
    ['librivox', 'turtle'],
    ['numbers', 'cards'],
  ],
  [
    ['numbers', 'librivox'],
    ['tidigits', 'turtle'],
  ],
]

export interface RealCorpus {
  files: string[]
  audioMs: number
}

let clipsCache: Promise<LoadedClip[]> | undefined

/** Writes the calls into `dir`; undefined (with why) when pocketsphinx-testdata is missing. */
export async function realSpeechCalls(
  dir: string,
  count: number,
  seconds: number,
  ffmpegPath: string,
): Promise<RealCorpus | string> {
  const missing = realSpeechUnavailable()
  if (missing) return missing
  clipsCache ??= loadClips(ffmpegPath)
  const clips = await clipsCache
  const condition = CONDITIONS.find((c) => c.name === 'telephone 8 kHz μ-law') as (typeof CONDITIONS)[number]
  mkdirSync(dir, { recursive: true })
  const files: string[] = []
  for (let i = 0; i < count; i++) {
    const [agentVoices, customerVoices] = VOICE_SETS[i % VOICE_SETS.length] as (typeof VOICE_SETS)[number]
    const seed = 1000 + i * 7 + seconds
    const call = composeCall({ id: `rs-${seconds}-${i}`, seed, agentVoices, customerVoices, seconds }, clips)
    const out = path.join(dir, `real-${seconds}s-${i}.wav`)
    writeConditionFile(renderCondition(call, condition, clips, seed), condition, out, ffmpegPath)
    files.push(out)
  }
  return { files, audioMs: count * seconds * 1000 }
}

export const SHARED_CALLS = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  '..',
  '..',
  'shared',
  'real-audio',
  'pca-calls',
)

/** The recorded calls in ../shared/real-audio/pca-calls, or undefined when absent. */
export function sharedRecordedCalls(): string[] | undefined {
  if (!existsSync(SHARED_CALLS)) return undefined
  return readdirSync(SHARED_CALLS)
    .filter((f) => /\.(wav|mp3)$/i.test(f))
    .sort()
    .map((f) => path.join(SHARED_CALLS, f))
}
