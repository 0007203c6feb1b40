/**
 * Two voices on one channel: mono mixes of two-party calls, split by analysis/stages/diarize.ts
 * and named agent/customer (the first voice is the agent's on an inbound call), scored by DER.
 */
import path from 'node:path'
import { afterAll, describe, expect, test } from 'vitest'
import { analyzeCall } from '../../../analysis/analyze-call.js'
import { derOf, diarizationErrors } from '../../../samples/der.js'
import { loadTruths, samplesDir } from '../../../samples/ground-truth.js'
import {
  CALL_PLANS,
  CONDITIONS,
  composeCall,
  loadClips,
  realSpeechUnavailable,
  renderCondition,
  writeConditionFile,
} from '../../../samples/real-speech.js'
import { ffmpeg, ffmpegPath, tempDir } from '../../helpers/audio.js'

const tmp = tempDir()
afterAll(() => tmp.remove())

describe('two voices on one channel', () => {
  test('a mono mix of a sample call: split, named, and the per-party metrics follow', async () => {
    const truth = loadTruths().find((t) => t.id === 'call-01-clean-billing')
    if (!truth) throw new Error('sample missing')
    const mono = ffmpeg(
      ['-i', path.join(samplesDir, truth.file), '-ac', '1'],
      path.join(tmp.dir, 'call-01-mono.wav'),
    )
    const r = await analyzeCall({ inputPath: mono, layout: 'auto', ffmpegPath, direction: 'inbound' })
    const reference = [
      ...truth.speech.agent.map(([startMs, endMs]) => ({ speaker: 'agent', startMs, endMs })),
      ...truth.speech.customer.map(([startMs, endMs]) => ({ speaker: 'customer', startMs, endMs })),
    ]
    expect(derOf(diarizationErrors(reference, r.segments, truth.durationMs))).toBeLessThan(0.1)
    // Named, not just split: the agent's segments are the agent's (no mapping allowed here).
    const named = diarizationErrors(
      reference,
      r.segments.map((s) => ({ ...s, speaker: s.speaker })),
      truth.durationMs,
    )
    expect(named.confusion / named.reference).toBeLessThan(0.1)
    const agentTruth = truth.speech.agent.reduce((sum, [a, b]) => sum + b - a, 0)
    expect(Math.abs((r.metrics.agentTalkMs ?? 0) - agentTruth) / agentTruth).toBeLessThan(0.12)
    expect(r.metrics.agentResponseLatencyMeanMs).not.toBeNull()
    expect(r.metrics.overtalkMs).toBeNull()
    // On an outbound call the first voice is the customer's: the same split, names the other way.
    const out = await analyzeCall({ inputPath: mono, layout: 'auto', ffmpegPath, direction: 'outbound' })
    expect(out.metrics.customerTalkMs).toBe(r.metrics.agentTalkMs)
    expect(out.metrics.agentTalkMs).toBe(r.metrics.customerTalkMs)
  })

  const missing = realSpeechUnavailable()
  test.skipIf(missing)(
    `real speech, telephone band, mono (${missing ?? 'pocketsphinx-testdata'})`,
    async () => {
      const clips = await loadClips(ffmpegPath)
      const plan = CALL_PLANS[2]
      const condition = CONDITIONS.find((c) => c.name.startsWith('telephone'))
      if (!plan || !condition) throw new Error('corpus missing')
      const call = composeCall(plan, clips)
      const stereo = path.join(tmp.dir, 'rs-telephone.wav')
      writeConditionFile(renderCondition(call, condition, clips, 7), condition, stereo, ffmpegPath)
      const mono = ffmpeg(['-i', stereo, '-ac', '1'], path.join(tmp.dir, 'rs-telephone-mono.wav'))
      const r = await analyzeCall({ inputPath: mono, layout: 'auto', ffmpegPath, direction: 'inbound' })
      const reference = [
        ...call.truth.agent.map((iv) => ({ speaker: 'agent', ...iv })),
        ...call.truth.customer.map((iv) => ({ speaker: 'customer', ...iv })),
      ]
      expect(derOf(diarizationErrors(reference, r.segments, call.durationMs))).toBeLessThan(0.1)
    },
  )
})
