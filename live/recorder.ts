/**
 * A live call's recording, written as the audio arrives: 16-bit PCM WAV, one channel per party
 * (agent left, customer right), private to callqa (0600). The header's sizes are rewritten every
 * second of audio, so after a crash the file is a valid WAV of all but the last second; when the
 * call ends the header is final and the file becomes the call's recording.
 */
import { type FileHandle, open } from 'node:fs/promises'

const HEADER_BYTES = 44
/** Header refreshed after this many sample frames (1 s at 8 kHz). */
const REFRESH_FRAMES = 8000

export function wavHeader(channels: number, rate: number, dataBytes: number): Buffer {
  const h = Buffer.alloc(HEADER_BYTES)
  h.write('RIFF', 0, 'ascii')
  h.writeUInt32LE(36 + dataBytes, 4)
  h.write('WAVE', 8, 'ascii')
  h.write('fmt ', 12, 'ascii')
  h.writeUInt32LE(16, 16)
  h.writeUInt16LE(1, 20)
  h.writeUInt16LE(channels, 22)
  h.writeUInt32LE(rate, 24)
  h.writeUInt32LE(rate * channels * 2, 28)
  h.writeUInt16LE(channels * 2, 32)
  h.writeUInt16LE(16, 34)
  h.write('data', 36, 'ascii')
  h.writeUInt32LE(dataBytes, 40)
  return h
}

export class Recorder {
  private frames = 0
  private sinceRefresh = 0
  /** Writes in order, one at a time; a failure is kept and thrown by close(). */
  private chain: Promise<void> = Promise.resolve()
  private failure: Error | undefined

  private constructor(
    readonly path: string,
    private readonly file: FileHandle,
    readonly channels: number,
    readonly rate: number,
  ) {}

  static async create(path: string, channels: number, rate: number): Promise<Recorder> {
    const file = await open(path, 'wx', 0o600)
    await file.write(wavHeader(channels, rate, 0), 0, HEADER_BYTES, 0)
    return new Recorder(path, file, channels, rate)
  }

  /** Sample frames written so far. */
  get length(): number {
    return this.frames
  }

  /** Appends interleaved frames (one sample per channel each). */
  append(interleaved: Int16Array): void {
    const frames = interleaved.length / this.channels
    const at = HEADER_BYTES + this.frames * this.channels * 2
    this.frames += frames
    this.sinceRefresh += frames
    const bytes = Buffer.from(interleaved.buffer, interleaved.byteOffset, interleaved.byteLength)
    const copy = Buffer.from(bytes)
    const refresh = this.sinceRefresh >= REFRESH_FRAMES
    if (refresh) this.sinceRefresh = 0
    const dataBytes = this.frames * this.channels * 2
    this.enqueue(async () => {
      await this.file.write(copy, 0, copy.length, at)
      if (refresh) await this.file.write(wavHeader(this.channels, this.rate, dataBytes), 0, HEADER_BYTES, 0)
    })
  }

  /** Writes are queued; this resolves when all so far are on disk. */
  flush(): Promise<void> {
    return this.chain
  }

  private enqueue(write: () => Promise<void>) {
    this.chain = this.chain.then(write).catch((err: Error) => {
      this.failure ??= err
    })
  }

  /** Final header, data synced, file closed. */
  async close(): Promise<void> {
    this.enqueue(async () => {
      await this.file.write(
        wavHeader(this.channels, this.rate, this.frames * this.channels * 2),
        0,
        HEADER_BYTES,
        0,
      )
      await this.file.sync()
    })
    await this.chain
    await this.file.close()
    if (this.failure) throw this.failure
  }
}
