/**
 * Scorecards on stored calls, without decoding anything: the evaluator reads the stored segments,
 * utterances and metrics. Used after each call's analysis (inside its transaction), by
 * `callqa rescore` to try a new card version on history, and by `callqa scorecard test`.
 */
import type { Database, Queryable } from '../db/index.js'
import { daysOfCalls, refreshDailyStats } from '../db/queries/daily-stats.js'
import {
  activeScorecards,
  loadCallFacts,
  saveAutoEvaluation,
  saveAutoEvaluations,
} from '../db/queries/scorecards.js'
import { type CallFacts, cardApplies, type EvaluationResult, evaluate } from '../scorecards/evaluate.js'
import type { ScorecardDefinition } from '../scorecards/schema.js'

/**
 * Evaluates every active scorecard whose filter admits the call; returns how many applied.
 * `facts`: the call's facts when the caller has loaded them already.
 */
export async function evaluateCall(db: Queryable, callId: number, facts?: CallFacts): Promise<number> {
  const cards = await activeScorecards(db)
  if (cards.length === 0) return 0
  facts ??= (await loadCallFacts(db, [callId])).get(callId)
  if (!facts) return 0
  let applied = 0
  for (const card of cards) {
    if (!cardApplies(card.definition, facts)) continue
    await saveAutoEvaluation(db, callId, card.id, evaluate(card.definition, facts))
    applied++
  }
  return applied
}

/** Done calls, oldest first, optionally only those started (or ingested) since a date. */
async function callIdsAfter(db: Queryable, afterId: number, limit: number, since?: Date): Promise<number[]> {
  const res = await db.query<{ id: number }>(
    `SELECT id FROM calls WHERE status = 'done' AND id > $1
       AND ($3::timestamptz IS NULL OR coalesce(started_at, created_at) >= $3)
     ORDER BY id LIMIT $2`,
    [afterId, limit, since?.toISOString() ?? null],
  )
  return res.rows.map((r) => r.id)
}

export interface RescoreReport {
  calls: number
  evaluated: number
  skipped: number
  elapsedMs: number
}

/**
 * Evaluates `scorecard` (a stored version) on every done call it applies to, replacing that
 * version's automatic evaluations; one transaction per batch.
 */
export async function rescore({
  db,
  scorecard,
  since,
  batchSize = 500,
  onBatch,
}: {
  db: Database
  scorecard: { id: number; definition: ScorecardDefinition }
  since?: Date
  batchSize?: number
  onBatch?: (report: RescoreReport) => void
}): Promise<RescoreReport> {
  const began = Date.now()
  const report: RescoreReport = { calls: 0, evaluated: 0, skipped: 0, elapsedMs: 0 }
  let after = 0
  for (;;) {
    const ids = await callIdsAfter(db, after, batchSize, since)
    if (ids.length === 0) break
    after = ids[ids.length - 1] as number
    await db.withTransaction(async (tx) => {
      const facts = await loadCallFacts(tx, ids)
      const results: Array<{ callId: number; result: EvaluationResult }> = []
      for (const id of ids) {
        const f = facts.get(id)
        report.calls++
        if (!f || !cardApplies(scorecard.definition, f)) {
          report.skipped++
          continue
        }
        results.push({ callId: id, result: evaluate(scorecard.definition, f) })
      }
      await saveAutoEvaluations(tx, scorecard.id, results)
      await refreshDailyStats(
        tx,
        await daysOfCalls(
          tx,
          results.map((r) => r.callId),
        ),
      )
      report.evaluated += results.length
    })
    report.elapsedMs = Date.now() - began
    onBatch?.({ ...report })
  }
  report.elapsedMs = Date.now() - began
  return report
}

/** Per-item tallies of a card over calls, with a few examples of each answer; nothing stored. */
export interface ItemTally {
  section: string
  key: string
  label: string
  pass: number
  fail: number
  na: number
  pending: number
  examples: Array<{ callId: number; result: string; evidence: string }>
}

export async function trialScorecard({
  db,
  definition,
  callIds,
  examples = 3,
}: {
  db: Queryable
  definition: ScorecardDefinition
  callIds: readonly number[]
  examples?: number
}): Promise<{ applied: number; notApplicable: number; passed: number; items: ItemTally[] }> {
  const tallies = new Map<string, ItemTally>()
  let applied = 0
  let notApplicable = 0
  let passed = 0
  for (let start = 0; start < callIds.length; start += 500) {
    const batch = callIds.slice(start, start + 500)
    const facts = await loadCallFacts(db, batch)
    for (const id of batch) {
      const f = facts.get(id)
      if (!f || !cardApplies(definition, f)) {
        notApplicable++
        continue
      }
      applied++
      const result: EvaluationResult = evaluate(definition, f)
      if (result.passed) passed++
      for (const item of result.items) {
        const tally = tallies.get(item.key) ?? {
          section: item.section,
          key: item.key,
          label: item.label,
          pass: 0,
          fail: 0,
          na: 0,
          pending: 0,
          examples: [],
        }
        tally[item.result]++
        const sameKind = tally.examples.filter((e) => e.result === item.result).length
        if (sameKind < examples && (item.result === 'pass' || item.result === 'fail')) {
          const e = item.evidence[0]
          const said =
            e?.type === 'phrase'
              ? `${(e.start_ms / 1000).toFixed(1)}s ${e.speaker}: "${e.text}"`
              : e?.type === 'metric'
                ? `${e.metric} = ${e.value} (${e.op} ${e.threshold})`
                : e?.type === 'sentiment'
                  ? `customer sentiment ${e.start} → ${e.end}`
                  : 'not said'
          tally.examples.push({ callId: id, result: item.result, evidence: said })
        }
        tallies.set(item.key, tally)
      }
    }
  }
  return { applied, notApplicable, passed, items: [...tallies.values()] }
}
