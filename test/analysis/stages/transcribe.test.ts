/**
 * Local speech recognition: PocketSphinx on real recorded speech (a LibriVox clip from Debian's
 * pocketsphinx-testdata, with its reference transcription), and the CTM parsing around it.
 * CI installs pocketsphinx; on a machine without it the engine tests are skipped, not faked.
 */
import { readFileSync } from 'node:fs'
import path from 'node:path'
import { describe, expect, test } from 'vitest'
import {
  createPocketsphinxEngine,
  parseCtm,
  pocketsphinxUnavailable,
} from '../../../analysis/stages/transcribe.js'
import { normaliseWords, wordErrorRate } from '../../../samples/ground-truth.js'
import { ffmpeg, tempDir } from '../../helpers/audio.js'

const LIBRIVOX = '/usr/share/pocketsphinx/test/data/librivox'
const installed = pocketsphinxUnavailable() === undefined
const clip = 'sense_and_sensibility_01_austen_64kb-0870'

function reference(id: string): string {
  const line = readFileSync(path.join(LIBRIVOX, 'transcription'), 'utf8')
    .split('\n')
    .find((l) => l.includes(`(${id})`))
  return /<s> (.*) <\/s>/.exec(line ?? '')?.[1] ?? ''
}

test('parseCtm: words per utterance, fillers and alternate-pronunciation marks dropped', () => {
  const ctm = [
    'u0 1 0.00 0.14 <s> 0.999',
    'u0 1 0.15 0.21 and(2) 0.260',
    'u0 1 0.37 0.25 mr 0.988',
    'u0 1 0.62 0.10 <sil> 0.5',
    'u0 1 0.72 0.20 [NOISE] 0.5',
    'u1 1 0.05 0.38 sutter 0.013',
    'u1 1 0.50 0.02 </s> 1.0',
    'garbage',
  ].join('\n')
  expect([...parseCtm(ctm)]).toEqual([
    [
      'u0',
      [
        { word: 'and', startMs: 150, endMs: 360, confidence: 0.26 },
        { word: 'mr', startMs: 370, endMs: 620, confidence: 0.988 },
      ],
    ],
    ['u1', [{ word: 'sutter', startMs: 50, endMs: 430, confidence: 0.013 }]],
  ])
})

test('an engine that is not installed says what to install', () => {
  expect(pocketsphinxUnavailable('/nonexistent/model')).toMatch(
    /pocketsphinx_batch is not installed|\/nonexistent\/model\/en-us is missing \(apt-get install pocketsphinx-en-us\)/,
  )
})

describe.skipIf(!installed)('PocketSphinx on real speech', () => {
  test('a LibriVox clip: words close to the reference, with times inside each segment', async () => {
    const tmp = tempDir()
    try {
      const wav = path.join(tmp.dir, 'clip.wav')
      ffmpeg(['-i', path.join(LIBRIVOX, `${clip}.wav`)], wav)
      // Two segments of the same channel, as the VAD would hand them over; times are call times.
      const segments = [
        { channel: 0, speaker: 'speaker' as const, startMs: 0, endMs: 3000 },
        { channel: 0, speaker: 'speaker' as const, startMs: 3000, endMs: 7100 },
      ]
      const utterances = await createPocketsphinxEngine().transcribe({
        channelWavs: [wav],
        segments,
        workDir: tmp.dir,
      })
      expect(utterances).toHaveLength(2)
      utterances.forEach((u, i) => {
        expect(u.startMs).toBe(segments[i]?.startMs)
        const words = u.words ?? []
        expect(words.length).toBeGreaterThan(3)
        for (const [k, w] of words.entries()) {
          expect(w.startMs).toBeGreaterThanOrEqual(u.startMs)
          expect(w.endMs).toBeLessThanOrEqual(u.endMs + 50)
          if (k > 0) expect(w.startMs).toBeGreaterThanOrEqual(words[k - 1]?.endMs ?? 0)
        }
      })
      const hypothesis = normaliseWords(utterances.map((u) => u.text).join(' '))
      const { wer } = wordErrorRate(normaliseWords(reference(clip)), hypothesis)
      // Measured 0.29–0.36 on this clip (bench/asr.ts); a broken pipeline gives ~1.
      expect(wer).toBeLessThan(0.5)
      expect(hypothesis).toEqual(expect.arrayContaining(['john', 'leisure', 'power']))
    } finally {
      tmp.remove()
    }
  })
})

test('wordErrorRate counts substitutions, deletions and insertions', () => {
  expect(wordErrorRate(['a', 'b', 'c', 'd'], ['a', 'x', 'c', 'd', 'e'])).toEqual({
    errors: 2,
    words: 4,
    wer: 0.5,
  })
  expect(wordErrorRate(['a', 'b'], [])).toMatchObject({ errors: 2, wer: 1 })
  expect(normaliseWords("Hello, it's 9 o'clock!")).toEqual(['hello', "it's", '9', "o'clock"])
})
