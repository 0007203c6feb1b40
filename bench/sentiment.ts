/**
 * Sentiment accuracy on amazon.json (1,000 labelled product-review sentences from the `sentiment`
 * package's fixtures, never used in training) for callqa, VADER and AFINN, in one run.
 *
 *   npm run bench:sentiment
 *
 * - accuracy: the model's own three-way label against the binary truth; a neutral answer counts as
 *   wrong (every sentence is labelled positive or negative). Neutral bands: callqa and VADER
 *   |score| < 0.05 (VADER's convention), AFINN a score of exactly 0.
 * - sign accuracy: positive iff score > 0, so no answer is neutral.
 * - AUC: how well the scores rank positives above negatives, threshold-free.
 */
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { performance } from 'node:perf_hooks'
import { labelFor, scoreSentiment } from '../models/sentiment/index.js'

const require = createRequire(import.meta.url)
const Afinn = require('sentiment') as new () => { analyze(text: string): { comparative: number } }
const vader = require('vader-sentiment') as {
  SentimentIntensityAnalyzer: { polarity_scores(text: string): { compound: number } }
}

interface Labelled {
  text: string
  class: 0 | 1
}
const data = JSON.parse(
  readFileSync(require.resolve('sentiment/test/fixtures/amazon.json'), 'utf8'),
) as Labelled[]

function auc(scores: readonly number[], labels: readonly number[]): number {
  // Mann–Whitney U with average ranks for ties.
  const order = scores.map((s, i) => ({ s, y: labels[i] ?? 0 })).sort((a, b) => a.s - b.s)
  let rankSumPos = 0
  let i = 0
  while (i < order.length) {
    let j = i
    while (j + 1 < order.length && order[j + 1]?.s === order[i]?.s) j++
    const rank = (i + j) / 2 + 1
    for (let k = i; k <= j; k++) if (order[k]?.y === 1) rankSumPos += rank
    i = j + 1
  }
  const pos = labels.filter((y) => y === 1).length
  const neg = labels.length - pos
  return (rankSumPos - (pos * (pos + 1)) / 2) / (pos * neg)
}

const afinn = new Afinn()
const systems: Array<{ name: string; score: (t: string) => number; label: (s: number) => string }> = [
  { name: 'callqa', score: (t) => scoreSentiment(t, 'en').score, label: labelFor },
  {
    name: 'VADER (vader-sentiment)',
    score: (t) => vader.SentimentIntensityAnalyzer.polarity_scores(t).compound,
    label: labelFor,
  },
  {
    name: 'AFINN-165 (sentiment)',
    score: (t) => afinn.analyze(t).comparative,
    label: (s) => (s > 0 ? 'positive' : s < 0 ? 'negative' : 'neutral'),
  },
]

console.log(`amazon.json: ${data.length} sentences (${data.filter((d) => d.class === 1).length} positive)\n`)
console.log('system                    accuracy  neutral  sign-acc  AUC    sentences/s')
const labels = data.map((d) => d.class)
for (const system of systems) {
  system.score('warm up')
  const began = performance.now()
  const scores = data.map((d) => system.score(d.text))
  const elapsed = (performance.now() - began) / 1000
  let right = 0
  let neutral = 0
  let signRight = 0
  scores.forEach((s, i) => {
    const label = system.label(s)
    if (label === 'neutral') neutral++
    if ((label === 'positive' ? 1 : label === 'negative' ? 0 : -1) === labels[i]) right++
    if ((s > 0 ? 1 : 0) === labels[i]) signRight++
  })
  console.log(
    `${system.name.padEnd(25)} ${((right / data.length) * 100).toFixed(1).padStart(7)}%  ${String(neutral).padStart(7)}  ` +
      `${((signRight / data.length) * 100).toFixed(1).padStart(7)}%  ${auc(scores, labels).toFixed(3)}  ` +
      `${Math.round(data.length / elapsed)
        .toLocaleString('en-US')
        .padStart(11)}`,
  )
}
