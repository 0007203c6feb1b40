/**
 * A real-speech telephone call for the live tests: pocketsphinx-testdata voices laid out as a
 * two-party call (samples/real-speech.ts), cut to `seconds`, with `silenceS` seconds where neither
 * party speaks spliced in between two turns (only the line's noise floor), put through the
 * telephone condition (band limit, 8 kHz μ-law) — then read back as the μ-law bytes a platform
 * would stream, one array per party.
 */
import { execFileSync } from 'node:child_process'
import path from 'node:path'
import type { Interval } from '../../analysis/types.js'
import {
  CALL_PLANS,
  CONDITIONS,
  CORPUS_RATE,
  type ComposedCall,
  composeCall,
  loadClips,
  renderCondition,
  writeConditionFile,
} from '../../samples/real-speech.js'
import { ffmpegPath, tempDir } from '../helpers/audio.js'

export interface TelephoneCall {
  /** μ-law at 8 kHz */
  agent: Uint8Array
  customer: Uint8Array
  durationMs: number
  truth: { agent: Interval[]; customer: Interval[] }
  /** the spliced silence: where it begins and where the speech before it ended (ms) */
  silence: { atMs: number; lastSpeechEndMs: number; nextSpeechMs: number }
}

function cut(
  call: ComposedCall,
  seconds: number,
  silenceS: number,
): { call: ComposedCall; silence: TelephoneCall['silence'] } {
  const limit = seconds * 1000
  const all = [...call.truth.agent, ...call.truth.customer].filter((i) => i.endMs < limit - 15_000)
  // A moment between turns past the call's first third: nobody speaks within 300 ms of it.
  const quiet = (t: number) => all.every((i) => i.endMs + 300 < t || i.startMs - 300 > t)
  let at = Math.round(limit / 3)
  while (!quiet(at) && at < limit - 15_000) at += 50
  const lastSpeechEndMs = Math.max(...all.filter((i) => i.endMs < at).map((i) => i.endMs))
  const insert = silenceS * CORPUS_RATE
  const atSample = Math.round((at * CORPUS_RATE) / 1000)
  const keep = Math.round((limit * CORPUS_RATE) / 1000)
  const channels = call.channels.map((ch) => {
    const out = new Float32Array(keep + insert)
    out.set(ch.subarray(0, atSample), 0)
    out.set(ch.subarray(atSample, keep), atSample + insert)
    return out
  }) as [Float32Array, Float32Array]
  const shift = (xs: Interval[]) =>
    xs
      .filter((i) => i.startMs < limit)
      .map((i) =>
        i.startMs >= at
          ? { startMs: i.startMs + silenceS * 1000, endMs: Math.min(i.endMs, limit) + silenceS * 1000 }
          : { ...i, endMs: Math.min(i.endMs, limit) },
      )
  const truth = { agent: shift(call.truth.agent), customer: shift(call.truth.customer) }
  const nextSpeechMs = Math.min(
    ...[...truth.agent, ...truth.customer].filter((i) => i.startMs >= at).map((i) => i.startMs),
  )
  return {
    call: { id: call.id, channels, truth, durationMs: limit + silenceS * 1000 },
    silence: { atMs: at, lastSpeechEndMs, nextSpeechMs },
  }
}

export async function telephoneCall(seconds = 60, silenceS = 12, plan = 0): Promise<TelephoneCall> {
  const clips = await loadClips(ffmpegPath)
  const composed = composeCall(CALL_PLANS[plan] as (typeof CALL_PLANS)[number], clips)
  const { call, silence } = cut(composed, seconds, silenceS)
  const condition = CONDITIONS.find((c) => c.name === 'telephone 8 kHz μ-law') as (typeof CONDITIONS)[number]
  const pcm = renderCondition(call, condition, clips, 7)
  const tmp = tempDir()
  try {
    const wav = path.join(tmp.dir, 'call.wav')
    writeConditionFile(pcm, condition, wav, ffmpegPath)
    const raw = execFileSync(
      ffmpegPath,
      ['-v', 'error', '-i', wav, '-f', 'mulaw', '-ac', '2', '-ar', '8000', '-'],
      {
        maxBuffer: 1 << 26,
      },
    )
    const frames = raw.length / 2
    const agent = new Uint8Array(frames)
    const customer = new Uint8Array(frames)
    for (let i = 0; i < frames; i++) {
      agent[i] = raw[2 * i] as number
      customer[i] = raw[2 * i + 1] as number
    }
    return { agent, customer, durationMs: call.durationMs, truth: call.truth, silence }
  } finally {
    tmp.remove()
  }
}
