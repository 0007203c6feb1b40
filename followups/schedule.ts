/**
 * Reminders and escalation, a background job of every server. Each step is done exactly once,
 * however many servers run it and across restarts: a case is worked under its row lock, and a
 * step is done only by the transaction whose insert of its key (follow_up_steps) wins — the step,
 * its note and its webhook commit together or not at all.
 *
 * - A reminder before a promise is due (`remind_before`: a duration, or a share of the window):
 *   once per promise and cycle (a reopened case starts a new cycle).
 * - Escalation to level 1 (the team's `escalate_to`) when a promise is missed or nothing moved
 *   for `escalate_after`; each further level (the escalate_to of the team of the people escalated
 *   to) after another `escalate_after` without progress, or when the resolution promise is missed
 *   after an escalation for the first response. The top level is the last.
 * - A case waiting for the customer has its clocks stopped: no step is due.
 *
 * Time comes from `now`, so tests drive it minute by minute.
 */
import type { Database } from '../db/index.js'
import {
  addEvent,
  claimStep,
  type FollowUpRow,
  followUp,
  RUNNING_STATUSES,
  runningFollowUps,
  updateFollowUp,
} from '../db/queries/follow-ups.js'
import { repeat } from '../pipeline/repeat.js'
import { announce, caseRules } from './cases.js'
import { type FollowUpRules, urgencyLabel } from './rules.js'

export interface StepsDone {
  reminders: number
  escalations: number
}

/** Who a case escalates to at `level` (1 = its team's escalate_to); empty past the top. */
export function escalationTargets(rules: FollowUpRules, team: string | null, level: number): string[] {
  if (!team || level < 1) return []
  let people = rules.teams[team]?.escalateTo ?? []
  for (let l = 2; l <= level; l++) {
    const teams = new Set<string>()
    for (const p of people)
      for (const [name, t] of Object.entries(rules.teams)) if (t.members.includes(p)) teams.add(name)
    people = [...new Set([...teams].flatMap((t) => rules.teams[t]?.escalateTo ?? []))]
  }
  return people
}

function remindAt(rules: FollowUpRules, due: Date, windowMs: number): Date {
  const lead = 'share' in rules.remindBefore ? windowMs * rules.remindBefore.share : rules.remindBefore.ms
  return new Date(due.getTime() - Math.min(lead, windowMs))
}

type Step =
  | { kind: 'reminder'; promise: 'respond' | 'resolve'; key: string; due: Date }
  | { kind: 'escalation'; level: number; key: string; why: string; to: string[] }

/** The step due now for a case, if any (one per pass; the next pass finds the next). */
export function dueStep(row: FollowUpRow, rules: FollowUpRules, now: Date): Step | undefined {
  if (!RUNNING_STATUSES.includes(row.status)) return undefined
  const cycle = row.reopen_count
  const t = now.getTime()
  const respondMissed = row.first_response_at === null && t >= row.respond_due_at.getTime()
  const resolveMissed = t >= row.resolve_due_at.getTime()
  const quietSince = Math.max(row.last_progress_at.getTime(), row.escalated_at?.getTime() ?? 0)
  const quiet = t - quietSince >= rules.escalateAfterMs[urgencyLabel(row.urgency)]
  const level = row.escalation_level
  let why: string | undefined
  if (level === 0)
    why = respondMissed
      ? 'first response missed'
      : resolveMissed
        ? 'resolution missed'
        : quiet
          ? 'no progress'
          : undefined
  else if (resolveMissed && (row.escalated_at?.getTime() ?? 0) < row.resolve_due_at.getTime())
    why = 'resolution missed'
  else if (quiet) why = 'no progress'
  if (why) {
    const to = escalationTargets(rules, row.team, level + 1)
    if (to.length > 0)
      return { kind: 'escalation', level: level + 1, key: `c${cycle}:escalate:${level + 1}`, why, to }
  }
  if (
    row.first_response_at === null &&
    !respondMissed &&
    t >= remindAt(rules, row.respond_due_at, row.respond_ms).getTime()
  )
    return { kind: 'reminder', promise: 'respond', key: `c${cycle}:remind:respond`, due: row.respond_due_at }
  if (!resolveMissed && t >= remindAt(rules, row.resolve_due_at, row.resolve_ms).getTime())
    return { kind: 'reminder', promise: 'resolve', key: `c${cycle}:remind:resolve`, due: row.resolve_due_at }
  return undefined
}

/** Does the steps due on one case now; how many of each. */
async function stepCase(db: Database, id: number, now: Date, done: StepsDone): Promise<void> {
  // Several steps may be due at once (a server that was down): one per transaction, in order.
  for (let guard = 0; guard < 10; guard++) {
    const did = await db.withTransaction(async (tx) => {
      const row = await followUp(tx, id, { lock: true })
      if (!row) return false
      const rules = await caseRules(tx, row)
      const step = rules && dueStep(row, rules, now)
      if (!step) return false
      // The key decides: a step another server (or an earlier run) did is not done again. When
      // the key is taken but the case did not move on (an escalation past a reopen), nothing is.
      if (!(await claimStep(tx, id, step.key, now))) return false
      if (step.kind === 'escalation') {
        await updateFollowUp(
          tx,
          id,
          { escalation_level: step.level, escalated_to: step.to, escalated_at: now },
          now,
        )
        await addEvent(tx, {
          followUpId: id,
          at: now,
          userId: null,
          kind: 'escalated',
          detail: { level: step.level, to: step.to, why: step.why },
        })
        await announce(tx, 'follow_up.escalated', id, now, { level: step.level, why: step.why })
        done.escalations++
      } else {
        await addEvent(tx, {
          followUpId: id,
          at: now,
          userId: null,
          kind: 'reminder',
          detail: { promise: step.promise, due_at: step.due.toISOString(), owner: row.owner },
        })
        await announce(tx, 'follow_up.updated', id, now, {
          change: 'reminder',
          reminder: { promise: step.promise, due_at: step.due.toISOString() },
        })
        done.reminders++
      }
      return true
    })
    if (!did) return
  }
}

/** One pass over the running cases. */
export async function runFollowUpSteps(
  db: Database,
  now: Date = new Date(),
  batch = 1000,
): Promise<StepsDone> {
  const done: StepsDone = { reminders: 0, escalations: 0 }
  // One read of the running cases; only those with a step due are worked (under their lock, where
  // the step is decided again on the case as it then is).
  for (const row of await runningFollowUps(db, batch)) {
    const rules = await caseRules(db, row)
    if (rules && dueStep(row, rules, now)) await stepCase(db, row.id, now, done)
  }
  return done
}

/** The job in a server: a pass every `intervalMs` (15 s), never two at once in this process. */
export function startFollowUpScheduler(
  db: Database,
  {
    intervalMs = 15_000,
    clock = () => new Date(),
    onError = () => {},
  }: { intervalMs?: number; clock?: () => Date; onError?: (err: Error) => void } = {},
): () => void {
  return repeat(() => runFollowUpSteps(db, clock()), intervalMs, onError, { now: true })
}
