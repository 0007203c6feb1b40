/**
 * The commands behind `callqa` (cli/main.ts parses the line and loads this module only when a
 * command runs, so `callqa --help` loads none of it).
 */
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { LAYOUT_OPTIONS, type LayoutOption } from '../analysis/types.js'
import { loadConfig, type ResolvedConfig } from '../config.js'
import type { OwnerKind } from '../db/embedded-owner.js'
import { type Database, openDatabase } from '../db/index.js'
import { migrate } from '../db/migrate.js'
import { installBuiltins } from '../db/queries/builtins.js'
import { callSummaries } from '../db/queries/calls.js'
import { ConfigError, retryTransient } from '../errors.js'
import { resolveFfmpeg } from '../media/ffmpeg.js'
import { applyRetention, deleteCalls, retentionOff } from '../pipeline/lifecycle.js'
import { emptyMetadata, loadMetadata, withFileNames } from '../pipeline/metadata.js'
import { sweepOrphans } from '../pipeline/orphans.js'
import { createPool } from '../pipeline/pool.js'
import { callAnalyser } from '../pipeline/process-call.js'
import { storedOptions } from '../pipeline/processor.js'
import { enqueueCall, openQueue, startQueueWorker } from '../pipeline/queue.js'
import { refreshMarkedDays, startRollups } from '../pipeline/rollups.js'
import { type IngestReport, ingest } from '../pipeline/run.js'
import { swapCall } from '../pipeline/swap.js'
import { startSweeper } from '../pipeline/sweeper.js'
import type { CommandFlags } from './flags.js'
import { logSafe } from './log-safe.js'
import { analyserSettings, parseMetricFlags, parseVadFlags, queueSchema } from './options.js'
import { createProgressReporter } from './progress.js'
import { runRescore, runScorecard } from './scorecards.js'
import { runSentiment } from './sentiment.js'
import { formatTable, seconds } from './table.js'
import { runReport, runTaxonomy } from './topics.js'

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')

/**
 * The database: the Postgres server, or the embedded one in CALLQA_DATA_DIR, which has one owner
 * process at a time (a server, or the first command); other commands work through it.
 */
function connect(config: ResolvedConfig, as: { kind?: OwnerKind; command: string }) {
  return openDatabase({
    databaseUrl: config.databaseUrl,
    schema: config.databaseSchema,
    statementTimeoutMs: config.statementTimeoutMs,
    dataDir: path.join(config.dataDir, 'pglite'),
    ownership: {
      kind: as.kind ?? 'command',
      command: `callqa ${as.command}`,
      onWait: (message) => console.error(message),
      idleTransactionMs: config.embeddedIdleTxMs,
    },
  })
}

async function openDb(config: ResolvedConfig, as: { kind?: OwnerKind; command: string }) {
  const db = await connect(config, as)
  await migrate(db)
  // The built-in scorecards, so a fresh database scores calls out of the box (new versions only
  // when a built-in file changed).
  await installBuiltins(db)
  return db
}

const signed = (x: number | null | undefined) => (x == null ? '-' : `${x >= 0 ? '+' : ''}${x.toFixed(2)}`)

function transcriptCell(r: Awaited<ReturnType<typeof callSummaries>>[number] | undefined): string {
  if (!r) return '-'
  switch (r.transcript_status) {
    case 'supplied':
      return `${r.utterance_count} utt, ${r.redaction_count} redacted`
    case 'asr':
      // Word salad is shown for what it is: nothing automatic was derived from it.
      return (
        `ASR ${r.transcript_format}: ${r.utterance_count} utt, ${r.redaction_count} redacted` +
        (r.transcript_trusted === false
          ? `, LOW CONFIDENCE ${r.transcript_confidence?.toFixed(2) ?? ''} (no sentiment, text items pending)`
          : '')
      )
    case 'failed':
      return 'FAILED (see calls.transcript_error)'
    default:
      return r.transcript_error ? `none (${r.transcript_error})` : 'none'
  }
}

function printSummary(report: IngestReport, rows: Awaited<ReturnType<typeof callSummaries>>) {
  const byId = new Map(rows.map((r) => [r.id, r]))
  // Items arrive in completion order; show them in call order.
  const items = [...report.items].sort((a, b) => (a.callId ?? 0) - (b.callId ?? 0))
  const table = items.map((item) => {
    const r = item.callId === null ? undefined : byId.get(item.callId)
    // A stereo file analysed as one channel says why (dual mono, or one channel silent).
    const check = r?.channel_check
    const mono =
      check?.layout === 'dual-mono'
        ? 'dual mono'
        : check?.layout === 'one-channel-silent'
          ? `${check.silentChannel} silent`
          : 'mono'
    // One channel with two voices told apart: per party, marked as such.
    const talk = r?.diarization
      ? `${seconds(r.agent_talk_ms)} / ${seconds(r.customer_talk_ms)} (${mono}, 2 voices)`
      : r?.speaker_talk_ms !== null && r?.speaker_talk_ms !== undefined
        ? `${seconds(r.speaker_talk_ms)} (${mono})`
        : `${seconds(r?.agent_talk_ms)} / ${seconds(r?.customer_talk_ms)}`
    const result =
      item.status === 'failed'
        ? `FAILED ${item.errorCode}: ${logSafe(item.errorMessage ?? '')}`
        : item.status === 'skipped'
          ? `skipped: ${r?.status ?? ''}`
          : item.status === 'queued'
            ? 'queued'
            : 'done'
    const done = r?.status === 'done'
    return [
      String(item.callId ?? '-'),
      logSafe(path.basename(item.path)),
      result,
      done ? seconds(r?.duration_ms) : '-',
      done ? talk : '-',
      done && r?.agent_talk_ratio !== null && r?.agent_talk_ratio !== undefined
        ? `${Math.round(r.agent_talk_ratio * 100)}%`
        : '-',
      done ? `${r?.dead_air_count ?? 0} (${seconds(r?.dead_air_longest_ms)})` : '-',
      done ? seconds(r?.overtalk_ms) : '-',
      done ? `${r?.agent_interruptions ?? '-'} / ${r?.customer_interruptions ?? '-'}` : '-',
      done ? seconds(r?.agent_response_latency_mean_ms, 2) : '-',
      done ? (r?.last_speaker ?? '-') : '-',
      transcriptCell(r),
      done && r?.customer_sentiment_start != null
        ? `${signed(r.customer_sentiment_start)} → ${signed(r.customer_sentiment_end)}`
        : '-',
      done ? String(r?.agitated_segments ?? 0) : '-',
    ]
  })
  console.log(
    formatTable(
      [
        'call',
        'file',
        'result',
        'length',
        'talk agent/cust',
        'agent share',
        'dead air (longest)',
        'overtalk',
        'interrupts a/c',
        'agent latency',
        'last',
        'transcript',
        'customer sentiment',
        'agitated',
      ],
      table,
    ),
  )
  const rate = report.elapsedMs > 0 ? report.audioMs / report.elapsedMs : 0
  console.log(
    `\n${report.done} done, ${report.failed} failed, ${report.skipped} skipped` +
      (report.queued ? `, ${report.queued} queued` : '') +
      ' · ' +
      `${seconds(report.audioMs)} of audio in ${seconds(report.elapsedMs)} (${rate.toFixed(0)}× real time)`,
  )
}

/**
 * What the run's calls opened or joined, and (when webhooks are set and no server of this process
 * sends them) their events sent before the command exits.
 */
async function followUpSummary(db: Database, ids: number[], served: boolean): Promise<void> {
  const { followUpsOfCalls } = await import('../db/queries/follow-ups.js')
  const cases = await followUpsOfCalls(db, ids)
  if (cases.opened + cases.joined > 0)
    console.error(`follow-ups: ${cases.opened} opened, ${cases.joined} call(s) joined an open one`)
  const { deliverDue, webhookSettings } = await import('../webhooks/outbox.js')
  const hooks = webhookSettings()
  if (!hooks || served) return
  const sent = await deliverDue(db, hooks)
  if (sent > 0) console.error(`webhooks: ${sent} event(s) delivered`)
}

async function runIngest(
  config: ResolvedConfig,
  inputs: string[],
  flags: Record<string, unknown>,
  /** the demo's database, which it owns as a server */
  demoDb?: Database,
) {
  if (inputs.length === 0) throw new ConfigError('ingest needs at least one file or folder')
  const layout = (flags.layout as string | undefined) ?? 'auto'
  if (!LAYOUT_OPTIONS.includes(layout as LayoutOption))
    throw new ConfigError(`--layout must be one of ${LAYOUT_OPTIONS.join(', ')}`)
  const workers = workerCount(config, flags)
  const fromFile = typeof flags.meta === 'string' ? loadMetadata(flags.meta) : emptyMetadata
  const namePattern = (flags['name-pattern'] as string | undefined) ?? config.namePattern
  const metadata = namePattern ? withFileNames(fromFile, namePattern) : fromFile
  const vad = parseVadFlags((flags.vad as string[] | undefined) ?? [])
  const metrics = parseMetricFlags((flags.metric as string[] | undefined) ?? [])
  const ffmpeg = resolveFfmpeg()
  const queued = Boolean(flags.queue)
  // --queue hands calls to workers on any machine; without a server there is no queue to share.
  if (queued && !config.databaseUrl)
    throw new ConfigError('--queue needs a Postgres server: set DATABASE_URL')
  // The workers start (their code, the model) while the database opens, not after it.
  const pool = createPool({ threads: queued ? 1 : workers })
  let opened: Database | undefined
  let boss: Awaited<ReturnType<typeof openQueue>> | undefined
  try {
    const db = demoDb ?? (await openDb(config, { command: 'ingest' }))
    opened = db
    // Inside the try: a queue that cannot start must still close the pool and the database, or
    // their threads and connections keep the process alive after it printed the error.
    if (queued) boss = await openQueue({ databaseUrl: config.databaseUrl, schema: queueSchema(config) })
    const queue = boss
    console.error(
      `callqa: ${db.kind === 'pglite' ? `embedded PGlite in ${config.dataDir}` : 'Postgres server'}, ` +
        (boss
          ? 'queueing calls for `callqa worker`'
          : `${workers} worker${workers === 1 ? '' : 's'}, ffmpeg ${ffmpeg.source} (${ffmpeg.path})`),
    )
    const report = await ingest({
      db,
      pool,
      storageDir: config.storageDir,
      ffmpegPath: ffmpeg.path,
      inputs,
      options: {
        layout: layout as LayoutOption,
        reprocess: Boolean(flags.reprocess),
        keepOriginalText: config.keepOriginalText,
        ...analyserSettings(config),
        metadata,
        vad,
        metrics,
        onProgress: createProgressReporter().onProgress,
        ...(queue ? { enqueue: (call, options) => enqueueCall(queue, call, options) } : {}),
      },
    })
    const ids = report.items.flatMap((i) => (i.callId === null ? [] : [i.callId]))
    printSummary(report, await retryTransient(() => callSummaries(db, ids)))
    await followUpSummary(db, ids, Boolean(demoDb))
    return report.failed > 0 ? 1 : 0
  } finally {
    await boss?.stop({ graceful: false, wait: true })
    await pool.destroy()
    if (!demoDb) await opened?.close()
  }
}

/**
 * `callqa swap CALL_ID`: agent and customer were the other way round on this call. Re-analyses the
 * stored recording swapped and turns the stored transcript round, in one transaction; running it
 * again swaps back.
 */
async function runSwap(config: ResolvedConfig, args: string[]): Promise<number> {
  const id = Number(args[0])
  if (args.length !== 1 || !Number.isInteger(id) || id < 1) throw new ConfigError('swap takes one call id')
  const db = await openDb(config, { command: 'swap' })
  const pool = createPool({ threads: 1 })
  try {
    // The same use-case as the API's swap (pipeline/swap.ts): the call is claimed (a call being
    // analysed is refused), the swap is stored on the call and audited; the same error codes.
    const { call, options } = await swapCall(db, id, { userId: null, serverPending: false })
    const began = Date.now()
    const analyser = callAnalyser({
      db,
      pool,
      storageDir: config.storageDir,
      ffmpegPath: resolveFfmpeg().path,
      ...analyserSettings(config),
    })
    const outcome = await analyser.analyse(call, options)
    const item =
      outcome.status === 'done'
        ? { path: call.source_name, callId: id, status: 'done' as const, durationMs: outcome.durationMs }
        : outcome.status === 'skipped'
          ? { path: call.source_name, callId: id, status: 'skipped' as const, note: outcome.reason }
          : {
              path: call.source_name,
              callId: id,
              status: 'failed' as const,
              errorCode: outcome.code,
              errorMessage: outcome.message,
            }
    const report: IngestReport = {
      items: [item],
      done: outcome.status === 'done' ? 1 : 0,
      failed: outcome.status === 'failed' ? 1 : 0,
      skipped: outcome.status === 'skipped' ? 1 : 0,
      queued: 0,
      audioMs: item.durationMs ?? 0,
      elapsedMs: Date.now() - began,
    }
    printSummary(report, await callSummaries(db, [id]))
    return outcome.status === 'done' ? 0 : 1
  } finally {
    await pool.destroy()
    await db.close()
  }
}

/**
 * `callqa calls delete ID…`: deletes calls with everything derived from them (audited);
 * `callqa calls retention`: deletes the calls past CALLQA_RETENTION_DAYS / CALLQA_RETENTION_QUEUES
 * now (a server does it hourly by itself).
 */
async function runCalls(config: ResolvedConfig, args: string[]): Promise<number> {
  const [action, ...rest] = args
  const usage = 'calls delete ID… | calls retention'
  if (action === 'delete') {
    const ids = rest.map(Number)
    if (ids.length === 0 || ids.some((id) => !Number.isInteger(id) || id < 1))
      throw new ConfigError(`calls delete takes one or more call ids (${usage})`)
    const db = await openDb(config, { command: 'calls delete' })
    try {
      const report = await deleteCalls(db, config.storageDir, ids, { userId: null, reason: 'request' })
      console.error(
        `deleted ${report.deleted.length} call(s) and ${report.files} file(s)${
          report.missing.length ? `; no call ${report.missing.join(', ')}` : ''
        }`,
      )
      return report.missing.length > 0 ? 1 : 0
    } finally {
      await db.close()
    }
  }
  if (action === 'retention' && rest.length === 0) {
    const policy = { days: config.retentionDays, byQueue: config.retentionByQueue }
    if (retentionOff(policy))
      throw new ConfigError('no retention period is set (CALLQA_RETENTION_DAYS, CALLQA_RETENTION_QUEUES)')
    const db = await openDb(config, { command: 'calls retention' })
    try {
      const report = await applyRetention(db, config.storageDir, policy)
      console.error(`retention: deleted ${report.deleted.length} call(s) and ${report.files} file(s)`)
      return 0
    } finally {
      await db.close()
    }
  }
  throw new ConfigError(usage)
}

/** `--workers N`, else CALLQA_WORKERS / the number of cores. */
function portOf(raw: string | undefined, fallback: number): number {
  const port = Number(raw ?? fallback)
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new ConfigError(`--port must be 0–65535, got "${raw}"`)
  return port
}

function workerCount(config: ResolvedConfig, flags: Record<string, unknown>): number {
  const workers = flags.workers === undefined ? config.workers : Number(flags.workers)
  if (!Number.isInteger(workers) || workers < 1) throw new ConfigError('--workers must be a positive integer')
  return workers
}

/** `callqa worker`: process queued calls until SIGINT/SIGTERM, finishing the calls in hand. */
async function runWorker(config: ResolvedConfig, flags: Record<string, unknown>): Promise<number> {
  const workers = workerCount(config, flags)
  const ffmpeg = resolveFfmpeg()
  await sweepOrphans(config.storageDir)
  const db = await openDb(config, { command: 'worker' })
  const pool = createPool({ threads: workers })
  let boss: Awaited<ReturnType<typeof openQueue>> | undefined
  try {
    boss = await openQueue({ databaseUrl: config.databaseUrl, schema: queueSchema(config) })
    const stopped = new Promise<string>((resolve) => {
      process.once('SIGINT', () => resolve('SIGINT'))
      process.once('SIGTERM', () => resolve('SIGTERM'))
    })
    const worker = await startQueueWorker({
      boss,
      db,
      analyser: callAnalyser({
        db,
        pool,
        storageDir: config.storageDir,
        ffmpegPath: ffmpeg.path,
        ...analyserSettings(config),
      }),
      concurrency: workers,
      onCall: ({ callId, sourceName, outcome }) =>
        console.error(
          outcome.status === 'done'
            ? `call ${callId} ${logSafe(sourceName)}: done (${(outcome.durationMs / 1000).toFixed(1)} s of audio)`
            : outcome.status === 'skipped'
              ? `call ${callId} ${logSafe(sourceName)}: skipped, ${outcome.reason}`
              : `call ${callId} ${logSafe(sourceName)}: failed ${outcome.code}: ${logSafe(outcome.message)}`,
        ),
    })
    // A call whose worker died (its claim ran out) is enqueued again within seconds of it.
    const bossNow = boss
    const sweeper = startSweeper({
      db,
      handOn: async (call) => enqueueCall(bossNow, call, await storedOptions(db, call.id)),
      intervalMs: Math.min(15_000, config.leaseMs / 2),
    })
    // The trend rollups of the days its calls fell on, rebuilt every few seconds.
    const stopRollups = startRollups(db)
    console.error(`callqa worker: ${workers} worker thread${workers === 1 ? '' : 's'}, waiting for calls`)
    const signal = await stopped
    sweeper.stop()
    console.error(`callqa worker: ${signal}, finishing the calls in hand`)
    await worker.stop()
    stopRollups()
    await refreshMarkedDays(db)
    return 0
  } finally {
    await boss?.stop({ graceful: true, wait: true, timeout: 120_000 })
    await pool.destroy()
    await db.close()
  }
}

export async function runCommand(
  command: string,
  rest: string[],
  values: CommandFlags,
  usage: string,
): Promise<number> {
  const config = loadConfig()
  switch (command) {
    case 'ingest':
      return runIngest(config, rest, values)
    case 'worker':
      return runWorker(config, values)
    case 'demo': {
      const samples = path.join(repoRoot, 'samples', 'calls')
      // The demo serves its folder: it owns the database from the start, so a second demo or
      // server refuses before ingesting, and commands run meanwhile work through it.
      const db = await openDb(
        config,
        values['no-serve'] ? { command: 'demo' } : { kind: 'server', command: 'demo' },
      )
      try {
        // Follow-ups for the sample calls: the sample rules and the people they name.
        const { demoFollowUps } = await import('./demo-follow-ups.js')
        const loaded = await demoFollowUps(
          db,
          path.join(repoRoot, 'samples', 'follow-ups.yaml'),
          'samples/follow-ups.yaml',
        )
        if (loaded) console.error(`follow-up rules ${loaded} loaded (samples/follow-ups.yaml)`)
        const code = await runIngest(
          config,
          [samples],
          { ...values, meta: path.join(samples, 'metadata.csv') },
          db,
        )
        if (values['no-serve']) return code
        // Then serve what was ingested, with a reviewer token to try it.
        const demoUser = `demo-admin-${Date.now().toString(36)}`
        const { createUser } = await import('../db/queries/users.js')
        const { token } = await createUser(db, { name: demoUser, role: 'admin' })
        const port = portOf(values.port, config.port)
        console.log(`\nadmin token for this demo: ${token}`)
        console.log(`open http://127.0.0.1:${port}/ and sign in with it (the review page), or`)
        console.log(`try: curl -H "Authorization: Bearer ${token}" http://127.0.0.1:${port}/v1/calls`)
        // The demo's terminal shows the instructions above, not a line per request (unless asked).
        const demoConfig = process.env.CALLQA_LOG_LEVEL ? config : { ...config, logLevel: 'warn' }
        const { serve } = await import('./serve.js')
        await serve(db, demoConfig, {
          port,
          host: values.host ?? '127.0.0.1',
          queue: false,
          workers: workerCount(config, values),
        })
        return code
      } finally {
        await db.close()
      }
    }
    case 'serve': {
      const db = await openDb(config, { kind: 'server', command: 'serve' })
      try {
        const { serve } = await import('./serve.js')
        await serve(db, config, {
          port: portOf(values.port, config.port),
          host: values.host ?? '127.0.0.1',
          queue: values.queue ?? false,
          workers: workerCount(config, values),
        })
      } finally {
        await db.close()
      }
      return 0
    }
    case 'users': {
      const db = await openDb(config, { command: 'users' })
      try {
        // (the server's module: loaded only by the commands that need it)
        const { runUsers } = await import('./serve.js')
        return await runUsers(db, rest, values, { tokenDays: config.tokenDays })
      } finally {
        await db.close()
      }
    }
    case 'scorecard':
    case 'rescore': {
      const db = await openDb(config, { command })
      try {
        return command === 'scorecard' ? await runScorecard(db, rest, values) : await runRescore(db, values)
      } finally {
        await db.close()
      }
    }
    case 'taxonomy':
    case 'report': {
      const db = await openDb(config, { command })
      try {
        return command === 'taxonomy' ? await runTaxonomy(db, rest) : await runReport(db, rest, values)
      } finally {
        await db.close()
      }
    }
    case 'live-rules': {
      const db = await openDb(config, { command })
      try {
        const { runLiveRules } = await import('./live-rules.js')
        return await runLiveRules(db, rest)
      } finally {
        await db.close()
      }
    }
    case 'follow-ups': {
      const db = await openDb(config, { command })
      try {
        const { runFollowUps } = await import('./follow-ups.js')
        return await runFollowUps(db, rest)
      } finally {
        await db.close()
      }
    }
    case 'swap':
      return runSwap(config, rest)
    case 'calls':
      return runCalls(config, rest)
    case 'sentiment':
      if (rest.length > 1) throw new ConfigError('sentiment takes at most one FILE (or reads stdin)')
      return runSentiment(rest[0], values.language)
    case 'migrate': {
      const db = await connect(config, { command: 'migrate' })
      try {
        const applied = await migrate(db)
        console.log(applied.length ? `applied ${applied.join(', ')}` : 'database is up to date')
      } finally {
        await db.close()
      }
      return 0
    }
    default:
      console.error(`unknown command "${command}"\n\n${usage}`)
      return 2
  }
}
