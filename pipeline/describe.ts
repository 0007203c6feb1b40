/**
 * What a call is about, worked out from what is stored (no audio decoded): its category paths
 * under the active taxonomy, its urgency, an extractive summary and the agent's conduct. Run
 * inside each call's analysis transaction after the scorecards, and by `callqa rescore
 * --taxonomy` (and a promotion) over history.
 *
 * Only a trusted transcript is read: no transcript, or local recognition below its confidence
 * threshold, gets no category, no urgency and no summary, with the reason.
 */
import type { Database, Queryable } from '../db/index.js'
import { loadCallFacts } from '../db/queries/scorecards.js'
import { activeTaxonomy, type TaxonomyRow } from '../db/queries/taxonomies.js'
import { type CallDescription, repeatContacts, saveDescriptions } from '../db/queries/topics.js'
import type { CallFacts } from '../scorecards/evaluate.js'
import { classify } from '../topics/classify.js'
import { detectConduct } from '../topics/conduct.js'
import { summarize } from '../topics/summary.js'
import { assessUrgency, type RepeatContact } from '../topics/urgency.js'

export function describe(
  taxonomy: TaxonomyRow['definition'],
  facts: CallFacts,
  repeat: RepeatContact | null,
  callId: number,
): CallDescription {
  const call = { durationMs: facts.durationMs, direction: facts.direction, utterances: facts.utterances }
  if (!facts.hasTranscript || facts.transcriptTrusted === false) {
    const note = !facts.hasTranscript
      ? 'no transcript'
      : `low-confidence speech recognition${facts.transcriptConfidence != null ? ` (confidence ${facts.transcriptConfidence.toFixed(2)})` : ''}: nothing is derived from its text`
    return {
      callId,
      categories: [],
      urgency: null,
      summary: null,
      summaryNote: note,
      conduct: { flags: [], agent_trend: null },
    }
  }
  const categories = classify(taxonomy, call)
  return {
    callId,
    categories,
    urgency: assessUrgency(taxonomy, call, categories, repeat),
    summary: summarize(call, categories),
    summaryNote: null,
    conduct: detectConduct(call),
  }
}

/**
 * Describes these calls under `taxonomy` (default: the active one) and stores it; returns how many.
 * `facts`: the calls' facts when the caller has loaded them already.
 */
export async function describeCalls(
  db: Queryable,
  callIds: readonly number[],
  { taxonomy, facts: loaded }: { taxonomy?: TaxonomyRow; facts?: ReadonlyMap<number, CallFacts> } = {},
): Promise<number> {
  const tax = taxonomy ?? (await activeTaxonomy(db))
  if (!tax || callIds.length === 0) return 0
  const facts = loaded ?? (await loadCallFacts(db, callIds))
  const repeats = await repeatContacts(db, callIds, tax.definition.repeat_contact_days ?? 7)
  const rows: CallDescription[] = []
  for (const id of callIds) {
    const f = facts.get(id)
    if (f) rows.push(describe(tax.definition, f, repeats.get(id) ?? null, id))
  }
  await saveDescriptions(db, tax.id, rows)
  return rows.length
}

/**
 * Files every done call (optionally only those since a date) under `taxonomy` again: after a new
 * taxonomy version or a promoted topic. One transaction per batch.
 */
export async function reclassify({
  db,
  taxonomy,
  since,
  batchSize = 500,
  onlyStale = false,
  onBatch,
  stopped,
}: {
  db: Database
  taxonomy: TaxonomyRow
  since?: Date
  /** only calls never filed or filed under another taxonomy version */
  onlyStale?: boolean
  batchSize?: number
  onBatch?: (done: number) => unknown
  /** asked before each batch: true ends the run early (what is left stays stale) */
  stopped?: () => boolean
}): Promise<{ calls: number; elapsedMs: number }> {
  const began = Date.now()
  let after = 0
  let calls = 0
  for (;;) {
    if (stopped?.()) break
    const res = await db.query<{ id: number }>(
      `SELECT c.id FROM calls c WHERE c.status = 'done' AND c.id > $1
         AND ($3::timestamptz IS NULL OR coalesce(c.started_at, c.created_at) >= $3)
         AND (NOT $4::boolean OR NOT EXISTS (
               SELECT 1 FROM call_insights i WHERE i.call_id = c.id AND i.taxonomy_id = $5))
       ORDER BY c.id LIMIT $2`,
      [after, batchSize, since?.toISOString() ?? null, onlyStale, taxonomy.id],
    )
    const ids = res.rows.map((r) => r.id)
    if (ids.length === 0) break
    after = ids[ids.length - 1] as number
    calls += await db.withTransaction((tx) => describeCalls(tx, ids, { taxonomy }))
    await onBatch?.(calls)
  }
  return { calls, elapsedMs: Date.now() - began }
}
