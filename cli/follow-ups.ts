/**
 * `callqa follow-ups load FILE | list | activate KEY`: follow-up rules stored and versioned like
 * scorecards and taxonomies. A file is checked against the users it names (members, escalation
 * targets); the active rules set each member's team and open follow-ups for calls concluded from
 * then on. `callqa follow-ups steps` runs one pass of reminders and escalation now (a server
 * runs them every 15 s).
 */
import type { Database } from '../db/index.js'
import { setTeams, userNames } from '../db/queries/follow-ups.js'
import { activeRules } from '../db/queries/versioned-rules.js'
import { type FollowUpRulesFile, readFollowUpRules } from '../followups/rules.js'
import { runFollowUpSteps } from '../followups/schedule.js'
import { runVersionedRules } from './versioned-rules.js'

export async function runFollowUps(db: Database, args: string[]): Promise<number> {
  if (args[0] === 'steps' && args.length === 1) {
    const done = await runFollowUpSteps(db)
    console.log(`${done.reminders} reminder(s), ${done.escalations} escalation(s)`)
    return 0
  }
  return runVersionedRules(db, args, {
    command: 'follow-ups',
    noun: 'follow-up rules',
    table: 'follow_up_rules',
    read: async (file) => readFollowUpRules(file, await userNames(db)),
    none: 'no follow-up rules stored: calls open no follow-ups (they can be opened by hand)',
    activated: 'calls concluded from now on open follow-ups by it',
    onActive: async (tx) => {
      const active = await activeRules(tx, 'follow_up_rules')
      if (active) await setTeams(tx, (active.definition as unknown as FollowUpRulesFile).teams)
    },
  })
}
