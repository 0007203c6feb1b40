/**
 * Review API latency under load on 100,000 calls: seeds synthetic rows (calls, metrics, two
 * utterances each, an automatic evaluation with its items) in a scratch schema on the Postgres
 * server, starts `callqa serve` as its own process, and drives it with autocannon (10 connections,
 * 10 s per route): call list, call detail (random ids), transcript search, a 90-day trend and the
 * 90-day most-failed items.
 *
 *   npm run bench:api        (DATABASE_URL, default postgres://postgres@127.0.0.1:5432/test;
 *                             BENCH_CALLS=N, BENCH_SECONDS=N)
 */

import { spawn } from 'node:child_process'
import { createRequire } from 'node:module'
import { openDatabase } from '../db/index.js'
import { migrate } from '../db/migrate.js'
import { installBuiltins } from '../db/queries/builtins.js'
import { refreshDailyStats } from '../db/queries/daily-stats.js'
import { activeScorecards } from '../db/queries/scorecards.js'
import { createUser } from '../db/queries/users.js'
import { callqaBin, callqaNodeFlags } from './callqa-bin.js'

const require = createRequire(import.meta.url)
interface CannonResult {
  latency: { p50: number; p97_5: number; p99: number; average: number }
  requests: { average: number }
  non2xx: number
  errors: number
}
/** autocannon's run: a promise of its result that also emits each response (with its time, ms). */
const autocannon = require('autocannon') as (options: Record<string, unknown>) => Promise<CannonResult> & {
  on(event: 'response', listener: (client: unknown, status: number, bytes: number, ms: number) => void): void
}

/** The q-quantile (0..1) of the times, nearest rank. */
function quantile(times: number[], q: number): number {
  const sorted = [...times].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] ?? Number.NaN
}

const url = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test'
// BENCH_SCHEMA names a schema to seed once and keep (a later run with the same name skips the
// seed: a million calls take minutes); by default a scratch schema, dropped at the end.
const schema = process.env.BENCH_SCHEMA ?? `bench_api_${process.pid}`
const keep = Boolean(process.env.BENCH_KEEP || process.env.BENCH_SCHEMA)
const calls = Number(process.env.BENCH_CALLS ?? 100_000)
const seconds = Number(process.env.BENCH_SECONDS ?? 10)
const only = process.env.BENCH_ROUTE
const port = 18_000 + (process.pid % 1000)

const db = await openDatabase({ databaseUrl: url, schema })
let server: ReturnType<typeof spawn> | undefined
try {
  await migrate(db)
  await installBuiltins(db)
  const card = (await activeScorecards(db)).find((c) => c.key === 'inbound-support-en')
  if (!card) throw new Error('built-in card missing')
  const items = card.definition.sections.flatMap((s) =>
    s.items.map((i) => ({ section: s.key, key: i.key, kind: i.kind })),
  )
  const seeded = Number((await db.query<{ n: string }>('SELECT count(*) AS n FROM calls')).rows[0]?.n ?? 0)
  if (seeded === 0) await seed(card.id, items)
  else console.log(`schema ${schema} holds ${seeded.toLocaleString('en-US')} calls already: not seeded again`)
  const { token } = await createUser(db, { name: `bench-admin-${process.pid}`, role: 'admin' })

  server = spawn(process.execPath, [...callqaNodeFlags, callqaBin, 'serve', '--port', String(port)], {
    env: { ...process.env, DATABASE_URL: url, CALLQA_DB_SCHEMA: schema },
    stdio: ['ignore', 'ignore', 'pipe'],
  })
  // Ready when /readyz says so (not when a log line reads a certain way: that wording changed once
  // and left this bench waiting for ever). A server that exits, or takes over 60 s, ends the bench.
  let exited: number | null | undefined
  server.once('exit', (code) => {
    exited = code
  })
  server.stderr?.resume()
  for (let waited = 0; ; waited += 250) {
    if (exited !== undefined) throw new Error(`serve exited with ${exited}`)
    if (waited > 60_000) throw new Error('serve was not ready after 60 s')
    const ready = await fetch(`http://127.0.0.1:${port}/readyz`).then(
      (r) => r.ok,
      () => false,
    )
    if (ready) break
    await new Promise((r) => setTimeout(r, 250))
  }

  const headers = { authorization: `Bearer ${token}` }
  const routes: Array<{ name: string; goal: number; path?: string; requests?: unknown[] }> = [
    { name: 'list (50 newest)', goal: 50, path: '/v1/calls?limit=50' },
    {
      name: 'detail (random call)',
      goal: 50,
      requests: [
        {
          setupRequest: (req: { path: string }) => ({
            ...req,
            path: `/v1/calls/${1 + Math.floor(Math.random() * calls)}`,
          }),
        },
      ],
    },
    { name: 'search "refund", 50', goal: 300, path: '/v1/calls?q=refund&limit=50' },
    { name: 'list, queue + QA < 60', goal: 50, path: '/v1/calls?queue=queue-3&qa_max=60&limit=50' },
    {
      name: 'trend 90 days, team × week',
      goal: 300,
      path: '/v1/trends?group_by=team&period=week&from=2026-08-25T00:00:00Z&to=2026-11-23T00:00:00Z',
    },
    {
      name: 'failed items 90 days',
      goal: 300,
      path: '/v1/trends/failed-items?from=2026-08-25T00:00:00Z&to=2026-11-23T00:00:00Z',
    },
  ]
  console.log(`\nroute                        p50 ms  p95 ms  p97.5 ms  p99 ms   req/s   goal (p95)  non-2xx`)
  for (const route of routes) {
    if (only && !route.name.startsWith(only)) continue
    const run = autocannon({
      url: `http://127.0.0.1:${port}${route.path ?? '/'}`,
      connections: 10,
      duration: seconds,
      headers,
      ...(route.requests ? { requests: route.requests } : {}),
    })
    // Every answered request's time, for the goal's own statistic: autocannon's histogram has
    // p90 and p97.5 but no p95.
    const times: number[] = []
    run.on('response', (_client, status, _bytes, ms) => {
      if (status >= 200 && status < 300) times.push(ms)
    })
    const result = await run
    const l = result.latency
    const p95 = quantile(times, 0.95)
    console.log(
      `${route.name.padEnd(28)} ${String(l.p50).padStart(6)}  ${p95.toFixed(0).padStart(6)}  ${String(l.p97_5).padStart(8)}  ${String(l.p99).padStart(6)}  ` +
        `${String(Math.round(result.requests.average)).padStart(6)}   < ${route.goal} ms ${p95 < route.goal ? 'met' : 'MISSED'}  ${result.non2xx + result.errors}`,
    )
  }
  console.log("\n(p95 from every 2xx response time of the run; the other columns are autocannon's.)")
} finally {
  server?.kill('SIGTERM')
  if (keep) console.log(`kept schema ${schema} (BENCH_SCHEMA=${schema} runs on it again)`)
  else await db.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`)
  await db.close()
}

/** Seeds `calls` synthetic calls with their rows and the trend rollups. */
async function seed(
  cardId: number,
  items: Array<{ section: string; key: string; kind: string }>,
): Promise<void> {
  const began = Date.now()
  await db.withTransaction(async (tx) => {
    // Seeding a million calls takes longer than a request may (CALLQA_STATEMENT_TIMEOUT_SECONDS).
    await tx.query('SET LOCAL statement_timeout = 0')
    await tx.query(
      `INSERT INTO calls (sha256, source_name, status, duration_ms, direction, language, queue, team, agent_id,
         started_at, csat, transcript_status, channel_layout)
       SELECT md5(g::text), 'call-' || g || '.wav', 'done', 60000 + (g::bigint * 7919) % 600000, 'inbound', 'en',
         'queue-' || g % 8, 'team-' || g % 5, 'agent-' || g % 50,
         timestamptz '2026-11-23' - make_interval(secs => (g * 155.52)::int), 1 + g % 5, 'supplied', 'stereo-agent-left'
       FROM generate_series(1, $1::int) g`,
      [calls],
    )
    await tx.query(
      `INSERT INTO call_metrics (call_id, duration_ms, agent_talk_ms, customer_talk_ms, agent_talk_ratio, talk_percent,
         non_talk_ms, dead_air_count, dead_air_total_ms, dead_air_longest_ms, overtalk_count, overtalk_ms,
         agent_interruptions, customer_interruptions, turns,
         customer_sentiment_start, customer_sentiment_end, customer_sentiment_trend, params)
       SELECT id, duration_ms, duration_ms * 0.4, duration_ms * 0.3, 0.57, 70, duration_ms * 0.3, id % 3,
         (id * 31) % 20000, (id * 31) % 20000, id % 4,
         (id * 13) % 5000, id % 2, id % 3, 20, ((id % 200) - 100) / 100.0, ((id * 7 % 200) - 100) / 100.0,
         ((id * 7 % 200) - (id % 200)) / 100.0, '{}'
       FROM calls`,
    )
    await tx.query(
      `INSERT INTO utterances (call_id, seq, speaker, start_ms, end_ms, text_redacted, language, sentiment)
       SELECT id, 0, 'agent', 500, 4000, 'Thank you for calling Acme, my name is Sam. How can I help you today?', 'en', 0.5 FROM calls
       UNION ALL
       SELECT id, 1, 'customer', 4500, 9000,
         (ARRAY['I want a refund for my last order.', 'My internet has been down since Monday.',
                'Can you check my balance please?', 'I would like to cancel my contract.'])[1 + id % 4], 'en', -0.3
       FROM calls`,
    )
    // Filed under the active taxonomy, as saved calls are: otherwise the server's refiler files a
    // million calls in the background throughout the bench (what a database from before topics
    // would see once, after an upgrade).
    await tx.query(
      `INSERT INTO call_insights (call_id, taxonomy_id, urgency, urgency_evidence, conduct)
       SELECT id, (SELECT id FROM taxonomies WHERE active ORDER BY version DESC LIMIT 1), 1 + id % 3,
              '[]', '{"flags": [], "agent_trend": null}'
       FROM calls`,
    )
    await tx.query(
      `INSERT INTO evaluations (call_id, scorecard_id, source, status, score, max_score, percent, passed, fatal_failed,
         critical_failed, pending)
       SELECT id, $1, 'auto', 'final', 50 + id % 50, 100, 50 + id % 50, id % 50 >= 30, false, '{}', 1 FROM calls`,
      [cardId],
    )
    await tx.query(
      `INSERT INTO evaluation_items (evaluation_id, seq, section_key, item_key, kind, result, points, max_points)
       SELECT e.id, i.seq, i.section_key, i.item_key, i.kind,
         CASE WHEN (e.id + i.seq) % 4 = 0 THEN 'fail' ELSE 'pass' END, 10, 10
       FROM evaluations e CROSS JOIN unnest($1::int[], $2::text[], $3::text[], $4::text[])
         AS i (seq, section_key, item_key, kind)`,
      [
        items.map((_, k) => k),
        items.map((i) => i.section),
        items.map((i) => i.key),
        items.map((i) => i.kind),
      ],
    )
  })
  // The trend rollups, as the pipeline keeps them (one rebuild over every seeded day here).
  const days = await db.query<{ day: string }>(
    "SELECT DISTINCT to_char((started_at AT TIME ZONE 'UTC')::date, 'YYYY-MM-DD') AS day FROM calls",
  )
  await db.withTransaction(async (tx) => {
    await tx.query('SET LOCAL statement_timeout = 0')
    await refreshDailyStats(
      tx,
      days.rows.map((r) => r.day),
    )
    await tx.query('ANALYZE')
  })
  console.log(
    `seeded ${calls.toLocaleString('en-US')} calls (+ metrics, 2 utterances, 1 evaluation with ${items.length} items each) in ${((Date.now() - began) / 1000).toFixed(1)} s`,
  )
}
