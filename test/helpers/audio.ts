/** Real audio fixtures made with real ffmpeg from the sample calls, in a temporary folder. */

import { execFileSync } from 'node:child_process'
import { mkdtempSync, readdirSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { resolveFfmpeg } from '../../media/ffmpeg.js'
import { samplesDir } from '../../samples/ground-truth.js'

export const ffmpegPath = resolveFfmpeg().path

export function tempDir(prefix = 'callqa-test-'): { dir: string; remove(): void } {
  const dir = mkdtempSync(path.join(os.tmpdir(), prefix))
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) }
}

export function sample(file: string): string {
  return path.join(samplesDir, file)
}

/** Runs ffmpeg with the given arguments (quiet) and returns the output path. */
export function ffmpeg(args: string[], output: string): string {
  execFileSync(ffmpegPath, ['-v', 'error', '-y', ...args, output])
  return output
}

/** Files in a storage folder: recordings kept, and partial files in its temporary folder. */
export function storageFiles(storageDir: string): { kept: number; tmp: number } {
  const all = readdirSync(storageDir, { recursive: true, withFileTypes: true }).filter((d) => d.isFile())
  return {
    kept: all.filter((d) => !d.parentPath.endsWith('tmp')).length,
    tmp: all.filter((d) => d.parentPath.endsWith('tmp')).length,
  }
}
