/**
 * The recordings folder callqa owns. A recording is copied in once, named by its sha256,
 * through a temporary file and a rename, so a crash never leaves a half-written recording.
 */
import { createHash, randomUUID } from 'node:crypto'
import { createReadStream, createWriteStream } from 'node:fs'
import { mkdir, rename, rm, stat } from 'node:fs/promises'
import path from 'node:path'
import { Transform } from 'node:stream'
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
  if (!/^[0-9a-f]{2}\/[0-9a-f]{64}(\.redacted)?(\.[a-z0-9]{1,8})?$/.test(key))
    throw new Error(`invalid storage key ${key}`)
  return path.join(storageDir, key)
}

/** Hashes and copies `source` into the storage folder in one pass. */
export async function storeRecording(storageDir: string, source: string): Promise<StoredRecording> {
  const ext = path.extname(source).toLowerCase()
  const safeExt = SAFE_EXT.test(ext) ? ext : ''
  const tmpDir = path.join(storageDir, 'tmp')
  await mkdir(tmpDir, { recursive: true })
  const tmp = path.join(tmpDir, `${randomUUID()}${safeExt}`)
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
    await pipeline(createReadStream(source), tap, createWriteStream(tmp))
    const sha256 = hash.digest('hex')
    const key = `${sha256.slice(0, 2)}/${sha256}${safeExt}`
    const absolutePath = storagePath(storageDir, key)
    await mkdir(path.dirname(absolutePath), { recursive: true })
    const exists = await stat(absolutePath).then(
      () => true,
      () => false,
    )
    if (exists) await rm(tmp, { force: true })
    else await rename(tmp, absolutePath)
    return { sha256, bytes, key, absolutePath }
  } catch (err) {
    await rm(tmp, { force: true })
    throw err
  }
}
