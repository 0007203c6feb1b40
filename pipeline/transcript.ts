/**
 * A transcript supplied beside a recording (same base name: call.json, call.transcript.json,
 * call.vtt or call.srt) is parsed, mapped to agent/customer, redacted and stored with the call at
 * ingest. A malformed transcript marks the call's transcript failed with the reason; the audio
 * analysis goes on regardless.
 */
import { randomUUID } from 'node:crypto'
import { chmod, mkdir, readFile, rename, rm, stat } from 'node:fs/promises'
import path from 'node:path'
import { mapSpeakers, parseTranscript } from '../analysis/stages/parse-transcript.js'
import { type RedactedUtterance, redactUtterances } from '../analysis/stages/redact-utterances.js'
import { scoreUtterances } from '../analysis/stages/score-sentiment.js'
import type { Database } from '../db/index.js'
import type { CallRow } from '../db/queries/calls.js'
import {
  replaceUtterances,
  setTranscriptStatus,
  TRANSCRIPT_COLUMNS,
  transcriptValues,
} from '../db/queries/utterances.js'
import { coerceError } from '../errors.js'
import { writeRedactedCopy } from '../media/ffmpeg.js'
import { PRIVATE_DIR_MODE, PRIVATE_FILE_MODE } from '../private-files.js'
import { storagePath } from './storage.js'

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
  /** Storage key of the recording with the redacted spans silenced, when one was written. */
  redactedAudio?: string
  error?: string
}

/**
 * The stored recording with every redacted span silenced, next to it in storage
 * (`ab/<sha>.redacted.wav`), written through a temporary file and a rename.
 */
export async function writeRedactedAudio(
  storageDir: string,
  call: CallRow,
  utterances: readonly RedactedUtterance[],
  ffmpegPath: string,
  mode: 'silence' | 'beep',
): Promise<string> {
  const source = storagePath(storageDir, call.storage_uri ?? '')
  const key = `${(call.storage_uri ?? '').replace(/\.[a-z0-9]+$/, '')}.redacted.wav`
  const target = storagePath(storageDir, key)
  const tmp = path.join(storageDir, 'tmp', `${randomUUID()}.wav`)
  await mkdir(path.dirname(tmp), { recursive: true, mode: PRIVATE_DIR_MODE })
  try {
    await writeRedactedCopy({
      mode,
      inputPath: source,
      outputPath: tmp,
      spans: utterances.flatMap((u) => u.redactions),
      ffmpegPath,
    })
    await chmod(tmp, PRIVATE_FILE_MODE)
    await rename(tmp, target)
  } finally {
    await rm(tmp, { force: true })
  }
  return key
}

/** The recording with a transcript's redacted spans silenced, or why it could not be written. */
async function redactedCopy(
  call: CallRow,
  redacted: readonly RedactedUtterance[],
  how: { storageDir: string; ffmpegPath: string; mode: 'silence' | 'beep' },
): Promise<{ redactedAudio?: string; audioError?: string }> {
  try {
    return {
      redactedAudio: await writeRedactedAudio(how.storageDir, call, redacted, how.ffmpegPath, how.mode),
    }
  } catch (thrown) {
    // The text is still safe to store; say what went wrong with the audio copy and go on.
    return { audioError: coerceError(thrown).message }
  }
}

export async function ingestTranscript({
  db,
  call,
  recordingPath,
  direction,
  keepOriginalText = false,
  redactAudio,
  namedTranscript,
}: {
  db: Database
  call: CallRow
  recordingPath: string
  /** A transcript named for this recording (metadata `transcript` column); else found by name. */
  namedTranscript?: string | null
  direction?: 'inbound' | 'outbound' | null
  keepOriginalText?: boolean
  /** Write a copy of the recording with the redacted spans silenced (needs the storage folder). */
  redactAudio?: { storageDir: string; ffmpegPath: string; mode: 'silence' | 'beep' }
}): Promise<TranscriptOutcome> {
  const file = namedTranscript ?? (await findTranscript(recordingPath))
  if (!file) {
    // A new call already says so; one ingested again loses the transcript it had.
    if (!transcriptIsNone(call)) await setTranscriptStatus(db, call.id, { status: 'none' })
    return { status: 'none', utterances: 0, redactions: 0 }
  }
  const source = path.basename(file)
  try {
    const info = await stat(file).catch(() => undefined)
    if (!info?.isFile()) throw new Error(`${source}, named in the metadata, is not a readable file`)
    if (info.size > MAX_TRANSCRIPT_BYTES) throw new Error(`${source} is larger than 20 MB`)
    const parsed = parseTranscript({ text: await readFile(file, 'utf8'), fileName: source })
    const layout = call.requested_layout === 'auto' ? 'stereo-agent-left' : call.requested_layout
    const mapped = mapSpeakers(parsed.utterances, {
      layout: layout as 'stereo-agent-left' | 'stereo-agent-right' | 'mono',
      ...(direction ? { direction } : {}),
      swap: call.speakers_swapped,
    })
    const redacted = redactUtterances(mapped, { keepOriginal: keepOriginalText })
    const redactions = redacted.reduce((n, u) => n + u.redactions.length, 0)
    // The audio copy is file work, done before the one transaction that records everything.
    const { redactedAudio, audioError } =
      redactAudio && redactions > 0 ? await redactedCopy(call, redacted, redactAudio) : {}
    await db.withTransaction(async (tx) => {
      // Two runs storing the same call's transcript at once take turns (each replaces it whole).
      await tx.query('SELECT 1 FROM calls WHERE id = $1 FOR UPDATE', [call.id])
      await replaceUtterances(tx, call.id, scoreUtterances(redacted))
      await setTranscriptStatus(tx, call.id, {
        status: 'supplied',
        format: parsed.format,
        source,
        error: audioError ?? null,
        redactedAudio: redactedAudio ?? null,
      })
    })
    return {
      status: 'supplied',
      utterances: redacted.length,
      redactions,
      ...(redactedAudio ? { redactedAudio } : {}),
    }
  } catch (thrown) {
    const error = coerceError(thrown).message
    await db.withTransaction(async (tx) => {
      await tx.query('SELECT 1 FROM calls WHERE id = $1 FOR UPDATE', [call.id])
      await replaceUtterances(tx, call.id, [])
      await setTranscriptStatus(tx, call.id, { status: 'failed', source, error })
    })
    return { status: 'failed', utterances: 0, redactions: 0, error }
  }
}

/** The call's row already holds what `{ status: 'none' }` would write. */
function transcriptIsNone(call: CallRow): boolean {
  const none = transcriptValues({ status: 'none' })
  return TRANSCRIPT_COLUMNS.every((column, i) => (call[column] ?? null) === none[i])
}
