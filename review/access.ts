/**
 * Who may see which call, evaluation and dispute: the one access policy of human QA. Agents see
 * their own calls only, and of those only what is settled (no drafts, no calibration reviews);
 * reviewers see the disputes of their own reviews; a blind calibration review stays with its
 * reviewer until the session completes (calibration-sessions.ts). Everything else a role may reach
 * is decided by the route's role list.
 *
 * What an agent may not see is "not found" to them, never "forbidden": the existence of another
 * agent's call is not theirs to know.
 */
import type { Queryable } from '../db/index.js'
import { sessionById } from '../db/queries/calibrations.js'
import type { UserRow } from '../db/queries/users.js'
import { NotFoundError } from '../errors.js'

/**
 * The agent id a user's reads are limited to, or null when they see every call. An agent account
 * created without an agent id is the agent of that name, as when calls carry user names.
 */
export function agentScope(user: Pick<UserRow, 'role' | 'agent_id' | 'name'> | undefined): string | null {
  if (user?.role !== 'agent') return null
  return user.agent_id ?? user.name
}

/**
 * The evaluations of a call the user sees beside it: agents the automatic and submitted ones
 * (a draft is a reviewer's work in progress, a calibration review grades the reviewer); others all
 * but the blind calibration reviews of other reviewers while their session is open.
 */
export function evaluationListedFor(
  user: UserRow,
  e: {
    calibration_id: number | null
    status: string
    calibration_status: string | null
    reviewer_id: number | null
  },
): boolean {
  if (user.role === 'agent') return e.calibration_id === null && e.status !== 'draft'
  return e.calibration_status !== 'open' || e.reviewer_id === user.id
}

/** Agents see the disputes of their own calls; reviewers those on their reviews or that they raised; others all. */
export function mayViewDispute(
  user: UserRow,
  d: { agent_id: string | null; reviewer_id: number | null; raised_by: number | null },
): boolean {
  if (user.role === 'agent') return d.agent_id === agentScope(user)
  if (user.role === 'reviewer') return d.reviewer_id === user.id || d.raised_by === user.id
  return true
}

/** Whether a calibration review may be shown to this user (blind until the session completes). */
export async function calibrationReviewVisible(
  db: Queryable,
  evaluation: { calibration_id: number | null; reviewer_id: number | null },
  user: UserRow,
): Promise<boolean> {
  if (evaluation.calibration_id === null) return true
  if (evaluation.reviewer_id === user.id) return true
  const session = await sessionById(db, evaluation.calibration_id)
  if (!session) throw new NotFoundError(`no calibration session ${evaluation.calibration_id}`)
  return session.status === 'complete' && user.role !== 'agent'
}
