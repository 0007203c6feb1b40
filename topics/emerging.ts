/**
 * Emerging issues: recurring topics the taxonomy does not cover, found in a period's transcripts
 * with no downloaded model.
 *
 * 1. Key phrases per call: English words (3+ letters, no stop words) and pairs of adjacent ones;
 *    Chinese character pairs and triples inside runs of Han characters (no run of function
 *    characters such as 的了吗).
 * 2. Candidates: phrases said in at least `minCalls` of the calls the taxonomy did not file, and
 *    at least `minLift` times more common there than in the calls it filed (what is common
 *    everywhere — greetings, "thank you", the company's name — is not a topic).
 * 3. Calls as tf-idf vectors over the candidates, clustered by average-link agglomeration while
 *    the closest pair's cosine similarity is at least `minSimilarity`.
 * 4. A cluster of at least `minCalls` calls is a topic: labelled by its top phrases (a phrase
 *    inside a better one is dropped), with the calls nearest its centre as examples, and a
 *    suggested taxonomy node a QA lead can promote.
 */
import { normalise } from '../text/match.js'

export interface EmergingInput {
  id: number
  /** the call's text (customer turns weigh most: pass them, or the whole call) */
  text: string
  /** the taxonomy filed it */
  covered: boolean
}

export interface EmergingTopic {
  label: string
  phrases: Array<{ phrase: string; calls: number; weight: number }>
  calls: number[]
  examples: number[]
  /** what promoting it would add to the taxonomy */
  suggestion: { key: string; label: string; phrases: string[] }
}

export interface EmergingOptions {
  minCalls?: number
  minLift?: number
  minSimilarity?: number
  maxTopics?: number
}

const STOP_EN = new Set(
  `the and for you your yours are was were has have had but not this that with from they them
   their there here what when where which who how can could would should will just about into
   out our ours its it's i'm i've i'll i'd you're you've you'll we're we've she he her his him
   all any some one two three four five six seven eight nine ten yes yeah okay ok thanks thank
   please hello hi bye goodbye sorry let check see look got get did does doing done been being
   then than also very really much more most now today time call calling speaking this that's
   there's it'll don't can't won't isn't didn't haven't hasn't doesn't know need want like
   could help anything else great good fine right sure well just still again`.split(/\s+/),
)
const STOP_ZH = new Set([
  ...'的了是我你您们这那吗呢吧啊在有和也就都要会能好个一不没么请问帮下给对说他她它就还把被让',
])

/** The key phrases of one text, with their counts. */
export function keyPhrases(text: string): Map<string, number> {
  const out = new Map<string, number>()
  const add = (p: string) => out.set(p, (out.get(p) ?? 0) + 1)
  const tokens = normalise(text)
  let run = ''
  let prevWord: string | undefined
  const flushRun = () => {
    for (let n = 2; n <= 3; n++)
      for (let i = 0; i + n <= run.length; i++) {
        const gram = run.slice(i, i + n)
        const chars = [...gram]
        if (chars.every((c) => STOP_ZH.has(c))) continue
        if (STOP_ZH.has(chars[0] as string) || STOP_ZH.has(chars[chars.length - 1] as string)) continue
        add(gram)
      }
    run = ''
  }
  for (const t of tokens) {
    if (/\p{Script=Han}/u.test(t)) {
      run += t
      prevWord = undefined
      continue
    }
    if (run) flushRun()
    if (t.length < 3 || STOP_EN.has(t) || /^\d+$/.test(t)) {
      prevWord = undefined
      continue
    }
    add(t)
    if (prevWord) add(`${prevWord} ${t}`)
    prevWord = t
  }
  if (run) flushRun()
  return out
}

type Vector = Map<string, number>

function cosine(a: Vector, b: Vector): number {
  let dot = 0
  for (const [k, v] of a) dot += v * (b.get(k) ?? 0)
  const norm = (v: Vector) => Math.sqrt([...v.values()].reduce((s, x) => s + x * x, 0))
  const d = norm(a) * norm(b)
  return d === 0 ? 0 : dot / d
}

const slug = (label: string, n: number) =>
  label
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 40) || `emerging-${n}`

export function findEmergingTopics(
  docs: readonly EmergingInput[],
  { minCalls = 3, minLift = 3, minSimilarity = 0.1, maxTopics = 10 }: EmergingOptions = {},
): EmergingTopic[] {
  const phrasesOf = new Map(docs.map((d) => [d.id, keyPhrases(d.text)]))
  const dfAll = new Map<string, number>()
  const dfOpen = new Map<string, number>()
  const open = docs.filter((d) => !d.covered)
  for (const d of docs)
    for (const p of (phrasesOf.get(d.id) as Map<string, number>).keys()) {
      dfAll.set(p, (dfAll.get(p) ?? 0) + 1)
      if (!d.covered) dfOpen.set(p, (dfOpen.get(p) ?? 0) + 1)
    }
  if (open.length < minCalls) return []
  // Over-represented among the unfiled calls against the filed ones (a phrase no filed call says
  // always is).
  const filed = docs.length - open.length
  const candidates = new Set(
    [...dfOpen]
      .filter(([p, n]) => {
        if (n < minCalls) return false
        const elsewhere = ((dfAll.get(p) ?? n) - n) / Math.max(1, filed)
        return elsewhere === 0 || n / open.length / elsewhere >= minLift
      })
      .map(([p]) => p),
  )
  const idf = (p: string) => Math.log((docs.length + 1) / ((dfAll.get(p) ?? 0) + 1)) + 1
  const vectors = new Map<number, Vector>()
  for (const d of open) {
    const v: Vector = new Map()
    for (const [p, n] of phrasesOf.get(d.id) as Map<string, number>)
      if (candidates.has(p)) v.set(p, (1 + Math.log(n)) * idf(p))
    if (v.size > 0) vectors.set(d.id, v)
  }
  // Average-link agglomeration over the calls that say any candidate.
  let clusters = [...vectors.keys()].map((id) => [id])
  const sim = new Map<string, number>()
  const pair = (a: number, b: number) => (a < b ? `${a}:${b}` : `${b}:${a}`)
  const ids = [...vectors.keys()]
  for (let i = 0; i < ids.length; i++)
    for (let j = i + 1; j < ids.length; j++)
      sim.set(
        pair(ids[i] as number, ids[j] as number),
        cosine(vectors.get(ids[i] as number) as Vector, vectors.get(ids[j] as number) as Vector),
      )
  const linkage = (a: number[], b: number[]) => {
    let total = 0
    for (const x of a) for (const y of b) total += sim.get(pair(x, y)) ?? 0
    return total / (a.length * b.length)
  }
  for (;;) {
    let best: { i: number; j: number; s: number } | undefined
    for (let i = 0; i < clusters.length; i++)
      for (let j = i + 1; j < clusters.length; j++) {
        const s = linkage(clusters[i] as number[], clusters[j] as number[])
        if (!best || s > best.s) best = { i, j, s }
      }
    if (!best || best.s < minSimilarity) break
    const merged = [...(clusters[best.i] as number[]), ...(clusters[best.j] as number[])]
    clusters = clusters.filter((_, k) => k !== best.i && k !== best.j)
    clusters.push(merged)
  }
  const topics: EmergingTopic[] = []
  for (const members of clusters.filter((c) => c.length >= minCalls)) {
    const weight = new Map<string, number>()
    const calls = new Map<string, number>()
    for (const id of members)
      for (const [p, w] of vectors.get(id) as Vector) {
        weight.set(p, (weight.get(p) ?? 0) + w)
        calls.set(p, (calls.get(p) ?? 0) + 1)
      }
    const ranked = [...weight]
      .filter(([p]) => (calls.get(p) ?? 0) >= Math.min(minCalls, Math.ceil(members.length / 2)))
      .sort((a, b) => b[1] - a[1])
    const top: Array<[string, number]> = []
    for (const [p, w] of ranked) {
      if (top.length >= 5) break
      // "loyalty" adds nothing beside "loyalty points"; "积分" nothing beside "会员积分".
      if (top.some(([q]) => q.includes(p) || p.includes(q))) continue
      top.push([p, w])
    }
    if (top.length === 0) continue
    const centre: Vector = new Map()
    for (const id of members)
      for (const [p, w] of vectors.get(id) as Vector) centre.set(p, (centre.get(p) ?? 0) + w / members.length)
    const examples = [...members]
      .sort((a, b) => cosine(vectors.get(b) as Vector, centre) - cosine(vectors.get(a) as Vector, centre))
      .slice(0, 3)
    const label = top
      .slice(0, 3)
      .map(([p]) => p)
      .join(' / ')
    topics.push({
      label,
      phrases: top.map(([p, w]) => ({
        phrase: p,
        calls: calls.get(p) ?? 0,
        weight: Math.round(w * 100) / 100,
      })),
      calls: members.sort((a, b) => a - b),
      examples,
      suggestion: {
        key: slug(top[0]?.[0] ?? '', topics.length + 1),
        label: top[0]?.[0] ?? label,
        phrases: top.map(([p]) => p),
      },
    })
  }
  return topics.sort((a, b) => b.calls.length - a.calls.length).slice(0, maxTopics)
}
