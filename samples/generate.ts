/**
 * Makes the sample calls under samples/calls/ from samples/scripts.ts, with espeak-ng voices and sox,
 * and writes each call's ground truth beside it (speech intervals per speaker, transcript with times).
 *
 *   npm run samples            (needs: apt-get install espeak-ng sox)
 *
 * Output is deterministic (seeded noise), so regenerating gives the same truth.
 */
import { execFileSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import wavefile from 'wavefile'
import { transcriptFromTruth, WITHOUT_TRANSCRIPT } from './ground-truth.js'
import { type CallScript, type Side, scripts } from './scripts.js'

const { WaveFile } = wavefile
const RATE = 16000
const here = path.dirname(fileURLToPath(import.meta.url))
const outDir = path.join(here, 'calls')

/** Seeded PRNG (mulberry32) so the noise, and so the files, are reproducible. */
function prng(seed: number) {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

function readMono(file: string): Float32Array {
  const wav = new WaveFile(readFileSync(file))
  wav.toBitDepth('32f')
  return wav.getSamples(false, Float32Array) as unknown as Float32Array
}

/** espeak-ng → 16 kHz mono float, digital silence trimmed from both ends. */
function speak(tmp: string, text: string, v: CallScript['voices'][Side], name: string): Float32Array {
  const raw = path.join(tmp, `${name}.wav`)
  const at16k = path.join(tmp, `${name}-16k.wav`)
  execFileSync('espeak-ng', ['-v', v.voice, '-p', String(v.pitch), '-s', String(v.speed), '-w', raw, text])
  execFileSync('sox', ['-R', raw, '-r', String(RATE), '-c', '1', '-b', '16', at16k])
  const x = readMono(at16k)
  let first = 0
  let last = x.length - 1
  while (first < x.length && Math.abs(x[first] as number) < 0.003) first++
  while (last > first && Math.abs(x[last] as number) < 0.003) last--
  return x.slice(first, last + 1)
}

/** Pause between sentences of one turn: short enough to be part of the turn, for truth and VAD alike. */
const SENTENCE_PAUSE_MS = 200

/**
 * One turn: each sentence synthesised on its own and joined with a fixed short pause.
 * espeak's own sentence pauses (300–400 ms) sit right on the speech/pause boundary a VAD uses,
 * which would make the ground truth ambiguous; commas keep espeak's pauses (under 250 ms).
 */
function synth(tmp: string, text: string, v: CallScript['voices'][Side], n: number): Float32Array {
  const sentences = text
    .match(/[^.!?。！？]+[.!?。！？]*/g)
    ?.map((t) => t.trim())
    .filter(Boolean) ?? [text]
  const parts = sentences.map((t, i) => speak(tmp, t, v, `u${n}-${i}`))
  const pause = Math.round((SENTENCE_PAUSE_MS * RATE) / 1000)
  const out = new Float32Array(parts.reduce((sum, p) => sum + p.length, 0) + pause * (parts.length - 1))
  let at = 0
  for (const p of parts) {
    out.set(p, at)
    at += p.length + pause
  }
  return out.map((s) => s * v.gain * 0.4)
}

/**
 * Where a clean clip has speech: 10 ms frames with a peak above −40 dBFS; pauses under 350 ms
 * (between words, inside plosives) count as speech, as a careful human annotator would mark them.
 */
function voicedIntervals(x: Float32Array, offset: number): Array<[number, number]> {
  const frame = RATE / 100
  const out: Array<[number, number]> = []
  for (let i = 0; i < x.length; i += frame) {
    let peak = 0
    for (let j = i; j < Math.min(x.length, i + frame); j++) peak = Math.max(peak, Math.abs(x[j] as number))
    if (peak < 0.01) continue
    const start = offset + i
    const end = offset + Math.min(x.length, i + frame)
    const last = out[out.length - 1]
    if (last && start - last[1] < 0.35 * RATE) last[1] = end
    else out.push([start, end])
  }
  return out
}

const ms = (samples: number) => Math.round((samples * 1000) / RATE)

function rms(x: Float32Array, intervals: Array<[number, number]>): number {
  let sum = 0
  let n = 0
  for (const [s, e] of intervals) {
    for (let i = s; i < e; i++) {
      sum += (x[i] as number) ** 2
      n++
    }
  }
  return n ? Math.sqrt(sum / n) : 0
}

/** Street/office-like noise: brown + pink-ish + white, scaled to the wanted SNR. */
function addNoise(x: Float32Array, level: number, rand: () => number) {
  let brown = 0
  let pink = 0
  for (let i = 0; i < x.length; i++) {
    const white = rand() * 2 - 1
    brown = 0.995 * brown + 0.1 * white
    pink = 0.9 * pink + 0.3 * white
    x[i] = (x[i] as number) + level * (0.9 * brown + 0.6 * pink + 0.35 * white)
  }
}

/** An agitated turn: the same voice about 6 dB louder, higher pitched and a quarter faster. */
function voiceFor(script: CallScript, turn: CallScript['turns'][number]): CallScript['voices'][Side] {
  const v = script.voices[turn.speaker]
  if (turn.style !== 'agitated') return v
  return { ...v, pitch: Math.min(99, v.pitch + 30), speed: Math.round(v.speed * 1.25), gain: v.gain * 2 }
}

/**
 * Music on hold: a looping melody (piano-like notes with three overtones, 450 ms each) over a
 * two-note pad, about −26 dBFS: what the music detector must find, and Silero must not take for
 * speech.
 */
function holdMusic(samples: number): Float32Array {
  const notes = [262, 294, 330, 349, 392, 440, 494, 523, 440, 392, 330, 294]
  const noteLen = Math.round(0.45 * RATE)
  const out = new Float32Array(samples)
  for (let i = 0; i < samples; i++) {
    const f = notes[Math.floor(i / noteLen) % notes.length] as number
    const t = (i % noteLen) / RATE
    const env = Math.min(1, t * 50) * Math.exp(-t * 1.5)
    let v = 0
    for (let h = 1; h <= 4; h++) v += Math.sin((2 * Math.PI * f * h * i) / RATE) / h
    v += 0.5 * Math.sin((2 * Math.PI * 131 * i) / RATE) + 0.3 * Math.sin((2 * Math.PI * 196 * i) / RATE)
    out[i] = 0.03 * env * v
  }
  return out
}

function buildCall(script: CallScript, tmp: string, seed: number) {
  const clips = script.turns.map((t, n) => ({ turn: t, x: synth(tmp, t.text, voiceFor(script, t), n) }))
  const placed: Array<{
    speaker: Side
    start: number
    end: number
    text: string
    x: Float32Array
    agitated: boolean
  }> = []
  const holds: Array<{ start: number; end: number; music: boolean }> = []
  let previousEnd = 0
  for (const { turn, x } of clips) {
    const start = Math.max(0, previousEnd + Math.round(((turn.gapMs ?? 600) * RATE) / 1000))
    if (turn.hold) holds.push({ start: previousEnd, end: start, music: turn.hold === 'music' })
    placed.push({
      speaker: turn.speaker,
      start,
      end: start + x.length,
      text: turn.text,
      x,
      agitated: turn.style === 'agitated',
    })
    previousEnd = start + x.length
  }
  const length = Math.max(...placed.map((p) => p.end)) + Math.round(0.8 * RATE)
  const tracks: Record<Side, Float32Array> = {
    agent: new Float32Array(length),
    customer: new Float32Array(length),
  }
  const speech: Record<Side, Array<[number, number]>> = { agent: [], customer: [] }
  for (const p of placed) {
    tracks[p.speaker].set(p.x, p.start)
    speech[p.speaker].push(...voicedIntervals(p.x, p.start))
  }
  // Music plays on the agent's line through a music hold, from 300 ms after the last word.
  for (const h of holds.filter((x) => x.music)) {
    const from = h.start + Math.round(0.3 * RATE)
    tracks.agent.set(holdMusic(h.end - Math.round(0.3 * RATE) - from), from)
  }
  const rand = prng(seed)
  if (script.channel === 'telephone' && script.snrDb) {
    for (const side of ['agent', 'customer'] as const) {
      const level = rms(tracks[side], speech[side]) / 10 ** (script.snrDb[side] / 20)
      addNoise(tracks[side], level, rand)
    }
  }
  return { placed, tracks, speech, length, holds }
}

function writeCall(script: CallScript, index: number, tmp: string) {
  const { placed, tracks, speech, length, holds } = buildCall(script, tmp, 1000 + index)
  const master = path.join(tmp, `${script.id}-master.wav`)
  const wav = new WaveFile()
  wav.fromScratch(2, RATE, '32f', [tracks.agent, tracks.customer])
  writeFileSync(master, wav.toBuffer())

  const ext = script.channel === 'clean' ? 'flac' : 'wav'
  const file = `${script.id}.${ext}`
  const target = path.join(outDir, file)
  const args = [master]
  if (script.channel === 'clean') args.push('-b', '16', target)
  else args.push('-r', '8000', '-e', 'u-law', target, 'sinc', '300-3400')
  if (script.layout === 'mono') args.push('remix', '1v0.7,2v0.7')
  execFileSync('sox', ['-R', '-G', ...args])

  const truth = {
    id: script.id,
    title: script.title,
    file,
    layout: script.layout,
    direction: script.direction,
    language: script.language,
    channel: script.channel,
    sampleRate: script.channel === 'clean' ? 16000 : 8000,
    snrDb: script.snrDb ?? null,
    durationMs: ms(length),
    utterances: placed.map((p) => ({
      speaker: p.speaker,
      startMs: ms(p.start),
      endMs: ms(p.end),
      text: p.text,
      ...(p.agitated ? { agitated: true } : {}),
    })),
    speech: {
      agent: speech.agent.map(([s, e]) => [ms(s), ms(e)]),
      customer: speech.customer.map(([s, e]) => [ms(s), ms(e)]),
    },
    ...(holds.length
      ? { holds: holds.map((h) => ({ startMs: ms(h.start), endMs: ms(h.end), music: h.music })) }
      : {}),
  }
  writeFileSync(path.join(outDir, `${script.id}.truth.json`), `${JSON.stringify(truth, null, 1)}\n`)
  if (!WITHOUT_TRANSCRIPT.has(script.id)) {
    const transcript = transcriptFromTruth(truth)
    writeFileSync(path.join(outDir, `${script.id}.json`), `${JSON.stringify(transcript, null, 1)}\n`)
  }
  return { file, script }
}

function csvField(value: string | number | null): string {
  const s = value === null ? '' : String(value)
  return /[",\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s
}

mkdirSync(outDir, { recursive: true })
const tmp = mkdtempSync(path.join(os.tmpdir(), 'callqa-samples-'))
try {
  const rows = [
    [
      'file',
      'external_id',
      'started_at',
      'agent',
      'team',
      'queue',
      'direction',
      'csat',
      'disposition',
      'language',
    ],
  ]
  // `npm run samples -- call-10 call-11` makes only those calls (the others stay as they are:
  // another espeak-ng version would change their audio and so their truth); metadata.csv always
  // lists them all.
  const only = process.argv.slice(2)
  scripts.forEach((script, i) => {
    const file = `${script.id}.${script.channel === 'clean' ? 'flac' : 'wav'}`
    if (only.length === 0 || only.some((o) => script.id.startsWith(o))) {
      writeCall(script, i, tmp)
      console.log(`wrote ${file}`)
    }
    const m = script.metadata
    rows.push([
      file,
      `EXT-${script.id}`,
      m.startedAt,
      m.agent,
      m.team,
      m.queue,
      script.direction,
      m.csat === null ? '' : String(m.csat),
      m.disposition,
      script.language,
    ])
  })
  writeFileSync(
    path.join(outDir, 'metadata.csv'),
    `${rows.map((r) => r.map(csvField).join(',')).join('\n')}\n`,
  )
} finally {
  rmSync(tmp, { recursive: true, force: true })
}
