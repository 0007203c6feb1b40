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

/** The call-level sentiment and arousal columns, from the call's sentiment summary. */
const SENTIMENT: ReadonlyArray<[string, (s: SentimentSummary) => unknown]> = [
  ['customer_sentiment_start', (s) => s.customerSentimentStart],
  ['customer_sentiment_end', (s) => s.customerSentimentEnd],
  ['customer_sentiment_min', (s) => s.customerSentimentMin],
  ['customer_sentiment_trend', (s) => s.customerSentimentTrend],
  ['agent_sentiment_mean', (s) => s.agentSentimentMean],
  ['customer_arousal_max', (s) => s.customerArousalMax],
  ['agitated_segments', (s) => s.agitatedSegments],
  ['arousal_peaks', (s) => JSON.stringify(s.arousalPeaks)],
]

const written = [
  ...COLUMNS.map(([, c]) => c),
  'params',
  'hold_episodes',
  'dead_air_episodes',
  'overtalk_episodes',
  ...SENTIMENT.map(([c]) => c),
]
const UPSERT = `INSERT INTO call_metrics (call_id, ${written.join(', ')})
  VALUES ($1, ${written.map((_, i) => `$${i + 2}`).join(', ')})
  ON CONFLICT (call_id) DO UPDATE SET ${written.map((c) => `${c} = EXCLUDED.${c}`).join(', ')}`

/** A call's metrics row, whole: its metrics, where its holds, dead air and overtalk are, its sentiment. */
export async function saveCallMetrics(
  db: Queryable,
  callId: number,
  metrics: CallMetrics,
  params: unknown,
  holdEpisodes: readonly unknown[],
  /** where the dead air and the overtalk are (null on a channel where overlap cannot be measured) */
  episodes: { deadAir: readonly unknown[]; overtalk: readonly unknown[] | null },
  sentiment: SentimentSummary,
): Promise<void> {
  await db.query(UPSERT, [
    callId,
    ...COLUMNS.map(([key]) => metrics[key]),
    JSON.stringify(params),
    JSON.stringify(holdEpisodes),
    JSON.stringify(episodes.deadAir),
    JSON.stringify(episodes.overtalk ?? []),
    ...SENTIMENT.map(([, value]) => value(sentiment)),
  ])
}

export async function getCallMetrics(db: Queryable, callId: number): Promise<CallMetrics | undefined> {
  const row = (
    await db.query<Record<string, unknown>>('SELECT * FROM call_metrics WHERE call_id = $1', [callId])
  ).rows[0]
  if (!row) return undefined
  return Object.fromEntries(COLUMNS.map(([key, column]) => [key, row[column]])) as unknown as CallMetrics
}
