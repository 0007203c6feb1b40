/**
 * Analyses one recording in this process and prints its peak RSS, for the pipeline benchmark.
 *   tsx bench/long-call-rss.ts FILE
 */
import { readFileSync } from 'node:fs'
import { analyzeCall } from '../analysis/analyze-call.js'
import { resolveFfmpeg } from '../media/ffmpeg.js'

const file = process.argv[2]
if (!file) throw new Error('usage: long-call-rss.ts FILE')
/**
 * Peak RSS of this process image. On Linux, getrusage's maxrss survives exec and so starts at the
 * parent's RSS at fork time; VmHWM belongs to this image only.
 */
function peakRssMb(): number {
  try {
    const hwm = /VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'))
    if (hwm?.[1]) return Math.round(Number(hwm[1]) / 1024)
  } catch {
    // not Linux
  }
  return Math.round(process.resourceUsage().maxRSS / 1024)
}

const began = performance.now()
const result = await analyzeCall({ inputPath: file, layout: 'auto', ffmpegPath: resolveFfmpeg().path })
console.log(
  JSON.stringify({
    durationMs: result.durationMs,
    segments: result.segments.length,
    elapsedMs: Math.round(performance.now() - began),
    maxRssMb: peakRssMb(),
  }),
)
