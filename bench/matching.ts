/**
 * Phrase matching at scale: the cost of filing and scoring one call against a large taxonomy, as
 * the call grows. Today's path (CallText.find with the call's word index) against the earlier one
 * (every phrase tried in every utterance, the baseline), in one run, on generated calls whose
 * sentences are drawn from the labelled calls of samples/topics (English and Chinese).
 *
 *   npx tsx bench/matching.ts [--utterances 1000,10000,61000] [--nodes 1000] [--phrases 10]
 *
 * The baseline is skipped where it would take more than about a minute (it grows with
 * utterances × phrases); the figure printed then says so.
 */
import { parseArgs } from 'node:util'
import { loadLabelledCalls } from '../samples/topics/labelled.js'
import { CallText, type TopicCall, type TopicUtterance } from '../text/call-text.js'
import { findPhrase, inWindow, type PhraseMatch, tokensWithTimes } from '../text/match.js'
import { classify } from '../topics/classify.js'
import { allNodes, builtinTaxonomy, type TaxonomyDefinition, type TaxonomyNode } from '../topics/taxonomy.js'

const { values } = parseArgs({
  options: {
    utterances: { type: 'string', default: '1000,10000,61000' },
    nodes: { type: 'string', default: '1000' },
    phrases: { type: 'string', default: '10' },
  },
})
const sizes = values.utterances.split(',').map(Number)

// Sentences said in the labelled calls, to build calls of any length from.
const lines = loadLabelledCalls().flatMap((c) =>
  c.call.utterances.map((u) => ({ speaker: u.speaker, text: u.text })),
)

function callOf(n: number): TopicCall {
  const utterances: TopicUtterance[] = []
  for (let i = 0; i < n; i++) {
    const l = lines[(i * 7919) % lines.length] as { speaker: string; text: string }
    utterances.push({
      speaker: l.speaker,
      text: l.text,
      startMs: i * 4000,
      endMs: i * 4000 + 3500,
      sentiment: null,
      arousal: null,
    } as unknown as TopicUtterance)
  }
  return { durationMs: n * 4000, utterances }
}

/** The built-in taxonomy's phrases, spread over `nodes` generated nodes of `perNode` phrases each. */
function bigTaxonomy(nodes: number, perNode: number): TaxonomyDefinition {
  const base = builtinTaxonomy()
  const phrases = allNodes(base).flatMap(({ node }) => node.phrases ?? [])
  const words = lines.flatMap((l) => l.text.split(/\s+/)).filter((w) => w.length > 3)
  const categories: TaxonomyNode[] = []
  let k = 0
  for (let i = 0; i < nodes; i++) {
    const own: string[] = []
    for (let j = 0; j < perNode; j++, k++)
      own.push(
        k % 3 === 0
          ? (phrases[k % phrases.length] as string)
          : `${words[(k * 31) % words.length]} ${words[(k * 17 + 5) % words.length]}`,
      )
    categories.push({ key: `n${i}`, label: `node ${i}`, phrases: own })
  }
  return { ...base, categories }
}

/** The earlier CallText.find: every phrase in every utterance. */
function findEverywhere(call: TopicCall, phrases: readonly string[], strictness = 0.8) {
  let found = 0
  call.utterances.forEach((u) => {
    const tokens = tokensWithTimes(u)
    let best: PhraseMatch | undefined
    for (const phrase of phrases) {
      const m = findPhrase(phrase, tokens, strictness)
      if (
        m &&
        inWindow(undefined, m.startMs, m.endMs, call.durationMs) &&
        (!best || m.similarity > best.similarity)
      )
        best = m
    }
    if (best) found++
  })
  return found
}

const taxonomy = bigTaxonomy(Number(values.nodes), Number(values.phrases))
const phraseLists = allNodes(taxonomy).map(({ node }) => node.phrases ?? [])
const totalPhrases = phraseLists.reduce((n, p) => n + p.length, 0)
console.log(
  `phrase matching: ${allNodes(taxonomy).length} nodes, ${totalPhrases} phrases; node ${process.version}, one thread`,
)
console.log(
  'utterances  classify (index)  find all phrases (index)  baseline (every phrase × utterance)  speed-up',
)
for (const n of sizes) {
  const call = callOf(n)
  let began = performance.now()
  classify(taxonomy, call)
  const classifyMs = performance.now() - began
  const fresh = callOf(n)
  began = performance.now()
  const text = new CallText(fresh)
  let indexed = 0
  for (const p of phraseLists) indexed += text.find(p).length
  const indexMs = performance.now() - began
  // The baseline on a sample of the node lists, scaled up, where the whole would take too long.
  const share = Math.min(1, 60_000 / Math.max(1, (n * totalPhrases) / 2000))
  const sample = phraseLists.slice(0, Math.max(1, Math.round(phraseLists.length * share)))
  began = performance.now()
  let everywhere = 0
  for (const p of sample) everywhere += findEverywhere(callOf(n), p)
  const baselineMs = ((performance.now() - began) * phraseLists.length) / sample.length
  const same =
    share === 1
      ? everywhere === indexed
        ? 'same matches'
        : `DIFFERENT (${everywhere} vs ${indexed})`
      : `baseline on ${sample.length} of ${phraseLists.length} nodes, scaled`
  console.log(
    `${String(n).padStart(10)}  ${(classifyMs / 1000).toFixed(2).padStart(14)} s  ${(indexMs / 1000).toFixed(2).padStart(22)} s  ${(baselineMs / 1000).toFixed(2).padStart(34)} s  ${(baselineMs / indexMs).toFixed(0).padStart(6)}×  ${same}`,
  )
}
