/**
 * `callqa live-rules load FILE | list | activate KEY`: live rules stored and versioned like
 * scorecards and taxonomies; `callqa serve` uses the active key's newest version (read at start).
 */
import type { Database } from '../db/index.js'
import { readLiveRulesFile } from '../live/rules.js'
import { runVersionedRules } from './versioned-rules.js'

export async function runLiveRules(db: Database, args: string[]): Promise<number> {
  return runVersionedRules(db, args, {
    command: 'live-rules',
    noun: 'live rules',
    table: 'live_rules',
    read: async (file) => readLiveRulesFile(file),
    none: 'no live rules stored: the built-in ones apply',
    activated: 'servers use it from their next start',
  })
}
