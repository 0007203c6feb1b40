/**
 * Calibration over HTTP: start a session, list and read sessions, open a participant's blind
 * review, and each reviewer's agreement over time. The rules (blindness, who may see, completion,
 * the figures) are in review/calibration-sessions.ts and review/calibration.ts.
 */
import { Type } from 'typebox'
import { listSessions } from '../../db/queries/calibrations.js'
import {
  createSession,
  openCalibrationReview,
  reviewerAgreement,
  sessionView,
} from '../../review/calibration-sessions.js'
import { ERRORS_AND_CONFLICT, IdParams } from '../schemas.js'
import type { Api } from '../types.js'
import { CalibrationReview, CalibrationSession, CalibrationSummary, ReviewerAgreement } from '../wire.js'

const ORGANISERS = ['admin', 'manager', 'reviewer'] as const
const errors = ERRORS_AND_CONFLICT

export async function calibrationRoutes(app: Api): Promise<void> {
  const { db } = app
  app.post(
    '/calibrations',
    {
      config: { roles: ORGANISERS },
      schema: {
        summary: 'Start a calibration session: reviewers score the same call blind',
        tags: ['calibration'],
        body: Type.Object(
          {
            call_id: Type.Integer({ minimum: 1 }),
            scorecard: Type.String({ minLength: 1 }),
            reviewers: Type.Array(Type.String({ minLength: 1 }), {
              minItems: 2,
              maxItems: 50,
              uniqueItems: true,
            }),
            expert: Type.Optional(
              Type.String({
                minLength: 1,
                description: 'one of the reviewers: the baseline the others are compared with',
              }),
            ),
            title: Type.Optional(Type.String({ maxLength: 200 })),
          },
          { additionalProperties: false },
        ),
        response: { 201: CalibrationSession, ...errors },
      },
    },
    async (request, reply) => {
      const id = await createSession(db, request.body, request.user.id ?? null)
      return reply.code(201).send(await sessionView(db, id, request.user))
    },
  )

  app.get(
    '/calibrations',
    {
      config: { roles: ORGANISERS },
      schema: {
        summary: 'Calibration sessions the caller may see, newest first',
        tags: ['calibration'],
        querystring: Type.Object(
          { status: Type.Optional(Type.Union([Type.Literal('open'), Type.Literal('complete')])) },
          { additionalProperties: false },
        ),
        response: { 200: Type.Array(CalibrationSummary), ...errors },
      },
    },
    async (request) => {
      const user = request.user
      const seesAll = user.role === 'admin' || user.role === 'manager'
      return (await listSessions(db, user.id, seesAll, request.query.status)).map((r) => ({
        ...r,
        created_at: new Date(r.created_at).toISOString(),
      }))
    },
  )

  app.get(
    '/calibrations/:id',
    {
      config: { roles: ORGANISERS },
      schema: {
        summary:
          'A session: who has submitted; once all have, agreement, spread and deviation from the expert',
        tags: ['calibration'],
        params: IdParams,
        response: { 200: CalibrationSession, ...errors },
      },
    },
    async (request) => sessionView(db, request.params.id, request.user),
  )

  app.post(
    '/calibrations/:id/review',
    {
      config: { roles: ['admin', 'reviewer'] },
      schema: {
        summary:
          "Open (or return) the caller's blind review for this session; save and submit it as any review",
        tags: ['calibration'],
        params: IdParams,
        response: { 200: CalibrationReview, 201: CalibrationReview, ...errors },
      },
    },
    async (request, reply) => {
      const { review, created } = await openCalibrationReview(db, request.params.id, request.user)
      return reply.code(created ? 201 : 200).send(review)
    },
  )

  app.get(
    '/calibrations/reviewers',
    {
      config: { roles: ['admin', 'manager', 'reviewer'] },
      schema: {
        summary: "Each reviewer's calibration agreement over time (with the expert, or the majority)",
        tags: ['calibration'],
        querystring: Type.Object(
          {
            from: Type.Optional(Type.String({ format: 'date-time' })),
            to: Type.Optional(Type.String({ format: 'date-time' })),
            period: Type.Optional(
              Type.Union([Type.Literal('day'), Type.Literal('week'), Type.Literal('month')]),
            ),
          },
          { additionalProperties: false },
        ),
        response: { 200: Type.Array(ReviewerAgreement), ...errors },
      },
    },
    async (request) =>
      reviewerAgreement(
        db,
        { from: request.query.from, to: request.query.to, period: request.query.period ?? 'month' },
        request.user,
      ),
  )
}
