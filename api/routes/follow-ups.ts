/**
 * Follow-ups over HTTP: the list (filters, overdue first), one case with its history, changes
 * (people, and the integration — a ticketing system or CRM with a token of role `integration`
 * updating status, notes and its reference back), opening one from a call, and the managers'
 * report. The rules — life cycle, who sees what, routing, promises — are in followups/.
 */
import { Type } from 'typebox'
import { followUpEvents, listFollowUps } from '../../db/queries/follow-ups.js'
import {
  activeFollowUpRules,
  changeFollowUp,
  NEXT,
  openByHand,
  present,
  readableFollowUp,
  scopeOf,
} from '../../followups/cases.js'
import { followUpReportFor } from '../../followups/report.js'
import { DEFAULT_ROOT_CAUSES, URGENCIES, urgencyNumber } from '../../followups/rules.js'
import { ERRORS_AND_CONFLICT, IdParams } from '../schemas.js'
import type { Api } from '../types.js'
import { FollowUp, FollowUpDetail, FollowUpReport, FollowUpStatus } from '../wire.js'
import { sendCsv } from './trends.js'

/** Everyone who may work a case; what each sees is decided per case (followups/cases.ts). */
const READERS = ['admin', 'manager', 'reviewer', 'trainer', 'agent', 'integration'] as const
const OPENERS = ['admin', 'manager', 'reviewer', 'trainer'] as const
const Urgency = Type.Union(URGENCIES.map((u) => Type.Literal(u)))
const DAY = '^\\d{4}-\\d{2}-\\d{2}'
const Day = Type.String({ pattern: DAY })
const day = (description: string) => Type.String({ pattern: DAY, description })

/** The list as a CSV: one flat row per case. */
function csvRow(f: ReturnType<typeof present>) {
  return {
    id: f.id,
    call_id: f.call_id,
    reason: f.reason,
    urgency: f.urgency,
    category: f.category,
    team: f.team,
    owner: f.owner,
    status: f.status,
    overdue: f.overdue,
    opened_at: f.opened_at,
    respond_due_at: f.respond_due_at,
    due_at: f.due_at,
    first_response_at: f.first_response_at,
    resolved_at: f.resolved_at,
    escalation_level: f.escalation_level,
    reopen_count: f.reopen_count,
    callback_reached: f.callback?.reached ?? null,
    callback_satisfied: f.callback?.satisfied ?? null,
    callback_csat: f.callback?.csat ?? null,
    root_cause: f.root_cause,
  }
}

export async function followUpRoutes(
  app: Api,
  { clock = () => new Date() }: { clock?: () => Date },
): Promise<void> {
  const { db } = app
  app.get(
    '/follow-ups',
    {
      config: { roles: READERS },
      schema: {
        summary:
          'Follow-ups the caller may see (managers and the integration: all; others: their own, their team’s and those escalated to them), overdue first',
        tags: ['follow-ups'],
        querystring: Type.Object(
          {
            call_id: Type.Optional(Type.Integer({ minimum: 1 })),
            status: Type.Optional(FollowUpStatus),
            team: Type.Optional(Type.String({ maxLength: 100 })),
            owner: Type.Optional(Type.String({ maxLength: 100 })),
            urgency: Type.Optional(Urgency),
            category: Type.Optional(Type.String({ maxLength: 300 })),
            overdue: Type.Optional(Type.Boolean()),
            escalated: Type.Optional(Type.Boolean({ description: 'only cases escalated at least once' })),
            resolved: Type.Optional(Type.Boolean({ description: 'only resolved (or closed) cases' })),
            mine: Type.Optional(Type.Boolean({ description: 'only cases the caller owns' })),
            from: Type.Optional(day('opened on or after')),
            to: Type.Optional(day('opened before')),
            call_from: Type.Optional(day('its call started on or after')),
            call_to: Type.Optional(day('its call started before')),
            format: Type.Optional(Type.Union([Type.Literal('json'), Type.Literal('csv')])),
          },
          { additionalProperties: false },
        ),
        response: { 200: Type.Object({ items: Type.Array(FollowUp) }), ...ERRORS_AND_CONFLICT },
      },
    },
    async (request, reply) => {
      const q = request.query
      const now = clock()
      const rows = await listFollowUps(
        db,
        {
          ...q,
          owner: q.mine ? request.user.name : q.owner,
          urgency: q.urgency === undefined ? undefined : urgencyNumber(q.urgency),
        },
        await scopeOf(db, request.user),
        now,
      )
      const items = rows.map((r) => present(r, now))
      if (q.format === 'csv') return sendCsv(reply, 'follow-ups.csv', items.map(csvRow))
      return { items }
    },
  )

  app.get(
    '/follow-ups/report',
    {
      config: { roles: ['admin', 'manager'] },
      schema: {
        summary:
          'Follow-ups opened in a period, by category, team and urgency: opened, resolved, promises kept, median time to resolve against the promise, escalations, reopen rate, callback satisfaction',
        tags: ['follow-ups'],
        querystring: Type.Object(
          {
            month: Type.Optional(Type.String({ pattern: '^\\d{4}-\\d{2}$' })),
            from: Type.Optional(Day),
            to: Type.Optional(Day),
            level: Type.Optional(Type.Integer({ minimum: 1, maximum: 3 })),
            format: Type.Optional(Type.Union([Type.Literal('json'), Type.Literal('csv')])),
          },
          { additionalProperties: false },
        ),
        response: { 200: FollowUpReport, ...ERRORS_AND_CONFLICT },
      },
    },
    async (request, reply) => {
      const report = await followUpReportFor(db, request.query, clock())
      if (request.query.format !== 'csv') return report
      const rows = [
        { group: 'total', ...report.total },
        ...report.by_category.map((r) => ({ group: 'category', ...r })),
        ...report.by_team.map((r) => ({ group: 'team', ...r })),
        ...report.by_urgency.map((r) => ({ group: 'urgency', ...r })),
      ]
      return sendCsv(reply, `follow-ups-${report.from}.csv`, rows)
    },
  )

  app.get(
    '/follow-ups/:id',
    {
      config: { roles: READERS },
      schema: {
        summary: 'One follow-up with its history (notes, changes, reminders, escalations)',
        tags: ['follow-ups'],
        params: IdParams,
        response: { 200: FollowUpDetail, ...ERRORS_AND_CONFLICT },
      },
    },
    async (request) => detail(request.params.id, await readableFollowUp(db, request.params.id, request.user)),
  )

  const detail = async (id: number, row: Awaited<ReturnType<typeof readableFollowUp>>) => {
    const active = await activeFollowUpRules(db)
    return {
      ...present(row, clock()),
      events: (await followUpEvents(db, id)).map((e) => ({ ...e, id: Number(e.id), at: e.at.toISOString() })),
      root_causes: active?.rules.rootCauses ?? DEFAULT_ROOT_CAUSES,
      team_members: (row.team && active?.rules.teams[row.team]?.members) || [],
      next: [...NEXT[row.status]],
    }
  }

  app.patch(
    '/follow-ups/:id',
    {
      config: { roles: READERS },
      schema: {
        summary:
          'Work a follow-up: status (open → in_progress → waiting → resolved → closed, reopened), owner, team, urgency, a note, the callback, root cause, why chain and fix; `version` refuses a change made against an older case (409). The integration may change status, note, callback and external_ref',
        tags: ['follow-ups'],
        params: IdParams,
        body: Type.Object(
          {
            status: Type.Optional(FollowUpStatus),
            owner: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
            team: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
            urgency: Type.Optional(Urgency),
            note: Type.Optional(Type.String({ minLength: 1, maxLength: 10_000 })),
            callback: Type.Optional(
              Type.Object(
                {
                  reached: Type.Boolean(),
                  satisfied: Type.Optional(Type.Boolean()),
                  csat: Type.Optional(Type.Integer({ minimum: 1, maximum: 5 })),
                  note: Type.Optional(Type.String({ maxLength: 5_000 })),
                  at: Type.Optional(Type.String({ format: 'date-time' })),
                },
                { additionalProperties: false },
              ),
            ),
            root_cause: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
            why: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 2_000 }), { maxItems: 10 })),
            fix: Type.Optional(Type.String({ minLength: 1, maxLength: 10_000 })),
            external_ref: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
            version: Type.Optional(Type.Integer({ minimum: 1 })),
          },
          { additionalProperties: false, minProperties: 1 },
        ),
        response: { 200: FollowUpDetail, ...ERRORS_AND_CONFLICT },
      },
    },
    async (request) => {
      const now = clock()
      const row = await db.withTransaction((tx) =>
        changeFollowUp(tx, request.params.id, request.user, request.body, now),
      )
      return detail(request.params.id, row)
    },
  )

  app.post(
    '/calls/:id/follow-ups',
    {
      config: { roles: OPENERS },
      schema: {
        summary:
          'Open a follow-up from a call by hand (routed by the active rules unless a team is given); a customer with an open follow-up has the call joined to it (200)',
        tags: ['follow-ups'],
        params: IdParams,
        body: Type.Object(
          {
            note: Type.Optional(Type.String({ minLength: 1, maxLength: 10_000 })),
            reason: Type.Optional(
              Type.String({
                minLength: 1,
                maxLength: 10_000,
                description: 'the same as note (either says why)',
              }),
            ),
            urgency: Type.Optional(Urgency),
            team: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
            owner: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
          },
          { additionalProperties: false },
        ),
        response: { 200: FollowUpDetail, 201: FollowUpDetail, ...ERRORS_AND_CONFLICT },
      },
    },
    async (request, reply) => {
      const now = clock()
      const { id, created } = await db.withTransaction((tx) =>
        openByHand(
          tx,
          request.params.id,
          request.user,
          { ...request.body, note: request.body.note ?? request.body.reason },
          now,
        ),
      )
      const row = await readableFollowUp(db, id, request.user)
      return reply.code(created ? 201 : 200).send(await detail(id, row))
    },
  )
}
