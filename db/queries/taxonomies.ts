/**
 * Stored taxonomies: like scorecards, the same content is the same version, new content the next
 * version of its key. One key is active at a time (`activateTaxonomy`); its newest version files
 * calls.
 */
import path from 'node:path'
import { definitionHash } from '../../scorecards/load.js'
import { builtinTaxonomy, builtinTaxonomyFile, type TaxonomyDefinition } from '../../topics/taxonomy.js'
import type { Queryable } from '../index.js'

export interface TaxonomyRow {
  id: number
  key: string
  version: number
  name: string
  definition: TaxonomyDefinition
  active: boolean
  source: string | null
  created_at: string
}

const COLUMNS = 'id, key, version, name, definition, active, source, created_at'

export async function saveTaxonomy(
  db: Queryable,
  definition: TaxonomyDefinition,
  source: string | null,
): Promise<{ taxonomy: TaxonomyRow; created: boolean }> {
  const sha = definitionHash(definition as never)
  const find = async () =>
    (
      await db.query<TaxonomyRow>(
        `SELECT ${COLUMNS} FROM taxonomies WHERE key = $1 AND definition_sha256 = $2`,
        [definition.key, sha],
      )
    ).rows[0]
  const existing = await find()
  if (existing) return { taxonomy: existing, created: false }
  const inserted = await db.query<TaxonomyRow>(
    `INSERT INTO taxonomies (key, version, name, definition, definition_sha256, source, active)
     SELECT $1, coalesce(max(version), 0) + 1, $2, $3::jsonb, $4, $5,
            -- a new version keeps its key's standing; a new key files calls only if nothing does
            coalesce((SELECT active FROM taxonomies WHERE key = $1 ORDER BY version DESC LIMIT 1),
                     NOT EXISTS (SELECT 1 FROM taxonomies WHERE active))
     FROM taxonomies WHERE key = $1
     ON CONFLICT DO NOTHING
     RETURNING ${COLUMNS}`,
    [definition.key, definition.name, JSON.stringify(definition), sha, source],
  )
  const row = inserted.rows[0]
  if (row) return { taxonomy: row, created: true }
  // Another process stored the same content at the same moment.
  return { taxonomy: (await find()) as TaxonomyRow, created: false }
}

/** The taxonomy that files calls: the newest version of the active key (one key is active at a time). */
export async function activeTaxonomy(db: Queryable): Promise<TaxonomyRow | undefined> {
  const res = await db.query<TaxonomyRow>(
    `SELECT ${COLUMNS} FROM taxonomies t
     WHERE active AND version = (SELECT max(version) FROM taxonomies WHERE key = t.key)
     ORDER BY id DESC LIMIT 1`,
  )
  return res.rows[0]
}

export async function listTaxonomies(db: Queryable): Promise<Array<TaxonomyRow & { calls: number }>> {
  const res = await db.query<TaxonomyRow & { calls: number }>(
    `SELECT ${COLUMNS.split(', ')
      .map((c) => `t.${c}`)
      .join(', ')},
       (SELECT count(*) FROM call_insights i WHERE i.taxonomy_id = t.id)::int AS calls
     FROM taxonomies t ORDER BY t.key, t.version`,
  )
  return res.rows
}

/** Makes `key` the one that files calls (every other key inactive). */
export async function activateTaxonomy(db: Queryable, key: string): Promise<number> {
  const res = await db.query('UPDATE taxonomies SET active = (key = $1) WHERE active OR key = $1', [key])
  return res.rowCount
}

/** Stores the starter taxonomy; it files calls unless a centre's own key was activated. */
export async function installBuiltinTaxonomy(db: Queryable): Promise<TaxonomyRow> {
  const { taxonomy } = await saveTaxonomy(
    db,
    builtinTaxonomy(),
    `builtin/${path.basename(builtinTaxonomyFile)}`,
  )
  return taxonomy
}
