/**
 * Reviews: a reviewer opens a call's automatic evaluation as a draft review, overrides items (the
 * automatic answer stays beside the human one), comments per item and overall, and submits. The
 * score is recomputed from the card's definition on every change; every change is audited with
 * its before and after.
 */
import { Type } from 'typebox'
import type { Database, Queryable } from '../../db/index.js'
import { daysOfCalls, refreshDailyStats } from '../../db/queries/daily-stats.js'
import { audit, type UserRow } from '../../db/queries/users.js'
import { type ItemResult, rescoreItems } from '../../scorecards/evaluate.js'
import type { ScorecardDefinition } from '../../scorecards/schema.js'
import { ErrorBody } from '../schemas.js'
import { type Api, ApiError } from '../server.js'
import { calibrationReviewVisible, completeCalibrationIfDone } from './calibrations.js'
import { completeAssignments } from './samples.js'

const REVIEWERS = ['admin', 'reviewer'] as const
const READERS = ['admin', 'manager', 'trainer', 'reviewer', 'agent'] as const

const errors = { 400: ErrorBody, 401: ErrorBody, 403: ErrorBody, 404: ErrorBody, 409: ErrorBody }
const Result = Type.Union([Type.Literal('pass'), Type.Literal('fail'), Type.Literal('na')])
const Review = Type.Record(Type.String(), Type.Unknown())

interface ItemRow {
  seq: number
  section_key: string
  item_key: string
  kind: ItemResult['kind']
  result: ItemResult['result']
  auto_result: ItemResult['result'] | null
  points: number
  max_points: number
  occurrences: number
  critical: boolean
  fatal: boolean
  evidence: ItemResult['evidence']
  comment: string | null
}

interface EvaluationRow {
  id: number
  call_id: number
  scorecard_id: number
  source: 'auto' | 'review'
  status: 'draft' | 'submitted' | 'final'
  reviewer_id: number | null
  based_on: number | null
  calibration_id: number | null
  score: number
  max_score: number
  percent: number
  passed: boolean
  fatal_failed: boolean
  critical_failed: string[]
  pending: number
  comment: string | null
  submitted_at: string | null
  definition: ScorecardDefinition
  scorecard_key: string
  scorecard_version: number
}

export async function loadEvaluation(
  db: Queryable,
  id: number,
): Promise<{ evaluation: EvaluationRow; items: ItemRow[] }> {
  const res = await db.query<EvaluationRow>(
    `SELECT e.id, e.call_id, e.scorecard_id, e.source, e.status, e.reviewer_id, e.based_on, e.calibration_id, e.score, e.max_score,
            e.percent, e.passed, e.fatal_failed, e.critical_failed, e.pending, e.comment, e.submitted_at,
            s.definition, s.key AS scorecard_key, s.version AS scorecard_version
     FROM evaluations e JOIN scorecards s ON s.id = e.scorecard_id WHERE e.id = $1`,
    [id],
  )
  const evaluation = res.rows[0]
  if (!evaluation) throw new ApiError(404, 'QA_ERR_NOT_FOUND', `no evaluation ${id}`)
  const items = await db.query<ItemRow>(
    `SELECT seq, section_key, item_key, kind, result, auto_result, points, max_points, occurrences, critical, fatal,
            evidence, comment
     FROM evaluation_items WHERE evaluation_id = $1 ORDER BY seq`,
    [id],
  )
  return { evaluation, items: items.rows }
}

/**
 * Locks a draft review for a change (two saves cannot interleave their read-modify-write) and
 * checks that it is a review, the caller's own (or the caller is an admin), and still a draft.
 */
async function lockDraft(tx: Queryable, id: number, user: UserRow | undefined, verb: 'change' | 'submit') {
  await tx.query('SELECT id FROM evaluations WHERE id = $1 FOR UPDATE', [id])
  const loaded = await loadEvaluation(tx, id)
  const { evaluation } = loaded
  if (evaluation.source !== 'review')
    throw new ApiError(400, 'QA_ERR_VALIDATION', `evaluation ${id} is not a review`)
  // A calibration review is blind to everyone but its reviewer, admins included, until every
  // participant has submitted: nobody else may change it, submit it, or read it in the answer.
  if (evaluation.calibration_id !== null && evaluation.reviewer_id !== user?.id)
    throw new ApiError(
      403,
      'QA_ERR_FORBIDDEN',
      `review ${id} is a blind calibration review; only its own reviewer may ${verb} it`,
    )
  if (evaluation.reviewer_id !== user?.id && user?.role !== 'admin')
    throw new ApiError(403, 'QA_ERR_FORBIDDEN', `only the review’s own reviewer (or an admin) may ${verb} it`)
  if (evaluation.status !== 'draft')
    throw new ApiError(
      409,
      'QA_ERR_CONFLICT',
      verb === 'change'
        ? `review ${id} is ${evaluation.status}; only drafts change`
        : `review ${id} is already ${evaluation.status}`,
    )
  return loaded
}

/**
 * Whether the caller may read an evaluation: a calibration review stays with its reviewer until
 * the session completes; an agent reads only the automatic and submitted evaluations of their own
 * calls (anything else is "not found" to them).
 */
export async function assertMayRead(
  db: Queryable,
  evaluation: Pick<EvaluationRow, 'id' | 'call_id' | 'calibration_id' | 'reviewer_id' | 'status' | 'source'>,
  user: UserRow | undefined,
): Promise<void> {
  if (user?.role === 'agent') {
    const own = await db.query(`SELECT 1 FROM calls WHERE id = $1 AND agent_id = $2`, [
      evaluation.call_id,
      user.agent_id ?? user.name,
    ])
    if (own.rows.length === 0 || evaluation.calibration_id !== null || evaluation.status === 'draft')
      throw new ApiError(404, 'QA_ERR_NOT_FOUND', `no evaluation ${evaluation.id}`)
    return
  }
  if (!(await calibrationReviewVisible(db, evaluation, user)))
    throw new ApiError(
      403,
      'QA_ERR_FORBIDDEN',
      `evaluation ${evaluation.id} is a blind calibration review until every participant has submitted`,
    )
}

/**
 * Opens (or finds) a reviewer's draft review of an automatic evaluation: a copy of the evaluation
 * and its items, each item keeping the machine's answer as auto_result. `calibrationId` keeps a
 * calibration review apart from the reviewer's own review of the same call.
 */
export async function openReview(
  db: Database,
  auto: { id: number; call_id: number; scorecard_id: number; percent: number },
  reviewer: number,
  calibrationId: number | null,
): Promise<{ id: number; created: boolean }> {
  const existing = await db.query<{ id: number }>(
    `SELECT id FROM evaluations WHERE source = 'review' AND call_id = $1 AND scorecard_id = $2 AND reviewer_id = $3
       AND calibration_id IS NOT DISTINCT FROM $4`,
    [auto.call_id, auto.scorecard_id, reviewer, calibrationId],
  )
  if (existing.rows[0]) return { id: existing.rows[0].id, created: false }
  let id: number
  try {
    id = await createReview()
  } catch (err) {
    // Opened twice at once (a double click): the other request made the draft; this one returns it.
    if ((err as { code?: string }).code !== '23505') throw err
    const made = await db.query<{ id: number }>(
      `SELECT id FROM evaluations WHERE source = 'review' AND call_id = $1 AND scorecard_id = $2 AND reviewer_id = $3
         AND calibration_id IS NOT DISTINCT FROM $4`,
      [auto.call_id, auto.scorecard_id, reviewer, calibrationId],
    )
    if (!made.rows[0]) throw err
    return { id: made.rows[0].id, created: false }
  }
  return { id, created: true }

  function createReview() {
    return db.withTransaction(async (tx) => {
      const created = await tx.query<{ id: number }>(
        `INSERT INTO evaluations (call_id, scorecard_id, source, status, reviewer_id, based_on, calibration_id, score,
         max_score, percent, passed, fatal_failed, critical_failed, pending)
       SELECT call_id, scorecard_id, 'review', 'draft', $2, id, $3, score, max_score, percent, passed, fatal_failed,
         critical_failed, pending
       FROM evaluations WHERE id = $1 RETURNING id`,
        [auto.id, reviewer, calibrationId],
      )
      const reviewId = created.rows[0]?.id as number
      const copied = await tx.query(
        `INSERT INTO evaluation_items (evaluation_id, seq, section_key, item_key, kind, result, auto_result, points,
         max_points, occurrences, critical, fatal, evidence)
       SELECT $2, seq, section_key, item_key, kind, result, result, points, max_points, occurrences, critical,
         fatal, evidence
       FROM evaluation_items WHERE evaluation_id = $1`,
        [auto.id, reviewId],
      )
      await audit(tx, {
        userId: reviewer,
        action: 'review.open',
        entity: 'evaluation',
        entityId: reviewId,
        after: {
          based_on: auto.id,
          percent: auto.percent,
          items: copied.rowCount ?? null,
          ...(calibrationId === null ? {} : { calibration_id: calibrationId }),
        },
      })
      return reviewId
    })
  }
}

/**
 * Applies item overrides and comments to a locked review, recomputes its score from the card and
 * audits every change (`prefix`.item per item, `prefix`.save for the score and overall comment).
 * Returns the score before and after.
 */
export async function applyChanges(
  tx: Queryable,
  { evaluation, items }: { evaluation: EvaluationRow; items: ItemRow[] },
  changes: {
    comment?: string | null
    items?: Array<{ item_key: string; result?: 'pass' | 'fail' | 'na'; comment?: string | null }>
  },
  userId: number | null,
  prefix: 'review' | 'dispute',
): Promise<{ before: number; after: number }> {
  const id = evaluation.id
  const byKey = new Map(items.map((i) => [i.item_key, i]))
  for (const change of changes.items ?? []) {
    const item = byKey.get(change.item_key)
    if (!item) throw new ApiError(400, 'QA_ERR_VALIDATION', `no item "${change.item_key}" on this scorecard`)
    const before = { result: item.result, comment: item.comment }
    if (change.result !== undefined) item.result = change.result
    if (change.comment !== undefined) item.comment = change.comment
    const after = { result: item.result, comment: item.comment }
    if (before.result === after.result && before.comment === after.comment) continue
    await tx.query(
      'UPDATE evaluation_items SET result = $3, comment = $4 WHERE evaluation_id = $1 AND item_key = $2',
      [id, item.item_key, item.result, item.comment],
    )
    await audit(tx, {
      userId,
      action: `${prefix}.item`,
      entity: 'evaluation',
      entityId: id,
      before: { item_key: item.item_key, ...before },
      after: { item_key: item.item_key, ...after },
    })
  }
  const results: ItemResult[] = items.map((i) => ({
    section: i.section_key,
    key: i.item_key,
    label: i.item_key,
    kind: i.kind,
    result: i.result,
    points: i.points,
    maxPoints: i.max_points,
    occurrences: i.occurrences,
    critical: i.critical,
    fatal: i.fatal,
    evidence: i.evidence,
  }))
  const scored = rescoreItems(evaluation.definition, results)
  for (const item of scored.items)
    await tx.query('UPDATE evaluation_items SET points = $3 WHERE evaluation_id = $1 AND item_key = $2', [
      id,
      item.key,
      item.points,
    ])
  const comment = changes.comment === undefined ? evaluation.comment : changes.comment
  await tx.query(
    `UPDATE evaluations SET score = $2, percent = $3, passed = $4, fatal_failed = $5, critical_failed = $6::text[],
         pending = $7, comment = $8, updated_at = now() WHERE id = $1`,
    [
      id,
      scored.score,
      scored.percent,
      scored.passed,
      scored.fatalFailed,
      scored.criticalFailed,
      scored.pending,
      comment,
    ],
  )
  if (comment !== evaluation.comment || scored.percent !== evaluation.percent)
    await audit(tx, {
      userId,
      action: `${prefix}.save`,
      entity: 'evaluation',
      entityId: id,
      before: { percent: evaluation.percent, comment: evaluation.comment },
      after: { percent: scored.percent, comment },
    })
  return { before: evaluation.percent, after: scored.percent }
}

/** An evaluation as the API shows it: items with their card's labels, the card itself left out. */
function present({ evaluation, items }: { evaluation: EvaluationRow; items: ItemRow[] }) {
  const { definition, ...rest } = evaluation
  const labels = new Map<string, { label: string; section_label: string }>()
  for (const section of definition.sections)
    for (const item of section.items)
      labels.set(item.key, { label: item.label ?? item.key, section_label: section.label ?? section.key })
  return { ...rest, items: items.map((i) => ({ ...i, ...labels.get(i.item_key) })) }
}

export async function reviewRoutes(app: Api, { db }: { db: Database }): Promise<void> {
  app.get(
    '/evaluations/:id',
    {
      config: { roles: READERS },
      schema: {
        summary: 'One evaluation (automatic or review) with its items and evidence',
        tags: ['reviews'],
        params: Type.Object({ id: Type.Integer({ minimum: 1 }) }),
        response: { 200: Review, ...errors },
      },
    },
    async (request) => {
      const loaded = await loadEvaluation(db, request.params.id)
      await assertMayRead(db, loaded.evaluation, request.user)
      return present(loaded)
    },
  )

  app.post(
    '/evaluations/:id/reviews',
    {
      config: { roles: REVIEWERS },
      schema: {
        summary: "Open (or return) the caller's draft review of an automatic evaluation",
        tags: ['reviews'],
        params: Type.Object({ id: Type.Integer({ minimum: 1 }) }),
        response: { 200: Review, 201: Review, ...errors },
      },
    },
    async (request, reply) => {
      const { evaluation } = await loadEvaluation(db, request.params.id)
      if (evaluation.source !== 'auto')
        throw new ApiError(400, 'QA_ERR_VALIDATION', 'a review starts from an automatic evaluation')
      const { id, created } = await openReview(db, evaluation, request.user?.id as number, null)
      return reply.code(created ? 201 : 200).send(present(await loadEvaluation(db, id)))
    },
  )

  app.patch(
    '/reviews/:id',
    {
      config: { roles: REVIEWERS },
      schema: {
        summary: 'Save a draft: override items, comment per item and overall; the score is recomputed',
        tags: ['reviews'],
        params: Type.Object({ id: Type.Integer({ minimum: 1 }) }),
        body: Type.Object(
          {
            comment: Type.Optional(Type.Union([Type.String({ maxLength: 10_000 }), Type.Null()])),
            items: Type.Optional(
              Type.Array(
                Type.Object(
                  {
                    item_key: Type.String({ minLength: 1 }),
                    result: Type.Optional(Result),
                    comment: Type.Optional(Type.Union([Type.String({ maxLength: 5_000 }), Type.Null()])),
                  },
                  { additionalProperties: false },
                ),
                { maxItems: 500 },
              ),
            ),
          },
          { additionalProperties: false, minProperties: 1 },
        ),
        response: { 200: Review, ...errors },
      },
    },
    async (request) => {
      const id = request.params.id
      await db.withTransaction(async (tx) => {
        const loaded = await lockDraft(tx, id, request.user, 'change')
        await applyChanges(tx, loaded, request.body, request.user?.id ?? null, 'review')
      })
      return present(await loadEvaluation(db, id))
    },
  )

  app.post(
    '/reviews/:id/submit',
    {
      config: { roles: REVIEWERS },
      schema: {
        summary: 'Submit a draft review (every manual item must be answered)',
        tags: ['reviews'],
        params: Type.Object({ id: Type.Integer({ minimum: 1 }) }),
        response: { 200: Review, ...errors },
      },
    },
    async (request) => {
      const id = request.params.id
      await db.withTransaction(async (tx) => {
        const { evaluation, items } = await lockDraft(tx, id, request.user, 'submit')
        const pending = items.filter((i) => i.result === 'pending').map((i) => i.item_key)
        if (pending.length > 0)
          throw new ApiError(400, 'QA_ERR_VALIDATION', 'answer every manual item before submitting', {
            pending,
          })
        await tx.query(
          "UPDATE evaluations SET status = 'submitted', submitted_at = now(), updated_at = now() WHERE id = $1",
          [id],
        )
        await audit(tx, {
          userId: request.user?.id ?? null,
          action: 'review.submit',
          entity: 'evaluation',
          entityId: id,
          before: { status: 'draft' },
          after: { status: 'submitted', percent: evaluation.percent, passed: evaluation.passed },
        })
        if (evaluation.calibration_id !== null)
          await completeCalibrationIfDone(tx, evaluation.calibration_id, request.user?.id ?? null)
        else {
          if (evaluation.reviewer_id !== null)
            await completeAssignments(tx, {
              evaluationId: id,
              callId: evaluation.call_id,
              reviewerId: evaluation.reviewer_id,
              scorecardKey: evaluation.scorecard_key,
            })
          // The submitted review now stands for the call in the trends.
          await refreshDailyStats(tx, await daysOfCalls(tx, [evaluation.call_id]))
        }
      })
      return present(await loadEvaluation(db, id))
    },
  )

  app.get(
    '/evaluations/:id/audit',
    {
      config: { roles: ['admin', 'manager', 'reviewer'] },
      schema: {
        summary: 'Every recorded change to an evaluation: who, when, before, after',
        tags: ['reviews'],
        params: Type.Object({ id: Type.Integer({ minimum: 1 }) }),
        response: { 200: Type.Array(Review), ...errors },
      },
    },
    async (request) => {
      await assertMayRead(db, (await loadEvaluation(db, request.params.id)).evaluation, request.user)
      const res = await db.query<Record<string, unknown>>(
        `SELECT a.id, a.at, a.action, a.before, a.after, u.name AS user_name
         FROM audit_log a LEFT JOIN users u ON u.id = a.user_id
         WHERE a.entity = 'evaluation' AND a.entity_id = $1 ORDER BY a.id`,
        [request.params.id],
      )
      return res.rows.map((r) => ({ ...r, at: new Date(r.at as string).toISOString() }))
    },
  )
}
