/** Who is the agent, from what each party says and who speaks first (English and Chinese). */
import { describe, expect, test } from 'vitest'
import { detectRoles } from '../../../analysis/stages/detect-roles.js'

const seg = (speaker: string, startMs: number, endMs: number) => ({ speaker, startMs, endMs })
const say = (speaker: string, startMs: number, endMs: number, text: string) => ({
  speaker,
  startMs,
  endMs,
  text,
})

describe('detectRoles', () => {
  // The channel analysed as "customer" greets like an agent: the labels are the wrong way round.
  const swappedSegments = [
    seg('customer', 500, 4000),
    seg('agent', 4500, 8000),
    seg('customer', 8500, 11_000),
  ]

  test('English cues on the channel analysed as customer: swap', () => {
    const d = detectRoles({
      segments: swappedSegments,
      utterances: [
        // The transcript's own labels do not matter: who said it is read from the audio.
        say('agent', 500, 4000, 'Thank you for calling Acme, my name is Sam. How can I help?'),
        say('customer', 4500, 8000, 'Hi, I am calling about my bill.'),
        say('agent', 8500, 11_000, 'Can you confirm your account number?'),
      ],
      direction: 'inbound',
    })
    expect(d.swap).toBe(true)
    expect(d.margin).toBeLessThanOrEqual(-2)
    expect(d.evidence.map((e) => e.cue)).toContain('"thank you for calling" said')
  })

  test('Chinese cues where they belong: keep', () => {
    const d = detectRoles({
      segments: [seg('agent', 500, 4000), seg('customer', 4500, 7000)],
      utterances: [
        say('agent', 500, 4000, '您好，感谢致电，我是客服小王，工号八八，请问有什么可以帮您？'),
        say('customer', 4500, 7000, '我想退款。'),
      ],
      direction: 'inbound',
    })
    expect(d.swap).toBe(false)
    expect(d.margin).toBeGreaterThanOrEqual(4)
  })

  test('no words: who speaks first alone never swaps (a leaning, recorded, not a verdict)', () => {
    const d = detectRoles({ segments: swappedSegments, utterances: [], direction: 'inbound' })
    expect(d).toMatchObject({ swap: false, margin: -1 })
    expect(detectRoles({ segments: swappedSegments, utterances: [], direction: 'outbound' }).margin).toBe(1)
  })
})
