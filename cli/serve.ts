/** `callqa serve` and `callqa users add`. */
import { buildServer } from '../api/server.js'
import type { Database } from '../db/index.js'
import { createUser, ROLES, type Role } from '../db/queries/users.js'
import { ConfigError } from '../errors.js'

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

/** Serves the API until SIGINT/SIGTERM. */
export async function serve(
  db: Database,
  {
    storageDir,
    port,
    host,
    disputes,
  }: { storageDir: string; port: number; host: string; disputes: { windowDays: number; cap: number } },
): Promise<void> {
  const app = await buildServer({ db, storageDir, logger: false, disputes })
  const address = await app.listen({ port, host })
  console.error(`callqa API on ${address}/v1 · interactive docs on ${address}/docs · Ctrl-C stops`)
  await new Promise<void>((resolve) => {
    const stop = () => resolve()
    process.once('SIGINT', stop)
    process.once('SIGTERM', stop)
  })
  await app.close()
}
