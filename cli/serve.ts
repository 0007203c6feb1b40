/** `callqa serve` and `callqa users add`. */
import { buildServer, serverLogger } from '../api/server.js'
import type { ResolvedConfig } from '../config.js'
import type { Database } from '../db/index.js'
import { ROLES, type Role, userSummaries } from '../db/queries/users.js'
import { ConfigError } from '../errors.js'
import { startFollowUpScheduler } from '../followups/schedule.js'
import { startLive } from '../live/start.js'
import { resolveFfmpeg } from '../media/ffmpeg.js'
import { startRetention } from '../pipeline/lifecycle.js'
import { sweepOrphans } from '../pipeline/orphans.js'
import { localProcessor, queueProcessor, resumeInterrupted, storedOptions } from '../pipeline/processor.js'
import { openQueue } from '../pipeline/queue.js'
import { startRefiler } from '../pipeline/refile.js'
import { startRollups } from '../pipeline/rollups.js'
import { startSweeper } from '../pipeline/sweeper.js'
import { addUser, issueUserToken, revokeUserToken, setUserDisabled, userIdByName } from '../review/users.js'
import { startDeliverer, webhookSettings } from '../webhooks/outbox.js'
import { analyserSettings, queueSchema } from './options.js'

const USERS_USAGE =
  'users add NAME --role ROLE [--agent-id ID] | users list | users disable NAME | users enable NAME | users revoke NAME | users token NAME'

/** `callqa users …`: the same lifecycle as the API's user routes, audited the same way. */
export async function runUsers(
  db: Database,
  args: string[],
  flags: Record<string, unknown>,
  { tokenDays = 0 }: { tokenDays?: number } = {},
): Promise<number> {
  const [action, name, ...rest] = args
  if (action === 'list' && !name) {
    const rows = await userSummaries(db)
    for (const u of rows)
      console.log(
        `${u.name}\t${u.role}\t${u.disabled ? 'disabled' : 'active'}\t${
          u.token_revoked
            ? 'token revoked'
            : u.token_expires_at
              ? `token expires ${new Date(u.token_expires_at).toISOString()}`
              : 'token does not expire'
        }${u.team ? `\tteam ${u.team}` : ''}`,
      )
    return 0
  }
  if (!action || !name || rest.length > 0) throw new ConfigError(USERS_USAGE)
  // The same use-cases as the API's (review/users.ts): the same rules, audit and error codes.
  if (action === 'add') {
    const role = flags.role as string | undefined
    if (!role || !ROLES.includes(role as Role))
      throw new ConfigError(`--role must be one of ${ROLES.join(', ')}`)
    const { user, token } = await addUser(
      db,
      null,
      { name, role: role as Role, agentId: (flags['agent-id'] as string | undefined) ?? null },
      tokenDays,
    )
    console.error(`user ${user.name} (${user.role}) created; the token is shown once, keep it:`)
    console.log(token)
    return 0
  }
  if (!['disable', 'enable', 'revoke', 'token'].includes(action)) throw new ConfigError(USERS_USAGE)
  const id = await userIdByName(db, name)
  switch (action) {
    case 'disable':
    case 'enable':
      await setUserDisabled(db, null, id, action === 'disable')
      console.error(`user ${name} ${action}d`)
      return 0
    case 'revoke':
      await revokeUserToken(db, null, id)
      console.error(`the token of ${name} is revoked; \`callqa users token ${name}\` issues a new one`)
      return 0
    case 'token': {
      const issued = await issueUserToken(db, null, id, tokenDays)
      console.error(
        `a new token for ${name}${issued.expiresAt ? ` (expires ${new Date(issued.expiresAt).toISOString()})` : ''}; the old one no longer works; shown once, keep it:`,
      )
      console.log(issued.token)
      return 0
    }
    default:
      throw new ConfigError(USERS_USAGE)
  }
}

/** Why the server could not listen, for the errors that are the user's setting, not a fault. */
const LISTEN_PROBLEMS: Record<string, string> = {
  EADDRINUSE: 'the port is in use',
  EACCES: 'not allowed to use this port',
  EADDRNOTAVAIL: 'no such address here',
}

/**
 * Serves the API until SIGINT/SIGTERM. Uploaded and swapped calls are analysed in this process
 * (a pool of `workers` threads), or with `queue` handed to pg-boss for `callqa worker`.
 */
export async function serve(
  db: Database,
  config: ResolvedConfig,
  { port, host, queue, workers }: { port: number; host: string; queue: boolean; workers: number },
): Promise<void> {
  const ffmpegPath = resolveFfmpeg().path
  const swept = await sweepOrphans(config.storageDir)
  if (swept.storageTmp + swept.asrDirs > 0)
    console.error(
      `callqa: removed ${swept.storageTmp} partial recording(s) and ${swept.asrDirs} speech-recognition folder(s) that stopped processes left behind`,
    )
  const processor = queue
    ? queueProcessor(await openQueue({ databaseUrl: config.databaseUrl, schema: queueSchema(config) }))
    : localProcessor({
        db,
        storageDir: config.storageDir,
        ffmpegPath,
        threads: workers,
        ...analyserSettings(config),
      })
  // Trend rollups of the days whose calls changed, rebuilt every few seconds (pipeline/rollups.ts).
  const stopRollups = startRollups(db)
  // History filed again under a changed taxonomy, in the background; once now, for a promotion
  // whose refile a stopped server left half done.
  const refiler = startRefiler({ db })
  // Webhooks (CALLQA_WEBHOOK_URL): a durable outbox, delivered in the background.
  const hooks = webhookSettings()
  const webhooks = hooks
    ? startDeliverer(db, hooks, {
        onError: (err) => console.error(`callqa: webhook delivery failed: ${(err as Error).message}`),
      })
    : undefined
  // Follow-ups: reminders and escalation, each step once across every server (followups/schedule.ts).
  const stopFollowUps = startFollowUpScheduler(db, {
    intervalMs: config.followUpIntervalMs,
    onError: (err) => console.error(`callqa: follow-up reminders and escalation failed: ${err.message}`),
  })
  // Live calls: streamed audio from telephony platforms, filed as calls when they end.
  const live = await startLive({
    webhooks,
    db,
    storageDir: config.storageDir,
    processor,
    databaseUrl: config.databaseUrl,
    schema: config.databaseSchema,
    onError: (err, what) => console.error(`callqa: ${what} failed: ${(err as Error).message}`),
  })
  const app = await buildServer({
    live,
    db,
    refiler,
    storageDir: config.storageDir,
    logger: serverLogger(config.logLevel),
    requestTimeoutMs: config.requestTimeoutMs,
    ffmpegPath,
    processor,
    maxUploadBytes: config.maxUploadMb * 1024 * 1024,
    disputes: { windowDays: config.disputeWindowDays, cap: config.disputeCap },
    ...(config.linkSecret ? { linkSecret: config.linkSecret } : {}),
    tokenDays: config.tokenDays,
    ...(config.trustProxy !== undefined ? { trustProxy: config.trustProxy } : {}),
    closeDatabase: true,
  })
  // Shutting down is the server's: fastify runs onClose hooks last-added first, after it stopped
  // taking requests, and closes the database it was handed last of all (closeDatabase above).
  // Calls still live are ended and filed before the processor stops.
  app.addHook('onClose', async () => {
    await live.hub.close()
    await webhooks?.stop()
    await refiler.stop()
    await processor.close()
  })
  // The timers stop before the server does: nothing new starts while it closes.
  let sweeper: { stop(): void } | undefined
  let stopRetention = () => {}
  app.addHook('preClose', async () => {
    sweeper?.stop()
    stopRetention()
    stopRollups()
    stopFollowUps()
  })
  let address: string
  try {
    address = await app.listen({ port, host })
  } catch (err) {
    // Everything started above stops again (live calls, webhooks, workers, the database).
    await app.close()
    const why = LISTEN_PROBLEMS[(err as NodeJS.ErrnoException).code ?? '']
    if (why)
      throw new ConfigError(
        `cannot listen on ${host}:${port}: ${why} (choose another with --port or CALLQA_PORT, --host)`,
      )
    throw err
  }
  refiler.kick()
  // A server stopped mid-analysis left its uploads queued; the queue (pg-boss) retries its own.
  if (!queue) {
    const resumed = await resumeInterrupted(db, processor)
    if (resumed > 0) console.error(`callqa: resuming ${resumed} call(s) a stopped server left unfinished`)
  }
  // Calls whose process died (their claim ran out) are handed on again within seconds; with the
  // queue, `callqa worker` runs this sweep.
  sweeper = queue
    ? undefined
    : startSweeper({
        db,
        handOn: async (call) => processor.submit(call, await storedOptions(db, call.id)),
        intervalMs: Math.min(15_000, config.leaseMs / 2),
      })
  // Calls past their retention period are deleted now and then hourly (CALLQA_RETENTION_DAYS).
  stopRetention = startRetention(
    db,
    config.storageDir,
    { days: config.retentionDays, byQueue: config.retentionByQueue },
    {
      onRun: (r) => {
        if (r.deleted.length > 0)
          console.error(`callqa: retention deleted ${r.deleted.length} call(s) past their period`)
      },
    },
  )
  console.error(
    `callqa review page on ${address}/ · API on ${address}/v1 · interactive docs on ${address}/docs · uploads analysed ${
      queue ? 'by callqa worker (job queue)' : `here (${workers} threads)`
    } · Ctrl-C stops`,
  )
  await new Promise<void>((resolve) => {
    const stop = () => resolve()
    process.once('SIGINT', stop)
    process.once('SIGTERM', stop)
  })
  await app.close()
}
