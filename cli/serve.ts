/** `callqa serve` and `callqa users add`. */
import { buildServer } from '../api/server.js'
import type { ResolvedConfig } from '../config.js'
import type { Database } from '../db/index.js'
import { createUser, ROLES, type Role } from '../db/queries/users.js'
import { ConfigError } from '../errors.js'
import { localProcessor, queueProcessor, resumeInterrupted } from '../pipeline/processor.js'
import { openQueue } from '../pipeline/queue.js'
import { resolveFfmpeg } from '../workers/ffmpeg.js'
import { asrOptions, queueSchema } from './options.js'

export async function runUsers(
  db: Database,
  args: string[],
  flags: Record<string, unknown>,
): Promise<number> {
  const [action, name, ...rest] = args
  if (action !== 'add' || !name || rest.length > 0)
    throw new ConfigError('users add NAME --role ROLE [--agent-id ID]')
  const role = flags.role as string | undefined
  if (!role || !ROLES.includes(role as Role))
    throw new ConfigError(`--role must be one of ${ROLES.join(', ')}`)
  const exists = await db.query('SELECT 1 FROM users WHERE name = $1', [name])
  if (exists.rows.length > 0) throw new ConfigError(`there is already a user "${name}"`)
  const { user, token } = await createUser(db, {
    name,
    role: role as Role,
    agentId: (flags['agent-id'] as string | undefined) ?? null,
  })
  console.error(`user ${user.name} (${user.role}) created; the token is shown once, keep it:`)
  console.log(token)
  return 0
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
  const processor = queue
    ? queueProcessor(await openQueue({ databaseUrl: config.databaseUrl, schema: queueSchema(config) }))
    : localProcessor({
        db,
        storageDir: config.storageDir,
        ffmpegPath,
        threads: workers,
        ...asrOptions(config),
        ...(config.redactAudio ? { redactAudio: config.redactAudio } : {}),
      })
  const app = await buildServer({
    db,
    storageDir: config.storageDir,
    logger: false,
    ffmpegPath,
    processor,
    maxUploadBytes: config.maxUploadMb * 1024 * 1024,
    disputes: { windowDays: config.disputeWindowDays, cap: config.disputeCap },
    ...(config.linkSecret ? { linkSecret: config.linkSecret } : {}),
  })
  const address = await app.listen({ port, host })
  // A server stopped mid-analysis left its uploads queued; the queue (pg-boss) retries its own.
  if (!queue) {
    const resumed = await resumeInterrupted(db, processor)
    if (resumed > 0) console.error(`callqa: resuming ${resumed} call(s) a stopped server left unfinished`)
  }
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
  await processor.close()
}
