/**
 * Calibration sessions, the QA lead's check on the reviewers: several reviewers score the same call
 * blind (each sees only their own review until all have submitted); then the session shows
 * per-item agreement, score spread and deviation from the expert, computed by the pure rules in
 * calibration.ts. Each reviewer's agreement is followed over time. No HTTP here.
 */

import type { Database, Queryable } from '../db/index.js'
import {
  autoEvaluationOfCard,
  autoEvaluationOn,
  calibrationReviewById,
  completedSessions,
  insertSession,
  lockSession,
  markSessionComplete,
  type ParticipantRow,
  participantsOf,
  type SessionRow,
  sessionById,
} from '../db/queries/calibrations.js'
import { reviewersFor } from '../db/queries/samples.js'
import { audit, type UserRow } from '../db/queries/users.js'
import { ConflictError, ForbiddenError, NotFoundError, ValidationError } from '../errors.js'
import { type CalibrationReview, calibrationFigures } from './calibration.js'
import { openReview } from './evaluations.js'
import { type Period, periodOf } from './sampling.js'

export type { ParticipantRow, SessionRow } from '../db/queries/calibrations.js'

export async function loadSession(db: Queryable, id: number): Promise<SessionRow> {
  const session = await sessionById(db, id)
  if (!session) throw new NotFoundError(`no calibration session ${id}`)
  return session
}

export async function participants(db: Queryable, sessionId: number): Promise<ParticipantRow[]> {
  return participantsOf(db, [sessionId])
}

export function toReviews(rows: readonly ParticipantRow[]): CalibrationReview[] {
  return rows.map((p) => ({
    reviewerId: p.reviewer_id,
    reviewer: p.reviewer,
    percent: p.percent ?? 0,
    items: new Map((p.items ?? []).map((i) => [i.item_key, i.result])),
  }))
}

/** Who may look at a session: admins and managers, its organiser, its participants. */
export function mayView(session: SessionRow, people: readonly ParticipantRow[], user: UserRow): boolean {
  if (user.role === 'admin' || user.role === 'manager' || session.created_by === user.id) return true
  return people.some((p) => p.reviewer_id === user.id)
}

/**
 * Starts a session on a call's automatic evaluation: every reviewer must exist, be enabled and
 * review, and the expert (if any) be one of them. All problems are reported at once.
 */
export async function createSession(
  db: Database,
  request: {
    call_id: number
    scorecard: string
    reviewers: string[]
    expert?: string | undefined
    title?: string | undefined
  },
  userId: number | null,
): Promise<number> {
  if (request.expert && !request.reviewers.includes(request.expert))
    throw new ValidationError(`the expert ${request.expert} must be one of the reviewers`)
  const auto = await autoEvaluationOn(db, request.call_id, request.scorecard)
  if (!auto)
    throw new ValidationError(
      `call ${request.call_id} has no automatic evaluation on scorecard "${request.scorecard}"`,
    )
  const byName = new Map((await reviewersFor(db, request.reviewers)).map((u) => [u.name, u]))
  const problems = request.reviewers.flatMap((name) => {
    const u = byName.get(name)
    if (!u) return [`${name}: no such (enabled) user`]
    return u.role === 'reviewer' || u.role === 'admin' ? [] : [`${name}: role ${u.role} does not review`]
  })
  if (problems.length > 0)
    throw new ValidationError('cannot calibrate with these users', { details: problems })
  return db.withTransaction(async (tx) => {
    const sessionId = await insertSession(tx, {
      callId: request.call_id,
      scorecardId: auto.scorecard_id,
      title: request.title ?? null,
      expertId: request.expert ? (byName.get(request.expert)?.id ?? null) : null,
      createdBy: userId,
      reviewerIds: request.reviewers.map((n) => byName.get(n)?.id as number),
    })
    await audit(tx, {
      userId,
      action: 'calibration.create',
      entity: 'calibration',
      entityId: sessionId,
      after: {
        call_id: request.call_id,
        scorecard: request.scorecard,
        reviewers: request.reviewers,
        expert: request.expert ?? null,
      },
    })
    return sessionId
  })
}

/** A session as this user may see it: blind until complete, then with its figures. */
export async function sessionView(db: Queryable, id: number, user: UserRow) {
  const session = await loadSession(db, id)
  const people = await participants(db, session.id)
  if (!mayView(session, people, user)) throw new NotFoundError(`no calibration session ${session.id}`)
  const complete = session.status === 'complete'
  return {
    id: session.id,
    call_id: session.call_id,
    scorecard: session.scorecard_key,
    scorecard_version: session.scorecard_version,
    title: session.title,
    status: session.status,
    expert: people.find((p) => p.reviewer_id === session.expert_id)?.reviewer ?? null,
    created_at: new Date(session.created_at).toISOString(),
    completed_at: session.completed_at ? new Date(session.completed_at).toISOString() : null,
    // Blind: until everyone has submitted, nobody sees another's review or score.
    participants: people.map((p) => ({
      reviewer: p.reviewer,
      submitted: p.status === 'submitted',
      ...(complete || p.reviewer_id === user.id
        ? { evaluation_id: p.evaluation_id, percent: p.percent }
        : {}),
    })),
    results: complete ? calibrationFigures(toReviews(people), session.expert_id) : null,
  }
}

/**
 * Opens (or returns) a participant's blind review: a draft copied from the automatic evaluation
 * the session started from, kept apart from their ordinary review of the same call.
 */
export async function openCalibrationReview(db: Database, sessionId: number, user: UserRow) {
  const session = await loadSession(db, sessionId)
  const people = await participants(db, session.id)
  if (!people.some((p) => p.reviewer_id === user.id))
    throw new ForbiddenError(`${user.name} is not a participant of calibration ${session.id}`)
  if (session.status !== 'open') throw new ConflictError(`calibration ${session.id} is already complete`)
  const base = await autoEvaluationOfCard(db, session.call_id, session.scorecard_id)
  if (!base) throw new ConflictError('the automatic evaluation this session started from is gone')
  const { id, created } = await openReview(db, base, user.id, session.id)
  return { review: await calibrationReviewById(db, id), created }
}

/**
 * Called in the submit transaction of a calibration review: when the last participant submits,
 * the session completes and its results show.
 */
export async function completeCalibrationIfDone(tx: Queryable, sessionId: number, userId: number | null) {
  await lockSession(tx, sessionId)
  const people = await participants(tx, sessionId)
  if (people.some((p) => p.status !== 'submitted')) return
  await markSessionComplete(tx, sessionId)
  await audit(tx, {
    userId,
    action: 'calibration.complete',
    entity: 'calibration',
    entityId: sessionId,
    before: { status: 'open' },
    after: { status: 'complete', participants: people.length },
  })
}

/**
 * Each reviewer's agreement per period over completed sessions: how often they match the expert
 * and the majority, and how far their score lies from the expert's. Reviewers see their own
 * figures; admins and managers everyone's. The expert is the baseline, not a row.
 */
export async function reviewerAgreement(
  db: Queryable,
  range: { from?: string | undefined; to?: string | undefined; period: Period },
  user: UserRow,
) {
  const sessions = await completedSessions(db, range.from, range.to)
  // Every session's participants in one query, not one per session.
  const bySession = new Map<number, ParticipantRow[]>()
  for (const p of await participantsOf(
    db,
    sessions.map((s) => s.id),
  ))
    bySession.set(p.session_id, [...(bySession.get(p.session_id) ?? []), p])
  const rows = new Map<
    string,
    {
      reviewer: string
      period: string
      sessions: number
      matches_expert: number[]
      matches_majority: number[]
      deviation: number[]
    }
  >()
  for (const s of sessions) {
    const figures = calibrationFigures(toReviews(bySession.get(s.id) ?? []), s.expert_id)
    const when = periodOf(new Date(s.completed_at).toISOString(), range.period)
    for (const r of figures.by_reviewer) {
      if (user.role === 'reviewer' && r.reviewer_id !== user.id) continue
      if (r.reviewer_id === s.expert_id) continue
      const key = `${r.reviewer}\u0000${when}`
      const row = rows.get(key) ?? {
        reviewer: r.reviewer,
        period: when,
        sessions: 0,
        matches_expert: [],
        matches_majority: [],
        deviation: [],
      }
      row.sessions++
      if (r.matches_expert !== null) row.matches_expert.push(r.matches_expert)
      row.matches_majority.push(r.matches_majority)
      if (r.deviation !== null) row.deviation.push(Math.abs(r.deviation))
      rows.set(key, row)
    }
  }
  const mean = (xs: number[]) =>
    xs.length === 0 ? null : Math.round((xs.reduce((a, b) => a + b, 0) / xs.length) * 10_000) / 10_000
  return [...rows.values()]
    .sort((a, b) =>
      a.reviewer === b.reviewer ? (a.period < b.period ? -1 : 1) : a.reviewer < b.reviewer ? -1 : 1,
    )
    .map((r) => ({
      reviewer: r.reviewer,
      period: r.period,
      sessions: r.sessions,
      matches_expert: mean(r.matches_expert),
      matches_majority: mean(r.matches_majority),
      mean_abs_deviation: mean(r.deviation),
    }))
}
