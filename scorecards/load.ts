/**
 * Scorecard files (YAML or JSON) → a validated definition, or a ScorecardError listing every
 * problem as `file:line:column: path: message`, so an author can fix them all in one go.
 */
import { createHash } from 'node:crypto'
import { readFileSync } from 'node:fs'
import path from 'node:path'
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv'
import { isMap, isPair, isScalar, LineCounter, type Node, parseDocument, visit } from 'yaml'
import { ScorecardError } from '../errors.js'
import { type Item, SCORECARD_SCHEMA, type ScorecardDefinition } from './schema.js'

/**
 * A schema's validator, compiled when it is first needed: compiling costs tens of milliseconds
 * per schema, and a command that reads no definition (most of them) should not pay it at start-up.
 */
export function lazyValidator<T>(schema: object): () => ValidateFunction<T> {
  let compiled: ValidateFunction<T> | undefined
  return () => {
    compiled ??= new Ajv({ allErrors: true, strict: false }).compile<T>(schema)
    return compiled
  }
}

const validate = lazyValidator<ScorecardDefinition>(SCORECARD_SCHEMA)

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

/** A duration in a definition (follow-up promises): 15m, 4h, 2d, 1.5h, 1d12h. */
export const DURATION_PATTERN = '^([0-9]+(\\.[0-9]+)?(w|d|h|min|m|s))+$'

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
    case 'pattern':
      // a duration (follow-up SLAs and escalation)
      return p.pattern === DURATION_PATTERN
        ? 'must be a duration such as 15m, 4h, 2d, 1.5h or 1d12h (w, d, h, m or min, s)'
        : (error.message ?? 'invalid')
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
  const items = card.sections.flatMap((s) => s.items)
  const phrases = items.reduce((n, i) => n + JSON.stringify(i).length, 0)
  if (items.length > MAX_CARD_ITEMS)
    problems.push({
      at: 0,
      path: 'sections',
      message: `${items.length} items; a scorecard may have at most ${MAX_CARD_ITEMS}`,
    })
  if (phrases > MAX_DEFINITION_BYTES / 2)
    problems.push({
      at: 0,
      path: 'sections',
      message: "the items are too large: a scorecard's items may hold at most 500 kB",
    })
  if (card.mode === 'weighted') {
    const total = card.sections.flatMap((s) => s.items).reduce((sum, i) => sum + (i.weight ?? 1), 0)
    if (total <= 0)
      problems.push({ at: 0, path: 'sections', message: 'weighted mode: the weights add up to 0' })
  }
  return problems
}

/** The largest definition file (a scorecard or a taxonomy) accepted. */
export const MAX_DEFINITION_BYTES = 1_000_000
/** The deepest nesting of a definition file (a taxonomy is three levels of categories, a card four). */
export const MAX_DEFINITION_DEPTH = 32
/** The most items a scorecard may have (each is judged on every call). */
export const MAX_CARD_ITEMS = 300
/** How many times aliases may be expanded in one file (yaml's guard against alias bombs). */
const MAX_ALIAS_COUNT = 100

/** `line:col` (1-based) of an offset in a text, for problems found before the parser ran. */
function lineColumn(text: string, offset: number): string {
  const before = text.slice(0, offset)
  const line = before.split('\n').length
  return `${line}:${offset - before.lastIndexOf('\n')}`
}

/**
 * The offset where a line or bracket first opens a level deeper than MAX_DEFINITION_DEPTH, else
 * undefined: checked on the text, before a parser recurses that deep. Block levels are counted by
 * indentation steps, flow levels by open brackets (quoted text and comments are skipped).
 */
function deepestOpening(text: string): number | undefined {
  let flow = 0
  const indents: number[] = []
  let lineStart = 0
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]
    if (ch === '\n') {
      lineStart = i + 1
      continue
    }
    if (i === lineStart && flow === 0) {
      let j = i
      while (text[j] === ' ' || text[j] === '-' || text[j] === '\t') j++
      if (text[j] !== '\n' && text[j] !== '#' && j < text.length) {
        const indent = j - i
        while (indents.length > 0 && (indents[indents.length - 1] as number) >= indent) indents.pop()
        indents.push(indent)
        if (indents.length > MAX_DEFINITION_DEPTH) return j
      }
    }
    if ((ch === '"' || ch === "'") && (i === 0 || /[\s[{,:-]/.test(text[i - 1] as string))) {
      // A quoted scalar (a quote inside a word, as in "don't", starts none): skipped to its end.
      let close = i + 1
      while (close < text.length && !(text[close] === ch && (ch === "'" || text[close - 1] !== '\\'))) close++
      if (close >= text.length) return undefined
      i = close
    } else if (ch === '#' && (i === 0 || /\s/.test(text[i - 1] as string))) {
      const end = text.indexOf('\n', i)
      if (end < 0) return undefined
      i = end - 1
    } else if (ch === '[' || ch === '{') {
      flow++
      if (flow + indents.length > MAX_DEFINITION_DEPTH) return i
    } else if (ch === ']' || ch === '}') flow = Math.max(0, flow - 1)
  }
  return undefined
}

/**
 * Parses YAML (or JSON) and validates it with `validate`, then `semantic` (run only on data the
 * schema accepts); every problem becomes `name:line:col: path: message`, all of them in one error
 * made by `fail`. Shared by scorecards and taxonomies.
 */
export function parseChecked<T>(
  text: string,
  name: string,
  validator: () => ValidateFunction<T>,
  semantic: (data: T, at: (path: Array<string | number>) => number) => Problem[],
  fail: (message: string) => Error,
): T {
  // Bounded before anything is parsed: a definition is read on every call's analysis.
  if (Buffer.byteLength(text) > MAX_DEFINITION_BYTES)
    throw fail(
      `${name}:1:1: the file is ${(Buffer.byteLength(text) / 1e6).toFixed(1)} MB; a definition may be at most ${MAX_DEFINITION_BYTES / 1e6} MB`,
    )
  const lineCounter = new LineCounter()
  const where = (at: number) => {
    const { line, col } = lineCounter.linePos(at)
    return `${name}:${line}:${col}`
  }
  const tooDeep = deepestOpening(text)
  if (tooDeep !== undefined)
    throw fail(
      `${name}:${lineColumn(text, tooDeep)}: nested more than ${MAX_DEFINITION_DEPTH} levels deep; a definition is not that deep`,
    )
  let doc: ReturnType<typeof parseDocument>
  try {
    doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true })
  } catch (thrown) {
    throw fail(`${name}:1:1: cannot be parsed: ${(thrown as Error).message}`)
  }
  if (doc.errors.length > 0) {
    throw fail(doc.errors.map((e) => `${where(e.pos[0])}: ${e.message.split('\n')[0]}`).join('\n'))
  }
  let data: unknown
  try {
    // An alias expanding into many copies of a large node (a "billion laughs") is refused.
    data = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT }) as unknown
  } catch (thrown) {
    let first = 0
    visit(doc, {
      Alias(_key, node) {
        first = node.range?.[0] ?? 0
        return visit.BREAK
      },
    })
    throw fail(
      `${where(first)}: aliases here expand too far (${(thrown as Error).message.toLowerCase()}); write the values out`,
    )
  }
  const problems: Problem[] = []
  const validate = validator()
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
