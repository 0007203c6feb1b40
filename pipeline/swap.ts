/**
 * "Agent and customer are the other way round on this call", once: `callqa swap` and
 * `POST /v1/calls/:id/swap` both ask here, so the checks, the audit and the error codes are the
 * same (a missing call is not found, one without a recording or still being analysed a conflict).
 * The swap is stored on the call (it survives its process) and the call is claimed for analysis;
 * the caller hands it to analysis (the CLI in its own process, the server to its processor).
 */
import type { Database } from '../db/index.js'
import { type CallRow, getCall, requestSwap } from '../db/queries/calls.js'
import { ConflictError, NotFoundError } from '../errors.js'
import { type SubmitOptions, storedOptions } from './processor.js'

export async function swapCall(
  db: Database,
  id: number,
  {
    userId,
    serverPending,
  }: {
    /** who asked (null: the command line) */
    userId: number | null
    /** the server analyses it (a swap over the API), not the process asking (the CLI) */
    serverPending: boolean
  },
): Promise<{ call: CallRow; options: SubmitOptions }> {
  const existing = await getCall(db, id)
  if (!existing) throw new NotFoundError(`no call ${id}`)
  if (!existing.storage_uri) throw new ConflictError(`call ${id} has no stored recording to analyse again`)
  const options = await storedOptions(db, id)
  // Only a finished call is re-run: one being analysed would be analysed twice at once.
  const call = await db.withTransaction((tx) => requestSwap(tx, id, userId, serverPending))
  if (!call) throw new ConflictError(`call ${id} is ${existing.status}; swap it once it has finished`)
  return { call, options }
}
