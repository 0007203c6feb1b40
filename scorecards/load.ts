/**
 * Scorecard files (YAML or JSON) → a validated definition, or a ScorecardError listing every
 * problem as `file:line:column: path: message`, so an author can fix them all in one go.
 */
import { createHash } from 'node:crypto'
import { readFileSync } from 'node:fs'
import path from 'node:path'
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv'
import { isMap, isPair, isScalar, LineCounter, type Node, parseDocument } from 'yaml'
import { ScorecardError } from '../errors.js'
import { type Item, SCORECARD_SCHEMA, type ScorecardDefinition } from './schema.js'

const ajv = new Ajv({ allErrors: true, strict: false })
const validate = ajv.compile<ScorecardDefinition>(SCORECARD_SCHEMA)

export interface Problem {
  at: number
  path: string
  message: string
}

function pathOf(instancePath: string): Array<string | number> {
  return instancePath
    .split('/')
    .slice(1)
    .map((p) => p.replaceAll('~1', '/').replaceAll('~0', '~'))
    .map((p) => (/^\d+$/.test(p) ? Number(p) : p))
}

function describe(error: ErrorObject): string {
  const p = error.params as Record<string, unknown>
  switch (error.keyword) {
    case 'additionalProperty':
    case 'additionalProperties':
      return `unknown field "${String(p.additionalProperty)}"`
    case 'required':
      return `missing "${String(p.missingProperty)}"`
    case 'enum':
      return `must be one of ${(p.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}`
    case 'oneOf':
      return 'needs exactly one of "phrases" or "groups"'
    case 'dependentRequired':
      return `"${String(p.property)}" needs "${String(p.missingProperty)}"`
    case 'minProperties':
    case 'maxProperties':
      return error.instancePath.endsWith('window')
        ? 'a window is exactly one of first_s, last_s, first_pct, last_pct'
        : (error.message ?? 'invalid')
    default:
      return error.message ?? 'invalid'
  }
}

/** The position (character offset) of a path in the document: the value, else its key, else the parent. */
function offsetOf(root: Node | null, pathParts: Array<string | number>, pointAtKey?: string): number {
  let node: unknown = root
  let at = 0
  for (const part of pathParts) {
    if (!node || typeof node !== 'object') break
    const range = (node as { range?: [number, number] }).range
    if (range) at = range[0]
    const next = (node as { get?: (k: unknown, keep: boolean) => unknown }).get?.(part, true)
    if (next === undefined) break
    node = next
  }
  const range = (node as { range?: [number, number] } | null)?.range
  if (range) at = range[0]
  if (pointAtKey && isMap(node)) {
    const pair = node.items.find((i) => isPair(i) && isScalar(i.key) && i.key.value === pointAtKey)
    const keyRange = pair && isScalar(pair.key) ? pair.key.range : undefined
    if (keyRange) at = keyRange[0]
  }
  return at
}

/** Checks the schema cannot express: unique keys, references to earlier items, scoring fields per mode. */
function semanticProblems(
  card: ScorecardDefinition,
  offset: (path: Array<string | number>) => number,
): Problem[] {
  const problems: Problem[] = []
  const sectionKeys = new Set<string>()
  const itemKeys = new Set<string>()
  card.sections.forEach((section, s) => {
    if (sectionKeys.has(section.key))
      problems.push({
        at: offset(['sections', s, 'key']),
        path: `sections[${s}].key`,
        message: `duplicate section key "${section.key}"`,
      })
    sectionKeys.add(section.key)
    section.items.forEach((item: Item, i) => {
      const where = ['sections', s, 'items', i]
      const label = `sections[${s}].items[${i}]`
      if (itemKeys.has(item.key))
        problems.push({
          at: offset([...where, 'key']),
          path: `${label}.key`,
          message: `duplicate item key "${item.key}"`,
        })
      for (const field of ['na_when', 'only_if'] as const) {
        const ref = item[field]?.item
        if (ref !== undefined && !itemKeys.has(ref))
          problems.push({
            at: offset([...where, field, 'item']),
            path: `${label}.${field}.item`,
            message: `"${ref}" is not an item before this one`,
          })
      }
      itemKeys.add(item.key)
      if (card.mode === 'deduction' && item.deduction === undefined && !item.fatal)
        problems.push({
          at: offset(where),
          path: label,
          message: 'deduction mode: the item needs "deduction" (or "fatal: true")',
        })
      if (card.mode === 'weighted' && item.deduction !== undefined)
        problems.push({
          at: offset([...where, 'deduction']),
          path: `${label}.deduction`,
          message: 'weighted mode: use "weight", not "deduction"',
        })
      if (card.mode === 'deduction' && item.weight !== undefined)
        problems.push({
          at: offset([...where, 'weight']),
          path: `${label}.weight`,
          message: 'deduction mode: use "deduction", not "weight"',
        })
    })
  })
  if (card.mode === 'weighted') {
    const total = card.sections.flatMap((s) => s.items).reduce((sum, i) => sum + (i.weight ?? 1), 0)
    if (total <= 0)
      problems.push({ at: 0, path: 'sections', message: 'weighted mode: the weights add up to 0' })
  }
  return problems
}

/**
 * Parses YAML (or JSON) and validates it with `validate`, then `semantic` (run only on data the
 * schema accepts); every problem becomes `name:line:col: path: message`, all of them in one error
 * made by `fail`. Shared by scorecards and taxonomies.
 */
export function parseChecked<T>(
  text: string,
  name: string,
  validate: ValidateFunction<T>,
  semantic: (data: T, at: (path: Array<string | number>) => number) => Problem[],
  fail: (message: string) => Error,
): T {
  const lineCounter = new LineCounter()
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true })
  const where = (at: number) => {
    const { line, col } = lineCounter.linePos(at)
    return `${name}:${line}:${col}`
  }
  if (doc.errors.length > 0) {
    throw fail(doc.errors.map((e) => `${where(e.pos[0])}: ${e.message.split('\n')[0]}`).join('\n'))
  }
  const data = doc.toJS() as unknown
  const problems: Problem[] = []
  if (!validate(data)) {
    for (const error of validate.errors ?? []) {
      // if/then wrappers repeat what the inner errors say.
      if (error.keyword === 'if') continue
      const parts = pathOf(error.instancePath)
      const p = error.params as Record<string, unknown>
      const pointAt = error.keyword === 'additionalProperties' ? String(p.additionalProperty) : undefined
      const at = offsetOf(doc.contents, parts, pointAt)
      const dotted = parts
        .map((x) => (typeof x === 'number' ? `[${x}]` : `.${x}`))
        .join('')
        .replace(/^\./, '')
      problems.push({
        at,
        path: pointAt ? `${dotted ? `${dotted}.` : ''}${pointAt}` : dotted || '(top)',
        message: describe(error),
      })
    }
  } else {
    problems.push(...semantic(data, (parts) => offsetOf(doc.contents, parts)))
  }
  if (problems.length > 0) {
    const unique = [...new Map(problems.map((p) => [`${p.at}|${p.path}|${p.message}`, p])).values()]
    unique.sort((a, b) => a.at - b.at)
    throw fail(unique.map((p) => `${where(p.at)}: ${p.path}: ${p.message}`).join('\n'))
  }
  return data as T
}

/** Parses and validates scorecard text; `name` is used in messages. */
export function parseScorecard(text: string, name: string): ScorecardDefinition {
  return parseChecked(
    text,
    name,
    validate,
    (card, at) => semanticProblems(card, at),
    (message) => new ScorecardError(message),
  )
}

/** Reads a definition file and parses it with `parse`; an unreadable file is a `fail` error too. */
export function loadCheckedFile<T>(
  file: string,
  parse: (text: string, name: string) => T,
  fail: (message: string, cause: unknown) => Error,
): T {
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch (cause) {
    throw fail(`cannot read ${file}: ${(cause as Error).message}`, cause)
  }
  return parse(text, path.basename(file))
}

export function loadScorecardFile(file: string): ScorecardDefinition {
  return loadCheckedFile(file, parseScorecard, (message, cause) => new ScorecardError(message, { cause }))
}

/** Same content, same hash, whatever the key order or formatting of the file. */
export function definitionHash(definition: ScorecardDefinition): string {
  const canonical = (value: unknown): unknown =>
    Array.isArray(value)
      ? value.map(canonical)
      : value && typeof value === 'object'
        ? Object.fromEntries(
            Object.keys(value)
              .sort()
              .map((k) => [k, canonical((value as Record<string, unknown>)[k])]),
          )
        : value
  return createHash('sha256')
    .update(JSON.stringify(canonical(definition)))
    .digest('hex')
}
