/**
 * The wire schemas as types, for the page: web/ is JavaScript checked by TypeScript (// @ts-check),
 * and names what an API call answers with these, so a field renamed in a schema fails the page's
 * type check (`npm run typecheck`).
 */
import type { Static } from 'typebox'
import type * as R from './routes/coaching-schemas.js'
import type * as S from './routes/sample-schemas.js'
import type * as W from './wire.js'

export type Evaluation = Static<typeof W.Evaluation>
export type EvaluationItem = Static<typeof W.EvaluationItem>
export type AuditEntry = Static<typeof W.AuditEntry>
export type Dispute = Static<typeof W.Dispute>
export type CalibrationSession = Static<typeof W.CalibrationSession>
export type CalibrationSummary = Static<typeof W.CalibrationSummary>
export type CalibrationReview = Static<typeof W.CalibrationReview>
export type ReviewerAgreement = Static<typeof W.ReviewerAgreement>
export type Utterance = Static<typeof W.Utterance>
export type Segment = Static<typeof W.Segment>
export type CallEvaluation = Static<typeof W.CallEvaluation>
export type Playlist = Static<typeof W.Playlist>
export type CallRecord = Static<typeof W.CallRecord>
export type CallTopics = Static<typeof W.CallTopics>
export type CallPage = Static<typeof W.CallPage>
/** The metrics are the call_metrics row as it is (SELECT *): its columns, read by name. */
export type CallDetail = Omit<Static<typeof W.CallDetail>, 'metrics'> & {
  // biome-ignore lint/suspicious/noExplicitAny: the row's columns, as SELECT * reads them
  metrics: Record<string, any> | null
}
export type Me = Static<typeof W.Me>
export type Clip = Static<typeof R.Clip>
export type Sample = Static<typeof S.Sample>
export type SampleSummary = Static<typeof S.SampleSummary>
export type QueueEntry = Static<typeof S.QueueEntry>
export type FollowUp = Static<typeof W.FollowUp>
export type FollowUpDetail = Static<typeof W.FollowUpDetail>
export type FollowUpReport = Static<typeof W.FollowUpReport>
