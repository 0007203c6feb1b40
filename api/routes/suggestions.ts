import { Type } from 'typebox'
import type { Database } from '../../db/index.js'
import { latestScorecard } from '../../db/queries/scorecards.js'
import { ValidationError } from '../../errors.js'
import { findItem, itemWindow } from '../../review/coaching.js'
import type { ScorecardDefinition } from '../../scorecards/schema.js'
import type { Api } from '../types.js'
import { errors, Nullable, Polarity, READERS } from './coaching-schemas.js'

export async function suggestionRoutes(app: Api, { db }: { db: Database }): Promise<void> {
  app.get(
    '/coaching/suggestions',
    {
      config: { roles: READERS },
      schema: {
        summary:
          'Candidate clips: recovery (customer low at the start, high at the end), failed_item or passed_item (examples of a scorecard item)',
        tags: ['coaching'],
        querystring: Type.Object(
          {
            kind: Type.Union([
              Type.Literal('recovery'),
              Type.Literal('failed_item'),
              Type.Literal('passed_item'),
            ]),
            scorecard: Type.Optional(Type.String()),
            item: Type.Optional(Type.String()),
            start_max: Type.Optional(
              Type.Number({
                minimum: -1,
                maximum: 1,
                description: 'recovery: customer sentiment at the start at most (default -0.1)',
              }),
            ),
            end_min: Type.Optional(
              Type.Number({
                minimum: -1,
                maximum: 1,
                description: 'recovery: customer sentiment at the end at least (default 0.1)',
              }),
            ),
            limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: 10 })),
          },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Array(
            Type.Object({
              call_id: Type.Integer(),
              agent_id: Nullable(Type.String()),
              start_ms: Type.Integer(),
              end_ms: Type.Integer(),
              title: Type.String(),
              why: Type.String(),
              scorecard_key: Nullable(Type.String()),
              item_key: Nullable(Type.String()),
              polarity: Polarity,
              score: Type.Number(),
            }),
          ),
          ...errors,
        },
      },
    },
    async (request) => {
      const q = request.query
      const limit = q.limit ?? 10
      if (q.kind === 'recovery') {
        const calls = await db.query<{
          id: number
          agent_id: string | null
          duration_ms: number
          start: number
          end: number
        }>(
          `SELECT c.id, c.agent_id, c.duration_ms, m.customer_sentiment_start AS start, m.customer_sentiment_end AS "end"
           FROM calls c JOIN call_metrics m ON m.call_id = c.id
           WHERE c.status = 'done' AND m.customer_sentiment_start <= $1 AND m.customer_sentiment_end >= $2
           ORDER BY m.customer_sentiment_end - m.customer_sentiment_start DESC, c.id LIMIT $3`,
          [q.start_max ?? -0.1, q.end_min ?? 0.1, limit],
        )
        // Every candidate's customer turns in one query (not one query per call).
        const turns = await db.query<{
          call_id: number
          start_ms: number
          end_ms: number
          sentiment: number | null
        }>(
          `SELECT call_id, start_ms, end_ms, sentiment FROM utterances
           WHERE call_id = ANY($1::bigint[]) AND speaker = 'customer' ORDER BY call_id, seq`,
          [calls.rows.map((c) => c.id)],
        )
        const turnsOf = new Map<number, typeof turns.rows>()
        for (const t of turns.rows) turnsOf.set(t.call_id, [...(turnsOf.get(t.call_id) ?? []), t])
        const out = []
        for (const call of calls.rows) {
          // From a little before the customer's lowest moment to the end of their first good one after it.
          const scored = (turnsOf.get(call.id) ?? []).filter((t) => t.sentiment !== null)
          const low = scored.reduce<(typeof scored)[number] | undefined>(
            (best, t) =>
              best === undefined || (t.sentiment as number) < (best.sentiment as number) ? t : best,
            undefined,
          )
          const start = Math.max(0, (low?.start_ms ?? 0) - 2000)
          const good = scored.find(
            (t) => t.start_ms > (low?.start_ms ?? 0) && (t.sentiment as number) >= (q.end_min ?? 0.1),
          )
          const end = Math.min(call.duration_ms, (good ?? scored.at(-1))?.end_ms ?? call.duration_ms)
          out.push({
            call_id: call.id,
            agent_id: call.agent_id,
            start_ms: start,
            end_ms: end > start ? end : call.duration_ms,
            title: `Recovery: customer ${call.start.toFixed(2)} → ${call.end.toFixed(2)}`,
            why: `customer sentiment rose from ${call.start.toFixed(2)} at the start to ${call.end.toFixed(2)} at the end`,
            scorecard_key: null,
            item_key: null,
            polarity: 'good' as const,
            score: Math.round((call.end - call.start) * 1000) / 1000,
          })
        }
        return out
      }
      if (!q.scorecard || !q.item) throw new ValidationError(`${q.kind} suggestions need scorecard and item`)
      const card = await latestScorecard(db, q.scorecard)
      if (!card) throw new ValidationError(`no scorecard "${q.scorecard}"`)
      const item = findItem(card.definition as ScorecardDefinition, q.item)
      if (!item) throw new ValidationError(`scorecard "${q.scorecard}" has no item "${q.item}"`)
      const result = q.kind === 'failed_item' ? 'fail' : 'pass'
      // Automatic evaluations on the card's newest version; with timed evidence first, then the
      // calls whose score is furthest from the item's result (the clearest examples).
      const rows = await db.query<{
        call_id: number
        agent_id: string | null
        duration_ms: number
        percent: number
        evidence: Array<{ start_ms?: number; end_ms?: number; type: string; text?: string; what?: string }>
      }>(
        `SELECT c.id AS call_id, c.agent_id, c.duration_ms, e.percent, i.evidence
         FROM evaluations e
         JOIN evaluation_items i ON i.evaluation_id = e.id
         JOIN calls c ON c.id = e.call_id
         WHERE e.scorecard_id = $1 AND e.source = 'auto' AND i.item_key = $2 AND i.result = $3
           AND c.duration_ms IS NOT NULL
         ORDER BY (SELECT count(*) FROM jsonb_array_elements(i.evidence) x WHERE x ? 'start_ms') > 0 DESC,
                  CASE WHEN $3 = 'fail' THEN e.percent ELSE -e.percent END, c.id
         LIMIT $4`,
        [card.id, q.item, result, limit],
      )
      return rows.rows.map((r) => {
        const timed = r.evidence.filter(
          (x): x is typeof x & { start_ms: number; end_ms: number } =>
            typeof x.start_ms === 'number' && typeof x.end_ms === 'number',
        )
        const [start, end] = timed.length
          ? [
              Math.max(0, (timed[0] as { start_ms: number }).start_ms - 2000),
              Math.min(r.duration_ms, (timed[0] as { end_ms: number }).end_ms + 2000),
            ]
          : itemWindow(item, r.duration_ms)
        const first = timed[0]
        return {
          call_id: r.call_id,
          agent_id: r.agent_id,
          start_ms: start,
          end_ms: end,
          title: `${item.label}: ${result === 'fail' ? 'missed' : 'done well'}`,
          why: first
            ? `${first.type === 'phrase' ? `"${first.text ?? ''}"` : (first.what ?? first.type)} at ${(first.start_ms / 1000).toFixed(1)} s`
            : `item ${result === 'fail' ? 'failed' : 'passed'}; clip covers where the card looks`,
          scorecard_key: card.key,
          item_key: item.key,
          polarity: result === 'fail' ? ('bad' as const) : ('good' as const),
          score: r.percent,
        }
      })
    },
  )
}
