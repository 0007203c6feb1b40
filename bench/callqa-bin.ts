/** How a bench starts `callqa`: the way a user's shell does, through `bin/callqa.js`'s first line. */
import { readFileSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

/** `bin/callqa.js`, the command a user runs. */
export const callqaBin = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'bin', 'callqa.js')

/**
 * The node options `bin/callqa.js` runs with (its `#!/usr/bin/env -S node …` line), for the
 * processes a bench starts: `callqa` itself, and the baselines, so both run as a user's `callqa`.
 */
export const callqaNodeFlags: string[] = (readFileSync(callqaBin, 'utf8').split('\n')[0] ?? '')
  .split(/\s+/)
  .filter((arg) => arg.startsWith('--'))
