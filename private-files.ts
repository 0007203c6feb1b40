/**
 * The data folder holds every call's personal data: its folders are 0700 and its files 0600,
 * whatever the umask. Most of it is callqa's own writing (made private by the process umask the
 * CLI sets, and by explicit modes), but PGlite copies its bundled cluster image and creates
 * relation files mode 0666 whatever the umask: so the folders are closed (0700, which alone keeps
 * every other account out) and the files repaired when a folder is opened and closed.
 */
import { chmodSync, lstatSync, mkdirSync, readdirSync } from 'node:fs'
import path from 'node:path'

export const PRIVATE_DIR_MODE = 0o700
export const PRIVATE_FILE_MODE = 0o600

/** New files and folders this process makes are private to its user (the CLI calls this first). */
export function privateUmask(): void {
  process.umask(0o077)
}

/** Makes `dir` (and any missing parents) and closes it to other accounts. */
export function privateDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: PRIVATE_DIR_MODE })
  chmodSync(dir, PRIVATE_DIR_MODE)
}

/**
 * Walks `dir` and takes every permission of group and others off its folders and files (links are
 * not followed; sockets keep their own 0600). Returns how many entries it repaired. A folder that
 * does not exist is nothing to repair.
 */
export function repairPrivate(dir: string): number {
  let repaired = 0
  const walk = (at: string) => {
    let st: ReturnType<typeof lstatSync>
    try {
      st = lstatSync(at)
    } catch {
      return
    }
    if (st.isSymbolicLink()) return
    if ((st.mode & 0o077) !== 0 && (st.isDirectory() || st.isFile() || st.isSocket())) {
      try {
        chmodSync(at, st.mode & 0o700)
        repaired++
      } catch {
        // Not ours to change (another account's file in a shared folder): left as it is.
      }
    }
    if (!st.isDirectory()) return
    let names: string[]
    try {
      names = readdirSync(at)
    } catch {
      return
    }
    for (const name of names) walk(path.join(at, name))
  }
  walk(dir)
  return repaired
}
