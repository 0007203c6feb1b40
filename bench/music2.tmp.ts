import { MusicDetector } from '../workers/stages/detect-music.js'
import { decodeChannels } from './vad/engines.js'
import { resolveFfmpeg } from '../workers/ffmpeg.js'
const [ch] = await decodeChannels('/work/shared/real-audio/ami-meetings/trn05.wav', 8000, 1, resolveFfmpeg().path)
const d = new MusicDetector(1, 8000, 256)
for (let o = 0; o + 256 <= ch!.length; o += 256) { const w = ch!.subarray(o, o + 256); let s = 0; for (const v of w) s += v * v; d.push([w], [10 * Math.log10(s / 256 + 1e-14)], [-70]) }
const c = (d as any).channels[0]
console.log('notes', c.noteStarts.map((w: number) => (w * 0.032).toFixed(1)).join(' '))
console.log(c.marks.slice(270, 620).map((m: number) => (m === 1 ? '#' : m === 0 ? '.' : ' ')).join(''))
