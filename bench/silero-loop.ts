/**
 * Raw Silero v5 over one channel of 8 kHz s16le PCM, twice in a row after a warm-up pass; prints
 * the milliseconds of the two timed passes. pipeline.bench.ts runs it alone and as two processes at
 * once: how much a second core adds on this machine to pure model work, the ceiling for what a
 * second worker can add.   node --import tsx bench/silero-loop.ts FILE.pcm
 */
import { readFileSync } from 'node:fs'
import { getSileroModel } from '../models/silero-vad.js'

const raw = readFileSync(process.argv[2] as string)
const pcm = new Int16Array(raw.buffer, raw.byteOffset, raw.length >> 1)
const model = await getSileroModel('v5')

async function pass(): Promise<void> {
  const stream = model.createStream(1, 8000)
  const w = new Float32Array(stream.window)
  for (let s = 0; s + stream.window <= pcm.length; s += stream.window) {
    for (let i = 0; i < stream.window; i++) w[i] = (pcm[s + i] as number) / 32768
    await stream.process([w])
  }
}

await pass()
const began = performance.now()
await pass()
await pass()
console.log(JSON.stringify({ ms: performance.now() - began }))
