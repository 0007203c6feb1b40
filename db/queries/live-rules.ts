/**
 * Stored live rules (migration 000022): versioned like taxonomies — the same content is the same
 * version, new content the next version of its key; one key is active at a time.
 */
import { createHash } from 'node:crypto'
import type { Queryable } from '../index.js'

export interface LiveRulesRow {
  id: number
  key: string
  version: number
  definition: Record<string, unknown>
  active: boolean
  source: string | null
  created_at: string
}

const COLUMNS = 'id, key, version, definition, active, source, created_at'

export async function saveLiveRules(
  db: Queryable,
  definition: { key: string } & Record<string, unknown>,
  source: string | null,
): Promise<{ rules: LiveRulesRow; created: boolean }> {
  const sha = createHash('sha256').update(JSON.stringify(definition)).digest('hex')
  const find = async () =>
    (
      await db.query<LiveRulesRow>(
        `SELECT ${COLUMNS} FROM live_rules WHERE key = $1 AND definition_sha256 = $2`,
        [definition.key, sha],
      )
    ).rows[0]
  const existing = await find()
  if (existing) return { rules: existing, created: false }
  const inserted = await db.query<LiveRulesRow>(
    `INSERT INTO live_rules (key, version, definition, definition_sha256, source, active)
     SELECT $1, coalesce(max(version), 0) + 1, $2::jsonb, $3, $4,
            -- a new version keeps its key's standing; a first key is active at once
            coalesce((SELECT active FROM live_rules WHERE key = $1 ORDER BY version DESC LIMIT 1),
                     NOT EXISTS (SELECT 1 FROM live_rules WHERE active))
     FROM live_rules WHERE key = $1
     ON CONFLICT DO NOTHING
     RETURNING ${COLUMNS}`,
    [definition.key, JSON.stringify(definition), sha, source],
  )
  const row = inserted.rows[0]
  if (row) return { rules: row, created: true }
  return { rules: (await find()) as LiveRulesRow, created: false }
}

/** The newest version of the active key. */
export async function activeLiveRules(db: Queryable): Promise<LiveRulesRow | undefined> {
  const res = await db.query<LiveRulesRow>(
    `SELECT ${COLUMNS} FROM live_rules r
     WHERE active AND version = (SELECT max(version) FROM live_rules WHERE key = r.key)
     ORDER BY id DESC LIMIT 1`,
  )
  return res.rows[0]
}

export async function listLiveRules(db: Queryable): Promise<LiveRulesRow[]> {
  return (await db.query<LiveRulesRow>(`SELECT ${COLUMNS} FROM live_rules ORDER BY key, version`)).rows
}

/** Makes `key` the one live calls use (every other key inactive); how many rows changed. */
export async function activateLiveRules(db: Queryable, key: string): Promise<number> {
  const res = await db.query('UPDATE live_rules SET active = (key = $1) WHERE active OR key = $1', [key])
  return res.rowCount
}
