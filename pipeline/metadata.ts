/**
 * Call metadata from a CSV or JSON file, matched to recordings by file name or external id.
 * Columns: file, external_id, started_at, agent, team, queue, direction, csat, disposition, language,
 * customer_id, transcript (a transcript file for the recording, relative to the metadata file's folder) and
 * swap_speakers (true: agent and customer are the other way round on this call).
 */
import { readFileSync } from 'node:fs'
import path from 'node:path'
import { strictIsoDate } from '../dates.js'
import type { CallMetadata } from '../db/queries/calls.js'
import { MetadataError } from '../errors.js'

export interface MetadataIndex {
  /** Metadata for a recording path, or an empty object when nothing matches. */
  lookup(filePath: string): CallMetadata
  readonly size: number
}

/** RFC 4180 CSV: quoted fields, doubled quotes, CRLF or LF. Returns rows with their 1-based line. */
export function parseCsv(text: string): Array<{ line: number; fields: string[] }> {
  const rows: Array<{ line: number; fields: string[] }> = []
  let field = ''
  let fields: string[] = []
  let quoted = false
  let line = 1
  let rowLine = 1
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') {
        field += '"'
        i++
      } else if (ch === '"') quoted = false
      else {
        if (ch === '\n') line++
        field += ch
      }
    } else if (ch === '"' && field === '') quoted = true
    else if (ch === ',') {
      fields.push(field)
      field = ''
    } else if (ch === '\n' || ch === '\r') {
      if (ch === '\r' && text[i + 1] === '\n') i++
      fields.push(field)
      if (fields.some((f) => f !== '')) rows.push({ line: rowLine, fields })
      fields = []
      field = ''
      line++
      rowLine = line
    } else field += ch
  }
  if (quoted) throw new MetadataError(`unterminated quoted field starting on line ${rowLine}`)
  fields.push(field)
  if (fields.some((f) => f !== '')) rows.push({ line: rowLine, fields })
  return rows
}

const ALIASES: Record<string, keyof CallMetadata | 'file'> = {
  transcript: 'transcript',
  transcript_file: 'transcript',
  swap_speakers: 'swapSpeakers',
  swap: 'swapSpeakers',
  file: 'file',
  file_name: 'file',
  filename: 'file',
  recording: 'file',
  external_id: 'externalId',
  started_at: 'startedAt',
  agent: 'agentId',
  agent_id: 'agentId',
  team: 'team',
  queue: 'queue',
  direction: 'direction',
  csat: 'csat',
  disposition: 'disposition',
  language: 'language',
  customer_id: 'customerId',
  customer: 'customerId',
}

/** Longest value accepted per field (checked up front; nothing is ever cut). */
export const MAX_FIELD_LENGTH = 200
const MAX_PATH_LENGTH = 4096

function normalise(
  raw: Record<string, unknown>,
  where: string,
  baseDir: string,
): { file?: string; meta: CallMetadata } {
  const meta: CallMetadata = {}
  let file: string | undefined
  for (const [key, value] of Object.entries(raw)) {
    const target = ALIASES[key.trim().toLowerCase()]
    if (!target || value === undefined || value === null || value === '') continue
    const text = String(value).trim()
    // NUL and other control characters have no place in metadata (Postgres refuses NUL outright).
    // biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point
    if (/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/.test(text))
      throw new MetadataError(`${where}: ${key.trim()} holds a control character (such as a NUL byte)`)
    const limit = target === 'file' || target === 'transcript' ? MAX_PATH_LENGTH : MAX_FIELD_LENGTH
    if (text.length > limit)
      throw new MetadataError(
        `${where}: ${key.trim()} is ${text.length} characters long; at most ${limit} are accepted`,
      )
    switch (target) {
      case 'file':
        file = text
        break
      case 'direction':
        if (text !== 'inbound' && text !== 'outbound')
          throw new MetadataError(`${where}: direction must be inbound or outbound, got "${text}"`)
        meta.direction = text
        break
      case 'csat': {
        const n = Number(text)
        if (!Number.isInteger(n) || n < 1 || n > 5)
          throw new MetadataError(`${where}: csat must be an integer from 1 to 5, got "${text}"`)
        meta.csat = n
        break
      }
      case 'swapSpeakers': {
        const flag = text.toLowerCase()
        if (!['true', 'false', '1', '0', 'yes', 'no'].includes(flag))
          throw new MetadataError(`${where}: swap_speakers must be true or false, got "${text}"`)
        meta.swapSpeakers = ['true', '1', 'yes'].includes(flag)
        break
      }
      case 'transcript':
        // Relative to the metadata file, like the recordings it lists; checked when it is read.
        meta.transcript = path.resolve(baseDir, text)
        break
      case 'startedAt': {
        const iso = strictIsoDate(text)
        if (!iso)
          throw new MetadataError(
            `${where}: started_at must be a real ISO 8601 date-time such as 2026-03-04T10:00:00Z, got "${text}"`,
          )
        meta.startedAt = iso
        break
      }
      default:
        meta[target] = text
    }
  }
  return file === undefined ? { meta } : { file, meta }
}

export function loadMetadata(metaPath: string): MetadataIndex {
  let text: string
  try {
    text = readFileSync(metaPath, 'utf8')
  } catch (cause) {
    throw new MetadataError(`cannot read metadata file ${metaPath}: ${(cause as Error).message}`, { cause })
  }
  const name = path.basename(metaPath)
  const records: Array<{ file?: string; meta: CallMetadata }> = []
  if (/\.json$/i.test(metaPath)) {
    let data: unknown
    try {
      data = JSON.parse(text)
    } catch (cause) {
      throw new MetadataError(`${name} is not valid JSON: ${(cause as Error).message}`, { cause })
    }
    const list = Array.isArray(data)
      ? data
      : data && typeof data === 'object'
        ? Object.entries(data).map(([file, v]) => ({ file, ...(v as object) }))
        : null
    if (!list) throw new MetadataError(`${name} must hold an array of calls or an object keyed by file name`)
    list.forEach((item, i) => {
      if (!item || typeof item !== 'object') throw new MetadataError(`${name}[${i}] must be an object`)
      records.push(
        normalise(item as Record<string, unknown>, `${name}[${i}]`, path.dirname(path.resolve(metaPath))),
      )
    })
  } else {
    const rows = parseCsv(text)
    const header = rows.shift()
    if (!header) throw new MetadataError(`${name} is empty`)
    const columns = header.fields.map((h) => h.trim().toLowerCase())
    if (!columns.includes('file') && !columns.includes('external_id') && !columns.includes('filename'))
      throw new MetadataError(`${name}: the header needs a "file" or "external_id" column`)
    for (const row of rows) {
      if (row.fields.length !== columns.length)
        throw new MetadataError(
          `${name} line ${row.line}: ${row.fields.length} fields, the header has ${columns.length}`,
        )
      records.push(
        normalise(
          Object.fromEntries(columns.map((c, i) => [c, row.fields[i]])),
          `${name} line ${row.line}`,
          path.dirname(path.resolve(metaPath)),
        ),
      )
    }
  }
  const byKey = new Map<string, CallMetadata>()
  for (const r of records) {
    if (r.file) byKey.set(path.basename(r.file), r.meta)
    if (r.meta.externalId) byKey.set(`id:${r.meta.externalId}`, r.meta)
  }
  return {
    size: records.length,
    lookup(filePath) {
      const base = path.basename(filePath)
      const stem = base.replace(/\.[^.]+$/, '')
      return byKey.get(base) ?? byKey.get(`id:${stem}`) ?? {}
    },
  }
}

export const emptyMetadata: MetadataIndex = { size: 0, lookup: () => ({}) }

/**
 * Patterns for recorders that write the call's metadata into the file name. `pca` is the naming of
 * AWS's post-call analytics samples and the recorders that follow it:
 * `Auto0_GUID_000_AGENT_ChrisL_DT_2025-02-19T06-01-22_Mono.wav`.
 */
export const NAME_PATTERNS: Readonly<Record<string, string>> = {
  pca: '^(?<external_id>.+?)_AGENT_(?<agent>[^_]+)_DT_(?<started_at>\\d{4}-\\d{2}-\\d{2}T\\d{2}-\\d{2}-\\d{2})',
}

const NAME_GROUPS = new Set([
  'external_id',
  'agent',
  'started_at',
  'direction',
  'team',
  'queue',
  'language',
  'csat',
  'disposition',
  'customer_id',
])

/**
 * Date-times as recorders write them into file names (no colons allowed there):
 * 2025-02-19T06-01-22, 2025-02-19_06.01.22, 20250219T060122, 20250219-060122. Read as UTC.
 */
export function fileNameDate(text: string): string | undefined {
  const m =
    /^(\d{4})-?(\d{2})-?(\d{2})[T _-]?(\d{2})[-:._]?(\d{2})[-:._]?(\d{2})(?:Z)?$/.exec(text) ??
    /^(\d{4})-(\d{2})-(\d{2})()()()$/.exec(text)
  if (!m) return undefined
  const [y, mo, d, h = '0', mi = '0', se = '0'] = m.slice(1).map((v) => v || '0')
  const date = new Date(Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(se)))
  // Date.UTC rolls 2026-02-31 over into March: a date that does not round-trip is not a date.
  if (
    date.getUTCFullYear() !== Number(y) ||
    date.getUTCMonth() !== Number(mo) - 1 ||
    date.getUTCDate() !== Number(d)
  )
    return undefined
  if (
    date.getUTCHours() !== Number(h) ||
    date.getUTCMinutes() !== Number(mi) ||
    date.getUTCSeconds() !== Number(se)
  )
    return undefined
  return date.toISOString()
}

/**
 * Metadata read from file names, for recordings no metadata row matches: a regular expression (or
 * the name of one in NAME_PATTERNS) with named groups external_id, agent, started_at, direction,
 * team, queue, language, csat, disposition, matched against the file name without its extension.
 * Values go through the same checks as a metadata file's; a name that does not match gives nothing.
 */
export function withFileNames(index: MetadataIndex, pattern: string): MetadataIndex {
  let re: RegExp
  try {
    re = new RegExp(NAME_PATTERNS[pattern] ?? pattern)
  } catch (cause) {
    throw new MetadataError(
      `the file-name pattern is not a valid regular expression: ${(cause as Error).message}`,
      { cause },
    )
  }
  const unknown = [...(NAME_PATTERNS[pattern] ?? pattern).matchAll(/\(\?<([A-Za-z_]\w*)>/g)]
    .map((m) => m[1] as string)
    .filter((g) => !NAME_GROUPS.has(g))
  if (unknown.length)
    throw new MetadataError(
      `the file-name pattern has unknown groups: ${unknown.join(', ')} (known: ${[...NAME_GROUPS].join(', ')})`,
    )
  return {
    size: index.size,
    lookup(filePath) {
      const found = index.lookup(filePath)
      if (Object.keys(found).length > 0) return found
      const base = path.basename(filePath)
      const groups = re.exec(base.replace(/\.[^.]+$/, ''))?.groups
      if (!groups) return {}
      const fields: Record<string, string> = {}
      for (const [key, value] of Object.entries(groups)) {
        if (value === undefined || value === '') continue
        if (key === 'started_at') {
          const iso = fileNameDate(value)
          if (!iso) throw new MetadataError(`file name ${base}: started_at "${value}" is not a date and time`)
          fields[key] = iso
        } else fields[key] = value
      }
      return normalise(fields, `file name ${base}`, process.cwd()).meta
    },
  }
}

/**
 * Metadata sent with an upload (form fields): the same names and checks as a metadata file, but
 * no file paths (`file`, `transcript`), which a client must never make the server read, and no
 * unknown names.
 */
export function uploadMetadata(fields: Readonly<Record<string, string>>): CallMetadata {
  const problems: string[] = []
  for (const key of Object.keys(fields)) {
    const target = ALIASES[key.trim().toLowerCase()]
    if (!target) problems.push(`unknown field "${key}"`)
    else if (target === 'file' || target === 'transcript')
      problems.push(`field "${key}" is not accepted in an upload`)
  }
  if (problems.length > 0) throw new MetadataError(problems.join('; '))
  return normalise(fields, 'upload', process.cwd()).meta
}
