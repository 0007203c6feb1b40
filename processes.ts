/**
 * Which process is which, across restarts. A pid alone is not an identity: in a container every
 * restarted server is pid 1 on the same host name, and pids are reused after a reboot. A process is
 * named by its pid, the kernel's boot id and its start time (clock ticks since boot, from
 * /proc/PID/stat): a recorded process is still running only when all three still match. Where
 * /proc is missing (not Linux) the start time and boot id are unknown and the pid decides, as
 * before, except that a record of this process's own pid without a matching start time is an
 * earlier process that had the same pid.
 */
import { readFileSync, readlinkSync } from 'node:fs'

export interface ProcessIdentity {
  pid: number
  /** /proc/sys/kernel/random/boot_id; absent where unknown */
  boot?: string
  /** start time of the process in clock ticks after boot; absent where unknown */
  start?: number
  /** the pid namespace (`pid:[inode]`), where known: pids of another namespace mean nothing here */
  pidns?: string
}

function readBootId(): string | undefined {
  try {
    return readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim() || undefined
  } catch {
    return undefined
  }
}

/** Field 22 of /proc/PID/stat (the name in field 2 may hold spaces and parentheses: read after the last ')'). */
export function processStartTicks(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    const start = Number(fields[19])
    return Number.isFinite(start) ? start : undefined
  } catch {
    return undefined
  }
}

let own: ProcessIdentity | undefined

/** This process: pid, boot id and start time. */
export function processIdentity(): ProcessIdentity {
  if (!own) {
    const boot = readBootId()
    const start = processStartTicks(process.pid)
    let pidns: string | undefined
    try {
      pidns = readlinkSync('/proc/self/ns/pid')
    } catch {}
    own = {
      pid: process.pid,
      ...(boot ? { boot } : {}),
      ...(start !== undefined ? { start } : {}),
      ...(pidns ? { pidns } : {}),
    }
  }
  return own
}

/** Whether a pid runs on this machine now (a signal 0 probe; EPERM means it runs as someone else). */
function pidRunning(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'
  }
}

/**
 * Whether the process a record names still runs on this machine. A record from another boot is
 * dead; a record with a start time is alive only while that pid runs with that start time; a record
 * of this process's pid is this process only when its start time is ours (or, without one, never:
 * this process wrote no record it then forgot).
 */
export function processAlive(who: ProcessIdentity): boolean {
  const me = processIdentity()
  if (who.boot !== undefined && me.boot !== undefined && who.boot !== me.boot) return false
  if (who.pid === me.pid) return who.start !== undefined && who.start === me.start
  if (!pidRunning(who.pid)) return false
  if (who.start === undefined) return true
  const start = processStartTicks(who.pid)
  return start === undefined || start === who.start
}

/**
 * The tag a temporary file or folder carries in its name: `<pid>s<start>n<pid namespace inode>`,
 * leaving out what is unknown. `parseProcessTag` reads it back from the front of a name.
 */
export function processTag(): string {
  const me = processIdentity()
  const ns = /\[(\d+)\]/.exec(me.pidns ?? '')?.[1]
  return `${me.pid}${me.start === undefined ? '' : `s${me.start}`}${ns ? `n${ns}` : ''}`
}

export function parseProcessTag(name: string): ProcessIdentity | undefined {
  const m = /^(\d+)(?:s(\d+))?(?:n(\d+))?-/.exec(name)
  if (!m) return undefined
  return {
    pid: Number(m[1]),
    ...(m[2] !== undefined ? { start: Number(m[2]) } : {}),
    ...(m[3] !== undefined ? { pidns: `pid:[${m[3]}]` } : {}),
  }
}

/** How long a temporary file of another pid namespace's process is left alone. */
const FOREIGN_AFTER_MS = 24 * 3_600_000

/**
 * Whether a temporary file or folder named by `processTag()` (or by a pid alone, as older callqa
 * named them) belongs to a process that no longer runs. A pid-only name carrying this process's
 * pid is ours only if it was written after this process started. A name from a process of another
 * pid namespace (a container sharing the temporary folder) cannot be judged by its pid here: it is
 * left for a day.
 */
export function taggedOrphan(who: ProcessIdentity, modifiedMs: number): boolean {
  const mine = processIdentity().pidns
  if (who.pidns !== undefined && mine !== undefined && who.pidns !== mine)
    return modifiedMs < Date.now() - FOREIGN_AFTER_MS
  if (who.start === undefined && who.pid === process.pid)
    return modifiedMs < Date.now() - process.uptime() * 1000 - 1000
  return !processAlive(who)
}
