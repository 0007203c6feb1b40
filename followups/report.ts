/**
 * The follow-up report for managers: per period, by category, team and urgency — opened,
 * resolved, promises kept (%), median time to resolve against the median promise, escalations,
 * reopen rate and callback satisfaction. Each figure's cases are one list away
 * (GET /v1/follow-ups with the same period and group).
 */
import type { Queryable } from '../db/index.js'
import { type FollowUpReportRow, followUpReport, type REPORT_GROUPS } from '../db/queries/follow-ups.js'
import { reportPeriod } from '../review/topics.js'

const share = (n: number, of: number) => (of > 0 ? Math.round((1000 * n) / of) / 10 : null)

function figures(r: FollowUpReportRow) {
  return {
    key: r.key,
    opened: r.opened,
    resolved: r.resolved,
    promises_due: r.due,
    promises_kept: r.kept,
    promises_kept_pct: share(r.kept, r.due),
    median_resolve_ms: r.median_resolve_ms,
    median_promise_ms: r.median_promise_ms,
    escalated: r.escalated,
    reopened: r.reopened,
    reopen_rate_pct: share(r.reopened, r.resolved),
    callbacks: r.callbacks,
    callbacks_reached: r.reached,
    callback_satisfied_pct: share(r.satisfied, r.reached),
    callback_csat: r.csat === null ? null : Math.round(r.csat * 100) / 100,
  }
}
export type FollowUpFigures = ReturnType<typeof figures>

export async function followUpReportFor(
  db: Queryable,
  q: {
    month?: string | undefined
    from?: string | undefined
    to?: string | undefined
    level?: number | undefined
  },
  now: Date,
) {
  const period = reportPeriod(q)
  const level = q.level ?? 1
  const run = async (by: keyof typeof REPORT_GROUPS) =>
    (await followUpReport(db, { ...period, level, by, now })).map(figures)
  const [total, category, team, urgency] = await Promise.all([
    run('total'),
    run('category'),
    run('team'),
    run('urgency'),
  ])
  return {
    from: period.from,
    to: period.to,
    level,
    total:
      total[0] ??
      figures({
        key: null,
        opened: 0,
        resolved: 0,
        due: 0,
        kept: 0,
        median_resolve_ms: null,
        median_promise_ms: null,
        escalated: 0,
        reopened: 0,
        callbacks: 0,
        reached: 0,
        satisfied: 0,
        csat: null,
      }),
    by_category: category,
    by_team: team,
    by_urgency: urgency,
  }
}
