/**
 * The response bodies of the review API, so /docs/json describes what comes back and fastify
 * serialises exactly these fields. A field left out here does not reach the client: that is how
 * the original transcript text (`text`) is kept off the wire, whatever a query selects. Rows read
 * with SELECT * (metrics, a call's own row) keep their extra columns.
 */
import { Type } from 'typebox'

export const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(t: T) =>
  Type.Union([t, Type.Null()])
const Answer = Type.Union([
  Type.Literal('pass'),
  Type.Literal('fail'),
  Type.Literal('na'),
  Type.Literal('pending'),
])
/** A timestamp as ISO 8601 text. */
const Time = Type.String({ format: 'date-time' })

export const Evidence = Type.Array(Type.Unknown(), {
  description: 'what the item was judged on: utterances, spans or metric values, per item kind',
})

export const EvaluationItem = Type.Object({
  seq: Type.Integer(),
  section_key: Type.String(),
  section_label: Type.Optional(Type.String()),
  item_key: Type.String(),
  label: Type.Optional(Type.String()),
  kind: Type.String(),
  result: Answer,
  auto_result: Nullable(Answer),
  points: Type.Number(),
  max_points: Type.Number(),
  occurrences: Type.Integer(),
  critical: Type.Boolean(),
  fatal: Type.Boolean(),
  evidence: Evidence,
  comment: Nullable(Type.String()),
})

export const Evaluation = Type.Object({
  id: Type.Integer(),
  call_id: Type.Integer(),
  scorecard_id: Type.Integer(),
  scorecard_key: Type.String(),
  scorecard_version: Type.Integer(),
  source: Type.Union([Type.Literal('auto'), Type.Literal('review')]),
  status: Type.Union([Type.Literal('draft'), Type.Literal('submitted'), Type.Literal('final')]),
  reviewer_id: Nullable(Type.Integer()),
  based_on: Nullable(Type.Integer({ description: 'the automatic evaluation a review started from' })),
  calibration_id: Nullable(Type.Integer()),
  score: Type.Number(),
  max_score: Type.Number(),
  percent: Type.Number(),
  passed: Type.Boolean(),
  fatal_failed: Type.Boolean(),
  critical_failed: Type.Array(Type.String()),
  pending: Type.Integer({ description: 'manual items not answered yet' }),
  comment: Nullable(Type.String()),
  submitted_at: Nullable(Time),
  acknowledged_at: Nullable(Time),
  items: Type.Array(EvaluationItem),
})

export const AuditEntry = Type.Object({
  id: Type.Integer(),
  at: Time,
  action: Type.String(),
  before: Type.Unknown(),
  after: Type.Unknown(),
  user_name: Nullable(Type.String()),
})

export const Dispute = Type.Object({
  id: Type.Integer(),
  evaluation_id: Type.Integer(),
  call_id: Type.Integer(),
  raised_by_name: Type.String(),
  items: Type.Array(
    Type.Object({
      item_key: Type.String(),
      proposed: Answer,
      current: Type.String(),
      comment: Nullable(Type.String()),
    }),
  ),
  comment: Type.String(),
  status: Type.Union([
    Type.Literal('open'),
    Type.Literal('accepted'),
    Type.Literal('partially_accepted'),
    Type.Literal('rejected'),
  ]),
  accepted_items: Type.Array(Type.String()),
  decided_by_name: Nullable(Type.String()),
  decision_comment: Nullable(Type.String()),
  percent_before: Nullable(Type.Number()),
  percent_after: Nullable(Type.Number()),
  created_at: Time,
  decided_at: Nullable(Time),
})

export const CalibrationSession = Type.Object({
  id: Type.Integer(),
  call_id: Type.Integer(),
  scorecard: Type.String(),
  scorecard_version: Type.Integer(),
  title: Nullable(Type.String()),
  status: Type.Union([Type.Literal('open'), Type.Literal('complete')]),
  expert: Nullable(Type.String()),
  created_at: Time,
  completed_at: Nullable(Time),
  participants: Type.Array(
    Type.Object({
      reviewer: Type.String(),
      submitted: Type.Boolean(),
      evaluation_id: Type.Optional(Nullable(Type.Integer())),
      percent: Type.Optional(Nullable(Type.Number())),
    }),
  ),
  results: Nullable(
    Type.Unknown({
      description:
        'once complete: per-item agreement, score spread, each reviewer against expert and majority',
    }),
  ),
})

export const CalibrationSummary = Type.Object({
  id: Type.Integer(),
  call_id: Type.Integer(),
  scorecard: Type.String(),
  title: Nullable(Type.String()),
  status: Type.String(),
  created_at: Time,
  participants: Type.Integer(),
  submitted: Type.Integer(),
  mine: Type.Boolean({ description: 'the caller takes part' }),
})

export const CalibrationReview = Type.Object({
  id: Type.Integer(),
  status: Type.String(),
  percent: Type.Number(),
  calibration_id: Type.Integer(),
  items: Type.Array(
    Type.Object({
      item_key: Type.String(),
      result: Answer,
      auto_result: Nullable(Answer),
      evidence: Evidence,
      comment: Nullable(Type.String()),
    }),
  ),
})

export const ReviewerAgreement = Type.Object({
  reviewer: Type.String(),
  period: Type.String(),
  sessions: Type.Integer(),
  matches_expert: Nullable(Type.Number()),
  matches_majority: Nullable(Type.Number()),
  mean_abs_deviation: Nullable(Type.Number()),
})

export const Utterance = Type.Object({
  seq: Type.Integer(),
  speaker: Type.String(),
  start_ms: Type.Integer(),
  end_ms: Type.Integer(),
  text_redacted: Type.String({
    description: 'the transcript with personal data masked; the original never leaves',
  }),
  words: Nullable(
    Type.Array(Type.Object({ word: Type.String(), start_ms: Type.Integer(), end_ms: Type.Integer() })),
  ),
  redactions: Type.Array(
    Type.Object({ kind: Type.String(), start_ms: Type.Integer(), end_ms: Type.Integer() }),
  ),
  language: Nullable(Type.String()),
  sentiment: Nullable(Type.Number()),
  sentiment_terms: Type.Optional(
    Nullable(
      Type.Array(
        Type.Object({
          text: Type.String(),
          weight: Type.Number(),
          source: Type.String({
            description: 'lexicon | phrase | words (a learned n-gram) | baseline | emphasis | other',
          }),
          lexicon: Type.Optional(Type.Number()),
          negated: Type.Optional(Type.Boolean()),
          contrast: Type.Optional(Type.String()),
          intensifier: Type.Optional(Type.String()),
        }),
        { description: 'the words and phrases behind the sentiment; their weights add up to it' },
      ),
    ),
  ),
  arousal: Nullable(Type.Number()),
})

export const Segment = Type.Object({
  speaker: Type.String(),
  startMs: Type.Integer(),
  endMs: Type.Integer(),
  loudnessDb: Nullable(Type.Number()),
  pitchHz: Nullable(Type.Number()),
  rate: Nullable(Type.Number()),
  arousal: Nullable(Type.Number()),
  agitated: Type.Boolean(),
})

export const CallEvaluation = Type.Object({
  id: Type.Integer(),
  source: Type.Union([Type.Literal('auto'), Type.Literal('review')]),
  status: Type.String(),
  reviewer_id: Nullable(Type.Integer()),
  reviewer_name: Nullable(Type.String()),
  calibration_id: Nullable(Type.Integer()),
  calibration_status: Nullable(Type.String()),
  scorecard_key: Type.String(),
  scorecard_version: Type.Integer(),
  score: Type.Number(),
  percent: Type.Number(),
  passed: Type.Boolean(),
  fatal_failed: Type.Boolean(),
  items: Type.Array(
    Type.Object({
      item_key: Type.String(),
      result: Answer,
      auto_result: Type.Optional(Nullable(Answer)),
      points: Type.Number(),
      evidence: Evidence,
      comment: Type.Optional(Nullable(Type.String())),
    }),
  ),
})

export const Playlist = Type.Object({
  id: Type.Integer(),
  name: Type.String(),
  description: Nullable(Type.String()),
  shared_with_team: Nullable(
    Type.String({ description: 'the team whose agents see it; null: coaching staff only' }),
  ),
  created_by: Nullable(Type.String()),
  created_at: Time,
})

/** A call's stored row as readers see it (where its files live stays on the server). */
export const CallRecord = Type.Object(
  {
    id: Type.Integer(),
    external_id: Nullable(Type.String()),
    source_name: Type.String(),
    status: Type.String(),
    started_at: Nullable(Time),
    duration_ms: Nullable(Type.Integer()),
    agent_id: Nullable(Type.String()),
    team: Nullable(Type.String()),
    queue: Nullable(Type.String()),
    direction: Nullable(Type.String()),
    language: Nullable(Type.String()),
    csat: Nullable(Type.Number()),
    disposition: Nullable(Type.String()),
    channel_layout: Nullable(Type.String()),
    transcript_status: Type.String(),
    transcript_format: Nullable(Type.String()),
    transcript_error: Nullable(Type.String()),
    error_code: Nullable(Type.String()),
    error_message: Nullable(Type.String()),
    speakers_swapped: Type.Boolean(),
    audio_format: Type.Unknown({ description: 'codec, sample rate, channels as decoded' }),
    channel_check: Type.Unknown({
      description: 'what the channel check found (two parties, dual mono, a silent side)',
    }),
    transcript_confidence: Nullable(Type.Number()),
    transcript_trusted: Nullable(Type.Boolean()),
    role_decision: Type.Unknown({
      description: 'how agent and customer were told apart, and on what evidence',
    }),
    diarization: Type.Unknown({
      description: 'a one-channel call split in two voices: how well they separated',
    }),
    created_at: Time,
    processed_at: Nullable(Time),
    has_redacted_audio: Type.Boolean(),
  },
  { additionalProperties: true },
)

const said = {
  phrase: Type.String(),
  text: Type.String(),
  speaker: Type.String(),
  similarity: Type.Number(),
  start_ms: Type.Integer(),
  end_ms: Type.Integer(),
}

/** What a call is about (issue "what calls are about"); null until a trusted transcript is analysed. */
export const CallTopics = Nullable(
  Type.Object({
    taxonomy: Nullable(Type.Object({ key: Type.String(), version: Type.Integer() })),
    categories: Type.Array(
      Type.Object({
        rank: Type.Integer({ description: '1: the main category' }),
        path: Type.Array(Type.String(), { description: 'node keys, level 1 first' }),
        labels: Type.Array(Type.String()),
        labels_zh: Type.Array(Nullable(Type.String())),
        score: Type.Number(),
        evidence: Type.Array(Type.Object({ ...said, node: Type.Array(Type.String()) }), {
          description: 'the utterances that filed the call here, and the node each phrase belongs to',
        }),
      }),
    ),
    urgency: Nullable(Type.String({ description: 'P0 (most urgent) to P3; null: not judged' })),
    urgency_evidence: Type.Array(
      Type.Object(
        {
          signal: Type.String({ description: 'phrase | category | sentiment | repeat_contact' }),
          level: Type.String(),
        },
        { additionalProperties: true },
      ),
      { description: 'every signal found, most urgent first; the first decided' },
    ),
    summary: Nullable(
      Type.Array(
        Type.Object({
          kind: Type.String({ description: 'reason | action | follow_up' }),
          speaker: Type.String(),
          text: Type.String(),
          start_ms: Type.Integer(),
          end_ms: Type.Integer(),
          cues: Type.Array(Type.String()),
        }),
      ),
    ),
    summary_note: Nullable(Type.String({ description: 'why there is no summary' })),
    conduct: Nullable(
      Type.Object({
        flags: Type.Array(
          Type.Object({
            kind: Type.String({ description: 'dismissive | rude | impatient | blaming' }),
            rule: Type.String(),
            text: Type.String(),
            speaker: Type.String(),
            start_ms: Type.Integer(),
            end_ms: Type.Integer(),
            utterance: Type.Integer(),
          }),
        ),
        agent_trend: Nullable(
          Type.Object({ first: Type.Number(), second: Type.Number(), falling: Type.Boolean() }),
        ),
      }),
    ),
  }),
)

export const CallSummary = Type.Object({
  id: Type.Integer(),
  external_id: Type.Union([Type.String(), Type.Null()]),
  source_name: Type.String(),
  status: Type.String(),
  started_at: Type.Union([Type.String(), Type.Null()]),
  duration_ms: Type.Union([Type.Integer(), Type.Null()]),
  agent_id: Type.Union([Type.String(), Type.Null()]),
  team: Type.Union([Type.String(), Type.Null()]),
  queue: Type.Union([Type.String(), Type.Null()]),
  direction: Type.Union([Type.String(), Type.Null()]),
  language: Type.Union([Type.String(), Type.Null()]),
  transcript_status: Type.String(),
  qa_percent: Type.Union([Type.Number(), Type.Null()], {
    description:
      "one card's automatic score: the card asked for (scorecard=), else the one that fits the call most closely",
  }),
  qa_scorecard: Type.Union([Type.String(), Type.Null()], { description: 'the card qa_percent is of' }),
  fatal_failed: Type.Union([Type.Boolean(), Type.Null()], {
    description: 'a fatal item failed on that card',
  }),
  transcript_trusted: Type.Union([Type.Boolean(), Type.Null()], {
    description: 'false: speech recognition below its confidence threshold',
  }),
  channel_problem: Type.Union([Type.Literal('dual-mono'), Type.Literal('one-channel-silent'), Type.Null()], {
    description: 'what the channel check found wrong with a stereo file',
  }),
  hold_count: Type.Union([Type.Integer(), Type.Null()]),
  customer_sentiment_end: Type.Union([Type.Number(), Type.Null()]),
  customer_sentiment_trend: Type.Union([Type.Number(), Type.Null()]),
  dead_air_longest_ms: Type.Union([Type.Integer(), Type.Null()]),
  urgency: Type.Union([Type.String(), Type.Null()], {
    description: 'P0 (most urgent) to P3; null: no trusted transcript to judge from',
  }),
  category: Type.Union([Type.Array(Type.String()), Type.Null()], {
    description: "the main category's node keys, level 1 first",
  }),
  conduct_flags: Type.Union([Type.Integer(), Type.Null()], {
    description: 'dismissive or rude things the agent said',
  }),
})

export const CallPage = Type.Object({
  items: Type.Array(CallSummary),
  next_cursor: Type.Union([Type.String(), Type.Null()]),
})

/** One call: what GET /calls/{id} answers. */
export const CallDetail = Type.Object({
  call: CallRecord,
  metrics: Type.Union([
    Type.Object({}, { additionalProperties: true, description: 'the call_metrics row' }),
    Type.Null(),
  ]),
  segments: Type.Array(Segment),
  utterances: Type.Array(Utterance),
  utterances_total: Type.Integer({ description: 'how many utterances the call has' }),
  utterances_next: Type.Union([Type.Integer(), Type.Null()], {
    description: 'more than a page: the rest from GET /calls/{id}/utterances?after=this',
  }),
  evaluations: Type.Array(CallEvaluation),
  topics: CallTopics,
})

/** Who a token belongs to: GET /me. */
export const Me = Type.Object({
  id: Type.Integer(),
  name: Type.String(),
  role: Type.String(),
  agent_id: Type.Union([Type.String(), Type.Null()]),
  team: Type.Union([Type.String(), Type.Null()], {
    description: 'the follow-up team the user is a member of',
  }),
})

/** A live alert as stored: where in the call, on what evidence, who acknowledged it. */
export const LiveAlertRow = Type.Object({
  id: Type.Integer(),
  session_id: Type.Integer(),
  rule: Type.String(),
  severity: Type.Union([Type.Literal('info'), Type.Literal('warning'), Type.Literal('critical')]),
  at_ms: Type.Integer({ description: 'position in the call' }),
  evidence: Type.Record(Type.String(), Type.Unknown(), { description: 'times and words, per rule' }),
  raised_at: Time,
  acknowledged_by: Nullable(Type.Integer()),
  acknowledged_at: Nullable(Time),
})

/** One live session: its state, its stretches without audio, its figures now, its alerts. */
export const LiveSessionDetail = Type.Object({
  session: Type.Integer(),
  protocol: Type.String(),
  state: Type.String({ description: 'live, ended, filed or empty' }),
  agent_id: Nullable(Type.String()),
  queue: Nullable(Type.String()),
  started_at: Time,
  ended_at: Nullable(Time),
  audio_ms: Type.Integer(),
  call_id: Nullable(Type.Integer({ description: 'the call its recording was filed as' })),
  stretches: Type.Array(
    Type.Object({ kind: Type.String(), start_ms: Type.Integer(), end_ms: Type.Integer() }),
    { description: 'pauses, discarded audio and gaps: filled with silence, never dead air' },
  ),
  now: Nullable(
    Type.Record(Type.String(), Type.Unknown(), { description: 'the call in progress: its figures now' }),
  ),
  alerts: Type.Array(LiveAlertRow),
})

const UrgencyLabel = Type.Union([
  Type.Literal('P0'),
  Type.Literal('P1'),
  Type.Literal('P2'),
  Type.Literal('P3'),
])
export const FollowUpStatus = Type.Union([
  Type.Literal('open'),
  Type.Literal('in_progress'),
  Type.Literal('waiting'),
  Type.Literal('resolved'),
  Type.Literal('closed'),
  Type.Literal('reopened'),
])

/** A follow-up as lists, the case view and webhooks show it (the customer's id stays off the wire). */
export const FollowUp = Type.Object({
  id: Type.Integer(),
  call_id: Nullable(Type.Integer({ description: 'the call that opened it' })),
  calls: Type.Array(Type.Integer(), { description: 'its calls: the opening one, then repeat contacts' }),
  reason: Type.String({
    description:
      'the first reason: urgency, complaint, conduct, sentiment, fatal_item, category, live_alert, manual',
  }),
  reasons: Type.Array(Type.Object({ kind: Type.String(), evidence: Type.Unknown() })),
  urgency: UrgencyLabel,
  category: Nullable(Type.String()),
  team: Nullable(Type.String()),
  owner: Nullable(Type.String()),
  status: FollowUpStatus,
  due_at: Time,
  respond_due_at: Time,
  resolve_due_at: Time,
  overdue: Type.Boolean(),
  paused: Type.Boolean({ description: 'waiting for the customer: the clocks are stopped' }),
  escalation_level: Type.Integer(),
  escalated_to: Type.Array(Type.String()),
  escalated_at: Nullable(Time),
  opened_at: Time,
  first_response_at: Nullable(Time),
  resolved_at: Nullable(Time),
  closed_at: Nullable(Time),
  reopen_count: Type.Integer(),
  callback: Nullable(
    Type.Object({
      at: Type.String(),
      reached: Type.Boolean(),
      satisfied: Type.Optional(Type.Boolean()),
      csat: Type.Optional(Type.Number()),
      note: Type.Optional(Type.String()),
      by: Type.Optional(Type.String()),
    }),
  ),
  root_cause: Nullable(Type.String()),
  why: Type.Array(Type.String()),
  fix: Nullable(Type.String()),
  external_ref: Nullable(Type.String()),
  version: Type.Integer(),
  updated_at: Time,
})

export const FollowUpDetail = Type.Object({
  ...FollowUp.properties,
  events: Type.Array(
    Type.Object({
      id: Type.Integer(),
      at: Time,
      user: Nullable(Type.String()),
      kind: Type.String(),
      note: Nullable(Type.String()),
      detail: Type.Unknown(),
    }),
  ),
  root_causes: Type.Array(Type.String(), { description: 'the root causes a complaint may be given' }),
  team_members: Type.Array(Type.String(), { description: 'who in its team may own it' }),
  next: Type.Array(FollowUpStatus, { description: 'the statuses it may move to now' }),
})

const ReportFigures = Type.Object({
  key: Nullable(Type.String()),
  opened: Type.Integer(),
  resolved: Type.Integer(),
  promises_due: Type.Integer(),
  promises_kept: Type.Integer(),
  promises_kept_pct: Nullable(Type.Number()),
  median_resolve_ms: Nullable(Type.Number()),
  median_promise_ms: Nullable(Type.Number()),
  escalated: Type.Integer(),
  reopened: Type.Integer(),
  reopen_rate_pct: Nullable(Type.Number()),
  callbacks: Type.Integer(),
  callbacks_reached: Type.Integer(),
  callback_satisfied_pct: Nullable(Type.Number()),
  callback_csat: Nullable(Type.Number()),
})

export const FollowUpReport = Type.Object({
  from: Type.String(),
  to: Type.String(),
  level: Type.Integer(),
  total: ReportFigures,
  by_category: Type.Array(ReportFigures),
  by_team: Type.Array(ReportFigures),
  by_urgency: Type.Array(ReportFigures),
})
