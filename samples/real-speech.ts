/**
 * Two-party telephone calls made of real speech: the recordings in Debian's pocketsphinx-testdata
 * (LibriVox read speech, spoken card names and digits, five voices), laid out as turns on two
 * channels, then put through what telephone lines do to speech (band limit, 8 kHz μ-law, noise,
 * a quiet party, a noisy floor behind the speaker).
 *
 * The truth comes from the clean clips (samples/real-speech/clips.json, made by
 * scripts/align-real-speech.ts: forced alignment to the known words, edges to 10 ms), so it never
 * depends on a voice-activity detector. Background babble is not the speaker's speech: the truth
 * stays the same under every condition. Everything is seeded: the same call comes out every time.
 */
import { execFile, execFileSync } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import type { Interval } from '../analysis/types.js'

const run = promisify(execFile)

export const TESTDATA_DIR = '/usr/share/pocketsphinx/test/data'
const LABELS = path.join(path.dirname(fileURLToPath(import.meta.url)), 'real-speech', 'clips.json')

export interface RealSpeechClip {
  id: string
  /** Relative to TESTDATA_DIR. */
  file: string
  /** `raw`: headerless 16 kHz 16-bit mono. */
  format: 'wav' | 'raw'
  /** Recordings by the same person share a voice. */
  voice: string
  /** The words said (the reference transcript; for numbers.raw, what PocketSphinx hears). */
  text: string
}

const LIBRIVOX = 'librivox/sense_and_sensibility_01_austen_64kb'
export const REAL_SPEECH_CLIPS: readonly RealSpeechClip[] = [
  ...[
    [
      '0870',
      'and mister john dashwood had then leisure to consider how much there might be prudently in his power to do for them',
    ],
    ['0880', 'he was not an ill disposed young man'],
    ['0890', 'unless to be rather cold hearted and rather selfish is to be ill disposed'],
    [
      '0920',
      'had he married a more a amiable woman he might have been made still more respectable than he was',
    ],
    ['0930', 'he might even have been made amiable himself'],
  ].map(([n, text]) => ({
    id: `librivox-${n}`,
    file: `${LIBRIVOX}-${n}.wav`,
    format: 'wav' as const,
    voice: 'librivox',
    text: text as string,
  })),
  ...[
    ['001', 'ten of clubs'],
    ['002', 'four queen of clubs'],
    ['003', 'seven of clubs'],
    ['004', 'five five'],
    ['005', 'eight of spades four of clubs seven of hearts'],
  ].map(([n, text]) => ({
    id: `cards-${n}`,
    file: `cards/${n}.wav`,
    format: 'wav' as const,
    voice: 'cards',
    text: text as string,
  })),
  { id: 'goforward', file: 'goforward.raw', format: 'raw', voice: 'turtle', text: 'go forward ten meters' },
  {
    id: 'something',
    file: 'something.raw',
    format: 'raw',
    voice: 'turtle',
    text: 'go somewhere and do something',
  },
  {
    id: 'numbers',
    file: 'numbers.raw',
    format: 'raw',
    voice: 'numbers',
    text: 'thirty three four or six ninety two',
  },
  {
    id: 'tidigits-2934z',
    file: 'tidigits/dhd.2934z.raw',
    format: 'raw',
    voice: 'tidigits',
    text: 'two nine three four zero',
  },
]

export interface ClipLabels {
  id: string
  durationMs: number
  floorDb: number
  words: Array<{ word: string; startMs: number; endMs: number }>
  /** Speech spans in the clean clip, ms. */
  speech: Array<[number, number]>
}

/** Why the real-speech corpus cannot be built here, or undefined when it can. */
export function realSpeechUnavailable(): string | undefined {
  const missing = REAL_SPEECH_CLIPS.find((c) => !existsSync(path.join(TESTDATA_DIR, c.file)))
  return missing
    ? `${path.join(TESTDATA_DIR, missing.file)} is missing (apt-get install pocketsphinx-testdata)`
    : undefined
}

export function loadClipLabels(): Map<string, ClipLabels> {
  const list = JSON.parse(readFileSync(LABELS, 'utf8')) as ClipLabels[]
  return new Map(list.map((l) => [l.id, l]))
}

export interface LoadedClip extends RealSpeechClip, ClipLabels {
  /** 16 kHz mono. */
  pcm: Float32Array
}

/** Decodes every clip to 16 kHz float with ffmpeg, with its labels. */
export async function loadClips(ffmpegPath: string): Promise<LoadedClip[]> {
  const labels = loadClipLabels()
  return Promise.all(
    REAL_SPEECH_CLIPS.map(async (clip) => {
      const raw = clip.format === 'raw' ? ['-f', 's16le', '-ar', '16000', '-ac', '1'] : []
      const { stdout } = await run(
        ffmpegPath,
        [
          '-v',
          'error',
          ...raw,
          '-i',
          path.join(TESTDATA_DIR, clip.file),
          '-ac',
          '1',
          '-ar',
          '16000',
          '-f',
          'f32le',
          '-',
        ],
        { encoding: 'buffer', maxBuffer: 1 << 26 },
      )
      const label = labels.get(clip.id)
      if (!label) throw new Error(`no labels for ${clip.id}: run npx tsx scripts/align-real-speech.ts`)
      const pcm = new Float32Array(
        stdout.buffer.slice(stdout.byteOffset, stdout.byteOffset + stdout.byteLength),
      )
      return { ...clip, ...label, pcm }
    }),
  )
}

/** mulberry32: a small seeded PRNG, so every corpus is the same on every machine. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

export const CORPUS_RATE = 16000

export interface ComposedCall {
  id: string
  /** 16 kHz, agent then customer; clean speech on digital silence. */
  channels: [Float32Array, Float32Array]
  truth: { agent: Interval[]; customer: Interval[] }
  durationMs: number
}

export interface CallPlan {
  id: string
  seed: number
  agentVoices: readonly string[]
  customerVoices: readonly string[]
  seconds: number
}

/**
 * Four calls, each voice on each side at least once: long read sentences against short answers
 * (card names, digits), as agents explain and customers give numbers.
 */
export const CALL_PLANS: readonly CallPlan[] = [
  {
    id: 'rs-1',
    seed: 11,
    agentVoices: ['librivox'],
    customerVoices: ['cards', 'numbers', 'tidigits'],
    seconds: 150,
  },
  { id: 'rs-2', seed: 22, agentVoices: ['cards', 'turtle'], customerVoices: ['librivox'], seconds: 150 },
  {
    id: 'rs-3',
    seed: 33,
    agentVoices: ['turtle', 'numbers'],
    customerVoices: ['librivox', 'cards'],
    seconds: 150,
  },
  {
    id: 'rs-4',
    seed: 44,
    agentVoices: ['tidigits', 'cards'],
    customerVoices: ['turtle', 'librivox'],
    seconds: 150,
  },
]

const db = (x: number) => 10 ** (x / 20)

/**
 * Lays clips out as a conversation: turns of 1–3 clips with pauses inside a turn, answers after
 * 0.2–2.5 s, some answers over the end of the other's turn, short backchannels inside long turns,
 * and a few long silences (dead air, holds). Each clip gets its own level (±3 dB).
 */
export function composeCall(plan: CallPlan, clips: readonly LoadedClip[]): ComposedCall {
  const rand = seededRandom(plan.seed)
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)] as T
  const between = (lo: number, hi: number) => lo + rand() * (hi - lo)
  const pools = [plan.agentVoices, plan.customerVoices].map((voices) =>
    clips.filter((c) => voices.includes(c.voice)),
  ) as [LoadedClip[], LoadedClip[]]
  const total = Math.round(plan.seconds * CORPUS_RATE)
  const channels: [Float32Array, Float32Array] = [new Float32Array(total), new Float32Array(total)]
  const truth: [Interval[], Interval[]] = [[], []]
  const place = (side: 0 | 1, clip: LoadedClip, at: number): number => {
    const gain = db(between(-3, 3))
    const out = channels[side]
    const n = Math.min(clip.pcm.length, total - at)
    for (let i = 0; i < n; i++) out[at + i] = (out[at + i] as number) + (clip.pcm[i] as number) * gain
    const startMs = (at * 1000) / CORPUS_RATE
    for (const [s, e] of clip.speech) {
      const a = Math.round(startMs + s)
      const b = Math.min(Math.round(startMs + e), plan.seconds * 1000)
      if (b > a) truth[side].push({ startMs: a, endMs: b })
    }
    return at + clip.pcm.length
  }
  let side: 0 | 1 = 0
  let cursor = Math.round(between(0.4, 1.5) * CORPUS_RATE)
  while (cursor < total - CORPUS_RATE * 4) {
    const turnStart = cursor
    const count = 1 + Math.floor(rand() * 3)
    for (let k = 0; k < count && cursor < total; k++) {
      cursor = place(side, pick(pools[side]), cursor)
      if (k < count - 1) cursor += Math.round(between(0.25, 0.7) * CORPUS_RATE)
    }
    const other = (1 - side) as 0 | 1
    // A backchannel from the listener inside a long turn ("mm", a number read back).
    if (cursor - turnStart > 5 * CORPUS_RATE && rand() < 0.35) {
      const short = pools[other].filter((c) => c.pcm.length < 2 * CORPUS_RATE)
      if (short.length) place(other, pick(short), turnStart + Math.round(between(1.5, 3) * CORPUS_RATE))
    }
    const r = rand()
    const gap =
      r < 0.1
        ? between(-0.6, -0.1)
        : r < 0.8
          ? between(0.2, 0.9)
          : r < 0.95
            ? between(0.9, 2.5)
            : between(5, 15)
    cursor = Math.max(turnStart + CORPUS_RATE, cursor + Math.round(gap * CORPUS_RATE))
    side = other
  }
  const merge = (xs: Interval[]) => {
    const sorted = [...xs].sort((a, b) => a.startMs - b.startMs)
    const out: Interval[] = []
    for (const iv of sorted) {
      const last = out[out.length - 1]
      if (last && iv.startMs <= last.endMs) last.endMs = Math.max(last.endMs, iv.endMs)
      else out.push({ ...iv })
    }
    return out
  }
  return {
    id: plan.id,
    channels,
    truth: { agent: merge(truth[0]), customer: merge(truth[1]) },
    durationMs: plan.seconds * 1000,
  }
}

/** Pink noise (Paul Kellet's filter over seeded white noise), unit RMS. */
export function pinkNoise(samples: number, seed: number): Float32Array {
  const rand = seededRandom(seed)
  const out = new Float32Array(samples)
  let b0 = 0
  let b1 = 0
  let b2 = 0
  let b3 = 0
  let b4 = 0
  let b5 = 0
  let b6 = 0
  let power = 0
  for (let i = 0; i < samples; i++) {
    const w = rand() * 2 - 1
    b0 = 0.99886 * b0 + w * 0.0555179
    b1 = 0.99332 * b1 + w * 0.0750759
    b2 = 0.969 * b2 + w * 0.153852
    b3 = 0.8665 * b3 + w * 0.3104856
    b4 = 0.55 * b4 + w * 0.5329522
    b5 = -0.7616 * b5 - w * 0.016898
    const v = b0 + b1 + b2 + b3 + b4 + b5 + b6 + w * 0.5362
    b6 = w * 0.115926
    out[i] = v
    power += v * v
  }
  const scale = 1 / Math.sqrt(power / samples)
  for (let i = 0; i < samples; i++) out[i] = (out[i] as number) * scale
  return out
}

/** Other people talking behind the speaker: `talkers` streams of clips end to end, summed, unit RMS. */
export function babble(
  samples: number,
  clips: readonly LoadedClip[],
  seed: number,
  talkers: number,
): Float32Array {
  const rand = seededRandom(seed)
  const out = new Float32Array(samples)
  for (let stream = 0; stream < talkers; stream++) {
    let at = -Math.floor(rand() * 3 * CORPUS_RATE)
    while (at < samples) {
      const clip = clips[Math.floor(rand() * clips.length)] as LoadedClip
      const gain = db(-6 + rand() * 6) / Math.max(1e-6, rms(clip.pcm))
      for (let i = 0; i < clip.pcm.length; i++) {
        const j = at + i
        if (j >= 0 && j < samples) out[j] = (out[j] as number) + (clip.pcm[i] as number) * gain
      }
      at += clip.pcm.length
    }
  }
  const scale = 1 / Math.max(1e-9, rms(out))
  for (let i = 0; i < samples; i++) out[i] = (out[i] as number) * scale
  return out
}

function rms(x: Float32Array, from = 0, to = x.length): number {
  let s = 0
  for (let i = from; i < to; i++) s += (x[i] as number) ** 2
  return Math.sqrt(s / Math.max(1, to - from))
}

/** RMS over the truth's speech only (the "active speech level" an SNR is quoted against). */
export function speechRms(x: Float32Array, speech: readonly Interval[]): number {
  let s = 0
  let n = 0
  for (const iv of speech) {
    const a = Math.floor((iv.startMs * CORPUS_RATE) / 1000)
    const b = Math.min(x.length, Math.floor((iv.endMs * CORPUS_RATE) / 1000))
    for (let i = a; i < b; i++) s += (x[i] as number) ** 2
    n += Math.max(0, b - a)
  }
  return Math.sqrt(s / Math.max(1, n))
}

export interface Condition {
  name: string
  /** Band-limit to 300–3400 Hz and write 8 kHz μ-law, as a telephone recorder does. */
  telephone: boolean
  /** Agent's speech level, dBFS. */
  agentDb: number
  /** Customer's speech level, dBFS. */
  customerDb: number
  /** Noise under each channel: SNR against that channel's speech, or a fixed level. */
  noise?: NoiseSpec
  /** The customer's line has other noise than the agent's. */
  customerNoise?: NoiseSpec
}

export interface NoiseSpec {
  kind: 'pink' | 'babble'
  snrDb?: number
  levelDb?: number
  /** Babble: how many voices talk behind the speaker. */
  talkers?: number
}

/**
 * The bench's conditions. Every one has a faint line noise floor (−66 dBFS) so that no channel
 * falls to digital silence between clips, which real lines never do.
 */
export const CONDITIONS: readonly Condition[] = [
  { name: 'clean 16 kHz', telephone: false, agentDb: -20, customerDb: -22 },
  { name: 'telephone 8 kHz μ-law', telephone: true, agentDb: -20, customerDb: -22 },
  { name: 'noise 20 dB', telephone: true, agentDb: -20, customerDb: -22, noise: { kind: 'pink', snrDb: 20 } },
  { name: 'noise 10 dB', telephone: true, agentDb: -20, customerDb: -22, noise: { kind: 'pink', snrDb: 10 } },
  { name: 'noise 5 dB', telephone: true, agentDb: -20, customerDb: -22, noise: { kind: 'pink', snrDb: 5 } },
  // The customer 10 dB below the agent on one line noise: 20 dB SNR for the agent, 10 for the customer.
  {
    name: 'quiet customer −10 dB',
    telephone: true,
    agentDb: -20,
    customerDb: -30,
    noise: { kind: 'pink', levelDb: -40 },
  },
  // Other voices behind the speaker, 15 dB down: a busy floor (4 or 8 voices), or one neighbour.
  {
    name: 'babble 15 dB (4 voices)',
    telephone: true,
    agentDb: -20,
    customerDb: -22,
    noise: { kind: 'babble', snrDb: 15, talkers: 4 },
  },
  {
    name: 'babble 15 dB (8 voices)',
    telephone: true,
    agentDb: -20,
    customerDb: -22,
    noise: { kind: 'babble', snrDb: 15, talkers: 8 },
  },
  {
    name: 'one voice behind, 15 dB',
    telephone: true,
    agentDb: -20,
    customerDb: -22,
    noise: { kind: 'babble', snrDb: 15, talkers: 1 },
  },
]

const FLOOR_DB = -66

/** The call under a condition, as the interleaved 16-bit stereo a recorder would hand over. */
export function renderCondition(
  call: ComposedCall,
  condition: Condition,
  clips: readonly LoadedClip[],
  seed: number,
): Int16Array {
  const n = call.channels[0].length
  const out = new Int16Array(n * 2)
  const roles = ['agent', 'customer'] as const
  for (let c = 0; c < 2; c++) {
    const speech = call.channels[c] as Float32Array
    const truth = call.truth[roles[c] as 'agent' | 'customer']
    const level = c === 0 ? condition.agentDb : condition.customerDb
    const gain = db(level) / Math.max(1e-9, speechRms(speech, truth))
    const floor = pinkNoise(n, seed * 7 + c)
    const noise = c === 1 && condition.customerNoise ? condition.customerNoise : condition.noise
    const extra =
      noise === undefined
        ? undefined
        : noise.kind === 'pink'
          ? pinkNoise(n, seed * 13 + c + 1)
          : babble(n, clips, seed * 17 + c, noise.talkers ?? 8)
    const extraGain =
      noise === undefined ? 0 : db(noise.levelDb !== undefined ? noise.levelDb : level - (noise.snrDb ?? 0))
    for (let i = 0; i < n; i++) {
      let v = (speech[i] as number) * gain + (floor[i] as number) * db(FLOOR_DB)
      if (extra) v += (extra[i] as number) * extraGain
      out[i * 2 + c] = Math.max(-32768, Math.min(32767, Math.round(v * 32768)))
    }
  }
  return out
}

/** Writes a rendered call as a WAV file: 16 kHz PCM, or 300–3400 Hz 8 kHz μ-law for telephone conditions. */
export function writeConditionFile(
  pcm: Int16Array,
  condition: Condition,
  outPath: string,
  ffmpegPath: string,
): void {
  const filters = condition.telephone
    ? ['-af', 'highpass=f=300:poles=2,lowpass=f=3400:poles=2', '-ar', '8000', '-c:a', 'pcm_mulaw']
    : ['-c:a', 'pcm_s16le']
  execFileSync(
    ffmpegPath,
    [
      '-v',
      'error',
      '-y',
      '-f',
      's16le',
      '-ar',
      String(CORPUS_RATE),
      '-ac',
      '2',
      '-i',
      '-',
      ...filters,
      outPath,
    ],
    { input: Buffer.from(pcm.buffer, pcm.byteOffset, pcm.byteLength), maxBuffer: 1 << 20 },
  )
}
