/**
 * What a process that died left behind: partial recordings in the storage's temporary folder
 * (a copy or an upload cut short) and local-ASR folders in the system's temporary folder, which
 * hold a channel's audio and its unredacted recognised text. Both carry their process's pid and start
 * time in their names (processes.ts); anything whose process no longer runs is removed. Every callqa command that
 * stores or analyses calls sweeps once at start-up.
 */
import { readdir, rm, stat } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { ASR_TEMP_PREFIX } from '../analysis/temp.js'
import { privateDir, repairPrivate } from '../private-files.js'
import { parseProcessTag, taggedOrphan } from '../processes.js'

/** Files in the storage's temporary folder from before names carried a pid: removed after this long. */
const UNNAMED_AFTER_MS = 60 * 60_000

export interface SweepReport {
  /** partial recordings removed from the storage's temporary folder */
  storageTmp: number
  /** local-ASR folders removed from the system's temporary folder */
  asrDirs: number
  /** files and folders in storage that other accounts could reach, made private (private-files.ts) */
  madePrivate: number
}

export async function sweepOrphans(storageDir: string, tmpDir = os.tmpdir()): Promise<SweepReport> {
  // Recordings are personal data: the folder and everything in it private to this account, whatever
  // an earlier callqa or umask left (an existing folder is repaired here, at start-up).
  privateDir(storageDir)
  const report: SweepReport = { storageTmp: 0, asrDirs: 0, madePrivate: repairPrivate(storageDir) }
  const storageTmp = path.join(storageDir, 'tmp')
  for (const name of await readdir(storageTmp).catch(() => [] as string[])) {
    const full = path.join(storageTmp, name)
    const who = parseProcessTag(name)
    const orphan = await stat(full).then(
      (st) => (who ? taggedOrphan(who, st.mtimeMs) : Date.now() - st.mtimeMs > UNNAMED_AFTER_MS),
      () => false,
    )
    if (!orphan) continue
    await rm(full, { recursive: true, force: true })
    report.storageTmp++
  }
  for (const name of await readdir(tmpDir).catch(() => [] as string[])) {
    if (!name.startsWith(ASR_TEMP_PREFIX)) continue
    const who = parseProcessTag(name.slice(ASR_TEMP_PREFIX.length))
    // A folder from before names carried a pid: its process is unknown; removed once a day old.
    const orphan = await stat(path.join(tmpDir, name)).then(
      (st) => (who ? taggedOrphan(who, st.mtimeMs) : Date.now() - st.mtimeMs > 24 * UNNAMED_AFTER_MS),
      () => false,
    )
    if (!orphan) continue
    await rm(path.join(tmpDir, name), { recursive: true, force: true })
    report.asrDirs++
  }
  return report
}
