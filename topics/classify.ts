/**
 * Files a call under its taxonomy path(s), with the utterances that put it there.
 *
 * Every node's phrases are looked for in the call (speaker and window as the node says). A node
 * earns its depth (1–3) for each utterance that says one of them, times 1.5 when the customer says
 * it (the customer states the problem; an agent lists options), times the match's similarity, at
 * most three utterances per node. A path's score is the sum along it, so a level-3 phrase files
 * the call under its parents too and a more specific match beats a vaguer one. The best path is
 * the call's category; other branches scoring at least half of it (and at least 2) are kept as
 * further categories, at most two.
 */

import { CallText, type Said, type SaidEvidence, saidEvidence, type TopicCall } from '../text/call-text.js'
import { phraseTokens, tokensAlike } from '../text/match.js'
import type { TaxonomyDefinition, TaxonomyNode } from './taxonomy.js'
import { allNodes, nodeAt } from './taxonomy.js'

export interface CategoryEvidence extends SaidEvidence {
  /** the node whose phrase this is */
  node: string[]
}

export interface Category {
  /** node keys, level 1 first (1–3 of them) */
  path: string[]
  /** labels along the path */
  labels: string[]
  labels_zh: Array<string | null>
  score: number
  evidence: CategoryEvidence[]
}

const PER_NODE = 3
const CUSTOMER_FACTOR = 1.5
const SECONDARY_SHARE = 0.5
const SECONDARY_MIN = 2
const MAX_CATEGORIES = 3

function phrasesOf(node: TaxonomyNode): string[][] {
  if (node.groups) return node.groups
  return node.phrases ? [node.phrases] : []
}

/** The node's own hits (all its groups said), best first. */
function hitsOf(node: TaxonomyNode, text: CallText): Said[] {
  const groups = phrasesOf(node)
  if (groups.length === 0) return []
  // A one-word phrase must be that word (spelling tolerance turns "charge" into "change"), and a
  // longer one may drop small words but not its content words ("get my money back" is not "get
  // my loyalty points back").
  const found = groups.map((g) =>
    text
      .find(g, { speaker: node.speaker, window: node.window, strictness: node.strictness })
      .filter((s) => (oneWord(s.phrase) === undefined ? contentSaid(s) : oneWord(s.phrase) === s.text)),
  )
  if (!found.every((g) => g.length > 0)) return []
  const byUtterance = new Map<number, Said>()
  for (const s of found.flat()) {
    const had = byUtterance.get(s.utterance)
    if (!had || s.similarity > had.similarity) byUtterance.set(s.utterance, s)
  }
  return [...byUtterance.values()]
    .sort((a, b) => weightOf(b) - weightOf(a) || a.startMs - b.startMs)
    .slice(0, PER_NODE)
}

/** The phrase's one token, or undefined when it has more than one. */
function oneWord(phrase: string): string | undefined {
  const tokens = phraseTokens(phrase)
  return tokens.length === 1 ? tokens[0] : undefined
}

/** Every word of four or more letters of the phrase is in the matched stretch (Chinese: as matched). */
function contentSaid(s: Said): boolean {
  const said = s.text.split(' ')
  return phraseTokens(s.phrase)
    .filter((t) => t.length >= 4 && !/\p{Script=Han}/u.test(t))
    .every((t) => said.some((w) => tokensAlike(t, w)))
}

const weightOf = (s: Said) => s.similarity * (s.speaker === 'customer' ? CUSTOMER_FACTOR : 1)

export function classify(taxonomy: TaxonomyDefinition, call: TopicCall): Category[] {
  const text = new CallText(call)
  const nodes = allNodes(taxonomy)
  const own = new Map<string, { depth: number; score: number; hits: Said[] }>()
  for (const { path, node } of nodes) {
    const hits = hitsOf(node, text)
    if (hits.length === 0) continue
    own.set(path.join('/'), {
      depth: path.length,
      score: hits.reduce((sum, h) => sum + weightOf(h), 0) * path.length,
      hits,
    })
  }
  const candidates = nodes
    .filter(({ path }) => own.has(path.join('/')))
    .map(({ path }) => {
      const along = path.map((_, i) => own.get(path.slice(0, i + 1).join('/')))
      return { path, score: along.reduce((sum, o) => sum + (o?.score ?? 0), 0) }
    })
    // Best first; on a tie, the more specific.
    .sort((a, b) => b.score - a.score || b.path.length - a.path.length)
  const chosen: Array<{ path: string[]; score: number }> = []
  for (const c of candidates) {
    if (chosen.length >= MAX_CATEGORIES) break
    const best = chosen[0]
    if (best && (c.score < best.score * SECONDARY_SHARE || c.score < SECONDARY_MIN)) break
    // One path per branch: an ancestor or descendant of a chosen path is the same topic.
    const related = chosen.some((k) => {
      const n = Math.min(k.path.length, c.path.length)
      return k.path.slice(0, n).join('/') === c.path.slice(0, n).join('/')
    })
    if (!related) chosen.push(c)
  }
  return chosen.map(({ path, score }) => {
    const trail = nodeAt(taxonomy, path) ?? []
    const evidence: CategoryEvidence[] = []
    for (let depth = 1; depth <= path.length; depth++) {
      const at = path.slice(0, depth)
      for (const hit of own.get(at.join('/'))?.hits ?? []) evidence.push({ ...saidEvidence(hit), node: at })
    }
    evidence.sort((a, b) => a.start_ms - b.start_ms)
    return {
      path,
      labels: trail.map((t) => t.label),
      labels_zh: trail.map((t) => t.label_zh ?? null),
      score: Math.round(score * 100) / 100,
      evidence,
    }
  })
}
