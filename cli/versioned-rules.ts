/**
 * `load FILE | list | activate KEY` for rules stored in versions (live rules, follow-up rules):
 * the same content is the same version, a change the next; one key is active.
 */
import type { Database, Queryable } from '../db/index.js'
import { activateRules, listRules, type RulesTable, saveRules } from '../db/queries/versioned-rules.js'
import { ConfigError } from '../errors.js'
import { formatTable } from './table.js'

export async function runVersionedRules(
  db: Database,
  args: string[],
  how: {
    command: string
    /** what the rules are called in messages: "live rules", "follow-up rules" */
    noun: string
    table: RulesTable
    /** the file's checked content (errors name file:line:col) */
    read: (file: string) => Promise<{ key: string }>
    none: string
    activated: string
    /** after a key became active (or its active key a new version), in the same transaction */
    onActive?: (tx: Queryable, key: string) => Promise<void>
  },
): Promise<number> {
  const [action, arg, ...extra] = args
  const usage = `usage: callqa ${how.command} load FILE | list | activate KEY`
  if (extra.length > 0) throw new ConfigError(`${how.command} takes one FILE or KEY`)
  switch (action) {
    case 'load': {
      if (!arg) throw new ConfigError(`${how.command} load needs a FILE`)
      const definition = await how.read(arg)
      const { rules, created } = await db.withTransaction(async (tx) => {
        const saved = await saveRules(tx, how.table, definition as never, arg)
        if (saved.rules.active) await how.onActive?.(tx, saved.rules.key)
        return saved
      })
      console.log(
        `${rules.key} v${rules.version}: ${created ? 'stored as a new version' : 'unchanged'}${rules.active ? ' (active)' : ''}`,
      )
      return 0
    }
    case 'list': {
      const rows = await listRules(db, how.table)
      if (rows.length === 0) console.log(how.none)
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
      if (!arg) throw new ConfigError(`${how.command} activate needs a KEY`)
      if ((await listRules(db, how.table)).every((r) => r.key !== arg))
        throw new ConfigError(`no ${how.noun} with key ${arg}`)
      const changed = await db.withTransaction(async (tx) => {
        const n = await activateRules(tx, how.table, arg)
        await how.onActive?.(tx, arg)
        return n
      })
      console.log(`${arg} is active (${changed} row(s) changed); ${how.activated}`)
      return 0
    }
    default:
      throw new ConfigError(usage)
  }
}
