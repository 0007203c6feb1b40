/**
 * Files, with real processes: what a dead process left (partial recordings, ASR folders holding
 * unredacted text) is swept at start-up; the recogniser dies with its parent however the parent
 * dies; devices, pipes and symlinks named on the command line or met in a folder are refused or
 * reported, never read for ever. Runs on the embedded database only (it is about files).
 */
import { execFile, execFileSync, spawn } from 'node:child_process'
import { existsSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { afterAll, describe, expect, test } from 'vitest'
import { processTag } from '../../processes.js'
import { sample, tempDir } from '../helpers/audio.js'
import { testDbKind } from '../helpers/db.js'

const root = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..')
const bin = path.join(root, 'bin', 'callqa.js')
const tmp = tempDir()
afterAll(() => tmp.remove())

/** A pid no process has (above the kernel's pid_max). */
const DEAD_PID = 4_194_999

async function callqa(dataDir: string, ...args: string[]) {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    CALLQA_DATA_DIR: dataDir,
    CALLQA_WORKERS: '1',
    CALLQA_ASR: 'off',
  }
  delete env.DATABASE_URL
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [bin, ...args], {
      env,
      timeout: 120_000,
    })
    return { code: 0, out: stdout + stderr }
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string }
    return { code: e.code, out: e.stdout + e.stderr }
  }
}

describe.runIf(testDbKind === 'pglite')('files', () => {
  test("a dead process's partial recordings and ASR folders are removed at start-up; a live one's are kept", async () => {
    const dataDir = path.join(tmp.dir, 'sweep')
    const storageTmp = path.join(dataDir, 'recordings', 'tmp')
    mkdirSync(storageTmp, { recursive: true })
    const deadPartial = path.join(storageTmp, `${DEAD_PID}-0b1e.wav`)
    const livePartial = path.join(storageTmp, `${process.pid}-0b1f.wav`)
    writeFileSync(deadPartial, 'half a recording')
    writeFileSync(livePartial, 'a recording being received')
    const deadAsr = path.join(os.tmpdir(), `callqa-asr-${DEAD_PID}-test01`)
    // named as callqa names them (pid, start time, pid namespace): a server of another namespace
    // sweeping the same temporary folder at the same time leaves it alone
    const liveAsr = path.join(os.tmpdir(), `callqa-asr-${processTag()}-test02`)
    for (const dir of [deadAsr, liveAsr]) {
      mkdirSync(dir, { recursive: true })
      writeFileSync(path.join(dir, 'hyp.txt'), 'my card number is 4111 1111 1111 1111')
    }
    try {
      const run = await callqa(dataDir, 'ingest', sample('call-07-phone-outbound.wav'))
      expect(run.out).toMatch(/1 done, 0 failed/)
      expect(existsSync(deadPartial)).toBe(false)
      expect(existsSync(deadAsr)).toBe(false)
      expect(existsSync(livePartial)).toBe(true)
      expect(existsSync(liveAsr)).toBe(true)
    } finally {
      execFileSync('rm', ['-rf', deadAsr, liveAsr])
    }
  })

  test('the recogniser dies with callqa when callqa is killed with SIGKILL', async () => {
    // The same wrapper the recogniser runs behind, around a long sleep with a unique argument.
    const marker = `${1000 + (process.pid % 1000)}.${Date.now() % 1000}`
    const script = path.join(tmp.dir, 'parent.mts')
    writeFileSync(
      script,
      `import { execFile } from 'node:child_process'
import { diesWithParent } from ${JSON.stringify(path.join(root, 'analysis', 'temp.ts'))}
const run = diesWithParent('sleep', [${JSON.stringify(marker)}])
execFile(run.file, run.args)
console.log('started')
setInterval(() => {}, 1000)
`,
    )
    const parent = spawn(process.execPath, ['--import', 'tsx', script], { cwd: root })
    await new Promise<void>((resolve, reject) => {
      parent.stdout?.on('data', (d: Buffer) => d.toString().includes('started') && resolve())
      parent.once('exit', (code) => reject(new Error(`parent exited ${code}`)))
    })
    const sleeping = () => {
      try {
        return (
          execFileSync('pgrep', ['-f', `^sleep ${marker}$`])
            .toString()
            .trim().length > 0
        )
      } catch {
        return false
      }
    }
    for (let i = 0; i < 50 && !sleeping(); i++) await new Promise((r) => setTimeout(r, 100))
    expect(sleeping()).toBe(true)
    parent.kill('SIGKILL')
    for (let i = 0; i < 50 && sleeping(); i++) await new Promise((r) => setTimeout(r, 100))
    expect(sleeping()).toBe(false)
  })

  test('a device, a pipe and links to folders are refused or reported; a link to a recording is read', async () => {
    const dataDir = path.join(tmp.dir, 'special')
    const folder = path.join(tmp.dir, 'inbox')
    mkdirSync(folder, { recursive: true })
    symlinkSync(sample('call-03-mono-delivery.wav'), path.join(folder, 'linked.wav'))
    symlinkSync(tmp.dir, path.join(folder, 'loop.wav'))
    symlinkSync(path.join(tmp.dir, 'nowhere.wav'), path.join(folder, 'broken.wav'))
    execFileSync('mkfifo', [path.join(folder, 'pipe.wav')])
    const began = Date.now()
    const run = await callqa(dataDir, 'ingest', folder, '/dev/zero')
    // /dev/zero and the pipe are refused at once (they used to be read until killed, or block).
    expect(Date.now() - began).toBeLessThan(60_000)
    expect(run.out).toMatch(/linked\.wav: done/)
    expect(run.out).toMatch(/loop\.wav: skipped \(a symlink to a folder \(not followed\)\)/)
    expect(run.out).toMatch(/broken\.wav: skipped \(a broken symlink\)/)
    expect(run.out).toMatch(/pipe\.wav: skipped \(not a regular file/)
    expect(run.out).toMatch(/\/dev\/zero: FAILED|zero.*not a regular file \(a device\)/)
    expect(run.code).toBe(1)
  })
})
