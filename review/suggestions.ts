/**
 * Coaching suggestions: candidate clips a trainer may cut. A recovery (the customer low at the
 * start, high at the end), clipped from a little before the customer's lowest moment to their first
 * good turn after it; or examples of a scorecard item done badly or well, clipped around the
 * item's timed evidence, else where the card looks for it. Reads only; nothing is stored.
 */
import type { Queryable } from '../db/index.js'
import { customerTurns, itemExamples, recoveryCandidates } from '../db/queries/clips.js'
import { latestScorecard } from '../db/queries/scorecards.js'
import { ValidationError } from '../errors.js'
import type { ScorecardDefinition } from '../scorecards/schema.js'
import { findItem, itemWindow } from './coaching.js'

export interface SuggestionQuery {
  kind: 'recovery' | 'failed_item' | 'passed_item'
  scorecard?: string | undefined
  item?: string | undefined
  start_max?: number | undefined
  end_min?: number | undefined
  limit?: number | undefined
}

export async function suggestClips(db: Queryable, q: SuggestionQuery) {
  const limit = q.limit ?? 10
  if (q.kind === 'recovery') {
    const calls = await recoveryCandidates(db, q.start_max ?? -0.1, q.end_min ?? 0.1, limit)
    // Every candidate's customer turns in one query (not one query per call).
    const turns = await customerTurns(
      db,
      calls.map((c) => c.id),
    )
    const turnsOf = new Map<number, typeof turns>()
    for (const t of turns) turnsOf.set(t.call_id, [...(turnsOf.get(t.call_id) ?? []), t])
    const out = []
    for (const call of calls) {
      // From a little before the customer's lowest moment to the end of their first good one after it.
      const scored = (turnsOf.get(call.id) ?? []).filter((t) => t.sentiment !== null)
      const low = scored.reduce<(typeof scored)[number] | undefined>(
        (best, t) => (best === undefined || (t.sentiment as number) < (best.sentiment as number) ? t : best),
        undefined,
      )
      const start = Math.max(0, (low?.start_ms ?? 0) - 2000)
      const good = scored.find(
        (t) => t.start_ms > (low?.start_ms ?? 0) && (t.sentiment as number) >= (q.end_min ?? 0.1),
      )
      const end = Math.min(call.duration_ms, (good ?? scored.at(-1))?.end_ms ?? call.duration_ms)
      out.push({
        call_id: call.id,
        agent_id: call.agent_id,
        start_ms: start,
        end_ms: end > start ? end : call.duration_ms,
        title: `Recovery: customer ${call.start.toFixed(2)} → ${call.end.toFixed(2)}`,
        why: `customer sentiment rose from ${call.start.toFixed(2)} at the start to ${call.end.toFixed(2)} at the end`,
        scorecard_key: null,
        item_key: null,
        polarity: 'good' as const,
        score: Math.round((call.end - call.start) * 1000) / 1000,
      })
    }
    return out
  }
  if (!q.scorecard || !q.item) throw new ValidationError(`${q.kind} suggestions need scorecard and item`)
  const card = await latestScorecard(db, q.scorecard)
  if (!card) throw new ValidationError(`no scorecard "${q.scorecard}"`)
  const item = findItem(card.definition as ScorecardDefinition, q.item)
  if (!item) throw new ValidationError(`scorecard "${q.scorecard}" has no item "${q.item}"`)
  const result = q.kind === 'failed_item' ? 'fail' : 'pass'
  // Automatic evaluations on the card's newest version; with timed evidence first, then the
  // calls whose score is furthest from the item's result (the clearest examples).
  const rows = await itemExamples(db, card.id, q.item, result, limit)
  return rows.map((r) => {
    const timed = r.evidence.filter(
      (x): x is typeof x & { start_ms: number; end_ms: number } =>
        typeof x.start_ms === 'number' && typeof x.end_ms === 'number',
    )
    const [start, end] = timed.length
      ? [
          Math.max(0, (timed[0] as { start_ms: number }).start_ms - 2000),
          Math.min(r.duration_ms, (timed[0] as { end_ms: number }).end_ms + 2000),
        ]
      : itemWindow(item, r.duration_ms)
    const first = timed[0]
    return {
      call_id: r.call_id,
      agent_id: r.agent_id,
      start_ms: start,
      end_ms: end,
      title: `${item.label}: ${result === 'fail' ? 'missed' : 'done well'}`,
      why: first
        ? `${first.type === 'phrase' ? `"${first.text ?? ''}"` : (first.what ?? first.type)} at ${(first.start_ms / 1000).toFixed(1)} s`
        : `item ${result === 'fail' ? 'failed' : 'passed'}; clip covers where the card looks`,
      scorecard_key: card.key,
      item_key: item.key,
      polarity: result === 'fail' ? ('bad' as const) : ('good' as const),
      score: r.percent,
    }
  })
}
