import type { CallMetrics } from '../../analysis/stages/compute-metrics.js'
import type { SentimentSummary } from '../../analysis/stages/summarize-sentiment.js'
import type { Queryable } from '../index.js'

/** CallMetrics field → call_metrics column. The order is the parameter order of the upsert. */
const COLUMNS: ReadonlyArray<[keyof CallMetrics, string]> = [
  ['durationMs', 'duration_ms'],
  ['agentTalkMs', 'agent_talk_ms'],
  ['customerTalkMs', 'customer_talk_ms'],
  ['speakerTalkMs', 'speaker_talk_ms'],
  ['agentTalkRatio', 'agent_talk_ratio'],
  ['talkPercent', 'talk_percent'],
  ['nonTalkMs', 'non_talk_ms'],
  ['deadAirCount', 'dead_air_count'],
  ['deadAirTotalMs', 'dead_air_total_ms'],
  ['deadAirLongestMs', 'dead_air_longest_ms'],
  ['holdCount', 'hold_count'],
  ['holdTotalMs', 'hold_total_ms'],
  ['holdLongestMs', 'hold_longest_ms'],
  ['overtalkCount', 'overtalk_count'],
  ['overtalkMs', 'overtalk_ms'],
  ['agentInterruptions', 'agent_interruptions'],
  ['customerInterruptions', 'customer_interruptions'],
  ['agentLongestMonologueMs', 'agent_longest_monologue_ms'],
  ['customerLongestMonologueMs', 'customer_longest_monologue_ms'],
  ['agentResponseLatencyMeanMs', 'agent_response_latency_mean_ms'],
  ['agentResponseLatencyP90Ms', 'agent_response_latency_p90_ms'],
  ['agentResponseCount', 'agent_response_count'],
  ['lastSpeaker', 'last_speaker'],
  ['turns', 'turns'],
]

const columnList = COLUMNS.map(([, c]) => c).join(', ')
const placeholders = COLUMNS.map((_, i) => `$${i + 2}`).join(', ')
const updates = [
  ...COLUMNS.map(([, c]) => c),
  'params',
  'hold_episodes',
  'dead_air_episodes',
  'overtalk_episodes',
]
  .map((c) => `${c} = EXCLUDED.${c}`)
  .join(', ')
const UPSERT = `INSERT INTO call_metrics (call_id, ${columnList}, params, hold_episodes, dead_air_episodes, overtalk_episodes)
  VALUES ($1, ${placeholders}, $${COLUMNS.length + 2}, $${COLUMNS.length + 3}, $${COLUMNS.length + 4}, $${COLUMNS.length + 5})
  ON CONFLICT (call_id) DO UPDATE SET ${updates}`

export async function upsertCallMetrics(
  db: Queryable,
  callId: number,
  metrics: CallMetrics,
  params: unknown,
  holdEpisodes: readonly unknown[] = [],
  /** where the dead air and the overtalk are (null on a channel where overlap cannot be measured) */
  episodes: { deadAir: readonly unknown[]; overtalk: readonly unknown[] | null } = {
    deadAir: [],
    overtalk: [],
  },
): Promise<void> {
  await db.query(UPSERT, [
    callId,
    ...COLUMNS.map(([key]) => metrics[key]),
    JSON.stringify(params),
    JSON.stringify(holdEpisodes),
    JSON.stringify(episodes.deadAir),
    JSON.stringify(episodes.overtalk ?? []),
  ])
}

export async function getCallMetrics(db: Queryable, callId: number): Promise<CallMetrics | undefined> {
  const row = (
    await db.query<Record<string, unknown>>('SELECT * FROM call_metrics WHERE call_id = $1', [callId])
  ).rows[0]
  if (!row) return undefined
  return Object.fromEntries(COLUMNS.map(([key, column]) => [key, row[column]])) as unknown as CallMetrics
}

/** The call-level sentiment and arousal columns (set after the transcript and segments are in). */
export async function updateSentimentSummary(
  db: Queryable,
  callId: number,
  summary: SentimentSummary,
): Promise<void> {
  await db.query(
    `UPDATE call_metrics SET customer_sentiment_start = $2, customer_sentiment_end = $3,
       customer_sentiment_min = $4, customer_sentiment_trend = $5, agent_sentiment_mean = $6,
       customer_arousal_max = $7, agitated_segments = $8, arousal_peaks = $9::jsonb
     WHERE call_id = $1`,
    [
      callId,
      summary.customerSentimentStart,
      summary.customerSentimentEnd,
      summary.customerSentimentMin,
      summary.customerSentimentTrend,
      summary.agentSentimentMean,
      summary.customerArousalMax,
      summary.agitatedSegments,
      JSON.stringify(summary.arousalPeaks),
    ],
  )
}
