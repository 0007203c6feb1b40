/**
 * A problem taxonomy: what calls are about, as a tree three levels deep ("billing → refund →
 * refund failed"), each node with the phrases (English and Chinese) that put a call under it, and
 * the urgency phrases (P0–P2) that raise a call's priority. Data, not code: YAML or JSON, validated
 * with every problem reported as `file:line:col`, stored in versions like scorecards.
 */
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { TaxonomyError } from '../errors.js'
import { lazyValidator, loadCheckedFile, type Problem, parseChecked } from '../scorecards/load.js'
import {
  key,
  phrases,
  type SpeakerFilter,
  speaker,
  strictness,
  type Window,
  windowSchema,
} from '../scorecards/schema.js'

export type Urgency = 'P0' | 'P1' | 'P2' | 'P3'

export interface TaxonomyNode {
  key: string
  label: string
  /** the label in Chinese (the page shows the reader's language where it has one) */
  label_zh?: string
  /** any one of these puts a call under this node (and its ancestors) */
  phrases?: string[]
  /** every group must be said, each by any of its phrases */
  groups?: string[][]
  /** who must say it; default any */
  speaker?: SpeakerFilter
  window?: Window
  /** 0.5–1, as in scorecards; default 0.8 */
  strictness?: number
  /** the least urgency of a call under this node */
  urgency?: Urgency
  /** calls under this node count as complaints in the TOP issues report */
  complaint?: boolean
  children?: TaxonomyNode[]
}

export interface TaxonomyDefinition {
  key: string
  name: string
  description?: string
  categories: TaxonomyNode[]
  /**
   * P0–P2: phrases that make a call at least this urgent (negated ones, "not urgent", do not
   * count). P3: phrases of a routine question ("how do I", "想问一下"): with no P0–P2 phrase and
   * no negative sentiment the call is P3, whatever its category says.
   */
  urgency?: Partial<Record<Urgency, string[]>>
  /** days within which a second call of the same customer counts as a repeat contact (default 7) */
  repeat_contact_days?: number
}

const urgency = { enum: ['P0', 'P1', 'P2', 'P3'] } as const

/** A node schema for one level; `below` is the schema of its children (none at level 3). */
function nodeSchema(below?: object): object {
  return {
    type: 'object',
    additionalProperties: false,
    required: ['key', 'label'],
    properties: {
      key,
      label: { type: 'string', minLength: 1 },
      label_zh: { type: 'string', minLength: 1 },
      phrases,
      groups: { type: 'array', minItems: 1, items: phrases },
      speaker,
      window: windowSchema,
      strictness,
      urgency,
      complaint: { type: 'boolean' },
      ...(below ? { children: { type: 'array', minItems: 1, items: below } } : {}),
    },
  }
}

export const TAXONOMY_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  required: ['key', 'name', 'categories'],
  properties: {
    key,
    name: { type: 'string', minLength: 1 },
    description: { type: 'string' },
    categories: { type: 'array', minItems: 1, items: nodeSchema(nodeSchema(nodeSchema())) },
    urgency: {
      type: 'object',
      additionalProperties: false,
      properties: { P0: phrases, P1: phrases, P2: phrases, P3: phrases },
    },
    repeat_contact_days: { type: 'integer', minimum: 1, maximum: 365 },
  },
} as const

const validate = lazyValidator<TaxonomyDefinition>(TAXONOMY_SCHEMA)

/** Keys unique among siblings; a node that says nothing and has no children can never be chosen. */
function semanticProblems(
  taxonomy: TaxonomyDefinition,
  offset: (path: Array<string | number>) => number,
): Problem[] {
  const problems: Problem[] = []
  const walk = (nodes: TaxonomyNode[], at: Array<string | number>, label: string) => {
    const seen = new Set<string>()
    nodes.forEach((node, i) => {
      const where = [...at, i]
      const name = `${label}[${i}]`
      if (seen.has(node.key))
        problems.push({
          at: offset([...where, 'key']),
          path: `${name}.key`,
          message: `duplicate key "${node.key}" among its siblings`,
        })
      seen.add(node.key)
      if (!node.phrases && !node.groups && !node.children)
        problems.push({
          at: offset(where),
          path: name,
          message: 'a node needs "phrases", "groups" or "children"',
        })
      if (node.phrases && node.groups)
        problems.push({
          at: offset([...where, 'groups']),
          path: `${name}.groups`,
          message: 'use "phrases" or "groups", not both',
        })
      if (node.children) walk(node.children, [...where, 'children'], `${name}.children`)
    })
  }
  walk(taxonomy.categories, ['categories'], 'categories')
  // Every node's phrases are looked for in every call: the tree is bounded, so filing a call is too.
  const nodes = allNodes(taxonomy)
  const phrases = nodes.reduce(
    (n, { node }) => n + (node.phrases?.length ?? 0) + (node.groups ?? []).reduce((m, g) => m + g.length, 0),
    0,
  )
  if (nodes.length > MAX_TAXONOMY_NODES)
    problems.push({
      at: offset(['categories']),
      path: 'categories',
      message: `${nodes.length} nodes; a taxonomy may have at most ${MAX_TAXONOMY_NODES}`,
    })
  if (phrases > MAX_TAXONOMY_PHRASES)
    problems.push({
      at: offset(['categories']),
      path: 'categories',
      message: `${phrases} phrases in all; a taxonomy may have at most ${MAX_TAXONOMY_PHRASES}`,
    })
  return problems
}

/** Bounds on a taxonomy: every call is filed against all of it. */
export const MAX_TAXONOMY_NODES = 1000
export const MAX_TAXONOMY_PHRASES = 10_000

export function parseTaxonomy(text: string, name: string): TaxonomyDefinition {
  return parseChecked(text, name, validate, semanticProblems, (message) => new TaxonomyError(message))
}

export function loadTaxonomyFile(file: string): TaxonomyDefinition {
  return loadCheckedFile(file, parseTaxonomy, (message, cause) => new TaxonomyError(message, { cause }))
}

export const builtinTaxonomyFile = path.join(
  path.dirname(fileURLToPath(import.meta.url)),
  'builtin',
  'support-taxonomy.yaml',
)

/** The starter taxonomy for support calls. */
export function builtinTaxonomy(): TaxonomyDefinition {
  return loadTaxonomyFile(builtinTaxonomyFile)
}

/** A node found by its key path, with the nodes along the way. */
export function nodeAt(taxonomy: TaxonomyDefinition, keys: readonly string[]): TaxonomyNode[] | undefined {
  const trail: TaxonomyNode[] = []
  let level: TaxonomyNode[] | undefined = taxonomy.categories
  for (const k of keys) {
    const node: TaxonomyNode | undefined = level?.find((n) => n.key === k)
    if (!node) return undefined
    trail.push(node)
    level = node.children
  }
  return trail
}

/** The paths (node keys joined by '/') of the nodes marked `complaint`: calls under them are complaints. */
export function complaintPaths(taxonomy: TaxonomyDefinition): string[] {
  return allNodes(taxonomy)
    .filter((n) => n.node.complaint)
    .map((n) => n.path.join('/'))
}

/** Every node with its key path, depth first. */
export function allNodes(taxonomy: TaxonomyDefinition): Array<{ path: string[]; node: TaxonomyNode }> {
  const out: Array<{ path: string[]; node: TaxonomyNode }> = []
  const walk = (nodes: TaxonomyNode[], above: string[]) => {
    for (const node of nodes) {
      const p = [...above, node.key]
      out.push({ path: p, node })
      if (node.children) walk(node.children, p)
    }
  }
  walk(taxonomy.categories, [])
  return out
}
