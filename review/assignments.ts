import type { Queryable } from '../db/index.js'

/**
 * A submitted review closes the reviewer's open assignments of that call on that scorecard key.
 * Called inside the submit transaction.
 */
export async function completeAssignments(
  tx: Queryable,
  {
    evaluationId,
    callId,
    reviewerId,
    scorecardKey,
  }: { evaluationId: number; callId: number; reviewerId: number; scorecardKey: string },
): Promise<void> {
  await tx.query(
    `UPDATE review_assignments a SET status = 'done', evaluation_id = $1
     FROM samples s JOIN scorecards sc ON sc.id = s.scorecard_id
     WHERE a.sample_id = s.id AND a.call_id = $2 AND a.reviewer_id = $3 AND sc.key = $4 AND a.status = 'open'`,
    [evaluationId, callId, reviewerId, scorecardKey],
  )
}
