/**
 * Webhooks, the Standard Webhooks way (standardwebhooks.com; signed with the maintained
 * `standardwebhooks` library): each event is a row of a durable outbox in Postgres, written with
 * what caused it, then POSTed to `CALLQA_WEBHOOK_URL` as `{type, timestamp, data}` with
 * `webhook-id` (the event's id, the same on every retry), `webhook-timestamp` and
 * `webhook-signature` (HMAC-SHA256 with `CALLQA_WEBHOOK_SECRET`, a `whsec_…` key).
 *
 * Delivery: a row is leased (SKIP LOCKED, so several servers share the work), sent with a 10 s
 * timeout, and marked delivered on the first 2xx — no other answer counts, and a delivered event
 * is never sent again; otherwise retried with backoff (5 s doubling to an hour) for up to 3 days,
 * then left undelivered with its last error, which admins see (GET /v1/webhooks/outbox), for four
 * more days. Delivered events are deleted a day later. Live alerts and follow-ups use it.
 */
import { randomUUID } from 'node:crypto'
import { Webhook } from 'standardwebhooks'
import type { Database, Queryable } from '../db/index.js'
import { ConfigError } from '../errors.js'

export interface WebhookSettings {
  url: string
  secret: string
}

/** Settings from `CALLQA_WEBHOOK_URL` and `CALLQA_WEBHOOK_SECRET`; none when no URL is set. */
export function webhookSettings(env: NodeJS.ProcessEnv = process.env): WebhookSettings | undefined {
  const url = env.CALLQA_WEBHOOK_URL
  if (!url) return undefined
  const secret = env.CALLQA_WEBHOOK_SECRET ?? ''
  if (!/^whsec_[A-Za-z0-9+/=]+$/.test(secret))
    throw new ConfigError(
      'CALLQA_WEBHOOK_SECRET must be a whsec_… key (base 64 after the prefix) when CALLQA_WEBHOOK_URL is set',
    )
  if (!URL.canParse(url) || !/^https?:/.test(url))
    throw new ConfigError('CALLQA_WEBHOOK_URL must be an http(s) URL')
  return { url, secret }
}

/**
 * Whether events are sent at all (CALLQA_WEBHOOK_URL set): without a receiver, nothing is queued
 * (an event carries a case's evidence; it is not kept for nobody).
 */
export function webhooksConfigured(env: NodeJS.ProcessEnv = process.env): boolean {
  return Boolean(env.CALLQA_WEBHOOK_URL)
}

/** Queues an event (in the caller's transaction when given one); returns its id. */
export async function enqueueWebhook(db: Queryable, type: string, data: unknown): Promise<string> {
  const id = `msg_${randomUUID().replace(/-/g, '')}`
  await db.query('INSERT INTO webhook_outbox (id, event_type, payload) VALUES ($1, $2, $3)', [
    id,
    type,
    JSON.stringify({ type, timestamp: new Date().toISOString(), data }),
  ])
  return id
}

const LEASE_S = 60
const GIVE_UP_AFTER_MS = 3 * 24 * 3600_000
const backoffS = (attempts: number) => Math.min(3600, 5 * 2 ** Math.max(0, attempts - 1))

interface Row {
  id: string
  payload: unknown
  attempts: number
  created_at: Date
}

export interface Deliverer {
  /** Looks for due events now (a new one was queued). */
  kick(): void
  /** One pass: sends what is due; returns how many were accepted. */
  runOnce(): Promise<number>
  stop(): Promise<void>
}

export function startDeliverer(
  db: Database,
  settings: WebhookSettings,
  { intervalMs = 1000, onError = () => {} }: { intervalMs?: number; onError?: (err: unknown) => void } = {},
): Deliverer {
  const signer = new Webhook(settings.secret)
  let running: Promise<number> | undefined
  let stopped = false
  const send = async (row: Row): Promise<{ ok: boolean; status: number | null; error: string | null }> => {
    const body = typeof row.payload === 'string' ? row.payload : JSON.stringify(row.payload)
    const at = new Date()
    try {
      const res = await fetch(settings.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'webhook-id': row.id,
          'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
          'webhook-signature': signer.sign(row.id, at, body),
        },
        body,
        signal: AbortSignal.timeout(10_000),
        redirect: 'manual',
      })
      await res.body?.cancel()
      return {
        ok: res.status >= 200 && res.status < 300,
        status: res.status,
        error: res.ok ? null : `HTTP ${res.status}`,
      }
    } catch (err) {
      return {
        ok: false,
        status: null,
        error: (err as Error).name === 'TimeoutError' ? 'timed out' : 'unreachable',
      }
    }
  }
  let purgedAt = 0
  const pass = async (): Promise<number> => {
    // What was delivered a day ago, and what was given up on four days after, is deleted: an
    // event carries personal data and the receiver has it (or never will).
    if (Date.now() - purgedAt > 60_000) {
      purgedAt = Date.now()
      await db.query(
        `DELETE FROM webhook_outbox WHERE delivered_at < now() - interval '1 day'
            OR created_at < now() - make_interval(secs => $1)`,
        [GIVE_UP_AFTER_MS / 1000 + 4 * 86_400],
      )
    }
    const { rows } = await db.query<Row>(
      `UPDATE webhook_outbox SET next_attempt_at = now() + make_interval(secs => $1)
        WHERE id IN (SELECT id FROM webhook_outbox
                      WHERE delivered_at IS NULL AND next_attempt_at <= now()
                        AND created_at > now() - make_interval(secs => $2)
                      ORDER BY created_at LIMIT 20 FOR UPDATE SKIP LOCKED)
        RETURNING id, payload, attempts, created_at`,
      [LEASE_S, GIVE_UP_AFTER_MS / 1000],
    )
    let accepted = 0
    await Promise.all(
      rows.map(async (row) => {
        const result = await send(row)
        if (result.ok) accepted++
        await db.query(
          result.ok
            ? `UPDATE webhook_outbox SET delivered_at = now(), attempts = attempts + 1, last_status = $2, last_error = NULL
                WHERE id = $1 AND delivered_at IS NULL`
            : `UPDATE webhook_outbox SET attempts = attempts + 1, last_status = $2, last_error = $3,
                      next_attempt_at = now() + make_interval(secs => $4)
                WHERE id = $1 AND delivered_at IS NULL`,
          result.ok
            ? [row.id, result.status]
            : [row.id, result.status, result.error, backoffS(row.attempts + 1)],
        )
      }),
    )
    return accepted
  }
  const runOnce = () => {
    running ??= pass().finally(() => {
      running = undefined
    })
    return running
  }
  const tick = () => {
    if (!stopped) runOnce().catch(onError)
  }
  const timer = setInterval(tick, intervalMs)
  timer.unref()
  return {
    kick: tick,
    runOnce,
    async stop() {
      stopped = true
      clearInterval(timer)
      await running?.catch(() => {})
    },
  }
}

/**
 * Sends what is due now, pass after pass, until a pass sends nothing or `maxMs` is spent (a
 * command that queued events, like `callqa ingest`, before it exits); what is left (a receiver
 * that is down) waits for a server's deliverer. Returns how many were accepted.
 */
export async function deliverDue(db: Database, settings: WebhookSettings, maxMs = 10_000): Promise<number> {
  const deliverer = startDeliverer(db, settings, { intervalMs: 3_600_000 })
  const until = Date.now() + maxMs
  let accepted = 0
  try {
    for (;;) {
      const n = await deliverer.runOnce()
      accepted += n
      if (n === 0 || Date.now() > until) return accepted
    }
  } finally {
    await deliverer.stop()
  }
}

/** Events not (yet) delivered, newest first: for admins. */
export async function undelivered(db: Queryable, limit = 100) {
  const { rows } = await db.query(
    `SELECT id, event_type, created_at, attempts, next_attempt_at, last_status, last_error
       FROM webhook_outbox WHERE delivered_at IS NULL ORDER BY created_at DESC LIMIT $1`,
    [limit],
  )
  return rows
}
