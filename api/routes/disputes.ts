/**
 * Disputes: an agent (their own calls) or a manager contests items of a submitted review, with a
 * comment, within a window after submission and up to a cap per evaluation. The review's reviewer
 * (or an admin) accepts, partially accepts or rejects; accepted items take the proposed answer,
 * the score is recomputed from the card, and every step is audited.
 *
 *   open ──accept──────────▶ accepted            (every disputed item changes)
 *        ──partial (items)─▶ partially_accepted  (the listed items change)
 *        ──reject──────────▶ rejected            (nothing changes)
 */
import { Type } from 'typebox'
import type { Database, Queryable } from '../../db/index.js'
import { daysOfCalls, refreshDailyStats } from '../../db/queries/daily-stats.js'
import { audit, type UserRow } from '../../db/queries/users.js'
import {
  ConflictError,
  DisputeCapError,
  DisputeWindowError,
  ForbiddenError,
  NotFoundError,
  ValidationError,
} from '../../errors.js'
import { applyChanges, loadEvaluation } from '../../review/evaluations.js'
import { ErrorBody } from '../schemas.js'
import type { Api } from '../types.js'

export interface DisputePolicy {
  /** days after submission a review may be disputed */
  windowDays: number
  /** disputes allowed per evaluation */
  cap: number
}

const errors = { 400: ErrorBody, 401: ErrorBody, 403: ErrorBody, 404: ErrorBody, 409: ErrorBody }
const Json = Type.Record(Type.String(), Type.Unknown())
const Answer = Type.Union([Type.Literal('pass'), Type.Literal('fail'), Type.Literal('na')])

interface DisputeRow {
  id: number
  evaluation_id: number
  call_id: number
  raised_by: number
  raised_by_name: string
  items: Array<{
    item_key: string
    proposed: 'pass' | 'fail' | 'na'
    current: string
    comment: string | null
  }>
  comment: string
  status: 'open' | 'accepted' | 'partially_accepted' | 'rejected'
  accepted_items: string[]
  decided_by_name: string | null
  decision_comment: string | null
  percent_before: number | null
  percent_after: number | null
  created_at: string
  decided_at: string | null
  reviewer_id: number | null
  agent_id: string | null
}

async function loadDispute(db: Queryable, id: number): Promise<DisputeRow> {
  const res = await db.query<DisputeRow>(
    `SELECT d.id, d.evaluation_id, e.call_id, d.raised_by, ru.name AS raised_by_name, d.items, d.comment, d.status,
            d.accepted_items, du.name AS decided_by_name, d.decision_comment, d.percent_before, d.percent_after,
            d.created_at, d.decided_at, e.reviewer_id, c.agent_id
     FROM disputes d
     JOIN evaluations e ON e.id = d.evaluation_id
     JOIN calls c ON c.id = e.call_id
     JOIN users ru ON ru.id = d.raised_by
     LEFT JOIN users du ON du.id = d.decided_by
     WHERE d.id = $1`,
    [id],
  )
  const dispute = res.rows[0]
  if (!dispute) throw new NotFoundError(`no dispute ${id}`)
  return dispute
}

/** Agents see the disputes of their own calls; reviewers those on their reviews; others all. */
function mayView(d: DisputeRow, user: UserRow | undefined): boolean {
  if (!user) return false
  if (user.role === 'agent') return d.agent_id === (user.agent_id ?? user.name)
  if (user.role === 'reviewer') return d.reviewer_id === user.id || d.raised_by === user.id
  return true
}

function present(d: DisputeRow) {
  const { reviewer_id: _r, agent_id: _a, raised_by: _b, ...rest } = d
  return {
    ...rest,
    created_at: new Date(d.created_at).toISOString(),
    decided_at: d.decided_at ? new Date(d.decided_at).toISOString() : null,
  }
}

export async function disputeRoutes(
  app: Api,
  { db, policy }: { db: Database; policy: DisputePolicy },
): Promise<void> {
  app.post(
    '/evaluations/:id/disputes',
    {
      config: { roles: ['agent', 'manager', 'admin'] },
      schema: {
        summary: 'Dispute items of a submitted review (within the window, up to the cap per evaluation)',
        tags: ['disputes'],
        params: Type.Object({ id: Type.Integer({ minimum: 1 }) }),
        body: Type.Object(
          {
            comment: Type.String({ minLength: 1, maxLength: 10_000 }),
            items: Type.Array(
              Type.Object(
                {
                  item_key: Type.String({ minLength: 1 }),
                  proposed: Type.Optional(Answer),
                  comment: Type.Optional(Type.String({ maxLength: 5_000 })),
                },
                { additionalProperties: false },
              ),
              { minItems: 1, maxItems: 200 },
            ),
          },
          { additionalProperties: false },
        ),
        response: { 201: Json, ...errors },
      },
    },
    async (request, reply) => {
      const user = request.user as UserRow
      const id = await db.withTransaction(async (tx) => {
        await tx.query('SELECT id FROM evaluations WHERE id = $1 FOR UPDATE', [request.params.id])
        const { evaluation, items } = await loadEvaluation(tx, request.params.id)
        const call = await tx.query<{ agent_id: string | null }>('SELECT agent_id FROM calls WHERE id = $1', [
          evaluation.call_id,
        ])
        if (user.role === 'agent' && call.rows[0]?.agent_id !== (user.agent_id ?? user.name))
          throw new NotFoundError(`no evaluation ${evaluation.id}`)
        if (evaluation.source !== 'review' || evaluation.calibration_id !== null)
          throw new ValidationError('only a submitted review can be disputed')
        if (evaluation.status !== 'submitted' || !evaluation.submitted_at)
          throw new ConflictError(`review ${evaluation.id} is ${evaluation.status}, not submitted`)
        const closes = new Date(evaluation.submitted_at).getTime() + policy.windowDays * 86_400_000
        if (Date.now() > closes)
          throw new DisputeWindowError(
            `the ${policy.windowDays}-day dispute window closed on ${new Date(closes).toISOString()}`,
          )
        const earlier = await tx.query<{ status: string }>(
          'SELECT status FROM disputes WHERE evaluation_id = $1',
          [evaluation.id],
        )
        if (earlier.rows.some((d) => d.status === 'open'))
          throw new ConflictError(`review ${evaluation.id} already has an open dispute`)
        if (earlier.rows.length >= policy.cap)
          throw new DisputeCapError(
            `review ${evaluation.id} has been disputed ${earlier.rows.length} times; the limit is ${policy.cap}`,
          )
        const byKey = new Map(items.map((i) => [i.item_key, i]))
        const problems: string[] = []
        const seen = new Set<string>()
        const disputed = request.body.items.map((change) => {
          const item = byKey.get(change.item_key)
          if (seen.has(change.item_key)) problems.push(`${change.item_key}: listed twice`)
          seen.add(change.item_key)
          if (!item) {
            problems.push(`${change.item_key}: no such item on this scorecard`)
            return null
          }
          const proposed =
            change.proposed ?? (item.result === 'pass' ? 'fail' : item.result === 'fail' ? 'pass' : undefined)
          if (!proposed)
            problems.push(`${change.item_key}: is ${item.result}; say what it should be (proposed)`)
          else if (proposed === item.result) problems.push(`${change.item_key}: is already ${item.result}`)
          return {
            item_key: change.item_key,
            proposed,
            current: item.result,
            comment: change.comment ?? null,
          }
        })
        if (problems.length > 0)
          throw new ValidationError('cannot dispute these items', { details: problems })
        const created = await tx.query<{ id: number }>(
          `INSERT INTO disputes (evaluation_id, raised_by, items, comment, percent_before)
           VALUES ($1, $2, $3::jsonb, $4, $5) RETURNING id`,
          [evaluation.id, user.id, JSON.stringify(disputed), request.body.comment, evaluation.percent],
        )
        const disputeId = created.rows[0]?.id as number
        await audit(tx, {
          userId: user.id,
          action: 'dispute.open',
          entity: 'evaluation',
          entityId: evaluation.id,
          after: { dispute_id: disputeId, items: disputed, comment: request.body.comment },
        })
        return disputeId
      })
      return reply.code(201).send(present(await loadDispute(db, id)))
    },
  )

  app.get(
    '/disputes',
    {
      config: { roles: ['admin', 'manager', 'reviewer', 'agent'] },
      schema: {
        summary:
          'Disputes the caller may see (agents: their calls; reviewers: on their reviews), newest first',
        tags: ['disputes'],
        querystring: Type.Object(
          {
            status: Type.Optional(
              Type.Union([
                Type.Literal('open'),
                Type.Literal('accepted'),
                Type.Literal('partially_accepted'),
                Type.Literal('rejected'),
              ]),
            ),
            evaluation_id: Type.Optional(Type.Integer({ minimum: 1 })),
          },
          { additionalProperties: false },
        ),
        response: { 200: Type.Array(Json), ...errors },
      },
    },
    async (request) => {
      const user = request.user as UserRow
      const res = await db.query<{ id: number }>(
        `SELECT d.id FROM disputes d JOIN evaluations e ON e.id = d.evaluation_id JOIN calls c ON c.id = e.call_id
         WHERE ($1::text IS NULL OR d.status = $1) AND ($2::bigint IS NULL OR d.evaluation_id = $2)
           AND CASE $3::text WHEN 'agent' THEN c.agent_id = $4
                             WHEN 'reviewer' THEN e.reviewer_id = $5 OR d.raised_by = $5
                             ELSE true END
         ORDER BY d.id DESC LIMIT 200`,
        [
          request.query.status ?? null,
          request.query.evaluation_id ?? null,
          user.role,
          user.agent_id ?? user.name,
          user.id,
        ],
      )
      const out = []
      for (const row of res.rows) out.push(present(await loadDispute(db, row.id)))
      return out
    },
  )

  app.get(
    '/disputes/:id',
    {
      config: { roles: ['admin', 'manager', 'reviewer', 'agent'] },
      schema: {
        summary: 'One dispute',
        tags: ['disputes'],
        params: Type.Object({ id: Type.Integer({ minimum: 1 }) }),
        response: { 200: Json, ...errors },
      },
    },
    async (request) => {
      const d = await loadDispute(db, request.params.id)
      if (!mayView(d, request.user)) throw new NotFoundError(`no dispute ${d.id}`)
      return present(d)
    },
  )

  app.post(
    '/disputes/:id/decision',
    {
      config: { roles: ['admin', 'reviewer'] },
      schema: {
        summary: "Decide a dispute (the review's reviewer or an admin): accept, partially accept, reject",
        tags: ['disputes'],
        params: Type.Object({ id: Type.Integer({ minimum: 1 }) }),
        body: Type.Object(
          {
            decision: Type.Union([Type.Literal('accept'), Type.Literal('partial'), Type.Literal('reject')]),
            accepted_items: Type.Optional(
              Type.Array(Type.String({ minLength: 1 }), { minItems: 1, uniqueItems: true }),
            ),
            comment: Type.Optional(Type.String({ maxLength: 10_000 })),
          },
          { additionalProperties: false },
        ),
        response: { 200: Json, ...errors },
      },
    },
    async (request) => {
      const user = request.user as UserRow
      const { decision, accepted_items: acceptedItems, comment } = request.body
      await db.withTransaction(async (tx) => {
        await tx.query('SELECT id FROM disputes WHERE id = $1 FOR UPDATE', [request.params.id])
        const d = await loadDispute(tx, request.params.id)
        if (d.reviewer_id !== user.id && user.role !== 'admin')
          throw new ForbiddenError("only the review's reviewer (or an admin) decides its disputes")
        if (d.status !== 'open') throw new ConflictError(`dispute ${d.id} is already ${d.status}`)
        const disputedKeys = d.items.map((i) => i.item_key)
        let accepted: string[]
        if (decision === 'accept') accepted = disputedKeys
        else if (decision === 'reject') accepted = []
        else {
          if (!acceptedItems) throw new ValidationError('a partial decision lists the accepted_items')
          const unknown = acceptedItems.filter((k) => !disputedKeys.includes(k))
          if (unknown.length > 0)
            throw new ValidationError('accepted_items must be items of the dispute', { details: unknown })
          if (acceptedItems.length === disputedKeys.length)
            throw new ValidationError('every item is accepted: decide "accept"')
          accepted = acceptedItems
        }
        if (decision !== 'partial' && acceptedItems)
          throw new ValidationError('accepted_items belongs to a partial decision')
        if (decision !== 'accept' && !comment?.trim())
          throw new ValidationError('say why in a comment when not accepting everything')

        await tx.query('SELECT id FROM evaluations WHERE id = $1 FOR UPDATE', [d.evaluation_id])
        const loaded = await loadEvaluation(tx, d.evaluation_id)
        const { after } =
          accepted.length === 0
            ? { after: loaded.evaluation.percent }
            : await applyChanges(
                tx,
                loaded,
                {
                  items: d.items
                    .filter((i) => accepted.includes(i.item_key))
                    .map((i) => ({ item_key: i.item_key, result: i.proposed })),
                },
                user.id,
                'dispute',
              )
        if (accepted.length > 0)
          await refreshDailyStats(tx, await daysOfCalls(tx, [loaded.evaluation.call_id]))
        const status =
          decision === 'accept' ? 'accepted' : decision === 'reject' ? 'rejected' : 'partially_accepted'
        await tx.query(
          `UPDATE disputes SET status = $2, accepted_items = $3::text[], decided_by = $4, decision_comment = $5,
             percent_after = $6, decided_at = now() WHERE id = $1`,
          [d.id, status, accepted, user.id, comment ?? null, after],
        )
        await audit(tx, {
          userId: user.id,
          action: 'dispute.decide',
          entity: 'evaluation',
          entityId: d.evaluation_id,
          before: { dispute_id: d.id, status: 'open', percent: loaded.evaluation.percent },
          after: {
            dispute_id: d.id,
            status,
            accepted_items: accepted,
            percent: after,
            comment: comment ?? null,
          },
        })
      })
      return present(await loadDispute(db, request.params.id))
    },
  )
}
