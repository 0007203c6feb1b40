/**
 * Local speech recognition (PocketSphinx, Debian's en-us model), in one run:
 * 1. word error rate and speed on real recorded speech: the LibriVox clips in Debian's
 *    pocketsphinx-testdata, against their reference transcription;
 * 2. word error rate on the English sample calls (synthetic espeak-ng voices, some at 8 kHz);
 * 3. the pipeline's speed on those calls with and without ASR (one thread, same run);
 * 4. the transcript confidence (mean word posterior) that decides whether a recognised transcript
 *    is trusted: clean real read speech must pass, the real 8 kHz calls in
 *    ../shared/real-audio/pca-calls (when present) must be flagged.
 *
 *   npm run bench:asr      (needs: apt-get install pocketsphinx pocketsphinx-en-us pocketsphinx-testdata)
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { performance } from 'node:perf_hooks'
import wavefile from 'wavefile'
import { analyzeCall } from '../analysis/analyze-call.js'
import {
  createPocketsphinxEngine,
  pocketsphinxUnavailable,
  TRUSTED_CONFIDENCE,
  transcriptQuality,
} from '../analysis/stages/transcribe.js'
import { resolveFfmpeg } from '../media/ffmpeg.js'
import { loadTruths, normaliseWords, samplesDir, wordErrorRate } from '../samples/ground-truth.js'
import { SHARED_AUDIO } from './vad/datasets.js'

const { WaveFile } = wavefile
const LIBRIVOX = '/usr/share/pocketsphinx/test/data/librivox'
const missing = pocketsphinxUnavailable()
if (missing) {
  console.error(`bench:asr: ${missing}`)
  process.exit(1)
}
const ffmpegPath = resolveFfmpeg().path
const engine = createPocketsphinxEngine()

const confidences: Array<{
  name: string
  group: string
  confidence: number | null
  lowWordShare: number | null
  trusted: boolean
  wer?: number
}> = []
console.log('1. LibriVox clips (real read speech, 16 kHz), whole clip as one segment')
const references = readFileSync(path.join(LIBRIVOX, 'transcription'), 'utf8')
  .trim()
  .split('\n')
  .map((line) => /<s> (.*) <\/s> \((.*)\)/.exec(line))
  .filter((m): m is RegExpExecArray => m !== null)
  .map((m) => ({ id: m[2] as string, text: m[1] as string }))
let errors = 0
let words = 0
let audioMs = 0
let spentMs = 0
for (const ref of references) {
  const file = path.join(LIBRIVOX, `${ref.id}.wav`)
  const wav = new WaveFile(readFileSync(file))
  const durationMs = Math.round(
    ((wav.data as { chunkSize: number }).chunkSize / 2 / (wav.fmt as { sampleRate: number }).sampleRate) *
      1000,
  )
  const workDir = mkdtempSync(path.join(os.tmpdir(), 'callqa-bench-asr-'))
  const began = performance.now()
  const utterances = await engine.transcribe({
    channelWavs: [file],
    segments: [{ channel: 0, speaker: 'speaker', startMs: 0, endMs: durationMs }],
    workDir,
  })
  const elapsed = performance.now() - began
  rmSync(workDir, { recursive: true, force: true })
  const hyp = utterances.map((u) => u.text).join(' ')
  const score = wordErrorRate(normaliseWords(ref.text), normaliseWords(hyp))
  confidences.push({
    name: ref.id,
    group: 'LibriVox (clean read speech)',
    ...transcriptQuality(utterances),
    wer: score.wer,
  })
  errors += score.errors
  words += score.words
  audioMs += durationMs
  spentMs += elapsed
  console.log(`  ${ref.id}  WER ${(score.wer * 100).toFixed(0).padStart(3)}%  "${hyp}"`)
}
console.log(
  `  LibriVox: WER ${((errors / words) * 100).toFixed(1)}% over ${words} words; ` +
    `${(audioMs / 1000).toFixed(1)} s of audio in ${(spentMs / 1000).toFixed(1)} s = ${(audioMs / spentMs).toFixed(2)}× real time ` +
    '(one process per clip, model load included)\n',
)

console.log('2. English sample calls (espeak-ng voices; telephone ones at 8 kHz), VAD segments → ASR')
let callErrors = 0
let callWords = 0
let withAsr = 0
let withoutAsr = 0
let callAudio = 0
for (const truth of loadTruths().filter((t) => t.language === 'en')) {
  const task = { inputPath: path.join(samplesDir, truth.file), layout: truth.layout, ffmpegPath }
  let began = performance.now()
  const plain = await analyzeCall(task)
  withoutAsr += performance.now() - began
  began = performance.now()
  const result = await analyzeCall({ ...task, asr: { engine: 'pocketsphinx' } })
  withAsr += performance.now() - began
  callAudio += plain.durationMs
  const transcript = result.transcript
  if (transcript?.status !== 'asr') {
    console.log(
      `  ${truth.id}: ${transcript?.status} ${'error' in (transcript ?? {}) ? (transcript as { error: string }).error : ''}`,
    )
    continue
  }
  const hyp = transcript.utterances.map((u) => u.textRedacted).join(' ')
  const score = wordErrorRate(
    normaliseWords(truth.utterances.map((u) => u.text).join(' ')),
    normaliseWords(hyp),
  )
  callErrors += score.errors
  callWords += score.words
  confidences.push({ name: truth.id, group: 'sample calls (espeak)', ...transcript.quality, wer: score.wer })
  console.log(
    `  ${truth.id.padEnd(28)} WER ${(score.wer * 100).toFixed(0).padStart(3)}%  ASR ${transcript.elapsedMs} ms`,
  )
}
console.log(`  sample calls: WER ${((callErrors / callWords) * 100).toFixed(1)}% over ${callWords} words\n`)
console.log('3. Pipeline on one thread, same calls, same run')
console.log(
  `  without ASR: ${(callAudio / withoutAsr).toFixed(1)}× real time; with ASR: ${(callAudio / withAsr).toFixed(2)}× real time; ` +
    `ASR makes a call ${(withAsr / withoutAsr).toFixed(1)}× slower`,
)

console.log(
  `\n4. Transcript confidence (mean word posterior, duration-weighted); trusted at ≥ ${TRUSTED_CONFIDENCE}`,
)
const pca = path.join(SHARED_AUDIO, 'pca-calls')
if (existsSync(pca)) {
  for (const file of readdirSync(pca).sort()) {
    const result = await analyzeCall({
      inputPath: path.join(pca, file),
      layout: 'auto',
      ffmpegPath,
      asr: { engine: 'pocketsphinx' },
    })
    if (result.transcript?.status === 'asr')
      confidences.push({
        name: file,
        group: 'pca-calls (real 8 kHz and dual-mono calls)',
        ...result.transcript.quality,
      })
  }
} else
  console.log(
    `  pca-calls: skipped, ${pca} is absent (it exists on the team's machines and in CI, not in a fresh clone)`,
  )
for (const c of confidences)
  console.log(
    `  ${c.group.padEnd(44)} ${c.name.slice(0, 44).padEnd(46)} confidence ${c.confidence?.toFixed(3) ?? '  –  '}  words < 0.1: ${c.lowWordShare?.toFixed(2) ?? ' – '}  ${c.wer !== undefined ? `WER ${(c.wer * 100).toFixed(0).padStart(3)}%  ` : '          '}${c.trusted ? 'trusted' : 'FLAGGED'}`,
  )
