/**
 * Live calls for `callqa serve`: the settings, the hub with its voice activity model, the event
 * bus between servers (Postgres NOTIFY; one embedded database has one server), and the filing of
 * each finished call through the same door as an upload. Sessions a dead process on this host
 * left behind are filed first.
 */
import type { Database } from '../db/index.js'
import { activeTaxonomy } from '../db/queries/taxonomies.js'
import { activeRules } from '../db/queries/versioned-rules.js'
import { intakeFile } from '../pipeline/intake.js'
import type { CallProcessor } from '../pipeline/processor.js'
import { type Deliverer, enqueueWebhook } from '../webhooks/outbox.js'
import { postgresEventBus } from './bus.js'
import { LiveHub } from './hub.js'
import { DEFAULT_LIVE_RULES, type RulesFile, resolveLiveRules } from './rules.js'
import { type LiveSettings, liveSettings } from './settings.js'

export interface StartLive {
  db: Database
  storageDir: string
  processor: CallProcessor
  databaseUrl?: string | undefined
  schema?: string | undefined
  settings?: LiveSettings
  /** the webhook outbox's deliverer, when webhooks are configured: alerts go out through it */
  webhooks?: Deliverer | undefined
  onError?: (err: unknown, what: string) => void
}

export async function startLive(options: StartLive): Promise<{ hub: LiveHub; settings: LiveSettings }> {
  const { db, storageDir, processor, onError } = options
  const base = options.settings ?? liveSettings()
  // Stored rules (`callqa live-rules load/activate`) replace the built-in ones; a rules file
  // (CALLQA_LIVE_RULES) or rules given here win over them.
  const stored = base.rules === DEFAULT_LIVE_RULES ? await activeRules(db, 'live_rules') : undefined
  const settings = stored
    ? { ...base, rules: resolveLiveRules(stored.definition as unknown as RulesFile) }
    : base
  const taxonomy = (await activeTaxonomy(db))?.definition
  const bus = options.databaseUrl
    ? await postgresEventBus(db, options.databaseUrl, options.schema, (err) =>
        onError?.(err, 'the live event bus'),
      )
    : undefined
  const hub = await LiveHub.start({
    db,
    storageDir,
    rules: settings.rules,
    taxonomy,
    maxSessions: settings.maxSessions,
    bus,
    ...(onError ? { onError } : {}),
    ...(options.webhooks
      ? {
          alertOut: async (tx, alert) => {
            await enqueueWebhook(tx, 'live.alert', alert)
            setImmediate(() => options.webhooks?.kick())
          },
        }
      : {}),
    file: (recording, stored) =>
      intakeFile(
        db,
        storageDir,
        processor,
        recording.path,
        {
          sourceName: recording.sourceName,
          layout: recording.layout,
          meta: {
            externalId: recording.meta.externalId ?? null,
            startedAt: recording.meta.startedAt,
            agentId: recording.meta.agentId ?? null,
            team: recording.meta.team ?? null,
            queue: recording.meta.queue ?? null,
            language: recording.meta.language ?? null,
            direction: recording.meta.direction ?? null,
            customerId: recording.meta.customerId ?? null,
          },
        },
        stored,
      ),
  })
  await hub.recoverLeftovers()
  return { hub, settings }
}
