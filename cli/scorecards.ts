/**
 * `callqa scorecard load|list|test|activate|deactivate` and `callqa rescore`.
 */
import type { Database } from '../db/index.js'
import {
  latestScorecard,
  listScorecards,
  saveScorecard,
  setScorecardActive,
} from '../db/queries/scorecards.js'
import { ConfigError } from '../errors.js'
import { rescore, trialScorecard } from '../pipeline/rescore.js'
import { loadScorecardFile } from '../scorecards/load.js'
import { formatTable } from './table.js'
import { refileCalls } from './topics.js'

function parseSince(value: unknown): Date | undefined {
  if (value === undefined) return undefined
  const date = new Date(String(value))
  if (Number.isNaN(date.getTime()))
    throw new ConfigError(`--since must be a date (YYYY-MM-DD), got "${String(value)}"`)
  return date
}

async function callIdsFor(
  db: Database,
  calls: string | undefined,
  since: Date | undefined,
): Promise<number[]> {
  if (calls && calls !== 'all') {
    const ids = calls.split(',').map((s) => Number(s.trim()))
    if (ids.some((n) => !Number.isInteger(n) || n < 1))
      throw new ConfigError(`--calls takes "all" or call ids separated by commas, got "${calls}"`)
    return ids
  }
  const res = await db.query<{ id: number }>(
    `SELECT id FROM calls WHERE status = 'done'
       AND ($1::timestamptz IS NULL OR coalesce(started_at, created_at) >= $1) ORDER BY id`,
    [since?.toISOString() ?? null],
  )
  return res.rows.map((r) => r.id)
}

export async function runScorecard(
  db: Database,
  args: string[],
  flags: Record<string, unknown>,
): Promise<number> {
  const [action, ...rest] = args
  switch (action) {
    case 'load': {
      if (rest.length === 0) throw new ConfigError('scorecard load needs at least one FILE')
      // Validate every file before storing any, so a bad file stores nothing.
      const cards = rest.map((file) => ({ file, definition: loadScorecardFile(file) }))
      for (const { file, definition } of cards) {
        const { scorecard, created } = await saveScorecard(db, definition, file)
        console.log(
          `${scorecard.key} v${scorecard.version}: ${created ? 'stored as a new version' : 'unchanged'} (${file})`,
        )
      }
      return 0
    }
    case 'list': {
      const rows = await listScorecards(db)
      console.log(
        formatTable(
          ['key', 'version', 'name', 'mode', 'active', 'evaluations', 'source'],
          rows.map((r) => [
            r.key,
            String(r.version),
            r.name,
            r.definition.mode,
            r.active ? 'yes' : 'no',
            String(r.evaluations),
            r.source ?? '',
          ]),
        ),
      )
      return 0
    }
    case 'activate':
    case 'deactivate': {
      const key = rest[0]
      if (!key || rest.length > 1) throw new ConfigError(`scorecard ${action} takes one KEY`)
      const changed = await setScorecardActive(db, key, action === 'activate')
      if (changed === 0) throw new ConfigError(`there is no scorecard "${key}"`)
      console.log(`${key}: ${action}d`)
      return 0
    }
    case 'test': {
      const file = rest[0]
      if (!file || rest.length > 1)
        throw new ConfigError('scorecard test takes one FILE (and --calls all|ID,…)')
      const definition = loadScorecardFile(file)
      const ids = await callIdsFor(db, flags.calls as string | undefined, parseSince(flags.since))
      const trial = await trialScorecard({ db, definition, callIds: ids })
      console.log(
        `${definition.key}: applies to ${trial.applied} of ${ids.length} calls (filter), passed ${trial.passed}; nothing stored\n`,
      )
      console.log(
        formatTable(
          ['item', 'pass', 'fail', 'n/a', 'pending', 'examples (call: evidence)'],
          trial.items.map((t) => [
            `${t.section}/${t.key}`,
            String(t.pass),
            String(t.fail),
            String(t.na),
            String(t.pending),
            t.examples.map((e) => `${e.result} #${e.callId}: ${e.evidence}`).join(' | '),
          ]),
        ),
      )
      return 0
    }
    default:
      throw new ConfigError('scorecard takes load FILE…, list, test FILE, activate KEY or deactivate KEY')
  }
}

/**
 * `callqa rescore [--scorecard KEY] [--taxonomy] [--since DATE]`: evaluates a card's newest
 * version on stored calls, and files again the calls the active taxonomy has not filed (all of
 * them with --taxonomy).
 */
export async function runRescore(db: Database, flags: Record<string, unknown>): Promise<number> {
  const since = flags.since !== undefined ? parseSince(flags.since) : undefined
  const key = flags.scorecard
  if (key === undefined) {
    await refileCalls(db, flags.taxonomy === true, since)
    return 0
  }
  if (typeof key !== 'string' || key === '')
    throw new ConfigError('rescore needs --scorecard KEY or --taxonomy')
  const scorecard = await latestScorecard(db, key)
  if (!scorecard)
    throw new ConfigError(`there is no scorecard "${key}" (load it with callqa scorecard load FILE)`)
  const report = await rescore({
    db,
    scorecard,
    ...(flags.since !== undefined ? { since: parseSince(flags.since) as Date } : {}),
    onBatch: (r) => console.error(`  ${r.calls} calls read, ${r.evaluated} evaluated`),
  })
  const perMinute = report.elapsedMs > 0 ? Math.round((report.evaluated / report.elapsedMs) * 60_000) : 0
  console.log(
    `${key} v${scorecard.version}: ${report.evaluated} calls evaluated, ${report.skipped} outside its filter, ` +
      `in ${(report.elapsedMs / 1000).toFixed(1)} s (${perMinute.toLocaleString('en-US')} calls per minute)`,
  )
  await refileCalls(db, flags.taxonomy === true, since)
  return 0
}
