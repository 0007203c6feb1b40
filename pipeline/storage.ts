/**
 * The recordings folder callqa owns. A recording is copied in once, named by its sha256,
 * through a temporary file and a rename, so a crash never leaves a half-written recording.
 */
import { createHash, randomUUID } from 'node:crypto'
import { createReadStream, createWriteStream } from 'node:fs'
import { mkdir, rename, rm, stat } from 'node:fs/promises'
import path from 'node:path'
import { type Readable, Transform } from 'node:stream'
import { pipeline } from 'node:stream/promises'

export interface StoredRecording {
  sha256: string
  bytes: number
  /** Key relative to the storage folder, e.g. `ab/ab12….wav`. */
  key: string
  absolutePath: string
}

const SAFE_EXT = /^\.[a-z0-9]{1,8}$/

export function storagePath(storageDir: string, key: string): string {
  // Keys are written by callqa only; still, refuse anything that would leave the folder.
  if (!/^[0-9a-f]{2}\/[0-9a-f]{64}(\.redacted|\.play)?(\.[a-z0-9]{1,8})?$/.test(key))
    throw new Error(`invalid storage key ${key}`)
  return path.join(storageDir, key)
}

/** A fresh path in the storage's temporary folder (made if missing), for a write-then-rename. */
async function temporaryPath(storageDir: string, ext: string): Promise<string> {
  const tmpDir = path.join(storageDir, 'tmp')
  await mkdir(tmpDir, { recursive: true })
  return path.join(tmpDir, `${randomUUID()}${ext}`)
}

/** A recording received into the storage's temporary folder, hashed on the way, not yet kept. */
export interface ReceivedRecording {
  tmpPath: string
  sha256: string
  bytes: number
  ext: string
}

/**
 * Streams `source` into the storage's temporary folder, hashing as it goes. On any error (a
 * broken stream, a size limit) the temporary file is removed and the error passes on.
 */
export async function receiveRecording(
  storageDir: string,
  source: Readable,
  fileName: string,
): Promise<ReceivedRecording> {
  const ext = path.extname(fileName).toLowerCase()
  const safeExt = SAFE_EXT.test(ext) ? ext : ''
  const tmpPath = await temporaryPath(storageDir, safeExt)
  const hash = createHash('sha256')
  let bytes = 0
  const tap = new Transform({
    transform(chunk: Buffer, _enc, done) {
      hash.update(chunk)
      bytes += chunk.length
      done(null, chunk)
    },
  })
  try {
    await pipeline(source, tap, createWriteStream(tmpPath))
  } catch (err) {
    await rm(tmpPath, { force: true })
    throw err
  }
  return { tmpPath, sha256: hash.digest('hex'), bytes, ext: safeExt }
}

/** Moves a received recording to its place (by sha256) with a rename; a copy already there wins. */
export async function keepRecording(
  storageDir: string,
  received: ReceivedRecording,
): Promise<StoredRecording> {
  const { sha256, bytes, tmpPath } = received
  try {
    const key = `${sha256.slice(0, 2)}/${sha256}${received.ext}`
    const absolutePath = storagePath(storageDir, key)
    await mkdir(path.dirname(absolutePath), { recursive: true })
    const exists = await stat(absolutePath).then(
      () => true,
      () => false,
    )
    if (exists) await rm(tmpPath, { force: true })
    else await rename(tmpPath, absolutePath)
    return { sha256, bytes, key, absolutePath }
  } catch (err) {
    await rm(tmpPath, { force: true })
    throw err
  }
}

/** Hashes and copies `source` into the storage folder in one pass. */
export async function storeRecording(storageDir: string, source: string): Promise<StoredRecording> {
  return keepRecording(storageDir, await receiveRecording(storageDir, createReadStream(source), source))
}

/** Codecs every current browser's <audio> plays (WAV PCM, FLAC, MP3, Vorbis, Opus, AAC). */
const BROWSER_CODECS = new Set([
  'pcm_u8',
  'pcm_s16le',
  'pcm_s24le',
  'pcm_s32le',
  'pcm_f32le',
  'flac',
  'mp3',
  'vorbis',
  'opus',
  'aac',
])

/**
 * The storage key of a copy of recording `key` that a browser plays: the recording itself when its
 * codec is one browsers play, else a 16-bit PCM WAV beside it (`<sha>.play.wav`), made once by
 * `write` through a temporary file and a rename (two requests at once both make it; the second
 * rename replaces the first with the same bytes).
 */
export async function playableCopy(
  storageDir: string,
  key: string,
  codec: string | undefined,
  write: (inputPath: string, outputPath: string) => Promise<void>,
): Promise<string> {
  if (codec && BROWSER_CODECS.has(codec)) return key
  const copyKey = key.replace(/(\.[a-z0-9]{1,8})?$/, '.play.wav')
  const target = storagePath(storageDir, copyKey)
  const exists = await stat(target).then(
    () => true,
    () => false,
  )
  if (exists) return copyKey
  const tmp = await temporaryPath(storageDir, '.wav')
  try {
    await write(storagePath(storageDir, key), tmp)
    await rename(tmp, target)
  } finally {
    await rm(tmp, { force: true })
  }
  return copyKey
}
