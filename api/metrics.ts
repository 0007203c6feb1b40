/**
 * `GET /metrics` in the Prometheus text format (prom-client, a registry per server): live sessions,
 * audio frames taken and dropped, alerts per rule and their latency (from the audio that made the
 * rule true to the event's publication), the voice-activity backlog, calls per status (the queue's
 * depth), the calls this process analysed and how long each took, the webhook outbox's backlog,
 * and the process's own figures. Counts and times only:
 * nothing of the audio or the words. Scraped with an admin's bearer token (Prometheus'
 * `authorization` setting).
 */
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client'
import type { Database } from '../db/index.js'
import type { LiveHub } from '../live/hub.js'
import { observeAnalysed } from '../pipeline/process-call.js'

/** The server's registry, and `close` to stop observing this process's analyses. */
export function metricsRegistry(
  db: Database,
  hub: LiveHub | undefined,
): { registry: Registry; close: () => void } {
  const registry = new Registry()
  collectDefaultMetrics({ register: registry, prefix: 'callqa_' })
  const totals = { frames: 0, dropped: 0 }
  const frames = new Counter({
    name: 'callqa_live_frames_total',
    help: 'audio sample frames taken from live calls (8 kHz)',
    registers: [registry],
  })
  const dropped = new Counter({
    name: 'callqa_live_frames_dropped_total',
    help: 'live audio frames dropped (out of order or overlapping)',
    registers: [registry],
  })
  new Gauge({
    name: 'callqa_live_sessions',
    help: 'live calls this server holds now',
    registers: [registry],
    collect() {
      this.set(hub?.size ?? 0)
      if (!hub) return
      // Totals so far: ended calls plus those still going.
      const now = hub.stats.frames + [...hub.calls.values()].reduce((a, c) => a + c.written, 0)
      frames.inc(Math.max(0, now - totals.frames))
      totals.frames = Math.max(totals.frames, now)
      const droppedNow =
        hub.stats.droppedFrames + [...hub.calls.values()].reduce((a, c) => a + c.droppedFrames, 0)
      dropped.inc(Math.max(0, droppedNow - totals.dropped))
      totals.dropped = Math.max(totals.dropped, droppedNow)
    },
  })
  new Gauge({
    name: 'callqa_live_vad_backlog_windows',
    help: 'voice-activity windows waiting for the model (grows when live analysis falls behind)',
    registers: [registry],
    collect() {
      this.set(hub?.vad.backlog ?? 0)
    },
  })
  const alerts = new Counter({
    name: 'callqa_live_alerts_total',
    help: 'live alerts raised',
    labelNames: ['rule'],
    registers: [registry],
  })
  const latency = new Histogram({
    name: 'callqa_live_alert_latency_seconds',
    help: 'from the arrival of the audio that made an audio rule true to the alert published',
    buckets: [0.025, 0.05, 0.1, 0.25, 0.5, 0.75, 1, 2, 5],
    registers: [registry],
  })
  if (hub)
    hub.stats.onAlert = (rule, seconds) => {
      alerts.inc({ rule })
      if (seconds !== undefined) latency.observe(seconds)
    }
  new Gauge({
    name: 'callqa_calls',
    help: 'calls by status (queued and processing: the analysis queue)',
    labelNames: ['status'],
    registers: [registry],
    async collect() {
      const { rows } = await db.query<{ status: string; n: number }>(
        'SELECT status, count(*)::int AS n FROM calls GROUP BY status',
      )
      this.reset()
      for (const r of rows) this.set({ status: r.status }, r.n)
    },
  })
  new Gauge({
    name: 'callqa_webhook_outbox_backlog',
    help: 'webhook events not delivered yet',
    registers: [registry],
    async collect() {
      const { rows } = await db.query<{ n: number }>(
        'SELECT count(*)::int AS n FROM webhook_outbox WHERE delivered_at IS NULL',
      )
      this.set(rows[0]?.n ?? 0)
    },
  })
  const analysed = new Counter({
    name: 'callqa_calls_analysed_total',
    help: 'calls this process analysed, by outcome (done or failed)',
    labelNames: ['outcome'],
    registers: [registry],
  })
  const analysis = new Histogram({
    name: 'callqa_analysis_duration_seconds',
    help: "a call's analysis in this process, from its claim to its save",
    buckets: [0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 300],
    registers: [registry],
  })
  const close = observeAnalysed((outcome, seconds) => {
    analysed.inc({ outcome })
    analysis.observe(seconds)
  })
  return { registry, close }
}
