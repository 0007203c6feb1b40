/**
 * User administration, once: the API (admins) and `callqa users` (whoever runs the machine) call
 * these, so a rule, an audit entry and an error code cannot differ by door. Each owns its
 * transaction and audits what it changed; `actor` is the admin acting over the API, null on the
 * command line (the audit says `via: cli`).
 */
import type { Database } from '../db/index.js'
import {
  audit,
  createUser,
  isDuplicateUser,
  issueToken,
  type Role,
  revokeToken,
  setDisabled,
  type UserRow,
  userByName,
} from '../db/queries/users.js'
import { ConflictError, NotFoundError, ValidationError } from '../errors.js'

const via = (actor: UserRow | null) => (actor ? {} : { via: 'cli' })

/** Creates a user and their first token (shown once); a taken name is a conflict. */
export async function addUser(
  db: Database,
  actor: UserRow | null,
  user: { name: string; role: Role; agentId: string | null },
  tokenDays: number,
) {
  return db
    .withTransaction(async (tx) => {
      const made = await createUser(tx, { ...user, tokenDays })
      await audit(tx, {
        userId: actor?.id ?? null,
        action: 'user.create',
        entity: 'user',
        entityId: made.user.id,
        after: { name: user.name, role: user.role, agent_id: made.user.agent_id, ...via(actor) },
      })
      return made
    })
    .catch((err: unknown) => {
      // The name is taken (two requests at once cannot both pass a check made first).
      if (isDuplicateUser(err)) throw new ConflictError(`there is already a user "${user.name}"`)
      throw err
    })
}

/** The id of the user of this name. */
export async function userIdByName(db: Database, name: string): Promise<number> {
  const user = await userByName(db, name)
  if (!user) throw new NotFoundError(`there is no user "${name}"`)
  return user.id
}

function notOnThemselves(actor: UserRow | null, id: number, what: string, instead: string) {
  if (actor && actor.id === id) throw new ValidationError(`an admin cannot ${what} (${instead})`)
}

export async function setUserDisabled(db: Database, actor: UserRow | null, id: number, disabled: boolean) {
  if (disabled) notOnThemselves(actor, id, 'disable themselves', 'another admin can')
  await db.withTransaction(async (tx) => {
    if (!(await setDisabled(tx, id, disabled))) throw new NotFoundError(`no user ${id}`)
    await audit(tx, {
      userId: actor?.id ?? null,
      action: disabled ? 'user.disable' : 'user.enable',
      entity: 'user',
      entityId: id,
      after: { disabled, ...via(actor) },
    })
  })
}

/** A new token (shown once); the old one stops working at once. */
export async function issueUserToken(db: Database, actor: UserRow | null, id: number, tokenDays: number) {
  notOnThemselves(actor, id, 'replace their own token here', 'another admin or `callqa users token` can')
  return db.withTransaction(async (tx) => {
    const made = await issueToken(tx, id, tokenDays)
    if (!made) throw new NotFoundError(`no user ${id}`)
    await audit(tx, {
      userId: actor?.id ?? null,
      action: 'user.token.issue',
      entity: 'user',
      entityId: id,
      after: { expires_at: made.expiresAt, ...via(actor) },
    })
    return made
  })
}

export async function revokeUserToken(db: Database, actor: UserRow | null, id: number) {
  notOnThemselves(actor, id, 'revoke their own token', 'another admin or `callqa users revoke` can')
  await db.withTransaction(async (tx) => {
    if (!(await revokeToken(tx, id))) throw new NotFoundError(`no user ${id}`)
    await audit(tx, {
      userId: actor?.id ?? null,
      action: 'user.token.revoke',
      entity: 'user',
      entityId: id,
      ...(actor ? {} : { after: { via: 'cli' } }),
    })
  })
}
