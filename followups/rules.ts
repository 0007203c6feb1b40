/**
 * Follow-up rules: which calls open a follow-up, which team it goes to, the promised times per
 * urgency and when it escalates. YAML (or JSON), checked with `file:line:col` like scorecards;
 * stored and versioned (`callqa follow-ups load FILE | list | activate KEY`).
 *
 * ```yaml
 * key: support-follow-ups
 * sla:                       # first response and resolution, per urgency
 *   P0: { respond: 15m, resolve: 4h }
 *   P1: { respond: 1h, resolve: 1d }
 *   P2: { respond: 4h, resolve: 2d }
 *   P3: { respond: 1d, resolve: 5d }
 * escalate_after: 48h        # no progress for this long: the next level (or per urgency: {P0: 2h, …})
 * remind_before: 25%         # a reminder this long before a promise is due (a duration or a share)
 * open_when:                 # any of these opens a follow-up
 *   - urgency: [P0, P1]
 *   - complaint: true
 *   - conduct: flagged
 *   - customer_sentiment_end: { below: -0.4 }
 *   - failed_fatal_item: true
 *   - live_alert: [urgency-p0]
 * route:                     # first match wins
 *   - when: { urgency: P0 }
 *     team: escalations
 *   - when: { category: billing }
 *     team: billing
 *   - team: service-desk
 * teams:
 *   escalations: { members: [lee], escalate_to: [head-of-service] }
 *   billing: { members: [ana, bo], escalate_to: [lee] }
 *   service-desk: { members: [cy], escalate_to: [lee] }
 * root_causes: [training, process, product, system, policy, third-party, customer]
 * ```
 *
 * Members and escalation targets must be callqa users (checked when the file is loaded); a user
 * is in one team at most; escalation must end (lee escalates to head-of-service, whose team, if
 * any, escalates further — never back round).
 */
import { readFileSync } from 'node:fs'
import { ConfigError } from '../errors.js'
import { DURATION_PATTERN, lazyValidator, type Problem, parseChecked } from '../scorecards/load.js'

export const URGENCIES = ['P0', 'P1', 'P2', 'P3'] as const
export type UrgencyLabel = (typeof URGENCIES)[number]

/** The promises of an urgency the rules leave out (and of cases opened by hand without rules). */
export const DEFAULT_SLA: Record<UrgencyLabel, { respondMs: number; resolveMs: number }> = {
  P0: { respondMs: 15 * 60_000, resolveMs: 4 * 3_600_000 },
  P1: { respondMs: 3_600_000, resolveMs: 86_400_000 },
  P2: { respondMs: 4 * 3_600_000, resolveMs: 2 * 86_400_000 },
  P3: { respondMs: 86_400_000, resolveMs: 5 * 86_400_000 },
}

export const DEFAULT_ROOT_CAUSES = [
  'training',
  'process',
  'product',
  'system',
  'policy',
  'third-party',
  'customer',
  'other',
]

export interface OpenCondition {
  urgency?: UrgencyLabel | UrgencyLabel[]
  complaint?: boolean
  conduct?: 'flagged'
  customer_sentiment_end?: { below: number }
  failed_fatal_item?: boolean
  category?: string | string[]
  live_alert?: string | string[]
}

export interface RouteRule {
  when?: {
    urgency?: UrgencyLabel | UrgencyLabel[]
    category?: string | string[]
    reason?: string | string[]
  }
  team: string
}

export interface FollowUpRulesFile {
  key: string
  /** an urgency left out keeps the default promise (DEFAULT_SLA) */
  sla: Partial<Record<UrgencyLabel, { respond: string; resolve: string }>>
  escalate_after: string | Partial<Record<UrgencyLabel, string>>
  remind_before?: string
  open_when: OpenCondition[]
  route: RouteRule[]
  teams: Record<string, { members: string[]; escalate_to?: string[] }>
  root_causes?: string[]
}

const DURATION = DURATION_PATTERN
const duration = { type: 'string', pattern: DURATION, maxLength: 40 }
const urgency = { enum: [...URGENCIES] }
const urgencies = { anyOf: [urgency, { type: 'array', items: urgency, minItems: 1, uniqueItems: true }] }
const strings = {
  anyOf: [
    { type: 'string', minLength: 1, maxLength: 200 },
    { type: 'array', items: { type: 'string', minLength: 1, maxLength: 200 }, minItems: 1, maxItems: 200 },
  ],
}
const name = { type: 'string', pattern: '^[A-Za-z0-9][A-Za-z0-9._@-]{0,99}$' }
const window = {
  type: 'object',
  required: ['respond', 'resolve'],
  additionalProperties: false,
  properties: { respond: duration, resolve: duration },
}

export const FOLLOW_UP_RULES_SCHEMA = {
  type: 'object',
  required: ['key', 'sla', 'escalate_after', 'open_when', 'route', 'teams'],
  additionalProperties: false,
  properties: {
    key: { type: 'string', pattern: '^[a-z0-9][a-z0-9-]{0,62}$' },
    sla: {
      type: 'object',
      minProperties: 1,
      additionalProperties: false,
      properties: Object.fromEntries(URGENCIES.map((u) => [u, window])),
    },
    escalate_after: {
      anyOf: [
        duration,
        {
          type: 'object',
          additionalProperties: false,
          minProperties: 1,
          properties: Object.fromEntries(URGENCIES.map((u) => [u, duration])),
        },
      ],
    },
    remind_before: {
      anyOf: [duration, { type: 'string', pattern: '^([1-9]|[1-9][0-9])%$' }],
    },
    open_when: {
      type: 'array',
      maxItems: 100,
      items: {
        type: 'object',
        minProperties: 1,
        maxProperties: 1,
        additionalProperties: false,
        properties: {
          urgency: urgencies,
          complaint: { const: true },
          conduct: { const: 'flagged' },
          customer_sentiment_end: {
            type: 'object',
            required: ['below'],
            additionalProperties: false,
            properties: { below: { type: 'number', minimum: -1, maximum: 1 } },
          },
          failed_fatal_item: { const: true },
          category: strings,
          live_alert: strings,
        },
      },
    },
    route: {
      type: 'array',
      minItems: 1,
      maxItems: 200,
      items: {
        type: 'object',
        required: ['team'],
        additionalProperties: false,
        properties: {
          when: {
            type: 'object',
            additionalProperties: false,
            properties: { urgency: urgencies, category: strings, reason: strings },
          },
          team: { type: 'string', minLength: 1, maxLength: 100 },
        },
      },
    },
    teams: {
      type: 'object',
      minProperties: 1,
      maxProperties: 200,
      propertyNames: { pattern: '^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$' },
      additionalProperties: {
        type: 'object',
        required: ['members'],
        additionalProperties: false,
        properties: {
          members: { type: 'array', items: name, minItems: 1, maxItems: 1000, uniqueItems: true },
          escalate_to: { type: 'array', items: name, maxItems: 100, uniqueItems: true },
        },
      },
    },
    root_causes: {
      type: 'array',
      items: { type: 'string', minLength: 1, maxLength: 100 },
      minItems: 1,
      maxItems: 100,
      uniqueItems: true,
    },
  },
} as const

const validate = lazyValidator<FollowUpRulesFile>(FOLLOW_UP_RULES_SCHEMA)

const UNIT_MS: Record<string, number> = {
  w: 604_800_000,
  d: 86_400_000,
  h: 3_600_000,
  min: 60_000,
  m: 60_000,
  s: 1000,
}

/** "1d12h" → ms; undefined when it is not a duration. */
export function parseDuration(text: string): number | undefined {
  if (!new RegExp(DURATION).test(text)) return undefined
  let ms = 0
  for (const [, n, unit] of text.matchAll(/([0-9]+(?:\.[0-9]+)?)(w|d|h|min|m|s)/g))
    ms += Number(n) * (UNIT_MS[unit as string] ?? 0)
  return Math.round(ms)
}

/** The checks the schema cannot make: durations that make sense, teams named, users known, no loops. */
function semanticProblems(
  file: FollowUpRulesFile,
  at: (path: Array<string | number>) => number,
  users: ReadonlySet<string> | undefined,
): Problem[] {
  const problems: Problem[] = []
  const add = (path: Array<string | number>, message: string) =>
    problems.push({ at: at(path), path: path.join('.'), message })
  for (const u of URGENCIES) {
    const w = file.sla[u]
    if (!w) continue
    const respond = parseDuration(w.respond) ?? 0
    const resolve = parseDuration(w.resolve) ?? 0
    if (respond <= 0) add(['sla', u, 'respond'], 'must be longer than 0')
    if (resolve <= 0) add(['sla', u, 'resolve'], 'must be longer than 0')
    if (respond > resolve)
      add(
        ['sla', u, 'respond'],
        `the first response (${w.respond}) is due after the resolution (${w.resolve})`,
      )
  }
  const escalate =
    typeof file.escalate_after === 'string' ? { all: file.escalate_after } : file.escalate_after
  for (const [k, v] of Object.entries(escalate))
    if (v !== undefined && (parseDuration(v) ?? 0) <= 0)
      add(
        typeof file.escalate_after === 'string' ? ['escalate_after'] : ['escalate_after', k],
        'must be longer than 0',
      )
  file.route.forEach((r, i) => {
    if (!(r.team in file.teams)) add(['route', i, 'team'], `no team ${r.team} under teams`)
  })
  const teamOf = new Map<string, string>()
  for (const [team, t] of Object.entries(file.teams)) {
    t.members.forEach((m, i) => {
      if (users && !users.has(m)) add(['teams', team, 'members', i], `no callqa user ${m}`)
      const other = teamOf.get(m)
      if (other)
        add(['teams', team, 'members', i], `${m} is already a member of ${other}: a user is in one team`)
      else teamOf.set(m, team)
    })
    t.escalate_to?.forEach((m, i) => {
      if (users && !users.has(m)) add(['teams', team, 'escalate_to', i], `no callqa user ${m}`)
    })
  }
  // Escalation goes from a team to its escalate_to users, then to those users' team's, and so on:
  // it must end. A loop is reported where it closes.
  for (const start of Object.keys(file.teams)) {
    const seen = [start]
    let level = [start]
    while (level.length > 0) {
      const next: string[] = []
      for (const team of level)
        file.teams[team]?.escalate_to?.forEach((m, i) => {
          const to = teamOf.get(m)
          if (!to) return
          if (seen.includes(to)) {
            if (to === start)
              add(['teams', team, 'escalate_to', i], `escalation loops: ${[...seen, to].join(' → ')}`)
            return
          }
          seen.push(to)
          next.push(to)
        })
      level = next
    }
  }
  return problems
}

/**
 * The file's checked content (what is stored as a version). `users`: the names of callqa's users,
 * when a database is there to ask (members and escalation targets must be among them).
 */
export function parseFollowUpRules(
  text: string,
  fileName: string,
  users?: ReadonlySet<string>,
): FollowUpRulesFile {
  return parseChecked<FollowUpRulesFile>(
    text,
    fileName,
    validate,
    (data, at) => semanticProblems(data, at, users),
    (message) => new ConfigError(message),
  )
}

export function readFollowUpRules(file: string, users?: ReadonlySet<string>): FollowUpRulesFile {
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch (cause) {
    throw new ConfigError(`cannot read the follow-up rules file ${file}`, { cause })
  }
  return parseFollowUpRules(text, file, users)
}

const asList = <T>(v: T | T[] | undefined): T[] | undefined =>
  v === undefined ? undefined : Array.isArray(v) ? v : [v]

/** Rules ready to apply: durations in ms, lists where the file allows one or many. */
export interface FollowUpRules {
  key: string
  sla: Record<UrgencyLabel, { respondMs: number; resolveMs: number }>
  escalateAfterMs: Record<UrgencyLabel, number>
  /** ms before a due time, or a share of the window (0–1) */
  remindBefore: { ms: number } | { share: number }
  openWhen: OpenCondition[]
  route: Array<{ urgency?: UrgencyLabel[]; category?: string[]; reason?: string[]; team: string }>
  teams: Record<string, { members: string[]; escalateTo: string[] }>
  rootCauses: string[]
}

export function resolveFollowUpRules(file: FollowUpRulesFile): FollowUpRules {
  const ms = (d: string) => parseDuration(d) ?? 0
  const escalate = (u: UrgencyLabel) =>
    typeof file.escalate_after === 'string'
      ? ms(file.escalate_after)
      : ms(file.escalate_after[u] ?? Object.values(file.escalate_after).find(Boolean) ?? '48h')
  const remind = file.remind_before ?? '25%'
  return {
    key: file.key,
    sla: Object.fromEntries(
      URGENCIES.map((u) => {
        const w = file.sla[u]
        return [u, w ? { respondMs: ms(w.respond), resolveMs: ms(w.resolve) } : DEFAULT_SLA[u]]
      }),
    ) as FollowUpRules['sla'],
    escalateAfterMs: Object.fromEntries(
      URGENCIES.map((u) => [u, escalate(u)]),
    ) as FollowUpRules['escalateAfterMs'],
    remindBefore: remind.endsWith('%') ? { share: Number(remind.slice(0, -1)) / 100 } : { ms: ms(remind) },
    openWhen: file.open_when,
    route: file.route.map((r) => ({
      ...(r.when?.urgency ? { urgency: asList(r.when.urgency) } : {}),
      ...(r.when?.category ? { category: asList(r.when.category) } : {}),
      ...(r.when?.reason ? { reason: asList(r.when.reason) } : {}),
      team: r.team,
    })),
    teams: Object.fromEntries(
      Object.entries(file.teams).map(([k, t]) => [
        k,
        { members: t.members, escalateTo: t.escalate_to ?? [] },
      ]),
    ),
    rootCauses: file.root_causes ?? DEFAULT_ROOT_CAUSES,
  }
}

export const urgencyLabel = (n: number): UrgencyLabel =>
  URGENCIES[Math.max(0, Math.min(3, n))] as UrgencyLabel
export const urgencyNumber = (label: UrgencyLabel): number => URGENCIES.indexOf(label)
