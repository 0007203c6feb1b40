/**
 * `callqa taxonomy add|list|activate`, the taxonomy half of `callqa rescore`, and
 * `callqa report top-issues|emerging`.
 */

import { toCsv } from '../api/routes/trends.js'
import type { Database } from '../db/index.js'
import { activateTaxonomy, activeTaxonomy, listTaxonomies, saveTaxonomy } from '../db/queries/taxonomies.js'
import { ConfigError } from '../errors.js'
import { reclassify } from '../pipeline/describe.js'
import { emergingTopics, topIssuesReport } from '../review/topics.js'
import { loadTaxonomyFile } from '../topics/taxonomy.js'
import { formatTable } from './table.js'

export async function runTaxonomy(db: Database, args: string[]): Promise<number> {
  const [action, ...rest] = args
  switch (action) {
    case 'add': {
      const file = rest[0]
      if (!file || rest.length > 1) throw new ConfigError('taxonomy add takes one FILE')
      const definition = loadTaxonomyFile(file)
      const { taxonomy, created } = await saveTaxonomy(db, definition, file)
      await activateTaxonomy(db, taxonomy.key)
      console.log(
        `${taxonomy.key} v${taxonomy.version}: ${created ? 'stored as a new version' : 'unchanged'}, files new calls from now on` +
          ' (callqa rescore files the calls already stored)',
      )
      return 0
    }
    case 'list': {
      const rows = await listTaxonomies(db)
      console.log(
        formatTable(
          ['key', 'version', 'name', 'active', 'calls filed', 'source'],
          rows.map((r) => [
            r.key,
            String(r.version),
            r.name,
            r.active ? 'yes' : 'no',
            String(r.calls),
            r.source ?? '',
          ]),
        ),
      )
      return 0
    }
    case 'activate': {
      const key = rest[0]
      if (!key || rest.length > 1) throw new ConfigError('taxonomy activate takes one KEY')
      if ((await activateTaxonomy(db, key)) === 0 || (await activeTaxonomy(db))?.key !== key)
        throw new ConfigError(`there is no taxonomy "${key}"`)
      console.log(`${key}: files calls from now on (callqa rescore files the calls already stored)`)
      return 0
    }
    default:
      throw new ConfigError('taxonomy takes add FILE, list or activate KEY')
  }
}

/** Files calls under the active taxonomy again: those filed under another version, or all of them. */
export async function refileCalls(db: Database, all: boolean, since: Date | undefined): Promise<void> {
  const taxonomy = await activeTaxonomy(db)
  if (!taxonomy) return
  const report = await reclassify({
    db,
    taxonomy,
    ...(since ? { since } : {}),
    onlyStale: !all,
    onBatch: (n) => console.error(`  ${n} calls filed`),
  })
  console.log(
    `taxonomy ${taxonomy.key} v${taxonomy.version}: ${report.calls} calls filed again` +
      `${all ? '' : ' (those filed under another version or never)'} in ${(report.elapsedMs / 1000).toFixed(1)} s`,
  )
}

export async function runReport(
  db: Database,
  args: string[],
  flags: Record<string, unknown>,
): Promise<number> {
  const [kind, ...rest] = args
  if (rest.length > 0) throw new ConfigError(`report ${kind} takes flags only`)
  const month = flags.month as string | undefined
  if (!month) throw new ConfigError('report needs --month YYYY-MM')
  if (kind === 'top-issues') {
    const level = flags.level === undefined ? 2 : Number(flags.level)
    if (![1, 2, 3].includes(level)) throw new ConfigError('--level is 1, 2 or 3')
    const report = await topIssuesReport(db, { month, level })
    if (flags.csv) {
      process.stdout.write(
        toCsv(
          report.items.map(({ path: _, example_calls, ...r }) => ({
            ...r,
            example_calls: example_calls.join(' '),
          })),
        ),
      )
      return 0
    }
    console.log(
      `TOP issues ${month} (taxonomy ${report.taxonomy.key} v${report.taxonomy.version}, level ${level}): ` +
        `${report.total_calls} calls, previous month ${report.previous_total_calls}\n`,
    )
    const num = (x: number | null, d = 2) =>
      x === null ? '-' : (Math.abs(x) < 0.5 * 10 ** -d ? 0 : x).toFixed(d)
    console.log(
      formatTable(
        [
          '#',
          'category',
          'calls',
          'change',
          'csat',
          'sentiment',
          'complaints',
          'aht',
          'P0-P1',
          'follow-ups',
          'resolved',
          'kept',
          'examples',
        ],
        report.items.map((r) => [
          String(r.rank),
          r.label,
          String(r.calls),
          `${r.change >= 0 ? '+' : ''}${r.change}${r.change_pct === null ? '' : ` (${Math.round(r.change_pct * 100)}%)`}`,
          num(r.csat),
          num(r.customer_sentiment),
          `${Math.round(r.complaint_rate * 100)}%`,
          r.aht_ms === null ? '-' : `${(r.aht_ms / 1000).toFixed(0)} s`,
          String(r.urgent_calls),
          String(r.follow_ups),
          r.follow_ups_resolved_rate === null ? '-' : `${Math.round(r.follow_ups_resolved_rate * 100)}%`,
          r.promises_kept_rate === null ? '-' : `${Math.round(r.promises_kept_rate * 100)}%`,
          r.example_calls.map((id) => `#${id}`).join(' '),
        ]),
      ),
    )
    return 0
  }
  if (kind === 'emerging') {
    const found = await emergingTopics(db, { month })
    console.log(`${found.unfiled_calls} of ${found.calls} calls in ${month} not filed by the taxonomy\n`)
    console.log(
      formatTable(
        ['topic', 'calls', 'phrases', 'examples'],
        found.items.map((t) => [
          t.label,
          String(t.calls.length),
          t.phrases.map((p) => p.phrase).join(', '),
          t.examples.map((id) => `#${id}`).join(' '),
        ]),
      ),
    )
    return 0
  }
  throw new ConfigError('report takes top-issues or emerging')
}
