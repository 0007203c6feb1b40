/**
 * Sampling over HTTP: preview and draw a sample (reproducible: the same rule and seed over the same
 * calls draws the same calls), list and read samples, and a reviewer's own queue. The rules live in
 * review/samples.ts and review/sampling.ts; this file is schema → domain call → present.
 */
import { Type } from 'typebox'
import { listSamples, reviewerQueue } from '../../db/queries/samples.js'
import { createSample, getSample, planSample } from '../../review/samples.js'
import { ERRORS, IdParams } from '../schemas.js'
import type { Api } from '../types.js'
import { QueueEntry, Sample, SampleBody, SampleSummary } from './sample-schemas.js'

const PLANNERS = ['admin', 'manager', 'reviewer'] as const
const errors = ERRORS
const iso = (t: string | null) => (t ? new Date(t).toISOString() : null)

export async function sampleRoutes(app: Api): Promise<void> {
  const { db } = app
  app.post(
    '/samples/preview',
    {
      config: { roles: PLANNERS },
      schema: {
        summary: 'Draw a sample without saving it (same rule and seed → same calls)',
        tags: ['sampling'],
        body: SampleBody,
        response: { 200: Sample, ...errors },
      },
    },
    async (request) => {
      const p = await planSample(db, request.body)
      return {
        name: request.body.name,
        scorecard: p.card.key,
        rule: p.rule,
        seed: p.seed,
        population: p.population,
        drawn: p.drawn.length,
        strata: p.strata,
        assignments: p.drawn,
      }
    },
  )

  app.post(
    '/samples',
    {
      config: { roles: PLANNERS },
      schema: {
        summary: 'Draw a sample by a rule and seed, and assign its calls to reviewers',
        tags: ['sampling'],
        body: SampleBody,
        response: { 201: Sample, ...errors },
      },
    },
    async (request, reply) => {
      const id = await db.withTransaction((tx) => createSample(tx, request.body, request.user.id ?? null))
      return reply.code(201).send(await getSample(db, id))
    },
  )

  app.get(
    '/samples',
    {
      config: { roles: PLANNERS },
      schema: {
        summary: 'Samples, newest first',
        tags: ['sampling'],
        response: { 200: Type.Array(SampleSummary), ...errors },
      },
    },
    async () =>
      (await listSamples(db)).map((r) => ({ ...r, created_at: new Date(r.created_at).toISOString() })),
  )

  app.get(
    '/samples/:id',
    {
      config: { roles: PLANNERS },
      schema: {
        summary: 'A sample: its rule, seed, population, strata and assignments',
        tags: ['sampling'],
        params: IdParams,
        response: { 200: Sample, ...errors },
      },
    },
    async (request) => getSample(db, request.params.id),
  )

  app.get(
    '/me/queue',
    {
      config: { roles: ['admin', 'reviewer'] },
      schema: {
        summary: "The caller's open review assignments, due first",
        tags: ['sampling'],
        querystring: Type.Object(
          { all: Type.Optional(Type.Boolean({ description: 'also assignments due after today' })) },
          { additionalProperties: false },
        ),
        response: { 200: Type.Array(QueueEntry), ...errors },
      },
    },
    async (request) =>
      (await reviewerQueue(db, request.user.id, request.query.all ?? false)).map((r) => ({
        ...r,
        started_at: iso(r.started_at),
      })),
  )
}
