/**
 * The demo's follow-ups: when no follow-up rules are stored, the sample rules are loaded and the
 * people they name are made (members as reviewers, escalation targets as managers; their tokens
 * are not shown — `callqa users token NAME` issues one), so the sample calls open follow-ups.
 */

import { readFileSync } from 'node:fs'
import type { Database } from '../db/index.js'
import { setTeams, userNames } from '../db/queries/follow-ups.js'
import { createUser } from '../db/queries/users.js'
import { activateRules, listRules, saveRules } from '../db/queries/versioned-rules.js'
import { parseFollowUpRules } from '../followups/rules.js'

export async function demoFollowUps(db: Database, file: string, source: string): Promise<string | undefined> {
  if ((await listRules(db, 'follow_up_rules')).length > 0) return undefined
  const text = readFileSync(file, 'utf8')
  // Read once without users to learn the names, then checked against the users made.
  const draft = parseFollowUpRules(text, file)
  const existing = await userNames(db)
  for (const team of Object.values(draft.teams)) {
    for (const name of team.members)
      if (!existing.has(name)) existing.add((await createUser(db, { name, role: 'reviewer' })).user.name)
    for (const name of team.escalate_to ?? [])
      if (!existing.has(name)) existing.add((await createUser(db, { name, role: 'manager' })).user.name)
  }
  const rules = parseFollowUpRules(text, file, existing)
  await db.withTransaction(async (tx) => {
    await saveRules(tx, 'follow_up_rules', rules as never, source)
    await activateRules(tx, 'follow_up_rules', rules.key)
    await setTeams(tx, rules.teams)
  })
  return rules.key
}
