/** The command line's flags: parsed in cli/main.ts, read by the commands in cli/commands.ts. */
import type { parseArgs } from 'node:util'

export const FLAGS = {
  meta: { type: 'string' },
  'name-pattern': { type: 'string' },
  layout: { type: 'string' },
  reprocess: { type: 'boolean' },
  queue: { type: 'boolean' },
  workers: { type: 'string' },
  vad: { type: 'string', multiple: true },
  metric: { type: 'string', multiple: true },
  language: { type: 'string' },
  scorecard: { type: 'string' },
  since: { type: 'string' },
  taxonomy: { type: 'boolean' },
  month: { type: 'string' },
  level: { type: 'string' },
  csv: { type: 'boolean' },
  calls: { type: 'string' },
  role: { type: 'string' },
  'agent-id': { type: 'string' },
  port: { type: 'string' },
  host: { type: 'string' },
  'no-serve': { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const

export type CommandFlags = ReturnType<
  typeof parseArgs<{ args: string[]; allowPositionals: true; options: typeof FLAGS }>
>['values']
