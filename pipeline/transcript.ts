/**
 * A transcript supplied beside a recording (same base name: call.json, call.transcript.json,
 * call.vtt or call.srt) is parsed, mapped to agent/customer, redacted and stored with the call at
 * ingest. A malformed transcript marks the call's transcript failed with the reason; the audio
 * analysis goes on regardless.
 */
import { readFile, stat } from 'node:fs/promises'
import path from 'node:path'
import type { Database } from '../db/index.js'
import type { CallRow } from '../db/queries/calls.js'
import { replaceUtterances, setTranscriptStatus } from '../db/queries/utterances.js'
import { coerceError } from '../errors.js'
import { mapSpeakers, parseTranscript } from '../workers/stages/parse-transcript.js'
import { redactUtterances } from '../workers/stages/redact-utterances.js'

const SUFFIXES = ['.transcript.json', '.json', '.vtt', '.srt']
/** Transcripts larger than this are refused rather than read into memory. */
const MAX_TRANSCRIPT_BYTES = 20 * 1024 * 1024

export async function findTranscript(recordingPath: string): Promise<string | undefined> {
  const stem = recordingPath.slice(0, recordingPath.length - path.extname(recordingPath).length)
  for (const suffix of SUFFIXES) {
    const candidate = stem + suffix
    try {
      if ((await stat(candidate)).isFile()) return candidate
    } catch {
      // not there
    }
  }
  return undefined
}

export interface TranscriptOutcome {
  status: 'none' | 'supplied' | 'failed'
  utterances: number
  redactions: number
  error?: string
}

export async function ingestTranscript({
  db,
  call,
  recordingPath,
  direction,
  keepOriginalText = false,
}: {
  db: Database
  call: CallRow
  recordingPath: string
  direction?: 'inbound' | 'outbound' | null
  keepOriginalText?: boolean
}): Promise<TranscriptOutcome> {
  const file = await findTranscript(recordingPath)
  if (!file) {
    await setTranscriptStatus(db, call.id, { status: 'none' })
    return { status: 'none', utterances: 0, redactions: 0 }
  }
  const source = path.basename(file)
  try {
    if ((await stat(file)).size > MAX_TRANSCRIPT_BYTES) throw new Error(`${source} is larger than 20 MB`)
    const parsed = parseTranscript({ text: await readFile(file, 'utf8'), fileName: source })
    const layout = call.requested_layout === 'auto' ? 'stereo-agent-left' : call.requested_layout
    const mapped = mapSpeakers(parsed.utterances, {
      layout: layout as 'stereo-agent-left' | 'stereo-agent-right' | 'mono',
      ...(direction ? { direction } : {}),
    })
    const redacted = redactUtterances(mapped, { keepOriginal: keepOriginalText })
    await db.withTransaction(async (tx) => {
      await replaceUtterances(tx, call.id, redacted, parsed.language ?? null)
      await setTranscriptStatus(tx, call.id, { status: 'supplied', format: parsed.format, source })
    })
    return {
      status: 'supplied',
      utterances: redacted.length,
      redactions: redacted.reduce((n, u) => n + u.redactions.length, 0),
    }
  } catch (thrown) {
    const error = coerceError(thrown).message
    await db.withTransaction(async (tx) => {
      await replaceUtterances(tx, call.id, [], null)
      await setTranscriptStatus(tx, call.id, { status: 'failed', source, error })
    })
    return { status: 'failed', utterances: 0, redactions: 0, error }
  }
}
