/**
 * A call as the people who review it read it: the stored row (without where its files live), its
 * metrics, segments, the redacted transcript a page at a time, and the evaluations the reader may
 * see. Reading is limited by the one access policy (access.ts); only redacted text leaves here.
 */

import type { Queryable } from '../db/index.js'
import {
  type CallReaderRow,
  callForReader,
  callMetricsRow,
  countUtterances,
} from '../db/queries/call-search.js'
import { listEvaluations } from '../db/queries/scorecards.js'
import { listProsodicSegments } from '../db/queries/segments.js'
import { callDescription } from '../db/queries/topics.js'
import type { UserRow } from '../db/queries/users.js'
import { listUtterances } from '../db/queries/utterances.js'
import { NotFoundError } from '../errors.js'
import { agentScope, evaluationListedFor } from './access.js'

const iso = (t: string | Date | null) => (t === null ? null : new Date(t).toISOString())

/** Utterances per answer: a 61,000-utterance transcript once made one 30 MB response. */
export const UTTERANCE_PAGE = 1000

/** The call's row if this user may read it; another agent's call is "not found", not "forbidden". */
export async function readableCall(db: Queryable, id: number, user: UserRow): Promise<CallReaderRow> {
  const call = await callForReader(db, id, agentScope(user))
  if (!call) throw new NotFoundError(`no call ${id}`)
  return call
}

/**
 * One page of a call's utterances after `afterSeq` (-1: from the start), their text dropped (only
 * the redacted text is served), the seq to continue after, and how many there are in all (counted
 * only when the first page is not the whole transcript).
 */
export async function utterancePage(db: Queryable, callId: number, afterSeq: number, limit: number) {
  const rows = await listUtterances(db, callId, { afterSeq, limit: limit + 1 })
  const items = rows.slice(0, limit).map(({ text: _t, ...u }) => ({ ...u }))
  const next = rows.length > limit ? (items.at(-1)?.seq ?? null) : null
  const total = afterSeq < 0 && next === null ? items.length : await countUtterances(db, callId)
  return { items, next, total }
}

/** Everything the call page shows, for this reader. */
export async function callDetail(db: Queryable, id: number, user: UserRow) {
  const call = await readableCall(db, id, user)
  const callId = call.id
  // Where the files live is the server's business; whether a redacted copy exists is the reader's.
  const { storage_uri: _, redacted_audio_uri: redacted, ...rest } = call
  const page = await utterancePage(db, callId, -1, UTTERANCE_PAGE)
  return {
    call: {
      ...rest,
      started_at: iso(rest.started_at),
      created_at: new Date(rest.created_at).toISOString(),
      processed_at: iso(rest.processed_at),
      has_redacted_audio: redacted !== null,
    },
    metrics: await callMetricsRow(db, callId),
    segments: (await listProsodicSegments(db, callId)).map((s) => ({ ...s })),
    utterances: page.items,
    utterances_total: page.total,
    utterances_next: page.next,
    evaluations: (await listEvaluations(db, callId))
      .filter((e) => evaluationListedFor(user, e))
      .map((e) => ({ ...e })),
    topics: topicsAsSeenBy(user, await callDescription(db, callId)),
  }
}

/**
 * An agent reads why their call was urgent, but not the customer's other calls: a repeat contact
 * says so (and how urgent it made the call), without the earlier call's id or when it was, which
 * are another agent's call and the customer's history.
 */
function topicsAsSeenBy<T extends { urgency_evidence: ReadonlyArray<{ signal: string }> } | null>(
  user: UserRow,
  topics: T,
): T {
  if (!topics || agentScope(user) === null) return topics
  return {
    ...topics,
    urgency_evidence: topics.urgency_evidence.map((e) => {
      if (e.signal !== 'repeat_contact') return e
      const {
        previous_call_id: _id,
        days: _days,
        ...rest
      } = e as typeof e & { previous_call_id?: number; days?: number }
      return rest
    }),
  }
}
