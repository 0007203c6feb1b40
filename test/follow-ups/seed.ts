/**
 * A seeded database for follow-up tests: users, the rules of the example (stored and
 * active, teams set), and calls with the facts the rules read (urgency, category, customer).
 */
import type { Database } from '../../db/index.js'
import { installBuiltins } from '../../db/queries/builtins.js'
import { setTeams } from '../../db/queries/follow-ups.js'
import { createUser, type UserRow } from '../../db/queries/users.js'
import { saveRules } from '../../db/queries/versioned-rules.js'
import { parseFollowUpRules } from '../../followups/rules.js'

export const RULES_YAML = `key: support-follow-ups
sla:
  P0: { respond: 15m, resolve: 4h }
  P1: { respond: 1h, resolve: 1d }
  P2: { respond: 4h, resolve: 2d }
  P3: { respond: 1d, resolve: 5d }
escalate_after: 48h
open_when:
  - urgency: [P0, P1]
  - complaint: true
  - conduct: flagged
  - customer_sentiment_end: { below: -0.4 }
  - failed_fatal_item: true
route:
  - when: { urgency: P0 }
    team: escalations
  - when: { category: billing }
    team: billing
  - team: service-desk
teams:
  escalations: { members: [lee], escalate_to: [head-of-service] }
  billing: { members: [ana, bo], escalate_to: [lee] }
  service-desk: { members: [cy], escalate_to: [lee] }
`

export const PEOPLE = [
  ['lee', 'manager'],
  ['head-of-service', 'manager'],
  ['ana', 'reviewer'],
  ['bo', 'reviewer'],
  ['cy', 'agent'],
  ['max', 'manager'],
] as const

export async function seedPeople(db: Database): Promise<Record<string, UserRow & { token: string }>> {
  const out: Record<string, UserRow & { token: string }> = {}
  for (const [name, role] of PEOPLE) {
    const made = await createUser(db, { name, role })
    out[name] = { ...made.user, token: made.token }
  }
  return out
}

export async function activateRules(db: Database, yaml = RULES_YAML): Promise<number> {
  const names = new Set((await db.query<{ name: string }>('SELECT name FROM users')).rows.map((r) => r.name))
  const file = parseFollowUpRules(yaml, 'rules.yaml', names)
  const { rules } = await saveRules(db, 'follow_up_rules', file as never, 'rules.yaml')
  await db.query('UPDATE follow_up_rules SET active = (id = $1)', [rules.id])
  await setTeams(db, file.teams)
  return rules.id
}

let n = 0
/** A done call with the facts follow-up rules read. */
export async function seedCall(
  db: Database,
  f: { urgency?: number | null; category?: string; customer?: string },
): Promise<number> {
  n++
  await installBuiltins(db)
  const id = (
    await db.query<{ id: number }>(
      `INSERT INTO calls (sha256, source_name, status, agent_id, team, queue, started_at, duration_ms, customer_id)
       VALUES ($1, $2, 'done', 'a.kim', 'north', 'billing', now(), 60000, $3) RETURNING id`,
      [`fu-${n}-${Math.random()}`, `call-${n}.wav`, f.customer ?? null],
    )
  ).rows[0]?.id as number
  await db.query(
    `INSERT INTO call_insights (call_id, urgency, urgency_evidence, conduct) VALUES ($1, $2, '[]', '{"flags": [], "agent_trend": null}')`,
    [id, f.urgency ?? null],
  )
  if (f.category) {
    const tax = (await db.query<{ id: number }>('SELECT id FROM taxonomies ORDER BY id LIMIT 1')).rows[0]?.id
    await db.query(
      `INSERT INTO call_topics (call_id, rank, taxonomy_id, path, score, evidence) VALUES ($1, 1, $2, $3, 1, '[]')`,
      [id, tax, f.category.split('/')],
    )
  }
  return id
}
