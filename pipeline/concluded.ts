/**
 * The one step after calls' conclusions are stored, whoever stored them: every active scorecard
 * that applies is evaluated, each call is filed under the active taxonomy (categories, urgency,
 * summary, conduct), and the calls' days are marked for their trend rollups to be rebuilt — in
 * the background, once per day however many calls it received (pipeline/rollups.ts), not per call
 * inside each call's transaction; then follow-ups are opened for what the calls revealed
 * (followups/cases.ts). The calls' stored facts are read once for all of it.
 */
import type { Queryable } from '../db/index.js'
import { markCallDaysDirty } from '../db/queries/daily-stats.js'
import { loadCallFacts } from '../db/queries/scorecards.js'
import { openFollowUpsForCalls } from '../followups/cases.js'
import { describeCalls } from './describe.js'
import { evaluateCall } from './rescore.js'

export async function callsConcluded(tx: Queryable, callIds: readonly number[]): Promise<void> {
  if (callIds.length === 0) return
  const facts = await loadCallFacts(tx, callIds)
  for (const id of callIds) await evaluateCall(tx, id, facts.get(id))
  await describeCalls(tx, callIds, { facts })
  await markCallDaysDirty(tx, callIds)
  // What the calls revealed becomes work: follow-ups opened (or joined) by the active rules.
  await openFollowUpsForCalls(tx, callIds)
}
