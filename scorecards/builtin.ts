/** The built-in scorecards a centre starts from (scorecards/builtin/*.yaml). */
import { readdirSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { loadScorecardFile } from './load.js'
import type { ScorecardDefinition } from './schema.js'

export const builtinDir = path.join(path.dirname(fileURLToPath(import.meta.url)), 'builtin')

export function builtinScorecards(): Array<{ file: string; definition: ScorecardDefinition }> {
  return readdirSync(builtinDir)
    .filter((f) => /\.(ya?ml|json)$/.test(f))
    .sort()
    .map((f) => ({ file: `builtin/${f}`, definition: loadScorecardFile(path.join(builtinDir, f)) }))
}
