import { sileroProbabilities } from './vad/engines.js'
function melody(seconds: number, rate: number): Float32Array {
  const notes = [262, 294, 330, 349, 392, 440, 494, 523, 440, 392, 330, 294]
  const out = new Float32Array(seconds * rate)
  const noteLen = Math.round(0.45 * rate)
  for (let i = 0; i < out.length; i++) {
    const n = Math.floor(i / noteLen), f = notes[n % notes.length]!, t = (i % noteLen) / rate
    const env = Math.min(1, t * 50) * Math.exp(-t * 1.5)
    let v = 0
    for (let h = 1; h <= 4; h++) v += Math.sin(2 * Math.PI * f * h * (i / rate)) / h
    v += 0.5 * Math.sin(2 * Math.PI * 131 * (i / rate)) + 0.3 * Math.sin(2 * Math.PI * 196 * (i / rate))
    out[i] = 0.08 * env * v + (Math.random() - 0.5) * 0.002
  }
  return out
}
const p = (await sileroProbabilities([melody(20, 8000)], 'v5', 8000))[0]!
const sorted = [...p].sort((a, b) => a - b)
console.log('melody silero p: median', sorted[Math.floor(p.length / 2)]!.toFixed(3), 'p90', sorted[Math.floor(p.length * 0.9)]!.toFixed(3), 'share>=0.35', (p.filter((x) => x >= 0.35).length / p.length).toFixed(2))
