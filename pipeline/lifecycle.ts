/**
 * The end of a call's life: deleting it (`callqa calls delete`, `DELETE /v1/calls/:id`, the
 * retention job) removes the recording and its copies, every derived row (segments, utterances,
 * metrics, evaluations and reviews, disputes, clips, calibrations, assignments: the schema's
 * cascades) and the call's share of the trend rollups, in one transaction; the files go once it
 * has committed. The audit keeps who deleted which call id and when, and the content of the
 * call's earlier audit entries (names, metadata, comments) is cleared with it.
 */

import { rm } from 'node:fs/promises'
import type { Database } from '../db/index.js'
import { CLAIM_LIVE } from '../db/queries/calls.js'
import { daysOfCalls, refreshDailyStats } from '../db/queries/daily-stats.js'
import { forgetCallInFollowUps } from '../db/queries/follow-ups.js'
import { audit } from '../db/queries/users.js'
import { peaksKey } from './peaks-cache.js'
import { repeat } from './repeat.js'
import { storagePath } from './storage.js'

export interface DeleteReport {
  deleted: number[]
  missing: number[]
  /** files removed from storage (recordings, redacted and playable copies) */
  files: number
}

/** The storage keys a call's files may have: the recording, its redacted and playable copies, their waveform peaks. */
function keysOf(call: { storage_uri: string | null; redacted_audio_uri: string | null }): string[] {
  const keys: string[] = []
  if (call.storage_uri) {
    keys.push(call.storage_uri)
    keys.push(call.storage_uri.replace(/(\.[a-z0-9]{1,8})?$/, '.play.wav'))
    keys.push(peaksKey(call.storage_uri))
  }
  if (call.redacted_audio_uri) keys.push(call.redacted_audio_uri, peaksKey(call.redacted_audio_uri))
  return keys
}

export async function deleteCalls(
  db: Database,
  storageDir: string,
  ids: readonly number[],
  { userId, reason }: { userId: number | null; reason: 'request' | 'retention' },
): Promise<DeleteReport> {
  const report: DeleteReport = { deleted: [], missing: [], files: 0 }
  for (const id of ids) {
    const keys = await db.withTransaction(async (tx) => {
      const found = await tx.query<{ storage_uri: string | null; redacted_audio_uri: string | null }>(
        'SELECT storage_uri, redacted_audio_uri FROM calls WHERE id = $1 FOR UPDATE',
        [id],
      )
      const call = found.rows[0]
      if (!call) return undefined
      const days = await daysOfCalls(tx, [id])
      // The call's earlier audit entries keep who did what and when, not what it was about.
      await tx.query(
        `UPDATE audit_log SET before = NULL, after = NULL
         WHERE (entity = 'call' AND entity_id = $1)
            OR (entity = 'evaluation' AND entity_id IN (SELECT id FROM evaluations WHERE call_id = $1))
            OR (entity = 'clip' AND entity_id IN (SELECT id FROM clips WHERE call_id = $1))
            OR (entity = 'calibration' AND entity_id IN (SELECT id FROM calibration_sessions WHERE call_id = $1))`,
        [id],
      )
      await forgetCallInFollowUps(tx, id)
      await tx.query('DELETE FROM calls WHERE id = $1', [id])
      // The rollups lose the call's share (its days are rebuilt from what remains).
      await refreshDailyStats(tx, days)
      const files = keysOf(call)
      await audit(tx, {
        userId,
        action: reason === 'retention' ? 'call.delete.retention' : 'call.delete',
        entity: 'call',
        entityId: id,
        after: { files: files.length },
      })
      return files
    })
    if (!keys) {
      report.missing.push(id)
      continue
    }
    report.deleted.push(id)
    for (const key of keys) {
      let file: string
      try {
        file = storagePath(storageDir, key)
      } catch {
        continue
      }
      const existed = await rm(file).then(
        () => true,
        () => false,
      )
      if (existed) report.files++
    }
  }
  return report
}

export interface RetentionPolicy {
  /** calls older than this many days are deleted; 0 keeps them (unless their queue says otherwise) */
  days: number
  /** per-queue days overriding `days` (0 keeps that queue's calls) */
  byQueue: Readonly<Record<string, number>>
}

/** A policy that deletes nothing (no period, and none per queue). */
export function retentionOff(policy: RetentionPolicy): boolean {
  return policy.days === 0 && Object.values(policy.byQueue).every((d) => d === 0)
}

/** The calls the policy says are due (oldest first, at most `limit`). */
export async function dueForDeletion(
  db: Database,
  policy: RetentionPolicy,
  { now = new Date(), limit = 500 }: { now?: Date; limit?: number } = {},
): Promise<number[]> {
  const queues = Object.keys(policy.byQueue)
  const res = await db.query<{ id: number }>(
    `WITH policy AS (SELECT q, d FROM unnest($2::text[], $3::int[]) AS p(q, d))
     SELECT c.id FROM calls c LEFT JOIN policy p ON p.q = c.queue
     WHERE coalesce(p.d, $4::int) > 0
       AND coalesce(c.started_at, c.created_at) < $1::timestamptz - make_interval(days => coalesce(p.d, $4::int))
       AND NOT ${CLAIM_LIVE}
     ORDER BY coalesce(c.started_at, c.created_at), c.id
     LIMIT $5`,
    [now.toISOString(), queues, queues.map((q) => policy.byQueue[q] ?? 0), policy.days, limit],
  )
  return res.rows.map((r) => r.id)
}

/** Deletes every call the policy says is due, in batches; returns what was deleted. */
export async function applyRetention(
  db: Database,
  storageDir: string,
  policy: RetentionPolicy,
  now = new Date(),
): Promise<DeleteReport> {
  const total: DeleteReport = { deleted: [], missing: [], files: 0 }
  if (retentionOff(policy)) return total
  for (;;) {
    const due = await dueForDeletion(db, policy, { now })
    if (due.length === 0) return total
    const done = await deleteCalls(db, storageDir, due, { userId: null, reason: 'retention' })
    total.deleted.push(...done.deleted)
    total.files += done.files
    if (done.deleted.length === 0) return total
  }
}

/** The server's retention job: once at start, then hourly. Returns a stop function. */
export function startRetention(
  db: Database,
  storageDir: string,
  policy: RetentionPolicy,
  {
    intervalMs = 60 * 60_000,
    onRun = () => {},
    onError = (err: Error) => console.error(`callqa: retention: ${err.message}`),
  }: { intervalMs?: number; onRun?: (report: DeleteReport) => void; onError?: (err: Error) => void } = {},
): () => void {
  if (retentionOff(policy)) return () => {}
  return repeat(() => applyRetention(db, storageDir, policy).then(onRun), intervalMs, onError, { now: true })
}
