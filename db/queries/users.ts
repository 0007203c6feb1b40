import { createHash, randomBytes } from 'node:crypto'
import type { Queryable } from '../index.js'

export const ROLES = ['admin', 'manager', 'trainer', 'reviewer', 'agent'] as const
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
export async function createUser(
  db: Queryable,
  user: { name: string; role: Role; agentId?: string | null },
): Promise<{ user: UserRow; token: string }> {
  const token = `cqa_${randomBytes(32).toString('base64url')}`
  const res = await db.query<UserRow>(
    `INSERT INTO users (name, role, token_hash, agent_id) VALUES ($1, $2, $3, $4)
     RETURNING id, name, role, agent_id, disabled`,
    [user.name, user.role, hashToken(token), user.role === 'agent' ? (user.agentId ?? user.name) : null],
  )
  return { user: res.rows[0] as UserRow, token }
}

export async function userByToken(db: Queryable, token: string): Promise<UserRow | undefined> {
  const res = await db.query<UserRow>(
    'SELECT id, name, role, agent_id, disabled FROM users WHERE token_hash = $1 AND NOT disabled',
    [hashToken(token)],
  )
  return res.rows[0]
}

export async function userById(db: Queryable, id: number): Promise<UserRow | undefined> {
  const res = await db.query<UserRow>(
    'SELECT id, name, role, agent_id, disabled FROM users WHERE id = $1 AND NOT disabled',
    [id],
  )
  return res.rows[0]
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
