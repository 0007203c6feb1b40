import type { Queryable } from '../index.js'
import { installBuiltinScorecards } from './scorecards.js'
import { installBuiltinTaxonomy } from './taxonomies.js'

/**
 * The built-in scorecards and the starter taxonomy, so a fresh database scores and files calls out
 * of the box (new versions only when a built-in file changed). Returns the scorecard keys stored.
 */
export async function installBuiltins(db: Queryable): Promise<string[]> {
  const cards = await installBuiltinScorecards(db)
  await installBuiltinTaxonomy(db)
  return cards
}
