/**
 * A received recording into callqa, once: `callqa ingest` and an upload both end here. The call
 * row is inserted first (or the call with the same recording found by its sha256), then the
 * recording is renamed into storage: a refused insert leaves no recording that nothing points to.
 * Database calls ride out a restart of the server (retried with backoff).
 */
import type { Database } from '../db/index.js'
import { type CallMetadata, type CallRow, insertCall } from '../db/queries/calls.js'
import { retryTransient } from '../errors.js'
import type { LayoutOption } from '../layouts.js'
import { keepAfterInsert, type ReceivedRecording } from './storage.js'

export async function storeRecording(
  db: Database,
  storageDir: string,
  received: ReceivedRecording,
  call: {
    sourceName: string
    layout: LayoutOption | string
    meta: CallMetadata
    /** the server analyses it (an upload), not the process storing it (an ingest) */
    serverPending?: boolean
  },
): Promise<{ call: CallRow; created: boolean }> {
  return keepAfterInsert(storageDir, received, (storageUri) =>
    retryTransient(() =>
      insertCall(db, {
        sha256: received.sha256,
        sourceName: call.sourceName,
        storageUri,
        requestedLayout: call.layout,
        meta: call.meta,
        ...(call.serverPending ? { serverPending: true } : {}),
      }),
    ),
  )
}
