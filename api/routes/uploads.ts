/**
 * Recordings in over HTTP: a multipart upload streamed (hashed on the way) into the storage's
 * temporary folder under a size limit, kept only once every field has checked out, then queued
 * like `callqa ingest`; and "agent and customer are the other way round": swap and re-run.
 */
import { rm } from 'node:fs/promises'
import path from 'node:path'
import multipart from '@fastify/multipart'
import { Type } from 'typebox'
import type { CallRow } from '../../db/queries/calls.js'
import { audit } from '../../db/queries/users.js'
import { MetadataError, NoProcessorError, TooLargeError, ValidationError } from '../../errors.js'
import { LAYOUT_OPTIONS } from '../../layouts.js'
import { storeRecording } from '../../pipeline/intake.js'
import { uploadMetadata } from '../../pipeline/metadata.js'
import { type CallProcessor, defaultOptions } from '../../pipeline/processor.js'
import { type ReceivedRecording, receiveRecording } from '../../pipeline/storage.js'
import { swapCall } from '../../pipeline/swap.js'
import { ERRORS_AND_CONFLICT, ErrorBody, IdParams } from '../schemas.js'
import type { Api } from '../types.js'

const Accepted = Type.Object({
  call_id: Type.Integer(),
  status: Type.String(),
  duplicate: Type.Boolean(),
  location: Type.String(),
})
const errors = ERRORS_AND_CONFLICT

function needProcessor(processor: CallProcessor | undefined): CallProcessor {
  if (!processor) throw new NoProcessorError('this server was started without a way to analyse calls')
  return processor
}

/**
 * The multipart parts of a request, ending with a 400 when the parser stalls: busboy skips a part
 * without a form-data disposition and then stops reading the body (or never reports its end),
 * which left the upload hanging for ever. Stalled = the body has ended a second ago with no part
 * or end from the parser, or the body is paused (the parser reads nothing) for two seconds.
 */
async function* guardedParts<T>(
  parts: AsyncIterable<T>,
  raw: import('node:http').IncomingMessage,
): AsyncGenerator<T> {
  const iterator = parts[Symbol.asyncIterator]()
  let endedAt: number | undefined
  let lastData = Date.now()
  raw.on('data', () => {
    lastData = Date.now()
  })
  raw.once('end', () => {
    endedAt = Date.now()
  })
  for (;;) {
    const next = iterator.next()
    let timer: NodeJS.Timeout | undefined
    const waitingSince = Date.now()
    const stalled = new Promise<never>((_, reject) => {
      const check = () => {
        const now = Date.now()
        const quiet = now - Math.max(lastData, waitingSince)
        if (
          (endedAt !== undefined && now - Math.max(endedAt, waitingSince) > 1000) ||
          (raw.readableFlowing === false && quiet > 2000)
        )
          reject(
            new ValidationError(
              'the multipart body is malformed (a part without a form-data Content-Disposition, or a line break in a name)',
            ),
          )
        else timer = setTimeout(check, 250)
      }
      timer = setTimeout(check, 250)
    })
    try {
      const result = await Promise.race([next, stalled])
      if (result.done) return
      yield result.value
    } finally {
      clearTimeout(timer)
    }
  }
}

export async function uploadRoutes(
  app: Api,
  {
    storageDir,
    processor,
    maxUploadBytes,
  }: { storageDir: string; processor: CallProcessor | undefined; maxUploadBytes: number },
): Promise<void> {
  const { db } = app
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
          'Fields: external_id, started_at, agent, team, queue, direction, csat, disposition, language, customer_id, ' +
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
        throw new ValidationError('send the recording as multipart/form-data with a "file" part')
      const fields: Record<string, string> = {}
      let received: ReceivedRecording | undefined
      let fileName = ''
      try {
        for await (const part of guardedParts(request.parts(), request.raw)) {
          if (part.type === 'file') {
            if (part.fieldname !== 'file' || received) {
              part.file.resume()
              throw new ValidationError('send exactly one recording, in the part named "file"')
            }
            // Only the base name, and only to label the call and pick the extension.
            // Control characters (a NUL, a newline forging log lines) are replaced; a name longer
            // than 200 characters is refused rather than cut.
            // biome-ignore lint/suspicious/noControlCharactersInRegex: replacing control characters is the point
            fileName = path.basename(part.filename || 'upload').replace(/[\u0000-\u001f\u007f]/g, '_')
            if (fileName.length > 200) {
              part.file.resume()
              throw new ValidationError('the file name is longer than 200 characters')
            }
            received = await receiveRecording(storageDir, part.file, fileName)
          } else {
            // A value over the limit is refused, never cut.
            if (part.valueTruncated)
              throw new ValidationError(`field "${part.fieldname}" is longer than 10,000 bytes`)
            fields[part.fieldname] = String(part.value)
          }
        }
      } catch (thrown) {
        // Whatever of the body is still coming is read and dropped, so the answer reaches the
        // client at once (a body left unread stalls the upload until the client gives up).
        request.raw.unpipe()
        request.raw.resume()
        if (received) await rm(received.tmpPath, { force: true })
        const code = (thrown as { code?: string }).code
        if (code === 'FST_REQ_FILE_TOO_LARGE')
          throw new TooLargeError(`the recording is larger than ${maxUploadBytes} bytes`)
        if (code === 'FST_FILES_LIMIT' || code === 'FST_PARTS_LIMIT' || code === 'FST_FIELDS_LIMIT')
          throw new ValidationError((thrown as Error).message)
        throw thrown
      }
      const discard = async () => {
        if (received) await rm(received.tmpPath, { force: true })
      }
      if (!received) throw new ValidationError('no "file" part: nothing to analyse')
      if (received.bytes === 0) {
        await discard()
        throw new ValidationError('the recording is empty (0 bytes)')
      }
      const { layout = 'auto', ...metaFields } = fields
      let meta: ReturnType<typeof uploadMetadata>
      try {
        if (!(LAYOUT_OPTIONS as readonly string[]).includes(layout))
          throw new MetadataError(`layout must be one of ${LAYOUT_OPTIONS.join(', ')}, got "${layout}"`)
        meta = uploadMetadata(metaFields)
      } catch (thrown) {
        await discard()
        if (thrown instanceof MetadataError) throw new ValidationError(thrown.message)
        throw thrown
      }
      // The call row first, then the recording into storage: the same door as `callqa ingest`.
      const { call, created } = await storeRecording(db, storageDir, received, {
        sourceName: fileName,
        layout,
        meta,
        serverPending: true,
      })
      const body = (c: CallRow, duplicate: boolean) => ({
        call_id: c.id,
        status: c.status,
        duplicate,
        location: `/v1/calls/${c.id}`,
      })
      if (!created) return reply.code(200).send(body(call, true))
      await audit(db, {
        userId: request.user.id ?? null,
        action: 'call.upload',
        entity: 'call',
        entityId: call.id,
        after: { source_name: fileName, bytes: received.bytes, sha256: received.sha256, layout, ...meta },
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
        params: IdParams,
        response: { 202: Accepted, ...errors, 503: ErrorBody },
      },
    },
    async (request, reply) => {
      const proc = needProcessor(processor)
      const id = request.params.id
      const { call, options } = await swapCall(db, id, { userId: request.user.id, serverPending: true })
      await proc.submit(call, options)
      return reply
        .code(202)
        .header('location', `/v1/calls/${id}`)
        .send({ call_id: id, status: 'queued', duplicate: false, location: `/v1/calls/${id}` })
    },
  )
}
