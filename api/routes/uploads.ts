/**
 * Recordings in over HTTP: a multipart upload streamed (hashed on the way) into the storage's
 * temporary folder under a size limit, kept only once every field has checked out, then queued
 * like `callqa ingest`; and "agent and customer are the other way round": swap and re-run.
 */
import { rm } from 'node:fs/promises'
import path from 'node:path'
import multipart from '@fastify/multipart'
import { Type } from 'typebox'
import type { Database } from '../../db/index.js'
import { type CallRow, getCall, insertCall } from '../../db/queries/calls.js'
import { audit } from '../../db/queries/users.js'
import { MetadataError } from '../../errors.js'
import { uploadMetadata } from '../../pipeline/metadata.js'
import { type CallProcessor, defaultOptions, storedOptions } from '../../pipeline/processor.js'
import { keepRecording, type ReceivedRecording, receiveRecording } from '../../pipeline/storage.js'
import { ErrorBody } from '../schemas.js'
import { type Api, ApiError } from '../server.js'

const LAYOUTS = ['auto', 'stereo-agent-left', 'stereo-agent-right', 'mono'] as const
const Accepted = Type.Object({
  call_id: Type.Integer(),
  status: Type.String(),
  duplicate: Type.Boolean(),
  location: Type.String(),
})
const errors = { 400: ErrorBody, 401: ErrorBody, 403: ErrorBody, 404: ErrorBody, 409: ErrorBody }

function needProcessor(processor: CallProcessor | undefined): CallProcessor {
  if (!processor)
    throw new ApiError(503, 'QA_ERR_NO_PROCESSOR', 'this server was started without a way to analyse calls')
  return processor
}

export async function uploadRoutes(
  app: Api,
  {
    db,
    storageDir,
    processor,
    maxUploadBytes,
  }: { db: Database; storageDir: string; processor: CallProcessor | undefined; maxUploadBytes: number },
): Promise<void> {
  await app.register(multipart, {
    limits: { fileSize: maxUploadBytes, files: 1, fields: 20, fieldSize: 10_000, parts: 21 },
  })

  app.post(
    '/calls',
    {
      config: { roles: ['admin', 'manager'] },
      schema: {
        summary: 'Upload a recording (multipart/form-data: a `file` part and metadata fields) and queue it',
        description:
          'Fields: external_id, started_at, agent, team, queue, direction, csat, disposition, language, ' +
          'swap_speakers, layout (auto | stereo-agent-left | stereo-agent-right | mono). 202 when queued; ' +
          '200 with duplicate=true when the same recording is already stored.',
        tags: ['calls'],
        consumes: ['multipart/form-data'],
        response: { 200: Accepted, 202: Accepted, ...errors, 413: ErrorBody, 503: ErrorBody },
      },
    },
    async (request, reply) => {
      const proc = needProcessor(processor)
      if (!request.isMultipart())
        throw new ApiError(
          400,
          'QA_ERR_VALIDATION',
          'send the recording as multipart/form-data with a "file" part',
        )
      const fields: Record<string, string> = {}
      let received: ReceivedRecording | undefined
      let fileName = ''
      try {
        for await (const part of request.parts()) {
          if (part.type === 'file') {
            if (part.fieldname !== 'file' || received) {
              part.file.resume()
              throw new ApiError(
                400,
                'QA_ERR_VALIDATION',
                'send exactly one recording, in the part named "file"',
              )
            }
            // Only the base name, and only to label the call and pick the extension.
            fileName = path.basename(part.filename || 'upload').slice(0, 200)
            received = await receiveRecording(storageDir, part.file, fileName)
          } else fields[part.fieldname] = String(part.value)
        }
      } catch (thrown) {
        if (received) await rm(received.tmpPath, { force: true })
        const code = (thrown as { code?: string }).code
        if (code === 'FST_REQ_FILE_TOO_LARGE')
          throw new ApiError(413, 'QA_ERR_TOO_LARGE', `the recording is larger than ${maxUploadBytes} bytes`)
        if (code === 'FST_FILES_LIMIT' || code === 'FST_PARTS_LIMIT' || code === 'FST_FIELDS_LIMIT')
          throw new ApiError(400, 'QA_ERR_VALIDATION', (thrown as Error).message)
        throw thrown
      }
      const discard = async () => {
        if (received) await rm(received.tmpPath, { force: true })
      }
      if (!received) throw new ApiError(400, 'QA_ERR_VALIDATION', 'no "file" part: nothing to analyse')
      if (received.bytes === 0) {
        await discard()
        throw new ApiError(400, 'QA_ERR_VALIDATION', 'the recording is empty (0 bytes)')
      }
      const { layout = 'auto', ...metaFields } = fields
      let meta: ReturnType<typeof uploadMetadata>
      try {
        if (!(LAYOUTS as readonly string[]).includes(layout))
          throw new MetadataError(`layout must be one of ${LAYOUTS.join(', ')}, got "${layout}"`)
        meta = uploadMetadata(metaFields)
      } catch (thrown) {
        await discard()
        if (thrown instanceof MetadataError) throw new ApiError(400, 'QA_ERR_VALIDATION', thrown.message)
        throw thrown
      }
      const stored = await keepRecording(storageDir, received)
      const { call, created } = await insertCall(db, {
        sha256: stored.sha256,
        sourceName: fileName,
        storageUri: stored.key,
        requestedLayout: layout,
        meta,
      })
      const body = (c: CallRow, duplicate: boolean) => ({
        call_id: c.id,
        status: c.status,
        duplicate,
        location: `/v1/calls/${c.id}`,
      })
      if (!created) return reply.code(200).send(body(call, true))
      await audit(db, {
        userId: request.user?.id ?? null,
        action: 'call.upload',
        entity: 'call',
        entityId: call.id,
        after: { source_name: fileName, bytes: stored.bytes, sha256: stored.sha256, layout, ...meta },
      })
      await proc.submit(call, defaultOptions())
      return reply.code(202).header('location', `/v1/calls/${call.id}`).send(body(call, false))
    },
  )

  app.post(
    '/calls/:id/swap',
    {
      config: { roles: ['admin', 'manager', 'reviewer'] },
      schema: {
        summary: 'Agent and customer are the other way round on this call: swap them and analyse it again',
        tags: ['calls'],
        params: Type.Object({ id: Type.Integer({ minimum: 1 }) }),
        response: { 202: Accepted, ...errors, 503: ErrorBody },
      },
    },
    async (request, reply) => {
      const proc = needProcessor(processor)
      const id = request.params.id
      const existing = await getCall(db, id)
      if (!existing) throw new ApiError(404, 'QA_ERR_NOT_FOUND', `no call ${id}`)
      if (!existing.storage_uri)
        throw new ApiError(409, 'QA_ERR_CONFLICT', `call ${id} has no stored recording to analyse again`)
      const options = await storedOptions(db, id)
      // Only a finished call is re-run: one being analysed would be analysed twice at once.
      const claimed = await db.withTransaction(async (tx) => {
        const res = await tx.query<CallRow>(
          "UPDATE calls SET status = 'queued' WHERE id = $1 AND status IN ('done', 'failed') RETURNING *",
          [id],
        )
        const call = res.rows[0]
        if (!call) return undefined
        await audit(tx, {
          userId: request.user?.id ?? null,
          action: 'call.swap',
          entity: 'call',
          entityId: id,
          before: { speakers_swapped: existing.speakers_swapped, status: existing.status },
          after: { speakers_swapped: !existing.speakers_swapped, status: 'queued' },
        })
        return call
      })
      if (!claimed)
        throw new ApiError(
          409,
          'QA_ERR_CONFLICT',
          `call ${id} is ${existing.status}; swap it once it has finished`,
        )
      await proc.submit(claimed, { ...options, toggleSwap: true })
      return reply
        .code(202)
        .header('location', `/v1/calls/${id}`)
        .send({ call_id: id, status: 'queued', duplicate: false, location: `/v1/calls/${id}` })
    },
  )
}
