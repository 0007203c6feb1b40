/**
 * What calls are about, measured on the labelled transcripts in samples/topics (written by us;
 * see that file): category accuracy (level 1 and full path), urgency accuracy and confusion,
 * agent-conduct precision and recall, and whether emerging-topic discovery finds the topic left
 * out of the taxonomy — each beside the baseline a centre would otherwise use, in the same run,
 * on the dev calls (used while tuning) and the held-out calls (never used for tuning) apart.
 *
 *   npx tsx bench/topics.ts            (npm run bench:topics)
 */
import { type LabelledCall, labelledRepeats, loadLabelledCalls } from '../samples/topics/labelled.js'
import { builtinScorecards } from '../scorecards/builtin.js'
import { evaluate } from '../scorecards/evaluate.js'
import { normalise } from '../text/match.js'
import { classify } from '../topics/classify.js'
import { CONDUCT_RULES, detectConduct } from '../topics/conduct.js'
import { findEmergingTopics } from '../topics/emerging.js'
import { allNodes, builtinTaxonomy, type Urgency } from '../topics/taxonomy.js'
import { assessUrgency } from '../topics/urgency.js'

const taxonomy = builtinTaxonomy()
const calls = loadLabelledCalls()
const repeats = labelledRepeats(calls, taxonomy.repeat_contact_days ?? 7)

interface Outcome {
  c: LabelledCall
  path: string
  urgency: Urgency
  conduct: boolean
  baseline: { level1: string; urgencyPhrases: Urgency; conductWords: boolean; profanity: boolean }
}

const expectedPath = (c: LabelledCall) => (c.category.startsWith('none/') ? '' : c.category)
const level1 = (p: string) => p.split('/')[0] ?? ''

// Baseline for categories: a bag of words — each level-1 branch owns every word of its phrases,
// the branch sharing most words with the call wins (what a keyword report would do).
const branchWords = new Map<string, Set<string>>()
for (const { path, node } of allNodes(taxonomy)) {
  const set = branchWords.get(path[0] as string) ?? new Set<string>()
  for (const p of [...(node.phrases ?? []), ...(node.groups ?? []).flat()])
    for (const t of normalise(p)) if (t.length > 2 || /\p{Script=Han}/u.test(t)) set.add(t)
  branchWords.set(path[0] as string, set)
}
function bagOfWords(c: LabelledCall): string {
  const words = c.call.utterances.flatMap((u) => normalise(u.text))
  let best = ''
  let bestN = 0
  for (const [branch, set] of branchWords) {
    const n = words.filter((w) => set.has(w)).length
    if (n > bestN) {
      best = branch
      bestN = n
    }
  }
  return best
}

const compliance = builtinScorecards().find((s) => s.definition.key === 'compliance-deduction')?.definition
function facts(c: LabelledCall) {
  return {
    durationMs: c.call.durationMs,
    direction: 'inbound' as const,
    language: c.language,
    queue: null,
    team: null,
    hasTranscript: true,
    metrics: {},
    customerSentimentStart: null,
    customerSentimentEnd: null,
    segments: [],
    utterances: c.call.utterances,
  }
}

const outcomes: Outcome[] = calls.map((c) => {
  const categories = classify(taxonomy, c.call)
  const urgency = assessUrgency(taxonomy, c.call, categories, repeats.get(c.id) ?? null)
  const phraseOnly = assessUrgency(taxonomy, c.call, [], null).evidence.find((e) => e.signal === 'phrase')
  const conduct = detectConduct(c.call).flags.length > 0
  // Conduct baselines: the rule phrases without their context, and the compliance card's profanity item.
  const agentTokens = c.call.utterances
    .filter((u) => u.speaker === 'agent')
    .map((u) => normalise(u.text).join(' '))
  const conductWords = CONDUCT_RULES.some((r) =>
    agentTokens.some((t) => t.includes(normalise(r.phrase).join(' '))),
  )
  const profanity = compliance
    ? evaluate(compliance, facts(c)).items.find((i) => i.key === 'profanity')?.result === 'fail'
    : false
  return {
    c,
    path: categories[0]?.path.join('/') ?? '',
    urgency: urgency.level,
    conduct,
    baseline: { level1: bagOfWords(c), urgencyPhrases: phraseOnly?.level ?? 'P3', conductWords, profanity },
  }
})

const pct = (n: number, d: number) => (d === 0 ? '-' : `${((100 * n) / d).toFixed(1)}% (${n}/${d})`)
const LEVELS: Urgency[] = ['P0', 'P1', 'P2', 'P3']

for (const split of ['dev', 'held-out', 'all'] as const) {
  const rows = outcomes.filter((o) => split === 'all' || o.c.split === split)
  const majority = (() => {
    const counts = new Map<string, number>()
    for (const o of outcomes.filter((x) => x.c.split === 'dev'))
      counts.set(level1(expectedPath(o.c)), (counts.get(level1(expectedPath(o.c))) ?? 0) + 1)
    return [...counts].sort((a, b) => b[1] - a[1])[0]?.[0] ?? ''
  })()
  const top1 = rows.filter((o) => level1(o.path) === level1(expectedPath(o.c))).length
  const path = rows.filter((o) => o.path === expectedPath(o.c)).length
  const bow = rows.filter((o) => o.baseline.level1 === level1(expectedPath(o.c))).length
  const maj = rows.filter((o) => majority === level1(expectedPath(o.c))).length
  const urg = rows.filter((o) => o.urgency === o.c.urgency).length
  const urgPhrases = rows.filter((o) => o.baseline.urgencyPhrases === o.c.urgency).length
  const urgP2 = rows.filter((o) => o.c.urgency === 'P2').length
  const within1 = rows.filter(
    (o) => Math.abs(LEVELS.indexOf(o.urgency) - LEVELS.indexOf(o.c.urgency)) <= 1,
  ).length
  const pr = (flag: (o: Outcome) => boolean) => {
    const tp = rows.filter((o) => flag(o) && o.c.conduct).length
    const fp = rows.filter((o) => flag(o) && !o.c.conduct).length
    const fn = rows.filter((o) => !flag(o) && o.c.conduct).length
    return `precision ${pct(tp, tp + fp)}, recall ${pct(tp, tp + fn)}`
  }
  console.log(
    `\n== ${split}: ${rows.length} calls (${rows.filter((o) => o.c.language === 'en').length} English, ${rows.filter((o) => o.c.language === 'zh').length} Chinese)`,
  )
  console.log(
    `category level 1 (top-1): callqa ${pct(top1, rows.length)} · bag of words ${pct(bow, rows.length)} · majority "${majority}" ${pct(maj, rows.length)}`,
  )
  console.log(`category full path:       callqa ${pct(path, rows.length)}`)
  console.log(
    `urgency exact:            callqa ${pct(urg, rows.length)} · urgency phrases alone ${pct(urgPhrases, rows.length)} · always P2 ${pct(urgP2, rows.length)}; within one level ${pct(within1, rows.length)}`,
  )
  console.log(
    `conduct:                  callqa ${pr((o) => o.conduct)} · rule phrases without context ${pr((o) => o.baseline.conductWords)} · profanity item ${pr((o) => o.baseline.profanity)}`,
  )
  console.log('urgency confusion (rows: labelled, columns: callqa)')
  console.log(`      ${LEVELS.join('  ')}`)
  for (const l of LEVELS)
    console.log(
      `  ${l}  ${LEVELS.map((p) => String(rows.filter((o) => o.c.urgency === l && o.urgency === p).length).padStart(2)).join('  ')}`,
    )
  if (split !== 'all') {
    const wrong = rows.filter(
      (o) => o.path !== expectedPath(o.c) || o.urgency !== o.c.urgency || o.conduct !== o.c.conduct,
    )
    for (const o of wrong)
      console.log(
        `  ${o.c.id}: path ${o.path || '(none)'} vs ${expectedPath(o.c) || '(none)'}, urgency ${o.urgency} vs ${o.c.urgency}, conduct ${o.conduct} vs ${o.c.conduct}`,
      )
  }
}

// Emerging topics over the whole set, from the customer turns as the API reads them: the omitted
// topic must come out.
const docs = calls.map((c, i) => ({
  id: i + 1,
  text: c.call.utterances
    .filter((u) => u.speaker === 'customer')
    .map((u) => u.text)
    .join(' '),
  covered: outcomes[i]?.path !== '',
}))
const topics = findEmergingTopics(docs)
const omitted = new Set(calls.map((c, i) => (c.category.startsWith('none/') ? i + 1 : 0)).filter(Boolean))
console.log(
  `\n== emerging topics (${docs.filter((d) => !d.covered).length} of ${docs.length} calls not filed by the taxonomy; ${omitted.size} about the omitted topic "loyalty points")`,
)
for (const t of topics) {
  const hit = t.calls.filter((id) => omitted.has(id)).length
  console.log(
    `  "${t.label}": ${t.calls.length} calls, ${hit} of them about the omitted topic; examples ${t.examples.map((id) => calls[id - 1]?.id).join(', ')}`,
  )
}
const found = topics.filter(
  (t) => t.calls.filter((id) => omitted.has(id)).length >= Math.min(3, t.calls.length),
)
const coverage = new Set(found.flatMap((t) => t.calls.filter((id) => omitted.has(id)))).size
console.log(
  `omitted topic found: ${found.length > 0 ? 'yes' : 'NO'} — ${coverage} of ${omitted.size} of its calls in ${found.length} topic(s)`,
)
