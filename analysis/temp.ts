/**
 * Temporary folders for local speech recognition hold a call's audio and its *unredacted*
 * recognised text: they carry the owning process's pid in their name, so a process that died
 * before its `finally` ran (kill -9, out of memory) leaves folders the next callqa process
 * recognises as orphans and removes (pipeline/orphans.ts).
 */
import { mkdtemp } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { processTag } from '../processes.js'

export const ASR_TEMP_PREFIX = 'callqa-asr-'

/** A fresh private folder `callqa-asr-<pid>s<start>-XXXXXX` in the system's temporary folder. */
export function makeAsrTempDir(): Promise<string> {
  return mkdtemp(path.join(os.tmpdir(), `${ASR_TEMP_PREFIX}${processTag()}-`))
}

/**
 * Runs `binary` so that it dies with this process: a small shell stays between them and kills it
 * when this process's end of its stdin pipe closes (which the kernel does when this process
 * dies, however it dies). Node has no PR_SET_PDEATHSIG; this is the portable equivalent.
 */
export function diesWithParent(binary: string, args: readonly string[]): { file: string; args: string[] } {
  const script =
    'exec 3<&0 </dev/null; "$@" & child=$!; ' +
    '( cat <&3 >/dev/null; kill -9 "$child" 2>/dev/null ) & watcher=$!; ' +
    'wait "$child"; rc=$?; kill "$watcher" 2>/dev/null; exit $rc'
  return { file: '/bin/sh', args: ['-c', script, 'sh', binary, ...args] }
}
