/**
 * A received recording into callqa, once: `callqa ingest` and an upload both end here. The call
 * row is inserted first (or the call with the same recording found by its sha256), then the
 * recording is renamed into storage: a refused insert leaves no recording that nothing points to.
 * Database calls ride out a restart of the server (retried with backoff).
 */
import { open } from 'node:fs/promises'
import type { Database } from '../db/index.js'
import { type CallMetadata, type CallRow, insertCall } from '../db/queries/calls.js'
import { retryTransient } from '../errors.js'
import type { LayoutOption } from '../layouts.js'
import { type CallProcessor, defaultOptions } from './processor.js'
import { keepAfterInsert, type ReceivedRecording, receiveFile } from './storage.js'

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

/**
 * A recording already on this machine (a live call's, when it ends) into callqa as a call that the
 * server analyses: copied into storage, its call row made (or found, by its sha256), submitted to
 * the processor once. Returns the call's id.
 */
export async function intakeFile(
  db: Database,
  storageDir: string,
  processor: CallProcessor,
  file: string,
  call: { sourceName: string; layout: LayoutOption; meta: CallMetadata },
  /** runs once the call row exists, before its analysis is submitted (what the analysis reads) */
  stored: (callId: number) => Promise<void> = async () => {},
): Promise<number> {
  const received = await receiveFile(storageDir, await open(file, 'r'), call.sourceName)
  const { call: row, created } = await storeRecording(db, storageDir, received, {
    ...call,
    serverPending: true,
  })
  await stored(row.id)
  if (created) await processor.submit(row, defaultOptions())
  return row.id
}
