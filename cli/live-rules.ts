/**
 * `callqa live-rules load FILE | list | activate KEY`: live rules stored and versioned like
 * scorecards and taxonomies; `callqa serve` uses the active key's newest version (read at start).
 */
import type { Database } from '../db/index.js'
import { activateLiveRules, listLiveRules, saveLiveRules } from '../db/queries/live-rules.js'
import { ConfigError } from '../errors.js'
import { readLiveRulesFile } from '../live/rules.js'
import { formatTable } from './table.js'

export async function runLiveRules(db: Database, args: string[]): Promise<number> {
  const [action, arg, ...extra] = args
  if (extra.length > 0) throw new ConfigError('live-rules takes one FILE or KEY')
  switch (action) {
    case 'load': {
      if (!arg) throw new ConfigError('live-rules load needs a FILE')
      const definition = readLiveRulesFile(arg)
      const { rules, created } = await saveLiveRules(db, definition as never, arg)
      console.log(
        `${rules.key} v${rules.version}: ${created ? 'stored as a new version' : 'unchanged'}${rules.active ? ' (active)' : ''}`,
      )
      return 0
    }
    case 'list': {
      const rows = await listLiveRules(db)
      if (rows.length === 0) console.log('no live rules stored: the built-in ones apply')
      else
        console.log(
          formatTable(
            ['key', 'version', 'active', 'source', 'stored'],
            rows.map((r) => [
              r.key,
              String(r.version),
              r.active ? 'yes' : '',
              r.source ?? '',
              new Date(r.created_at).toISOString(),
            ]),
          ),
        )
      return 0
    }
    case 'activate': {
      if (!arg) throw new ConfigError('live-rules activate needs a KEY')
      if ((await listLiveRules(db)).every((r) => r.key !== arg))
        throw new ConfigError(`no live rules with key ${arg}`)
      const changed = await activateLiveRules(db, arg)
      console.log(`${arg} is active (${changed} row(s) changed); servers use it from their next start`)
      return 0
    }
    default:
      throw new ConfigError('usage: callqa live-rules load FILE | list | activate KEY')
  }
}
