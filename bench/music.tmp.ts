import { MusicDetector } from '../workers/stages/detect-music.js'
import { decodeChannels } from './vad/engines.js'
import { resolveFfmpeg } from '../workers/ffmpeg.js'
const ffmpeg = resolveFfmpeg().path
function melody(seconds: number, rate: number): Float32Array {
  const notes = [262, 294, 330, 349, 392, 440, 494, 523, 440, 392, 330, 294]
  const out = new Float32Array(seconds * rate)
  const noteLen = Math.round(0.45 * rate)
  for (let i = 0; i < out.length; i++) {
    const n = Math.floor(i / noteLen), f = notes[n % notes.length]!, t = (i % noteLen) / rate
    const env = Math.min(1, t * 50) * Math.exp(-t * 1.5)
    let v = 0
    for (let h = 1; h <= 4; h++) v += Math.sin(2 * Math.PI * f * h * (i / rate)) / h
    // a chord pad underneath
    v += 0.5 * Math.sin(2 * Math.PI * 131 * (i / rate)) + 0.3 * Math.sin(2 * Math.PI * 196 * (i / rate))
    out[i] = 0.08 * env * v + (Math.random() - 0.5) * 0.002
  }
  return out
}
const rate = 8000, win = 256
const run = (name: string, ch: Float32Array) => {
  const d = new MusicDetector(1, rate, win)
  let floor = -120
  for (let o = 0; o + win <= ch.length; o += win) {
    const w = ch.subarray(o, o + win); let s = 0; for (const v of w) s += v * v
    const db = 10 * Math.log10(s / win + 1e-14)
    d.push([w], [db], [floor === -120 ? -70 : floor])
  }
  console.log(name, JSON.stringify(d.spans()[0]))
}
run('melody 20s', melody(20, rate))
for (const f of ['samples/calls/call-02-phone-password.wav', 'samples/calls/call-06-phone-angry.wav', '/work/shared/real-audio/pca-calls/Sample1.mp3', '/work/shared/real-audio/ami-meetings/trn00.wav']) {
  const [ch] = await decodeChannels(f, rate, 1, ffmpeg)
  run(f.split('/').pop()!, ch!)
}
const L = '/usr/share/pocketsphinx/test/data/librivox/sense_and_sensibility_01_austen_64kb-0870.wav'
run('librivox', (await decodeChannels(L, rate, 1, ffmpeg))[0]!)
const { readdirSync } = await import('node:fs')
let fp = 0, n = 0
for (const f of [...readdirSync('samples/calls').filter((x) => /\.(wav|flac)$/.test(x)).map((x) => `samples/calls/${x}`), ...readdirSync('/work/shared/real-audio/pca-calls').map((x) => `/work/shared/real-audio/pca-calls/${x}`), ...readdirSync('/work/shared/real-audio/ami-meetings').filter((x) => x.endsWith('.wav')).map((x) => `/work/shared/real-audio/ami-meetings/${x}`), ...readdirSync('/tmp/bench-vad-work/telephone').filter((x) => x.endsWith('.wav')).map((x) => `/tmp/bench-vad-work/telephone/${x}`)]) {
  const chans = await decodeChannels(f, rate, 2, ffmpeg)
  for (const ch of chans) {
    const d = new MusicDetector(1, rate, win)
    for (let o = 0; o + win <= ch.length; o += win) { const w = ch.subarray(o, o + win); let s = 0; for (const v of w) s += v * v; d.push([w], [10 * Math.log10(s / win + 1e-14)], [-70]) }
    const sp = d.spans()[0]!; n++
    if (sp.length) { fp++; console.log('FALSE POSITIVE', f, JSON.stringify(sp)) }
  }
}
console.log('channels checked', n, 'with music found', fp)
