/**
 * callqa command line.  callqa <command> [options]
 *   ingest <files or folders…> [--meta FILE] [--layout L] [--reprocess] [--workers N]
 *   demo                        ingest the sample calls into the embedded database
 *   migrate                     apply database migrations
 */

import { parseArgs } from 'node:util'
import { coerceError, errorCode } from '../errors.js'
import { privateUmask } from '../private-files.js'
import { FLAGS } from './flags.js'

const USAGE = `callqa — call QA and speech analytics

Usage:
  callqa ingest <files or folders…> [--meta FILE] [--layout auto|stereo-agent-left|stereo-agent-right|mono]
                [--name-pattern REGEX|pca] [--reprocess] [--workers N] [--vad KEY=VALUE …] [--metric KEY=VALUE …] [--queue]
  callqa worker [--workers N]   process calls queued with --queue, until SIGINT/SIGTERM (needs DATABASE_URL)
  callqa demo [--no-serve]   ingest the sample calls (samples/calls), print a summary, then serve the review page and API
  callqa migrate       apply database migrations
  callqa scorecard load FILE…     store scorecards (YAML/JSON); changed content becomes a new version
  callqa scorecard list           versions, active flags, evaluation counts
  callqa scorecard test FILE [--calls all|ID,…] [--since DATE]
                                  per item: how many calls pass/fail/N/A, with examples; stores nothing
  callqa scorecard activate|deactivate KEY
  callqa rescore [--scorecard KEY] [--taxonomy] [--since DATE]
                                  evaluate a card's newest version on stored calls (no decoding), and file
                                  again under the active taxonomy the calls filed under another version
                                  (every call with --taxonomy)
  callqa taxonomy add FILE        store a problem taxonomy (YAML/JSON; a new version when changed) and use it
  callqa taxonomy list | activate KEY
  callqa live-rules load FILE     store live rules (YAML; a new version when changed); live-rules list | activate KEY
  callqa follow-ups load FILE     store follow-up rules (YAML: SLA, open_when, route, teams; checked against the
                                  users it names); follow-ups list | activate KEY | steps (reminders, escalation now)
  callqa report top-issues --month YYYY-MM [--level 1|2|3] [--csv]
                                  the month's TOP issues: volume, change, CSAT, sentiment, complaints, AHT
  callqa report emerging --month YYYY-MM
                                  recurring topics the taxonomy does not cover
  callqa serve [--port N] [--host H] [--workers N] [--queue]
                       the review page on /, the API on /v1, interactive docs on /docs (default 127.0.0.1:8080);
                       uploads and swaps are analysed in this process, or with --queue by callqa worker
  callqa users add NAME --role admin|manager|trainer|reviewer|agent|telephony|integration [--agent-id ID]
                                  create an API user; prints its bearer token once
  callqa users list | disable NAME | enable NAME | revoke NAME | token NAME
                                  see users; disable one; revoke a token; issue a new token (printed once)
  callqa calls delete ID…         delete calls: recordings, copies, derived rows, their share of the trends
  callqa calls retention          delete now the calls past CALLQA_RETENTION_DAYS (a server does it hourly)
  callqa swap CALL_ID  agent and customer are the other way round on this call: analyse it again swapped
  callqa sentiment [FILE] [--language en|zh]
                       score one utterance per line (FILE or stdin), print one JSON object per line

  --vad     model=auto|v5|v6 sampleRate=auto|8000|16000 threshold negThreshold minSpeechMs
            minSilenceMs padStartMs padEndMs levelGateDb backgroundGateDb skipMarginDb
            e.g. --vad threshold=0.4 --vad sampleRate=16000
  --metric  deadAirMs minOvertalkMs interruptionPriorMs interruptionHoldMs monologueMaxPauseMs

Environment:
  DATABASE_URL         Postgres server; without it, embedded PGlite in CALLQA_DATA_DIR
  CALLQA_DB_SCHEMA     Postgres schema for callqa's tables (created if missing)
  CALLQA_DATA_DIR      data folder (default ./.callqa)
  CALLQA_STORAGE_DIR   recordings folder (default <data dir>/recordings)
  CALLQA_WORKERS       worker threads (default: number of cores)
  CALLQA_KEEP_ORIGINAL_TEXT=1  also store unredacted transcript text (default: redacted only)
  CALLQA_REDACT_AUDIO=1        also write each recording with its redacted spans silenced
  CALLQA_ASR=pocketsphinx|off  local speech recognition for calls without a transcript (default
                               pocketsphinx when installed: apt-get install pocketsphinx pocketsphinx-en-us)
  CALLQA_POCKETSPHINX_MODEL    PocketSphinx model folder (default /usr/share/pocketsphinx/model/en-us)
  CALLQA_PORT                  port of callqa serve and the demo (default 8080)
  CALLQA_MAX_UPLOAD_MB         largest recording accepted over the API (default 500)
  CALLQA_DISPUTE_WINDOW_DAYS   days after a review is submitted that it may be disputed (default 14)
  CALLQA_DISPUTE_CAP           disputes per evaluation (default 2)
  CALLQA_LINK_SECRET           key signing the review page's audio links (default: random per server)
  CALLQA_LEASE_SECONDS         a call whose process stops renewing its claim is taken up again after this (60)
  CALLQA_STATEMENT_TIMEOUT_SECONDS  longest SQL statement on a Postgres server (30)
  CALLQA_REQUEST_TIMEOUT_SECONDS    longest API request, uploads included (600)
  CALLQA_RETENTION_DAYS        delete calls older than this many days (default: keep)
  CALLQA_RETENTION_QUEUES      per-queue retention, e.g. billing=30,sales=365
  CALLQA_TOKEN_DAYS            lifetime of new API tokens in days (default: until revoked)
  CALLQA_LOG_LEVEL             server log level: error, warn, info (default), debug
  CALLQA_WEBHOOK_URL, CALLQA_WEBHOOK_SECRET  where live alerts and follow-up events are sent (Standard
                               Webhooks; the secret a whsec_… key); unset: none are sent
  CALLQA_FOLLOW_UP_INTERVAL_SECONDS  how often a server sends follow-up reminders and escalations due (15)
  CALLQA_TRUST_PROXY           proxies whose X-Forwarded-For names the client: true, a hop count, or
                               addresses/CIDRs (default: none; the sign-in limiter counts per client)
  CALLQA_EMBEDDED_IDLE_TX_SECONDS  embedded database: a client's transaction idle this long is rolled back (10)
`

export async function main(argv: string[]): Promise<number> {
  const { positionals, values } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: FLAGS,
  })
  const [command, ...rest] = positionals
  if (values.help || !command) {
    console.log(USAGE)
    return command || values.help ? 0 : 2
  }
  // Nothing to ingest: said at once, before the commands' code is even loaded.
  if (command === 'ingest' && rest.length > 0 && (await nothingToIngest(rest))) return 0
  // Only now the command's code: `callqa --help` loads nothing else.
  const { runCommand } = await import('./commands.js')
  return runCommand(command, rest, values, USAGE)
}

/** True (and says so) when the inputs hold no recording: no database, no workers, no models. */
async function nothingToIngest(inputs: string[]): Promise<boolean> {
  const { discoverInputs } = await import('../pipeline/discover.js')
  if ((await discoverInputs(inputs)).length > 0) return false
  const { logSafe } = await import('./log-safe.js')
  console.error(`callqa: no recordings found in ${inputs.map(logSafe).join(', ')}`)
  console.log('0 done, 0 failed, 0 skipped · 0.0s of audio in 0.0s')
  return true
}

// Everything callqa writes (the data folder, recordings, temporary files) is personal data: private
// to this account from the first file on, whatever the shell's umask.
privateUmask()
try {
  process.exitCode = await main(process.argv.slice(2))
} catch (thrown) {
  const err = coerceError(thrown)
  console.error(`callqa: ${errorCode(thrown)}: ${err.message}`)
  process.exitCode = 2
}
