/**
 * The recordings folder callqa owns. A recording is copied in once, named by its sha256,
 * through a temporary file and a rename, so a crash never leaves a half-written recording.
 */
import { createHash, randomUUID } from 'node:crypto'
import { constants, createWriteStream } from 'node:fs'
import { chmod, type FileHandle, mkdir, open, rename, rm, stat } from 'node:fs/promises'
import path from 'node:path'
import { type Readable, Transform } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { PRIVATE_DIR_MODE, PRIVATE_FILE_MODE } from '../private-files.js'
import { processTag } from '../processes.js'

export interface StoredRecording {
  sha256: string
  bytes: number
  /** Key relative to the storage folder, e.g. `ab/ab12….wav`. */
  key: string
  absolutePath: string
}

const SAFE_EXT = /^\.[a-z0-9]{1,8}$/

/** The file name's extension, lower-cased, kept on the stored copy when it is a plain one. */
function storedExtension(fileName: string): string {
  const ext = path.extname(fileName).toLowerCase()
  return SAFE_EXT.test(ext) ? ext : ''
}

/**
 * Copying a recording on this machine into storage: 1 MiB per read into buffers kept for the next
 * copy. Node's stream (64 KiB reads) cost a read, a hash update and a write per chunk on the main
 * thread beside the workers (24 five-minute recordings, 113 MB: 230–300 ms of CPU, 130–145 ms in
 * 1 MiB chunks). And a stream allocates a new buffer for every read: memory outside V8's heap that
 * V8 counts toward its next full collection, so larger chunks from a stream made the main thread
 * mark its whole heap every ~300 ms during an ingest (`--trace-incremental-marking`). Reused
 * buffers allocate nothing per read. At most one buffer per recording being copied.
 */
const COPY_CHUNK_BYTES = 1 << 20
const spareCopyBuffers: Buffer[] = []
const SPARE_COPY_BUFFERS = 4

async function withCopyBuffer<T>(use: (buffer: Buffer) => Promise<T>): Promise<T> {
  const buffer = spareCopyBuffers.pop() ?? Buffer.allocUnsafeSlow(COPY_CHUNK_BYTES)
  try {
    return await use(buffer)
  } finally {
    if (spareCopyBuffers.length < SPARE_COPY_BUFFERS) spareCopyBuffers.push(buffer)
  }
}

export function storagePath(storageDir: string, key: string): string {
  // Keys are written by callqa only; still, refuse anything that would leave the folder.
  if (!/^[0-9a-f]{2}\/[0-9a-f]{64}(\.redacted)?(\.play|\.peaks)?(\.[a-z0-9]{1,8})?$/.test(key))
    throw new Error(`invalid storage key ${key}`)
  return path.join(storageDir, key)
}

/** A fresh path in the storage's temporary folder (made if missing), for a write-then-rename. */
async function temporaryPath(storageDir: string, ext: string): Promise<string> {
  const tmpDir = path.join(storageDir, 'tmp')
  await mkdir(tmpDir, { recursive: true, mode: PRIVATE_DIR_MODE })
  // The pid in the name lets a later process tell a dead process's partial file (pipeline/orphans.ts).
  return path.join(tmpDir, `${processTag()}-${randomUUID()}${ext}`)
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
  const safeExt = storedExtension(fileName)
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
    await pipeline(source, tap, createWriteStream(tmpPath, { mode: PRIVATE_FILE_MODE }))
  } catch (err) {
    await rm(tmpPath, { force: true })
    throw err
  }
  return { tmpPath, sha256: hash.digest('hex'), bytes, ext: safeExt }
}

/** The key a received recording is kept under (by sha256). */
function storageKey(received: Pick<ReceivedRecording, 'sha256' | 'ext'>): string {
  return `${received.sha256.slice(0, 2)}/${received.sha256}${received.ext}`
}

/** Moves a received recording to its place (by sha256) with a rename; a copy already there wins. */
export async function keepRecording(
  storageDir: string,
  received: ReceivedRecording,
): Promise<StoredRecording> {
  const { sha256, bytes, tmpPath } = received
  try {
    const key = storageKey(received)
    const absolutePath = storagePath(storageDir, key)
    await mkdir(path.dirname(absolutePath), { recursive: true, mode: PRIVATE_DIR_MODE })
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

/**
 * Writes the call row for a received recording, then keeps the recording: storage never holds a
 * recording no row points to. A refused insert removes the received file and passes the error
 * on; after it, the file is kept when the row points at it (a new call, or an existing one whose
 * copy is missing), else removed (the same bytes are stored under the existing call's key).
 */
export async function keepAfterInsert<T extends { call: { storage_uri: string | null } }>(
  storageDir: string,
  received: ReceivedRecording,
  insert: (key: string) => Promise<T>,
): Promise<T> {
  const key = storageKey(received)
  let inserted: T
  try {
    inserted = await insert(key)
  } catch (err) {
    await rm(received.tmpPath, { force: true })
    throw err
  }
  if (inserted.call.storage_uri === key) await keepRecording(storageDir, received)
  else await rm(received.tmpPath, { force: true })
  return inserted
}

/**
 * Opens a recording named on the command line or found in a folder for reading, refusing anything
 * but a regular file (a device such as /dev/zero, a FIFO, a socket), and a symlink that does not
 * end at a regular file. The check is made on the opened descriptor, so nothing can be swapped in
 * between the check and the read.
 */
export async function openRegularFile(file: string): Promise<FileHandle> {
  // O_NONBLOCK: opening a FIFO must not wait for a writer before the check refuses it.
  const handle = await open(file, constants.O_RDONLY | constants.O_NONBLOCK)
  try {
    const st = await handle.stat()
    if (!st.isFile())
      throw new Error(
        `not a regular file (${st.isCharacterDevice() ? 'a device' : st.isFIFO() ? 'a pipe' : st.isSocket() ? 'a socket' : st.isDirectory() ? 'a folder' : 'a special file'}); only recordings are read`,
      )
  } catch (err) {
    await handle.close()
    throw err
  }
  return handle
}

/**
 * A recording on this machine (an opened file, closed here) into the storage's temporary folder,
 * hashed on the way, as `receiveRecording` does for a stream; on any error the temporary file is
 * removed and the error passes on.
 */
export async function receiveFile(
  storageDir: string,
  source: FileHandle,
  fileName: string,
): Promise<ReceivedRecording> {
  const safeExt = storedExtension(fileName)
  const hash = createHash('sha256')
  let bytes = 0
  let tmpPath: string | undefined
  try {
    tmpPath = await temporaryPath(storageDir, safeExt)
    const out = await open(tmpPath, 'w', PRIVATE_FILE_MODE)
    try {
      await withCopyBuffer(async (buffer) => {
        for (;;) {
          const { bytesRead } = await source.read(buffer, 0, buffer.length, null)
          if (bytesRead === 0) return
          hash.update(buffer.subarray(0, bytesRead))
          for (let written = 0; written < bytesRead; )
            written += (await out.write(buffer, written, bytesRead - written)).bytesWritten
          bytes += bytesRead
        }
      })
    } finally {
      await out.close()
    }
  } catch (err) {
    if (tmpPath) await rm(tmpPath, { force: true })
    throw err
  } finally {
    await source.close()
  }
  return { tmpPath, sha256: hash.digest('hex'), bytes, ext: safeExt }
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
    await chmod(tmp, PRIVATE_FILE_MODE)
    await rename(tmp, target)
  } finally {
    await rm(tmp, { force: true })
  }
  return copyKey
}
