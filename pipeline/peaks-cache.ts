/**
 * Waveform peaks, once per recording. The first request for a recording's waveform decodes it
 * (pipeline work: at most `PEAK_DECODES` at a time per process, the others queue) and keeps its
 * 10 ms peaks beside the recording (`<sha>.peaks.bin`, 2 bytes a channel per 10 ms) and in a
 * memory cache bounded in bytes; requests for a recording being decoded wait for that decode
 * instead of starting their own. Eight viewers of a ten-hour call cost one decode and 14 MB, not
 * eight decodes and 800 MB. The file goes with the call (pipeline/lifecycle.ts).
 */
import { randomUUID } from 'node:crypto'
import { chmod, readFile, rename, rm, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { type PeakBlocks, peakBlocks } from '../media/peaks.js'
import { PRIVATE_FILE_MODE } from '../private-files.js'
import { storagePath } from './storage.js'

/** Decodes for waveforms at once, per process. */
export const PEAK_DECODES = 2
/** Bytes of peaks kept in memory (the least recently used go first). */
const MEMORY_BYTES = 64 * 1024 * 1024
const MAGIC = 0x4b505143 // "CQPK"

/** The storage key of a recording's peaks file. */
export function peaksKey(recordingKey: string): string {
  return recordingKey.replace(/(\.[a-z0-9]{1,8})?$/, '.peaks.bin')
}

function encode(blocks: PeakBlocks): Buffer {
  const count = blocks.channels[0]?.length ?? 0
  const head = Buffer.alloc(16)
  head.writeUInt32LE(MAGIC, 0)
  head.writeUInt32LE(blocks.channels.length, 4)
  head.writeUInt32LE(count, 8)
  head.writeUInt32LE(blocks.durationMs, 12)
  const body = Buffer.alloc(blocks.channels.length * count * 2)
  blocks.channels.forEach((c, i) => {
    body.set(new Uint8Array(c.buffer, c.byteOffset, c.byteLength), i * count * 2)
  })
  return Buffer.concat([head, body])
}

function decode(bytes: Buffer): PeakBlocks | undefined {
  if (bytes.length < 16 || bytes.readUInt32LE(0) !== MAGIC) return undefined
  const channels = bytes.readUInt32LE(4)
  const count = bytes.readUInt32LE(8)
  if (channels < 1 || channels > 64 || bytes.length !== 16 + channels * count * 2) return undefined
  return {
    durationMs: bytes.readUInt32LE(12),
    channels: Array.from({ length: channels }, (_, i) => {
      const copy = new Uint16Array(count)
      new Uint8Array(copy.buffer).set(bytes.subarray(16 + i * count * 2, 16 + (i + 1) * count * 2))
      return copy
    }),
  }
}

const bytesOf = (b: PeakBlocks) => b.channels.reduce((n, c) => n + c.byteLength, 0)

/** A slot among `size`, taken in turn. */
function slots(size: number) {
  let free = size
  const waiting: Array<() => void> = []
  return async <T>(fn: () => Promise<T>): Promise<T> => {
    if (free > 0) free--
    else await new Promise<void>((resolve) => waiting.push(resolve))
    try {
      return await fn()
    } finally {
      const next = waiting.shift()
      if (next) next()
      else free++
    }
  }
}

export interface PeaksCache {
  /** The 10 ms peaks of the recording stored under `key`. */
  blocks(key: string, displayName?: string): Promise<PeakBlocks>
  /** Decodes run so far (for tests and the bench). */
  readonly decodes: number
}

export function peaksCache(storageDir: string, ffmpegPath: string): PeaksCache {
  const memory = new Map<string, PeakBlocks>()
  let held = 0
  const inflight = new Map<string, Promise<PeakBlocks>>()
  const turn = slots(PEAK_DECODES)
  let decodes = 0
  const remember = (key: string, blocks: PeakBlocks) => {
    const size = bytesOf(blocks)
    if (size > MEMORY_BYTES) return
    memory.set(key, blocks)
    held += size
    for (const [k, v] of memory) {
      if (held <= MEMORY_BYTES) break
      memory.delete(k)
      held -= bytesOf(v)
    }
  }
  const load = async (key: string, displayName?: string): Promise<PeakBlocks> => {
    const file = storagePath(storageDir, peaksKey(key))
    const stored = await readFile(file).then(decode, () => undefined)
    if (stored) return stored
    return turn(async () => {
      decodes++
      const blocks = await peakBlocks({
        inputPath: storagePath(storageDir, key),
        ffmpegPath,
        ...(displayName ? { displayName } : {}),
      })
      // Through a temporary file and a rename: a reader never sees half a file.
      const tmp = path.join(path.dirname(file), `.${randomUUID()}.tmp`)
      try {
        await writeFile(tmp, encode(blocks), { mode: PRIVATE_FILE_MODE })
        await chmod(tmp, PRIVATE_FILE_MODE)
        await rename(tmp, file)
      } catch {
        // A cache that cannot be written is only slower next time.
      } finally {
        await rm(tmp, { force: true })
      }
      return blocks
    })
  }
  return {
    get decodes() {
      return decodes
    },
    async blocks(key, displayName) {
      const known = memory.get(key)
      if (known) {
        // Most recently used last.
        memory.delete(key)
        memory.set(key, known)
        return known
      }
      let pending = inflight.get(key)
      if (!pending) {
        pending = load(key, displayName).finally(() => inflight.delete(key))
        inflight.set(key, pending)
      }
      const blocks = await pending
      if (!memory.has(key)) remember(key, blocks)
      return blocks
    },
  }
}
