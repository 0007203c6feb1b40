/** The `callqa` command as a user runs it: a real process, real files, real database. */
import { execFile, spawn } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { afterAll, beforeAll, expect, test } from 'vitest'
import { openDatabase } from '../db/index.js'
import { ANALYZE_QUEUE, openQueue } from '../pipeline/queue.js'
import { sample, tempDir } from './helpers/audio.js'
import { dropSchema, schemaFor, testDatabaseUrl, testDbKind } from './helpers/db.js'

const bin = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'bin', 'callqa.js')
const tmp = tempDir()
const schema = schemaFor('cli')
// A run stopped half-way leaves its schemas behind on the shared server: start from none.
beforeAll(async () => {
  if (testDbKind === 'postgres') {
    await dropSchema(schema)
    await dropSchema(`${schema}_queue`)
  }
})
afterAll(async () => {
  tmp.remove()
  if (testDbKind === 'postgres') {
    await dropSchema(schema)
    await dropSchema(`${schema}_queue`)
  }
})

function cliEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    CALLQA_DATA_DIR: path.join(tmp.dir, 'data'),
    CALLQA_WORKERS: '2',
  }
  delete env.DATABASE_URL
  if (testDbKind === 'postgres')
    Object.assign(env, { DATABASE_URL: testDatabaseUrl, CALLQA_DB_SCHEMA: schema })
  return env
}

async function callqa(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const env = cliEnv()
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [bin, ...args], {
      env,
      cwd: tmp.dir,
    })
    return { code: 0, stdout, stderr }
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string }
    return { code: e.code, stdout: e.stdout, stderr: e.stderr }
  }
}

test('serve on a port already in use says so (a configuration error, exit 2) and leaves the database to the next command', async () => {
  const taken = createServer()
  await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve))
  const { port } = taken.address() as { port: number }
  try {
    const run = await callqa('serve', '--port', String(port))
    expect(run.code).toBe(2)
    expect(run.stderr).toMatch(
      new RegExp(
        `QA_ERR_CONFIG: cannot listen on 127\\.0\\.0\\.1:${port}: the port is in use \\(choose another`,
      ),
    )
  } finally {
    taken.close()
  }
  // The server it started and stopped released the database (the embedded one is locked by a server).
  const after = await callqa('users', 'list')
  expect(after.code).toBe(0)
})

test('ingest prints a summary table, logs plain progress lines, and exits 1 when a call failed', async () => {
  const bad = path.join(tmp.dir, 'broken.wav')
  writeFileSync(bad, 'RIFF....not really')
  const run = await callqa('ingest', sample('call-06-phone-angry.wav'), bad)
  expect(run.code).toBe(1)
  // Not a terminal: one plain line per finished call.
  expect(run.stderr).toMatch(/\[[12]\/2\] .*call-06-phone-angry\.wav: done/)
  expect(run.stderr).toMatch(
    /\[[12]\/2\] .*broken\.wav: failed QA_ERR_AUDIO_DECODE: ffmpeg could not decode broken\.wav/,
  )
  expect(run.stdout).toMatch(/call-06-phone-angry\.wav\s+done\s+5\d\.\ds/)
  expect(run.stdout).toMatch(/broken\.wav\s+FAILED QA_ERR_AUDIO_DECODE/)
  expect(run.stdout).toMatch(/1 done, 1 failed, 0 skipped/)

  const again = await callqa('ingest', sample('call-06-phone-angry.wav'))
  expect(again.code).toBe(0)
  expect(again.stdout).toMatch(/skipped: done/)
})

test('--vad and --metric options reach the pipeline and are recorded with the metrics', async () => {
  const run = await callqa(
    'ingest',
    '--reprocess',
    '--vad',
    'sampleRate=16000',
    '--metric',
    'deadAirMs=5000',
    sample('call-04-phone-dead-air.wav'),
  )
  expect(run.code).toBe(0)
  // The 16 s hold is dead air either way; the summary shows it from the database.
  expect(run.stdout).toMatch(/call-04-phone-dead-air\.wav\s+done.*1 \(16\.\ds\)/)
  const db =
    testDbKind === 'postgres'
      ? await openDatabase({ databaseUrl: testDatabaseUrl, schema })
      : await openDatabase({ dataDir: path.join(tmp.dir, 'data', 'pglite') })
  try {
    const row = await db.query<{ params: { vad: { sampleRate: number }; metrics: { deadAirMs: number } } }>(
      "SELECT m.params FROM call_metrics m JOIN calls c ON c.id = m.call_id WHERE c.source_name = 'call-04-phone-dead-air.wav'",
    )
    expect(row.rows[0]?.params.vad.sampleRate).toBe(16000)
    expect(row.rows[0]?.params.metrics.deadAirMs).toBe(5000)
  } finally {
    await db.close()
  }
})

test('swap re-analyses a call with agent and customer the other way round, and back', async () => {
  const ingested = await callqa('ingest', '--reprocess', sample('call-06-phone-angry.wav'))
  const id = /^(\d+)\s+call-06-phone-angry\.wav/m.exec(ingested.stdout)?.[1]
  expect(id).toBeDefined()
  const talk = (stdout: string) =>
    /call-06-phone-angry\.wav\s+\S+\s+\S+\s+(\S+) \/ (\S+)/.exec(stdout)?.slice(1, 3)
  const before = talk(ingested.stdout)
  const swapped = await callqa('swap', id as string)
  expect(swapped.code).toBe(0)
  expect(talk(swapped.stdout)).toEqual([before?.[1], before?.[0]])
  const back = await callqa('swap', id as string)
  expect(talk(back.stdout)).toEqual(before)
  const missing = await callqa('swap', '99999')
  // The same use-case and error code as POST /v1/calls/99999/swap (test/api/uploads.test.ts).
  expect(missing).toMatchObject({ code: 2, stderr: expect.stringMatching(/QA_ERR_NOT_FOUND: no call 99999/) })
})

test('users: the same failures as over the API, with the same codes', async () => {
  expect((await callqa('users', 'add', 'dup.user', '--role', 'reviewer')).code).toBe(0)
  const again = await callqa('users', 'add', 'dup.user', '--role', 'reviewer')
  expect(again).toMatchObject({
    code: 2,
    stderr: expect.stringMatching(/QA_ERR_CONFLICT: there is already a user "dup.user"/),
  })
  const ghost = await callqa('users', 'disable', 'ghost')
  expect(ghost).toMatchObject({
    code: 2,
    stderr: expect.stringMatching(/QA_ERR_NOT_FOUND: there is no user "ghost"/),
  })
})

test('scorecard load / list / test and rescore, as an author uses them', async () => {
  // Built-in cards are installed on first use; the ingested calls were evaluated by them.
  await callqa('ingest', sample('call-06-phone-angry.wav'))
  const list = await callqa('scorecard', 'list')
  expect(list.code).toBe(0)
  expect(list.stdout).toMatch(/compliance-deduction\s+1\s+Compliance \(deduction\)\s+deduction\s+yes\s+[1-9]/)
  expect(list.stdout).toMatch(/inbound-support-en\s+1\s+Inbound support \(English\)\s+weighted\s+yes/)

  const bad = path.join(tmp.dir, 'bad-card.yaml')
  writeFileSync(
    bad,
    'key: my-card\nname: Mine\nmode: weighted\nsections:\n  - key: a\n    label: A\n    items:\n      - key: x\n        label: X\n        kind: metric\n        metric: dead_air\n        op: "<"\n        value: 1\n',
  )
  const refused = await callqa('scorecard', 'load', bad)
  expect(refused.code).toBe(2)
  expect(refused.stderr).toMatch(
    /QA_ERR_SCORECARD: bad-card\.yaml:11:17: sections\[0\]\.items\[0\]\.metric: must be one of/,
  )

  const good = path.join(tmp.dir, 'my-card.yaml')
  writeFileSync(
    good,
    'key: my-card\nname: Mine\nmode: weighted\nsections:\n  - key: a\n    label: A\n    items:\n      - key: thanks\n        label: Thanks\n        kind: phrase\n        speaker: agent\n        phrases: [thank you for calling]\n',
  )
  const trial = await callqa('scorecard', 'test', good, '--calls', 'all')
  expect(trial.code).toBe(0)
  expect(trial.stdout).toMatch(/my-card: applies to \d+ of \d+ calls .*nothing stored/)
  expect(trial.stdout).toMatch(
    /a\/thanks\s+[1-9]\d*\s+\d+\s+0\s+0\s+pass #\d+: [\d.]+s agent: "thank you for calling"/,
  )
  expect((await callqa('scorecard', 'list')).stdout).not.toMatch(/my-card/)

  expect((await callqa('scorecard', 'load', good)).stdout).toMatch(/my-card v1: stored as a new version/)
  expect((await callqa('scorecard', 'load', good)).stdout).toMatch(/my-card v1: unchanged/)
  const rescored = await callqa('rescore', '--scorecard', 'my-card')
  expect(rescored.code).toBe(0)
  expect(rescored.stdout).toMatch(
    /my-card v1: [1-9]\d* calls evaluated, 0 outside its filter, in [\d.]+ s \([\d,]+ calls per minute\)/,
  )
  expect((await callqa('rescore', '--scorecard', 'nope')).stderr).toMatch(/there is no scorecard "nope"/)
})

test('usage errors exit 2 with a message', async () => {
  const layout = await callqa('ingest', '--layout', 'sideways', sample('call-06-phone-angry.wav'))
  expect(layout.code).toBe(2)
  expect(layout.stderr).toMatch(/QA_ERR_CONFIG: --layout must be one of/)
  const meta = await callqa(
    'ingest',
    '--meta',
    path.join(tmp.dir, 'none.csv'),
    sample('call-06-phone-angry.wav'),
  )
  expect(meta.code).toBe(2)
  expect(meta.stderr).toMatch(/QA_ERR_METADATA: cannot read metadata file/)
  const vad = await callqa('ingest', '--vad', 'threshold=1.5', sample('call-06-phone-angry.wav'))
  expect(vad.code).toBe(2)
  expect(vad.stderr).toMatch(/QA_ERR_CONFIG: vad.threshold must be in \(0, 1\)/)
  const metric = await callqa('ingest', '--metric', 'deadAir=5', sample('call-06-phone-angry.wav'))
  expect(metric.stderr).toMatch(/--metric deadAir is unknown; known: deadAirMs/)
  const unknown = await callqa('frobnicate')
  expect(unknown.code).toBe(2)
  expect((await callqa('--help')).stdout).toMatch(/callqa ingest/)
})

test('bin/callqa.js runs as a command, through its #! line and the node options on it', async () => {
  // What npx and an installed `callqa` run; a node option V8 does not know would stop every command.
  const { stdout, stderr } = await promisify(execFile)(bin, ['--help'], { env: cliEnv(), cwd: tmp.dir })
  expect(stdout).toMatch(/callqa ingest/)
  expect(stderr).toBe('')
})

test.runIf(testDbKind === 'pglite')('--queue without a Postgres server is a usage error', async () => {
  const run = await callqa('ingest', '--queue', sample('call-06-phone-angry.wav'))
  expect(run.code).toBe(2)
  expect(run.stderr).toMatch(/--queue needs a Postgres server: set DATABASE_URL/)
})

test.runIf(testDbKind === 'postgres')(
  'ingest --queue, then `callqa worker` processes the call and stops on SIGTERM',
  async () => {
    const worker = spawn(process.execPath, [bin, 'worker', '--workers', '1'], { env: cliEnv(), cwd: tmp.dir })
    let log = ''
    const seen = (pattern: RegExp) =>
      new Promise<void>((resolve, reject) => {
        const check = () => {
          if (pattern.test(log)) resolve()
        }
        worker.stderr.on('data', check)
        worker.on('exit', (code) => reject(new Error(`worker exited early (${code}): ${log}`)))
        check()
      })
    worker.stderr.on('data', (chunk: Buffer) => {
      log += chunk.toString()
    })
    const exited = new Promise<number | null>((resolve) => worker.on('exit', (code) => resolve(code)))
    const processed = seen(/call \d+ call-01-clean-billing\.flac: done/)
    processed.catch(() => {})
    // Enqueue once the worker has its queue and is polling, as an operator would see it.
    await seen(/waiting for calls/)
    const enqueued = await callqa('ingest', '--queue', sample('call-01-clean-billing.flac'))
    expect(enqueued.code, enqueued.stderr).toBe(0)
    expect(enqueued.stdout).toMatch(/call-01-clean-billing\.flac\s+queued/)
    // A guard, not a wait: fail with the worker's own log rather than a bare timeout.
    let guard: NodeJS.Timeout | undefined
    await Promise.race([
      processed,
      new Promise((_, reject) => {
        guard = setTimeout(
          () => reject(new Error(`worker did not process the call in 60 s:\n${log}`)),
          60_000,
        )
      }),
    ]).finally(() => clearTimeout(guard))
    worker.kill('SIGTERM')
    expect(await exited).toBe(0)
    expect(log).toMatch(/SIGTERM, finishing the calls in hand/)
  },
)

test.runIf(testDbKind === 'postgres')(
  'ingest --queue whose queue cannot be created says why and exits, instead of hanging',
  async () => {
    // The queue's row gone but its table left behind: pg-boss starts, then creating the queue
    // fails. That once left pg-boss's timers, the pool and the database open, and the process
    // alive for good after it printed the error (two workers and two ingests starting together hit
    // the same path with a deadlock).
    const broken = `${schema}_broken`
    await dropSchema(`${broken}_queue`)
    const boss = await openQueue({ databaseUrl: testDatabaseUrl, schema: `${broken}_queue` })
    await boss.stop({ graceful: false, wait: true })
    const admin = await openDatabase({ databaseUrl: testDatabaseUrl })
    try {
      await admin.query(`DELETE FROM ${broken}_queue.queue WHERE name = $1`, [ANALYZE_QUEUE])
    } finally {
      await admin.close()
    }
    try {
      const run = await promisify(execFile)(
        process.execPath,
        [bin, 'ingest', '--queue', sample('call-01-clean-billing.flac')],
        { env: { ...cliEnv(), CALLQA_DB_SCHEMA: broken }, cwd: tmp.dir, timeout: 60_000 },
      ).then(
        () => ({ code: 0, signal: null, stderr: '' }),
        (err: { code: number; signal: string | null; stderr: string }) => err,
      )
      expect(run.signal, 'still running after 60 s').toBeNull()
      expect(run.code).toBe(2)
      expect(run.stderr).toMatch(/callqa: QA_ERR_INTERNAL: relation "j\w+" already exists/)
    } finally {
      await dropSchema(broken)
      await dropSchema(`${broken}_queue`)
    }
  },
  90_000,
)

test('node options for the whole process (a V8 flag) do not break the workers', async () => {
  // Node refuses most V8 flags in a Worker's execArgv: passing the process's own on made the
  // ingest fail with QA_ERR_INTERNAL before it analysed anything.
  const { stdout, stderr } = await promisify(execFile)(
    process.execPath,
    // --reprocess: an earlier test of this file may have stored the call already.
    [
      '--max-semi-space-size=16',
      '--stack-size=2000',
      bin,
      'ingest',
      '--reprocess',
      sample('call-01-clean-billing.flac'),
    ],
    { env: { ...cliEnv(), CALLQA_ASR: 'off' }, cwd: tmp.dir, timeout: 120_000 },
  )
  expect(stderr).not.toMatch(/QA_ERR_INTERNAL|invalid execArgv/)
  expect(stdout).toMatch(/1 done, 0 failed/)
})
