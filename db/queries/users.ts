import { createHash, randomBytes } from 'node:crypto'
import type { Queryable } from '../index.js'

export const ROLES = ['admin', 'manager', 'trainer', 'reviewer', 'agent', 'telephony', 'integration'] as const
export type Role = (typeof ROLES)[number]

export interface UserRow {
  id: number
  name: string
  role: Role
  agent_id: string | null
  disabled: boolean
}

export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex')
}

/** Creates a user and returns the bearer token, which is not stored and cannot be shown again. */
function newToken(): string {
  return `cqa_${randomBytes(32).toString('base64url')}`
}

/** A user name is taken (unique violation): the caller says so instead of failing. */
export function isDuplicateUser(err: unknown): boolean {
  return (err as { code?: string }).code === '23505'
}

/**
 * Creates a user and their first token (shown once). `tokenDays`: the token's lifetime, 0 or
 * undefined for a token that lasts until revoked. A taken name throws a unique violation
 * (isDuplicateUser): checking first would race.
 */
export async function createUser(
  db: Queryable,
  user: { name: string; role: Role; agentId?: string | null; tokenDays?: number },
): Promise<{ user: UserRow; token: string }> {
  const token = newToken()
  const res = await db.query<UserRow>(
    `INSERT INTO users (name, role, token_hash, agent_id, token_expires_at)
     VALUES ($1, $2, $3, $4, CASE WHEN $5::int > 0 THEN now() + make_interval(days => $5::int) END)
     RETURNING id, name, role, agent_id, disabled, token_expires_at`,
    [
      user.name,
      user.role,
      hashToken(token),
      user.role === 'agent' ? (user.agentId ?? user.name) : null,
      user.tokenDays ?? 0,
    ],
  )
  return { user: res.rows[0] as UserRow, token }
}

/** A new token for a user (the old one stops working at once); shown once. */
export async function issueToken(
  db: Queryable,
  userId: number,
  tokenDays = 0,
): Promise<{ token: string; expiresAt: Date | null } | undefined> {
  const token = newToken()
  const res = await db.query<{ token_expires_at: Date | null }>(
    `UPDATE users SET token_hash = $2, token_issued_at = now(),
       token_expires_at = CASE WHEN $3::int > 0 THEN now() + make_interval(days => $3::int) END
     WHERE id = $1 RETURNING token_expires_at`,
    [userId, hashToken(token), tokenDays],
  )
  const row = res.rows[0]
  return row ? { token, expiresAt: row.token_expires_at } : undefined
}

/** Revokes a user's token: no token matches it afterwards (a new one is issued with issueToken). */
export async function revokeToken(db: Queryable, userId: number): Promise<boolean> {
  const res = await db.query(
    `UPDATE users SET token_hash = 'revoked:' || $2, token_expires_at = NULL WHERE id = $1 RETURNING id`,
    [userId, randomBytes(16).toString('hex')],
  )
  return res.rows.length > 0
}

/** Disables or enables a user: a disabled user's token and signed links are refused. */
export async function setDisabled(db: Queryable, userId: number, disabled: boolean): Promise<boolean> {
  const res = await db.query('UPDATE users SET disabled = $2 WHERE id = $1 RETURNING id', [userId, disabled])
  return res.rows.length > 0
}

export async function userByName(
  db: Queryable,
  name: string,
): Promise<(UserRow & { token_expires_at: Date | null }) | undefined> {
  const res = await db.query<UserRow & { token_expires_at: Date | null }>(
    'SELECT id, name, role, agent_id, disabled, token_expires_at FROM users WHERE name = $1',
    [name],
  )
  return res.rows[0]
}

export async function userByToken(db: Queryable, token: string): Promise<UserRow | undefined> {
  const res = await db.query<UserRow>(
    `SELECT id, name, role, agent_id, disabled FROM users
     WHERE token_hash = $1 AND NOT disabled AND (token_expires_at IS NULL OR token_expires_at > now())`,
    [hashToken(token)],
  )
  return res.rows[0]
}

/**
 * A user whose signed links stand, with what those links are bound to: the hash of their current,
 * valid token (undefined when the user is disabled, or the token revoked or expired).
 */
export async function linkUser(
  db: Queryable,
  userId: number,
): Promise<{ user: UserRow; stamp: string } | undefined> {
  const res = await db.query<UserRow & { token_hash: string }>(
    `SELECT id, name, role, agent_id, disabled, token_hash FROM users
     WHERE id = $1 AND NOT disabled AND token_hash NOT LIKE 'revoked:%'
       AND (token_expires_at IS NULL OR token_expires_at > now())`,
    [userId],
  )
  const row = res.rows[0]
  if (!row) return undefined
  const { token_hash: stamp, ...user } = row
  return { user, stamp }
}

export async function audit(
  db: Queryable,
  entry: {
    userId: number | null
    action: string
    entity: string
    entityId: number | null
    before?: unknown
    after?: unknown
  },
): Promise<void> {
  await db.query(
    'INSERT INTO audit_log (user_id, action, entity, entity_id, before, after) VALUES ($1, $2, $3, $4, $5::jsonb, $6::jsonb)',
    [
      entry.userId,
      entry.action,
      entry.entity,
      entry.entityId,
      entry.before === undefined ? null : JSON.stringify(entry.before),
      entry.after === undefined ? null : JSON.stringify(entry.after),
    ],
  )
}

/** Several audit rows in one statement, in the order given (their ids follow that order). */
export async function auditMany(
  db: Queryable,
  entries: ReadonlyArray<Parameters<typeof audit>[1]>,
): Promise<void> {
  if (entries.length === 0) return
  const json = (v: unknown) => (v === undefined ? null : JSON.stringify(v))
  await db.query(
    `INSERT INTO audit_log (user_id, action, entity, entity_id, before, after)
     SELECT user_id, action, entity, entity_id, before::jsonb, after::jsonb
     FROM unnest($1::bigint[], $2::text[], $3::text[], $4::bigint[], $5::text[], $6::text[])
       WITH ORDINALITY AS e(user_id, action, entity, entity_id, before, after, n)
     ORDER BY n`,
    [
      entries.map((e) => e.userId),
      entries.map((e) => e.action),
      entries.map((e) => e.entity),
      entries.map((e) => e.entityId),
      entries.map((e) => json(e.before)),
      entries.map((e) => json(e.after)),
    ],
  )
}

export interface UserSummaryRow {
  id: number
  name: string
  role: string
  agent_id: string | null
  disabled: boolean
  token_expires_at: Date | string | null
  token_revoked: boolean
  team: string | null
}

/** Users as an admin lists them (one, or all by name): never the token's hash, only whether it was revoked. */
export async function userSummaries(db: Queryable, id?: number): Promise<UserSummaryRow[]> {
  const res = await db.query<UserSummaryRow>(
    `SELECT id, name, role, agent_id, disabled, token_expires_at, token_hash LIKE 'revoked:%' AS token_revoked, team
     FROM users WHERE $1::bigint IS NULL OR id = $1 ORDER BY name`,
    [id ?? null],
  )
  return res.rows
}

/** The follow-up team a user is a member of (set from the active follow-up rules). */
export async function userTeam(db: Queryable, userId: number): Promise<string | null> {
  return (
    (await db.query<{ team: string | null }>('SELECT team FROM users WHERE id = $1', [userId])).rows[0]
      ?.team ?? null
  )
}
