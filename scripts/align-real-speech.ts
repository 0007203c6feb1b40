/**
 * Labels the real speech in Debian's pocketsphinx-testdata for the voice-activity bench and tests:
 * where each clip's speech starts and ends, to 10 ms.
 *
 *   npx tsx scripts/align-real-speech.ts     (needs pocketsphinx, pocketsphinx-en-us, pocketsphinx-testdata)
 *
 * Each clip is force-aligned to its known words by PocketSphinx (a JSGF grammar of exactly the
 * transcript, silence allowed between words), so the labels come from the words, not from a
 * detector we are about to measure. The aligner's 10 ms frames absorb a little leading or trailing
 * silence into the first and last word, so each speech span's edges are then moved to the first and
 * last frame, within 120 ms of the aligned edge, that rises 15 dB above the clip's own noise floor
 * (its 5th percentile) together with its neighbour, so a click in the silence does not count.
 * Pauses between words of 200 ms or more split a span (shorter ones are part of speech, as in
 * every VAD labelling convention we know of). Writes samples/real-speech/clips.json.
 */
import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { pocketsphinxModel } from '../analysis/stages/transcribe.js'
import { resolveFfmpeg } from '../media/ffmpeg.js'
import { REAL_SPEECH_CLIPS, type RealSpeechClip, TESTDATA_DIR } from '../samples/real-speech.js'

const out = path.join(
  path.dirname(fileURLToPath(import.meta.url)),
  '..',
  'samples',
  'real-speech',
  'clips.json',
)
const ffmpeg = resolveFfmpeg().path
const model = pocketsphinxModel()
const FRAME_MS = 10
const MIN_PAUSE_MS = 200
const EDGE_SEARCH_MS = 120
const ABOVE_FLOOR_DB = 15

function decode16k(clip: Pick<RealSpeechClip, 'file' | 'format'>): Int16Array {
  const input = path.join(TESTDATA_DIR, clip.file)
  const raw = clip.format === 'raw' ? ['-f', 's16le', '-ar', '16000', '-ac', '1'] : []
  const buf = execFileSync(
    ffmpeg,
    ['-v', 'error', ...raw, '-i', input, '-ac', '1', '-ar', '16000', '-f', 's16le', '-'],
    {
      maxBuffer: 1 << 26,
    },
  )
  return new Int16Array(buf.buffer, buf.byteOffset, buf.length >> 1)
}

function frameDb(pcm: Int16Array): number[] {
  const n = 160
  const out: number[] = []
  for (let i = 0; i + n <= pcm.length; i += n) {
    let s = 0
    for (let j = i; j < i + n; j++) s += ((pcm[j] as number) / 32768) ** 2
    out.push(10 * Math.log10(s / n + 1e-12))
  }
  return out
}

const work = mkdtempSync(path.join(os.tmpdir(), 'callqa-align-'))
try {
  const labelled = []
  for (const clip of REAL_SPEECH_CLIPS) {
    const pcm = decode16k(clip)
    const wav = path.join(work, `${clip.id}.wav`)
    execFileSync(ffmpeg, ['-v', 'error', '-y', '-f', 's16le', '-ar', '16000', '-ac', '1', '-i', '-', wav], {
      input: Buffer.from(pcm.buffer, pcm.byteOffset, pcm.byteLength),
    })
    writeFileSync(path.join(work, `${clip.id}.jsgf`), `#JSGF V1.0;\ngrammar g;\npublic <s> = ${clip.text};\n`)
    writeFileSync(path.join(work, `${clip.id}.ctl`), `${clip.id}\n`)
    const hypseg = path.join(work, `${clip.id}.seg`)
    execFileSync(
      'pocketsphinx_batch',
      [
        ...['-adcin', 'yes', '-cepdir', work, '-cepext', '.wav', '-ctl', path.join(work, `${clip.id}.ctl`)],
        ...[
          '-jsgf',
          path.join(work, `${clip.id}.jsgf`),
          '-hmm',
          model.hmm,
          '-dict',
          model.dict,
          '-hypseg',
          hypseg,
        ],
      ],
      { stdio: ['ignore', 'ignore', 'ignore'] },
    )
    // "<id> S 0 T <total> A <ac> L <lm> (<start frame> <ac> <lm> <word>)* <end frame>"
    const fields = readFileSync(hypseg, 'utf8').trim().split(/\s+/).slice(9)
    const end = Number(fields.pop())
    const entries: Array<{ word: string; start: number }> = []
    for (let i = 0; i + 3 < fields.length + 1; i += 4)
      entries.push({ start: Number(fields[i]), word: String(fields[i + 3]) })
    const words = entries
      .map((e, i) => ({
        word: e.word.replace(/\(\d+\)$/, ''),
        startMs: e.start * FRAME_MS,
        endMs: (entries[i + 1]?.start ?? end) * FRAME_MS,
      }))
      .filter((w) => !w.word.startsWith('<') && !w.word.startsWith('['))
    const aligned = words.map((w) => w.word).join(' ')
    if (aligned !== clip.text) throw new Error(`${clip.id}: aligned "${aligned}", expected "${clip.text}"`)

    const db = frameDb(pcm)
    const sorted = [...db].sort((a, b) => a - b)
    const floor = sorted[Math.floor(sorted.length * 0.05)] as number
    const loud = (f: number) => (db[f] ?? -120) >= floor + ABOVE_FLOOR_DB
    const spans: Array<[number, number]> = []
    for (const w of words) {
      const last = spans[spans.length - 1]
      if (last && w.startMs - last[1] < MIN_PAUSE_MS) last[1] = w.endMs
      else spans.push([w.startMs, w.endMs])
    }
    const search = EDGE_SEARCH_MS / FRAME_MS
    const speech = spans.map(([s, e]) => {
      let a = Math.max(0, s / FRAME_MS - search)
      while (a < e / FRAME_MS && !(loud(a) && loud(a + 1))) a++
      let b = Math.min(db.length - 1, e / FRAME_MS + search)
      while (b > a && !(loud(b) && loud(b - 1))) b--
      return [a * FRAME_MS, (b + 1) * FRAME_MS] as [number, number]
    })
    labelled.push({
      id: clip.id,
      durationMs: Math.round((pcm.length * 1000) / 16000),
      floorDb: Math.round(floor),
      words,
      speech,
    })
    console.log(clip.id.padEnd(44), JSON.stringify(speech), `aligned ${JSON.stringify(spans)}`)
  }
  writeFileSync(out, `${JSON.stringify(labelled, null, 1)}\n`)
  console.log(`wrote ${out}`)
} finally {
  rmSync(work, { recursive: true, force: true })
}
