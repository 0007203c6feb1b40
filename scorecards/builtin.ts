/** The built-in scorecards a centre starts from (scorecards/builtin/*.yaml). */
import { readdirSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import type { Queryable } from '../db/index.js'
import { saveScorecard } from '../db/queries/scorecards.js'
import { loadScorecardFile } from './load.js'
import type { ScorecardDefinition } from './schema.js'

export const builtinDir = path.join(path.dirname(fileURLToPath(import.meta.url)), 'builtin')

export function builtinScorecards(): Array<{ file: string; definition: ScorecardDefinition }> {
  return readdirSync(builtinDir)
    .filter((f) => /\.(ya?ml|json)$/.test(f))
    .sort()
    .map((f) => ({ file: `builtin/${f}`, definition: loadScorecardFile(path.join(builtinDir, f)) }))
}

/**
 * Stores the built-in cards (a new version only where a file changed), so a fresh database
 * evaluates calls out of the box. Returns the keys that got a new version.
 */
export async function installBuiltinScorecards(db: Queryable): Promise<string[]> {
  const created: string[] = []
  for (const { file, definition } of builtinScorecards()) {
    const saved = await saveScorecard(db, definition, file)
    if (saved.created) created.push(`${definition.key} v${saved.scorecard.version}`)
  }
  return created
}
