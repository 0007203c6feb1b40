/**
 * Rules stored and versioned like taxonomies (live rules, migration 000022; follow-up rules,
 * 000023): the same content is the same version, new content the next version of its key; one
 * key is active at a time. `table` is one of the two tables named here, never user input.
 */
import { createHash } from 'node:crypto'
import type { Queryable } from '../index.js'

export type RulesTable = 'live_rules' | 'follow_up_rules'

export interface RulesRow {
  id: number
  key: string
  version: number
  definition: Record<string, unknown>
  active: boolean
  source: string | null
  created_at: string
}

const COLUMNS = 'id, key, version, definition, active, source, created_at'

export async function saveRules(
  db: Queryable,
  table: RulesTable,
  definition: { key: string } & Record<string, unknown>,
  source: string | null,
): Promise<{ rules: RulesRow; created: boolean }> {
  const sha = createHash('sha256').update(JSON.stringify(definition)).digest('hex')
  const find = async () =>
    (
      await db.query<RulesRow>(`SELECT ${COLUMNS} FROM ${table} WHERE key = $1 AND definition_sha256 = $2`, [
        definition.key,
        sha,
      ])
    ).rows[0]
  const existing = await find()
  if (existing) return { rules: existing, created: false }
  const inserted = await db.query<RulesRow>(
    `INSERT INTO ${table} (key, version, definition, definition_sha256, source, active)
     SELECT $1, coalesce(max(version), 0) + 1, $2::jsonb, $3, $4,
            -- a new version keeps its key's standing; a first key is active at once
            coalesce((SELECT active FROM ${table} WHERE key = $1 ORDER BY version DESC LIMIT 1),
                     NOT EXISTS (SELECT 1 FROM ${table} WHERE active))
     FROM ${table} WHERE key = $1
     ON CONFLICT DO NOTHING
     RETURNING ${COLUMNS}`,
    [definition.key, JSON.stringify(definition), sha, source],
  )
  const row = inserted.rows[0]
  if (row) return { rules: row, created: true }
  return { rules: (await find()) as RulesRow, created: false }
}

/** The newest version of the active key. */
export async function activeRules(db: Queryable, table: RulesTable): Promise<RulesRow | undefined> {
  const res = await db.query<RulesRow>(
    `SELECT ${COLUMNS} FROM ${table} r
     WHERE active AND version = (SELECT max(version) FROM ${table} WHERE key = r.key)
     ORDER BY id DESC LIMIT 1`,
  )
  return res.rows[0]
}

export async function rulesById(db: Queryable, table: RulesTable, id: number): Promise<RulesRow | undefined> {
  return (await db.query<RulesRow>(`SELECT ${COLUMNS} FROM ${table} WHERE id = $1`, [id])).rows[0]
}

export async function listRules(db: Queryable, table: RulesTable): Promise<RulesRow[]> {
  return (await db.query<RulesRow>(`SELECT ${COLUMNS} FROM ${table} ORDER BY key, version`)).rows
}

/** Makes `key` the active one (every other key inactive); how many rows changed. */
export async function activateRules(db: Queryable, table: RulesTable, key: string): Promise<number> {
  const res = await db.query(`UPDATE ${table} SET active = (key = $1) WHERE active OR key = $1`, [key])
  return res.rowCount
}
