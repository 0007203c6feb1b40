/**
 * Live calls under load: N concurrent real-speech calls (pocketsphinx-testdata voices as two-party
 * telephone calls, μ-law 8 kHz, each with 12 s of dead air) streamed at real-time pace through the
 * AudioHook protocol (a client written from the spec, test/live/audiohook-client.ts) into a running
 * `callqa serve` (its own process, embedded database). A supervisor's event stream receives the
 * alerts; each alert's latency is from the moment the client sent the audio frame that made the
 * rule true to the moment the event arrived. Reports latency p50/p95, frames dropped, the server's
 * CPU (cores used) and memory per live call, against the same server idle (the baseline).
 *
 *   npm run bench:live                          # 100 calls of 45 s
 *   npm run bench:live -- --calls 200 --seconds 45
 *
 * Needs pocketsphinx-testdata (apt-get install pocketsphinx-testdata); says so and stops without it.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { realSpeechUnavailable } from '../samples/real-speech.js'
import { AudiohookClient } from '../test/live/audiohook-client.js'
import { telephoneCall } from '../test/live/real-call.js'
import { SseReader } from '../test/live/sse.js'
import { callqaBin, callqaNodeFlags } from './callqa-bin.js'

const root = path.join(path.dirname(fileURLToPath(import.meta.url)), '..')
const { values } = parseArgs({
  options: { calls: { type: 'string', default: '100' }, seconds: { type: 'string', default: '45' } },
})
const N = Number(values.calls)
const SECONDS = Number(values.seconds)
const missing = realSpeechUnavailable()
if (missing) {
  console.log(`bench:live: skipped, ${missing}`)
  process.exit(0)
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
const TICK = (() => {
  const hz = 100
  return hz
})()

function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  return (Number(f[11]) + Number(f[12])) / TICK
}
function rssMb(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
  return Number(m?.[1] ?? 0) / 1024
}
const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? Number.NaN
}

function start(
  env: NodeJS.ProcessEnv,
  args: string[],
): { child: ChildProcess; log: () => string; exited: Promise<unknown> } {
  const child = spawn(process.execPath, [...callqaNodeFlags, callqaBin, ...args], { env, cwd: root })
  let log = ''
  child.stdout?.on('data', (d: Buffer) => {
    log += d.toString()
  })
  child.stderr?.on('data', (d: Buffer) => {
    log += d.toString()
  })
  return { child, log: () => log, exited: new Promise((r) => child.once('exit', r)) }
}

async function main() {
  const work = mkdtempSync(path.join(os.tmpdir(), 'callqa-live-bench-'))
  const key = 'bench-key'
  const secret = randomBytes(32)
  const env = {
    ...process.env,
    CALLQA_DATA_DIR: path.join(work, 'data'),
    CALLQA_AUDIOHOOK_KEYS: JSON.stringify({ [key]: secret.toString('base64') }),
    CALLQA_LIVE_MAX_SESSIONS: String(N + 10),
    CALLQA_WORKERS: '1',
    CALLQA_ASR: 'off',
    CALLQA_LOG_LEVEL: 'warn',
  }
  delete (env as Record<string, unknown>).DATABASE_URL
  try {
    const users = start(env, ['users', 'add', 'bench-admin', '--role', 'admin'])
    await users.exited
    const token = users.log().trim().split('\n').at(-1) as string
    const server = start(env, ['serve', '--port', '0'])
    let base = ''
    for (let i = 0; i < 600 && !base; i++) {
      base = /review page on (http:\/\/[^/\s]+)\//.exec(server.log())?.[1] ?? ''
      await sleep(100)
    }
    if (!base) throw new Error(`the server did not start: ${server.log()}`)
    const pid = server.child.pid as number
    const call = await telephoneCall(SECONDS, 12, 0)
    const deadAirAt = call.silence.lastSpeechEndMs + 10_000

    // The baseline: the same server idle for 5 s.
    const idle0 = cpuSeconds(pid)
    await sleep(5000)
    const idleCores = (cpuSeconds(pid) - idle0) / 5
    const idleRss = rssMb(pid)

    const sse = new SseReader(`${base}/v1/live/events`, { authorization: `Bearer ${token}` })
    await sse.ready
    const url = `${base.replace('http', 'ws')}/v1/live/audiohook`
    const clients: AudiohookClient[] = []
    for (let i = 0; i < N; i++) {
      const c = new AudiohookClient({ url, apiKey: key, secret })
      await c.connected()
      c.open([{ channels: ['external', 'internal'] }])
      clients.push(c)
    }
    await Promise.all(clients.map((c) => c.next('opened', 60_000)))
    const sessionOf = new Map<string, AudiohookClient>(clients.map((c) => [c.sessionId, c]))
    // When each client sent the frame holding each position (20 ms frames).
    const sentAt = new Map<AudiohookClient, Float64Array>(
      clients.map((c) => [c, new Float64Array(Math.ceil(call.agent.length / 160) + 1)]),
    )
    const cpu0 = cpuSeconds(pid)
    let peakRss = rssMb(pid)
    const began = performance.now()
    const frames = Math.floor(call.agent.length / 160)
    let next = 0
    while (next < frames) {
      const due = Math.floor((performance.now() - began) / 20)
      for (; next <= Math.min(due, frames - 1); next++) {
        for (const c of clients) {
          const bytes = new Uint8Array(320)
          for (let k = 0; k < 160; k++) {
            bytes[2 * k] = call.customer[next * 160 + k] as number
            bytes[2 * k + 1] = call.agent[next * 160 + k] as number
          }
          c.audio(bytes, 2)
          ;(sentAt.get(c) as Float64Array)[next] = performance.now()
        }
      }
      if (next % 50 === 0) peakRss = Math.max(peakRss, rssMb(pid))
      await sleep(5)
    }
    const streamedS = (performance.now() - began) / 1000
    const cores = (cpuSeconds(pid) - cpu0) / streamedS
    await sleep(1500)
    for (const c of clients) c.send('close', { reason: 'end' })
    await Promise.all(clients.map((c) => c.next('closed', 120_000).catch(() => undefined)))

    // Alert latency: the event's arrival minus the send time of the frame at the alert's position.
    const sessionIds = new Map<number, AudiohookClient>()
    for (const e of sse.events.filter((e) => e.event === 'call.started')) {
      const c = sessionOf.get(String((e.data.call as { external_id: string }).external_id))
      if (c) sessionIds.set(e.data.session as number, c)
    }
    const latencies: number[] = []
    for (const e of sse.events.filter((e) => e.event === 'alert' && e.data.rule === 'dead-air')) {
      const c = sessionIds.get(e.data.session as number)
      if (!c) continue
      const frame = Math.min(frames - 1, Math.floor((e.data.at_ms as number) / 20))
      latencies.push(e.at - ((sentAt.get(c) as Float64Array)[frame] as number))
    }
    const metrics = await (
      await fetch(`${base}/metrics`, { headers: { authorization: `Bearer ${token}` } })
    ).text()
    const dropped = Number(/callqa_live_frames_dropped_total (\d+)/.exec(metrics)?.[1] ?? Number.NaN)
    const taken = Number(/callqa_live_frames_total (\d+)/.exec(metrics)?.[1] ?? Number.NaN)
    sse.close()
    server.child.kill('SIGTERM')
    await server.exited
    console.log(
      [
        `bench:live — ${N} concurrent AudioHook calls of ${SECONDS + 12} s real speech (μ-law 8 kHz stereo), real-time pace, ${os.availableParallelism()} cores (${os.cpus()[0]?.model ?? 'cpu'})`,
        `  dead-air alerts: ${latencies.length} of ${N} calls (expected at ${(deadAirAt / 1000).toFixed(1)} s of each)`,
        `  alert latency: p50 ${pct(latencies, 50).toFixed(0)} ms, p95 ${pct(latencies, 95).toFixed(0)} ms, max ${Math.max(...latencies).toFixed(0)} ms`,
        `  frames: ${taken} taken, ${dropped} dropped`,
        `  server CPU: ${cores.toFixed(2)} cores while streaming (idle baseline ${idleCores.toFixed(3)}); ${(N / Math.max(0.01, cores - idleCores)).toFixed(0)} live calls per core`,
        `  server memory: ${peakRss.toFixed(0)} MB peak (idle ${idleRss.toFixed(0)} MB): ${((peakRss - idleRss) / N).toFixed(2)} MB per live call`,
      ].join('\n'),
    )
  } finally {
    rmSync(work, { recursive: true, force: true })
  }
}

await main()
