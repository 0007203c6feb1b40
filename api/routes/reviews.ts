/**
 * Reviews: a reviewer opens a call's automatic evaluation as a draft review, overrides items (the
 * automatic answer stays beside the human one), comments per item and overall, and submits. The
 * score is recomputed from the card's definition on every change; every change is audited with
 * its before and after.
 */
import { Type } from 'typebox'
import { evaluationAuditTrail } from '../../db/queries/evaluations.js'
import { ValidationError } from '../../errors.js'
import {
  acknowledgeEvaluation,
  applyChanges,
  assertMayRead,
  type EvaluationRow,
  type ItemRow,
  loadEvaluation,
  lockDraft,
  openReview,
} from '../../review/evaluations.js'
import { submitReview } from '../../review/submission.js'
import { ERRORS_AND_CONFLICT, IdParams } from '../schemas.js'
import type { Api } from '../types.js'
import { AuditEntry, Evaluation } from '../wire.js'

const REVIEWERS = ['admin', 'reviewer'] as const
const READERS = ['admin', 'manager', 'trainer', 'reviewer', 'agent'] as const

const errors = ERRORS_AND_CONFLICT
const Result = Type.Union([Type.Literal('pass'), Type.Literal('fail'), Type.Literal('na')])

function present({ evaluation, items }: { evaluation: EvaluationRow; items: ItemRow[] }) {
  const { definition, ...rest } = evaluation
  const labels = new Map<string, { label: string; section_label: string }>()
  for (const section of definition.sections)
    for (const item of section.items)
      labels.set(item.key, { label: item.label ?? item.key, section_label: section.label ?? section.key })
  return {
    ...rest,
    submitted_at: rest.submitted_at ? new Date(rest.submitted_at).toISOString() : null,
    acknowledged_at: rest.acknowledged_at ? new Date(rest.acknowledged_at).toISOString() : null,
    items: items.map((i) => ({ ...i, ...labels.get(i.item_key) })),
  }
}

export async function reviewRoutes(app: Api): Promise<void> {
  const { db } = app
  app.get(
    '/evaluations/:id',
    {
      config: { roles: READERS },
      schema: {
        summary: 'One evaluation (automatic or review) with its items and evidence',
        tags: ['reviews'],
        params: IdParams,
        response: { 200: Evaluation, ...errors },
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
        params: IdParams,
        response: { 200: Evaluation, 201: Evaluation, ...errors },
      },
    },
    async (request, reply) => {
      const { evaluation } = await loadEvaluation(db, request.params.id)
      if (evaluation.source !== 'auto')
        throw new ValidationError('a review starts from an automatic evaluation')
      const { id, created } = await openReview(db, evaluation, request.user.id, null)
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
        params: IdParams,
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
        response: { 200: Evaluation, ...errors },
      },
    },
    async (request) => {
      const id = request.params.id
      await db.withTransaction(async (tx) => {
        const loaded = await lockDraft(tx, id, request.user, 'change')
        await applyChanges(tx, loaded, request.body, request.user.id ?? null, 'review')
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
        params: IdParams,
        response: { 200: Evaluation, ...errors },
      },
    },
    async (request) => {
      await db.withTransaction((tx) => submitReview(tx, request.params.id, request.user))
      return present(await loadEvaluation(db, request.params.id))
    },
  )

  app.post(
    '/evaluations/:id/acknowledge',
    {
      config: { roles: ['agent'] },
      schema: {
        summary: "The call's agent acknowledges a submitted review (once; acknowledging is not agreeing)",
        tags: ['reviews'],
        params: IdParams,
        response: { 200: Evaluation, ...errors },
      },
    },
    async (request) => {
      await db.withTransaction((tx) => acknowledgeEvaluation(tx, request.params.id, request.user))
      return present(await loadEvaluation(db, request.params.id))
    },
  )

  app.get(
    '/evaluations/:id/audit',
    {
      config: { roles: ['admin', 'manager', 'reviewer'] },
      schema: {
        summary: 'Every recorded change to an evaluation: who, when, before, after',
        tags: ['reviews'],
        params: IdParams,
        response: { 200: Type.Array(AuditEntry), ...errors },
      },
    },
    async (request) => {
      await assertMayRead(db, (await loadEvaluation(db, request.params.id)).evaluation, request.user)
      return (await evaluationAuditTrail(db, request.params.id)).map((r) => ({
        ...r,
        at: new Date(r.at).toISOString(),
      }))
    },
  )
}
