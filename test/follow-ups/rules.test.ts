/**
 * Follow-up rules as data: the example loads; an unknown team, a user who does not exist,
 * an SLA that cannot be parsed, a user in two teams and a loop of escalations are each refused
 * with `file:line:col`; `callqa follow-ups load | list | activate` stores versions and sets teams.
 */
import { writeFileSync } from 'node:fs'
import path from 'node:path'
import { afterAll, beforeAll, expect, test } from 'vitest'
import { runFollowUps } from '../../cli/follow-ups.js'
import type { Database } from '../../db/index.js'
import { parseDuration, parseFollowUpRules, resolveFollowUpRules } from '../../followups/rules.js'
import { escalationTargets } from '../../followups/schedule.js'
import { tempDir } from '../helpers/audio.js'
import { openTestDb } from '../helpers/db.js'
import { RULES_YAML, seedPeople } from './seed.js'

let db: Database
const tmp = tempDir()
const USERS = new Set(['lee', 'head-of-service', 'ana', 'bo', 'cy'])
beforeAll(async () => {
  db = await openTestDb('follow-ups/rules')
  await seedPeople(db)
})
afterAll(async () => {
  await db?.close()
  tmp.remove()
})

const refusal = (text: string) => {
  try {
    parseFollowUpRules(text, 'rules.yaml', USERS)
  } catch (err) {
    return (err as Error).message
  }
  return 'accepted'
}

test('the example of the issue: durations, routes, escalation levels', () => {
  const rules = resolveFollowUpRules(parseFollowUpRules(RULES_YAML, 'rules.yaml', USERS))
  expect(rules.sla.P0).toEqual({ respondMs: 15 * 60_000, resolveMs: 4 * 3_600_000 })
  expect(rules.sla.P3.resolveMs).toBe(5 * 86_400_000)
  expect(rules.escalateAfterMs.P2).toBe(48 * 3_600_000)
  expect(escalationTargets(rules, 'billing', 1)).toEqual(['lee'])
  expect(escalationTargets(rules, 'billing', 2)).toEqual(['head-of-service'])
  expect(escalationTargets(rules, 'billing', 3)).toEqual([])
  expect(parseDuration('1d12h')).toBe(36 * 3_600_000)
  expect(parseDuration('12 hours')).toBeUndefined()
  expect(parseDuration('1.5h')).toBe(90 * 60_000)
  expect(parseDuration('90min')).toBe(90 * 60_000)
  // An urgency the rules leave out keeps the default promise.
  const partial = resolveFollowUpRules(
    parseFollowUpRules(RULES_YAML.replace(/ {2}P[23]: .*\n/g, ''), 'rules.yaml', USERS),
  )
  expect(partial.sla.P3).toEqual({ respondMs: 86_400_000, resolveMs: 5 * 86_400_000 })
})

test('bad rules are refused with file:line:col and what is wrong', () => {
  expect(refusal(RULES_YAML.replace('    team: billing', '    team: billling'))).toMatch(
    /^rules\.yaml:18:11: route\.1\.team: no team billling under teams$/m,
  )
  expect(refusal(RULES_YAML.replace('members: [ana, bo]', 'members: [ana, bob]'))).toMatch(
    /^rules\.yaml:22:29: teams\.billing\.members\.1: no callqa user bob$/m,
  )
  expect(
    refusal(RULES_YAML.replace('P1: { respond: 1h, resolve: 1d }', 'P1: { respond: 1 hour, resolve: 1d }')),
  ).toMatch(/^rules\.yaml:4:18: sla\.P1\.respond: must be a duration such as 15m, 4h, 2d, 1\.5h or 1d12h/m)
  expect(
    refusal(RULES_YAML.replace('P2: { respond: 4h, resolve: 2d }', 'P2: { respond: 3d, resolve: 2d }')),
  ).toMatch(
    /^rules\.yaml:5:18: sla\.P2\.respond: the first response \(3d\) is due after the resolution \(2d\)$/m,
  )
  // head-of-service in billing: billing → lee (escalations) → head-of-service (billing) → …
  expect(refusal(RULES_YAML.replace('members: [ana, bo]', 'members: [ana, bo, head-of-service]'))).toMatch(
    /escalation loops: (billing → escalations → billing|escalations → billing → escalations)/,
  )
  expect(refusal(RULES_YAML.replace('members: [cy]', 'members: [cy, ana]'))).toMatch(
    /teams\.service-desk\.members\.1: ana is already a member of billing: a user is in one team/,
  )
  expect(refusal(RULES_YAML.replace('escalate_after: 48h', 'escalate_after: soon'))).toMatch(
    /^rules\.yaml:7:17: escalate_after/m,
  )
  expect(
    refusal(RULES_YAML.replace('  - complaint: true', '  - complaint: true\n  - weather: rainy')),
  ).toMatch(/^rules\.yaml:11:5: open_when\[2\]\.weather: unknown field "weather"$/m)
})

test('callqa follow-ups load | list | activate: versions, teams set from the members, users checked', async () => {
  const file = (name: string, text: string) => {
    const p = path.join(tmp.dir, name)
    writeFileSync(p, text)
    return p
  }
  const out: string[] = []
  const log = console.log
  console.log = (...a: unknown[]) => out.push(a.join(' '))
  try {
    expect(await runFollowUps(db, ['load', file('a.yaml', RULES_YAML)])).toBe(0)
    expect(await runFollowUps(db, ['load', file('a.yaml', RULES_YAML)])).toBe(0)
    await expect(
      runFollowUps(db, ['load', file('b.yaml', RULES_YAML.replace('[cy]', '[cy, zed]'))]),
    ).rejects.toThrow(/b\.yaml:23:33: teams\.service-desk\.members\.1: no callqa user zed/)
    expect(
      await runFollowUps(db, [
        'load',
        file('c.yaml', RULES_YAML.replace('P0: { respond: 15m', 'P0: { respond: 10m')),
      ]),
    ).toBe(0)
    expect(await runFollowUps(db, ['list'])).toBe(0)
    await expect(runFollowUps(db, ['activate', 'nope'])).rejects.toThrow(/no follow-up rules with key nope/)
    expect(await runFollowUps(db, ['activate', 'support-follow-ups'])).toBe(0)
  } finally {
    console.log = log
  }
  expect(out[0]).toBe('support-follow-ups v1: stored as a new version (active)')
  expect(out[1]).toBe('support-follow-ups v1: unchanged (active)')
  expect(out[2]).toBe('support-follow-ups v2: stored as a new version (active)')
  const teams = await db.query<{ name: string; team: string | null }>(
    'SELECT name, team FROM users ORDER BY name',
  )
  expect(Object.fromEntries(teams.rows.map((r) => [r.name, r.team]))).toEqual({
    ana: 'billing',
    bo: 'billing',
    cy: 'service-desk',
    'head-of-service': null,
    lee: 'escalations',
    max: null,
  })
})
