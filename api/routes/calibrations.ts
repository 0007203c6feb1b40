/**
 * Calibration: several reviewers score the same call blind (each sees only their own review until
 * all have submitted); then the session shows per-item agreement, score spread and deviation from
 * the expert. Each reviewer's agreement is tracked over time.
 */
import { Type } from 'typebox'
import type { Database, Queryable } from '../../db/index.js'
import { audit, type UserRow } from '../../db/queries/users.js'
import { ConflictError, ForbiddenError, NotFoundError, ValidationError } from '../../errors.js'
import { calibrationFigures } from '../../review/calibration.js'
import {
  loadSession,
  mayView,
  participants,
  type SessionRow,
  toReviews,
} from '../../review/calibration-sessions.js'
import { openReview } from '../../review/evaluations.js'
import { periodOf } from '../../review/sampling.js'
import { ErrorBody } from '../schemas.js'
import type { Api } from '../types.js'

const ORGANISERS = ['admin', 'manager', 'reviewer'] as const
const errors = { 400: ErrorBody, 401: ErrorBody, 403: ErrorBody, 404: ErrorBody, 409: ErrorBody }
const Json = Type.Record(Type.String(), Type.Unknown())

async function present(db: Queryable, session: SessionRow, user: UserRow | undefined) {
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
      ...(complete || p.reviewer_id === user?.id
        ? { evaluation_id: p.evaluation_id, percent: p.percent }
        : {}),
    })),
    results: complete ? calibrationFigures(toReviews(people), session.expert_id) : null,
  }
}

/**
 * Called in the submit transaction of a calibration review: when the last participant submits,
 * the session completes and its results show.
 */
export async function calibrationRoutes(app: Api, { db }: { db: Database }): Promise<void> {
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
        response: { 201: Json, ...errors },
      },
    },
    async (request, reply) => {
      const body = request.body
      if (body.expert && !body.reviewers.includes(body.expert))
        throw new ValidationError(`the expert ${body.expert} must be one of the reviewers`)
      const auto = await db.query<{ scorecard_id: number }>(
        `SELECT e.scorecard_id FROM evaluations e JOIN scorecards s ON s.id = e.scorecard_id
         WHERE e.call_id = $1 AND e.source = 'auto' AND s.key = $2 ORDER BY s.version DESC LIMIT 1`,
        [body.call_id, body.scorecard],
      )
      const scorecardId = auto.rows[0]?.scorecard_id
      if (!scorecardId)
        throw new ValidationError(
          `call ${body.call_id} has no automatic evaluation on scorecard "${body.scorecard}"`,
        )
      const users = await db.query<{ id: number; name: string; role: string }>(
        'SELECT id, name, role FROM users WHERE name = ANY($1::text[]) AND NOT disabled',
        [body.reviewers],
      )
      const byName = new Map(users.rows.map((u) => [u.name, u]))
      const problems = body.reviewers.flatMap((name) => {
        const u = byName.get(name)
        if (!u) return [`${name}: no such (enabled) user`]
        return u.role === 'reviewer' || u.role === 'admin' ? [] : [`${name}: role ${u.role} does not review`]
      })
      if (problems.length > 0)
        throw new ValidationError('cannot calibrate with these users', { details: problems })
      const id = await db.withTransaction(async (tx) => {
        const created = await tx.query<{ id: number }>(
          `INSERT INTO calibration_sessions (call_id, scorecard_id, title, expert_id, created_by)
           VALUES ($1, $2, $3, $4, $5) RETURNING id`,
          [
            body.call_id,
            scorecardId,
            body.title ?? null,
            body.expert ? (byName.get(body.expert)?.id ?? null) : null,
            request.user?.id ?? null,
          ],
        )
        const sessionId = created.rows[0]?.id as number
        await tx.query(
          'INSERT INTO calibration_participants (session_id, reviewer_id) SELECT $1, unnest($2::bigint[])',
          [sessionId, body.reviewers.map((n) => byName.get(n)?.id)],
        )
        await audit(tx, {
          userId: request.user?.id ?? null,
          action: 'calibration.create',
          entity: 'calibration',
          entityId: sessionId,
          after: {
            call_id: body.call_id,
            scorecard: body.scorecard,
            reviewers: body.reviewers,
            expert: body.expert ?? null,
          },
        })
        return sessionId
      })
      return reply.code(201).send(await present(db, await loadSession(db, id), request.user))
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
        response: { 200: Type.Array(Json), ...errors },
      },
    },
    async (request) => {
      const user = request.user as UserRow
      const seesAll = user.role === 'admin' || user.role === 'manager'
      const res = await db.query<{ created_at: string } & Record<string, unknown>>(
        `SELECT cs.id, cs.call_id, s.key AS scorecard, cs.title, cs.status, cs.created_at,
                (SELECT count(*)::int FROM calibration_participants p WHERE p.session_id = cs.id) AS participants,
                (SELECT count(*)::int FROM evaluations e WHERE e.calibration_id = cs.id AND e.status = 'submitted') AS submitted,
                EXISTS (SELECT 1 FROM calibration_participants p WHERE p.session_id = cs.id AND p.reviewer_id = $1) AS mine
         FROM calibration_sessions cs JOIN scorecards s ON s.id = cs.scorecard_id
         WHERE ($2::boolean OR cs.created_by = $1
                OR EXISTS (SELECT 1 FROM calibration_participants p WHERE p.session_id = cs.id AND p.reviewer_id = $1))
           AND ($3::text IS NULL OR cs.status = $3)
         ORDER BY cs.id DESC LIMIT 200`,
        [user.id, seesAll, request.query.status ?? null],
      )
      return res.rows.map((r) => ({ ...r, created_at: new Date(r.created_at).toISOString() }))
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
        params: Type.Object({ id: Type.Integer({ minimum: 1 }) }),
        response: { 200: Json, ...errors },
      },
    },
    async (request) => present(db, await loadSession(db, request.params.id), request.user),
  )

  app.post(
    '/calibrations/:id/review',
    {
      config: { roles: ['admin', 'reviewer'] },
      schema: {
        summary:
          "Open (or return) the caller's blind review for this session; save and submit it as any review",
        tags: ['calibration'],
        params: Type.Object({ id: Type.Integer({ minimum: 1 }) }),
        response: { 200: Json, 201: Json, ...errors },
      },
    },
    async (request, reply) => {
      const session = await loadSession(db, request.params.id)
      const user = request.user as UserRow
      const people = await participants(db, session.id)
      if (!people.some((p) => p.reviewer_id === user.id))
        throw new ForbiddenError(`${user.name} is not a participant of calibration ${session.id}`)
      if (session.status !== 'open') throw new ConflictError(`calibration ${session.id} is already complete`)
      const auto = await db.query<{ id: number; call_id: number; scorecard_id: number; percent: number }>(
        "SELECT id, call_id, scorecard_id, percent FROM evaluations WHERE call_id = $1 AND scorecard_id = $2 AND source = 'auto'",
        [session.call_id, session.scorecard_id],
      )
      const base = auto.rows[0]
      if (!base) throw new ConflictError('the automatic evaluation this session started from is gone')
      const { id, created } = await openReview(db, base, user.id, session.id)
      const review = await db.query<Record<string, unknown>>(
        `SELECT e.id, e.status, e.percent, e.calibration_id,
                (SELECT json_agg(json_build_object('item_key', i.item_key, 'result', i.result, 'auto_result', i.auto_result,
                   'evidence', i.evidence, 'comment', i.comment) ORDER BY i.seq)
                   FROM evaluation_items i WHERE i.evaluation_id = e.id) AS items
         FROM evaluations e WHERE e.id = $1`,
        [id],
      )
      return reply.code(created ? 201 : 200).send(review.rows[0] as Record<string, unknown>)
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
        response: { 200: Type.Array(Json), ...errors },
      },
    },
    async (request) => {
      const period = request.query.period ?? 'month'
      const sessions = await db.query<{ id: number; expert_id: number | null; completed_at: string }>(
        `SELECT id, expert_id, completed_at FROM calibration_sessions
         WHERE status = 'complete' AND ($1::timestamptz IS NULL OR completed_at >= $1)
           AND ($2::timestamptz IS NULL OR completed_at < $2)
         ORDER BY completed_at`,
        [request.query.from ?? null, request.query.to ?? null],
      )
      const user = request.user as UserRow
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
      for (const s of sessions.rows) {
        const figures = calibrationFigures(toReviews(await participants(db, s.id)), s.expert_id)
        const when = periodOf(new Date(s.completed_at).toISOString(), period)
        for (const r of figures.by_reviewer) {
          // Reviewers see their own figures; admins and managers see everyone's.
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
    },
  )
}
