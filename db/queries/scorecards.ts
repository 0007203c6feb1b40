import { builtinScorecards } from '../../scorecards/builtin.js'
import type { CallFacts, EvaluationResult } from '../../scorecards/evaluate.js'
import { definitionHash } from '../../scorecards/load.js'
import { METRIC_NAMES, type ScorecardDefinition } from '../../scorecards/schema.js'
import type { Queryable } from '../index.js'
import { type UtteranceRow, wordTimes } from './utterances.js'

export interface ScorecardRow {
  id: number
  key: string
  version: number
  name: string
  definition: ScorecardDefinition
  active: boolean
  source: string | null
}

/**
 * Stores a definition: the same content as an existing version of its key is that version; new
 * content is the next version (inheriting the key's active flag). Returns the row and whether it
 * is new.
 */
export async function saveScorecard(
  db: Queryable,
  definition: ScorecardDefinition,
  source: string | null,
): Promise<{ scorecard: ScorecardRow; created: boolean }> {
  const sha = definitionHash(definition)
  const existing = await db.query<ScorecardRow>(
    'SELECT id, key, version, name, definition, active, source FROM scorecards WHERE key = $1 AND definition_sha256 = $2',
    [definition.key, sha],
  )
  if (existing.rows[0]) return { scorecard: existing.rows[0], created: false }
  const inserted = await db.query<ScorecardRow>(
    `INSERT INTO scorecards (key, version, name, definition, definition_sha256, source, active)
     SELECT $1, coalesce(max(version), 0) + 1, $2, $3::jsonb, $4, $5,
            coalesce(bool_or(active) FILTER (WHERE version = (SELECT max(version) FROM scorecards WHERE key = $1)), true)
     FROM scorecards WHERE key = $1
     ON CONFLICT DO NOTHING
     RETURNING id, key, version, name, definition, active, source`,
    [definition.key, definition.name, JSON.stringify(definition), sha, source],
  )
  const row = inserted.rows[0]
  if (!row) {
    // Another process stored the same content at the same moment.
    const again = await db.query<ScorecardRow>(
      'SELECT id, key, version, name, definition, active, source FROM scorecards WHERE key = $1 AND definition_sha256 = $2',
      [definition.key, sha],
    )
    return { scorecard: again.rows[0] as ScorecardRow, created: false }
  }
  return { scorecard: row, created: true }
}

/** The newest version of every active key: what the pipeline evaluates. */
export async function activeScorecards(db: Queryable): Promise<ScorecardRow[]> {
  const res = await db.query<ScorecardRow>(
    `SELECT DISTINCT ON (key) id, key, version, name, definition, active, source
     FROM scorecards ORDER BY key, version DESC`,
  )
  return res.rows.filter((r) => r.active)
}

export async function latestScorecard(db: Queryable, key: string): Promise<ScorecardRow | undefined> {
  const res = await db.query<ScorecardRow>(
    `SELECT id, key, version, name, definition, active, source FROM scorecards WHERE key = $1
     ORDER BY version DESC LIMIT 1`,
    [key],
  )
  return res.rows[0]
}

export async function listScorecards(db: Queryable): Promise<Array<ScorecardRow & { evaluations: number }>> {
  const res = await db.query<ScorecardRow & { evaluations: number }>(
    `SELECT s.id, s.key, s.version, s.name, s.definition, s.active, s.source,
            (SELECT count(*) FROM evaluations e WHERE e.scorecard_id = s.id)::int AS evaluations
     FROM scorecards s ORDER BY s.key, s.version`,
  )
  return res.rows
}

export async function setScorecardActive(db: Queryable, key: string, active: boolean): Promise<number> {
  const res = await db.query('UPDATE scorecards SET active = $2 WHERE key = $1', [key, active])
  return res.rowCount
}

const METRIC_COLUMNS = METRIC_NAMES.map((m) => `m.${m}`).join(', ')

/**
 * What the evaluator needs for a batch of calls, in four queries whatever the batch size:
 * call fields and metrics, utterances, segments.
 */
export async function loadCallFacts(
  db: Queryable,
  callIds: readonly number[],
): Promise<Map<number, CallFacts>> {
  const out = new Map<number, CallFacts>()
  if (callIds.length === 0) return out
  const calls = await db.query<Record<string, unknown>>(
    `SELECT c.id, c.duration_ms, c.direction, c.language, c.queue, c.team, c.transcript_status,
            c.transcript_trusted, c.transcript_confidence, m.hold_episodes, m.customer_sentiment_start, m.customer_sentiment_end, ${METRIC_COLUMNS}
     FROM calls c LEFT JOIN call_metrics m ON m.call_id = c.id
     WHERE c.id = ANY($1::bigint[])`,
    [callIds],
  )
  for (const row of calls.rows) {
    const metrics: CallFacts['metrics'] = {}
    for (const name of METRIC_NAMES) metrics[name] = (row[name] as number | null) ?? null
    out.set(row.id as number, {
      durationMs: (row.duration_ms as number | null) ?? 0,
      direction: (row.direction as CallFacts['direction']) ?? null,
      language: (row.language as string | null) ?? null,
      queue: (row.queue as string | null) ?? null,
      team: (row.team as string | null) ?? null,
      hasTranscript: row.transcript_status === 'supplied' || row.transcript_status === 'asr',
      transcriptTrusted: row.transcript_trusted !== false,
      transcriptConfidence: (row.transcript_confidence as number | null) ?? null,
      holds: (row.hold_episodes as CallFacts['holds'] | null) ?? [],
      metrics,
      customerSentimentStart: (row.customer_sentiment_start as number | null) ?? null,
      customerSentimentEnd: (row.customer_sentiment_end as number | null) ?? null,
      segments: [],
      utterances: [],
    })
  }
  const utterances = await db.query<
    { call_id: number } & Pick<
      UtteranceRow,
      'speaker' | 'start_ms' | 'end_ms' | 'text_redacted' | 'words' | 'sentiment' | 'arousal'
    >
  >(
    `SELECT call_id, speaker, start_ms, end_ms, text_redacted, words, sentiment, arousal FROM utterances
     WHERE call_id = ANY($1::bigint[]) ORDER BY call_id, seq`,
    [callIds],
  )
  for (const u of utterances.rows) {
    ;(out.get(u.call_id)?.utterances as CallFacts['utterances'][number][] | undefined)?.push({
      speaker: u.speaker,
      startMs: u.start_ms,
      endMs: u.end_ms,
      text: u.text_redacted,
      words: wordTimes(u.words),
      sentiment: u.sentiment,
      arousal: u.arousal,
    })
  }
  const segments = await db.query<{ call_id: number; speaker: string; start_ms: number; end_ms: number }>(
    'SELECT call_id, speaker, start_ms, end_ms FROM segments WHERE call_id = ANY($1::bigint[]) ORDER BY call_id, start_ms',
    [callIds],
  )
  for (const s of segments.rows) {
    ;(out.get(s.call_id)?.segments as CallFacts['segments'][number][] | undefined)?.push({
      speaker: s.speaker,
      startMs: s.start_ms,
      endMs: s.end_ms,
    })
  }
  return out
}

/** Replaces the automatic evaluation of (call, scorecard version) with `result`, items included. */
export async function saveAutoEvaluation(
  db: Queryable,
  callId: number,
  scorecardId: number,
  result: EvaluationResult,
): Promise<void> {
  await saveAutoEvaluations(db, scorecardId, [{ callId, result }])
}

/**
 * The same for many calls of one scorecard version in three statements (arrays as parameters),
 * whatever their number: re-scoring history is bound by the evaluator, not by round trips.
 */
export async function saveAutoEvaluations(
  db: Queryable,
  scorecardId: number,
  evaluations: ReadonlyArray<{ callId: number; result: EvaluationResult }>,
): Promise<void> {
  if (evaluations.length === 0) return
  const callIds = evaluations.map((e) => e.callId)
  await db.query(
    "DELETE FROM evaluations WHERE scorecard_id = $1 AND source = 'auto' AND call_id = ANY($2::bigint[])",
    [scorecardId, callIds],
  )
  const results = evaluations.map((e) => e.result)
  const inserted = await db.query<{ id: number; call_id: number }>(
    `INSERT INTO evaluations (call_id, scorecard_id, source, status, score, max_score, percent, passed,
       fatal_failed, critical_failed, pending)
     SELECT e.call_id, $1, 'auto', 'final', e.score, e.max_score, e.percent, e.passed, e.fatal_failed,
       ARRAY(SELECT jsonb_array_elements_text(e.critical_failed::jsonb)), e.pending
     FROM unnest($2::bigint[], $3::real[], $4::real[], $5::real[], $6::boolean[], $7::boolean[], $8::text[], $9::int[])
       AS e (call_id, score, max_score, percent, passed, fatal_failed, critical_failed, pending)
     RETURNING id, call_id`,
    [
      scorecardId,
      callIds,
      results.map((r) => r.score),
      results.map((r) => r.maxScore),
      results.map((r) => r.percent),
      results.map((r) => r.passed),
      results.map((r) => r.fatalFailed),
      results.map((r) => JSON.stringify(r.criticalFailed)),
      results.map((r) => r.pending),
    ],
  )
  const idByCall = new Map(inserted.rows.map((r) => [r.call_id, r.id]))
  const rows = evaluations.flatMap((e) =>
    e.result.items.map((item, seq) => ({ evaluationId: idByCall.get(e.callId) as number, seq, item })),
  )
  await db.query(
    `INSERT INTO evaluation_items (evaluation_id, seq, section_key, item_key, kind, result, points, max_points,
       occurrences, critical, fatal, evidence)
     SELECT i.evaluation_id, i.seq, i.section_key, i.item_key, i.kind, i.result, i.points, i.max_points,
       i.occurrences, i.critical, i.fatal, i.evidence::jsonb
     FROM unnest($1::bigint[], $2::int[], $3::text[], $4::text[], $5::text[], $6::text[], $7::real[], $8::real[],
       $9::int[], $10::boolean[], $11::boolean[], $12::text[])
       AS i (evaluation_id, seq, section_key, item_key, kind, result, points, max_points, occurrences, critical,
         fatal, evidence)`,
    [
      rows.map((r) => r.evaluationId),
      rows.map((r) => r.seq),
      rows.map((r) => r.item.section),
      rows.map((r) => r.item.key),
      rows.map((r) => r.item.kind),
      rows.map((r) => r.item.result),
      rows.map((r) => r.item.points),
      rows.map((r) => r.item.maxPoints),
      rows.map((r) => r.item.occurrences),
      rows.map((r) => r.item.critical),
      rows.map((r) => r.item.fatal),
      rows.map((r) => JSON.stringify(r.item.evidence)),
    ],
  )
}

export interface StoredEvaluation {
  id: number
  source: 'auto' | 'review'
  status: string
  reviewer_id: number | null
  reviewer_name: string | null
  calibration_id: number | null
  calibration_status: 'open' | 'complete' | null
  scorecard_key: string
  scorecard_version: number
  score: number
  percent: number
  passed: boolean
  fatal_failed: boolean
  items: Array<{
    item_key: string
    result: 'pass' | 'fail' | 'na' | 'pending'
    auto_result: 'pass' | 'fail' | 'na' | 'pending' | null
    points: number
    evidence: unknown[]
    comment: string | null
  }>
}

export async function listEvaluations(db: Queryable, callId: number): Promise<StoredEvaluation[]> {
  const res = await db.query<StoredEvaluation>(
    `SELECT e.id, e.source, e.status, e.reviewer_id, (SELECT u.name FROM users u WHERE u.id = e.reviewer_id) AS reviewer_name,
            e.calibration_id,
            (SELECT cs.status FROM calibration_sessions cs WHERE cs.id = e.calibration_id) AS calibration_status,
            s.key AS scorecard_key, s.version AS scorecard_version,
            e.score, e.percent, e.passed, e.fatal_failed,
            coalesce((SELECT json_agg(json_build_object('item_key', i.item_key, 'result', i.result,
                        'auto_result', i.auto_result, 'points', i.points, 'evidence', i.evidence,
                        'comment', i.comment) ORDER BY i.seq)
                      FROM evaluation_items i WHERE i.evaluation_id = e.id), '[]') AS items
     FROM evaluations e JOIN scorecards s ON s.id = e.scorecard_id
     WHERE e.call_id = $1 ORDER BY s.key, s.version, e.source, e.id`,
    [callId],
  )
  return res.rows
}

/**
 * Stores the built-in cards (a new version only where a file changed), so a fresh database
 * evaluates calls out of the box. Returns the keys that got a new version.
 */
export async function installBuiltinScorecards(db: Queryable): Promise<string[]> {
  const created: string[] = []
  for (const { file, definition } of builtinScorecards()) {
    const saved = await saveScorecard(db, definition, file)
    if (saved.created) created.push(`${definition.key} v${saved.scorecard.version}`)
  }
  return created
}
