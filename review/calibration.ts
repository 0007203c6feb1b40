/**
 * Calibration figures for several reviewers who scored the same call on the same card: per-item
 * agreement, Fleiss' kappa over the items, the spread of their scores, and each reviewer's
 * deviation from the expert (or, without an expert, from the majority).
 */

import type { Answer } from '../db/queries/calibrations.js'

export type { Answer }

export interface CalibrationReview {
  reviewerId: number
  reviewer: string
  percent: number
  /** item key → answer */
  items: ReadonlyMap<string, Answer>
}

export interface ItemAgreement {
  item_key: string
  answers: Record<string, Answer>
  /** the most frequent answer (ties: pass before fail before na) */
  majority: Answer
  /** share of reviewers who gave the majority answer */
  agreement: number
  unanimous: boolean
  expert: Answer | null
  /** share of the other reviewers who gave the expert's answer */
  expert_agreement: number | null
}

export interface ReviewerFigures {
  reviewer_id: number
  reviewer: string
  percent: number
  /** percent − the expert's percent (null without an expert, 0 for the expert) */
  deviation: number | null
  /** share of items answered as the expert did */
  matches_expert: number | null
  /** share of items answered as the majority did */
  matches_majority: number
}

export interface CalibrationFigures {
  reviewers: number
  items: ItemAgreement[]
  /** mean per-item agreement */
  agreement: number
  /** Fleiss' kappa over the items (null when every answer is the same: chance agreement is total) */
  kappa: number | null
  spread: { min: number; max: number; range: number; mean: number; stdev: number }
  expert: string | null
  by_reviewer: ReviewerFigures[]
}

const ORDER: Answer[] = ['pass', 'fail', 'na', 'pending']
const round = (x: number, digits = 4) => Math.round(x * 10 ** digits) / 10 ** digits

/** Fleiss' kappa; `counts[i][j]` is how many raters put item i in category j (same rater count per item). */
export function fleissKappa(counts: readonly (readonly number[])[]): number | null {
  const N = counts.length
  if (N === 0) return null
  const n = (counts[0] as readonly number[]).reduce((a, b) => a + b, 0)
  if (n < 2) return null
  const k = (counts[0] as readonly number[]).length
  let pBar = 0
  const pj = new Array<number>(k).fill(0)
  for (const row of counts) {
    let sumSq = 0
    for (let j = 0; j < k; j++) {
      const c = row[j] as number
      sumSq += c * c
      pj[j] = (pj[j] as number) + c
    }
    pBar += (sumSq - n) / (n * (n - 1))
  }
  pBar /= N
  const pe = pj.reduce((s, x) => s + (x / (N * n)) ** 2, 0)
  if (pe >= 1) return null
  return (pBar - pe) / (1 - pe)
}

export function calibrationFigures(
  reviews: readonly CalibrationReview[],
  expertId: number | null,
): CalibrationFigures {
  const expert = reviews.find((r) => r.reviewerId === expertId) ?? null
  const keys = [...new Set(reviews.flatMap((r) => [...r.items.keys()]))]
  const items: ItemAgreement[] = []
  const counts: number[][] = []
  for (const key of keys) {
    const answers: Record<string, Answer> = {}
    const tally = new Map<Answer, number>()
    for (const r of reviews) {
      const a = r.items.get(key) ?? 'pending'
      answers[r.reviewer] = a
      tally.set(a, (tally.get(a) ?? 0) + 1)
    }
    const majority =
      [...tally].sort((a, b) => b[1] - a[1] || ORDER.indexOf(a[0]) - ORDER.indexOf(b[0]))[0]?.[0] ?? 'pending'
    const expertAnswer = expert ? (expert.items.get(key) ?? 'pending') : null
    const others = reviews.filter((r) => r !== expert)
    items.push({
      item_key: key,
      answers,
      majority,
      agreement: round((tally.get(majority) ?? 0) / reviews.length),
      unanimous: tally.size === 1,
      expert: expertAnswer,
      expert_agreement:
        expertAnswer === null || others.length === 0
          ? null
          : round(
              others.filter((r) => (r.items.get(key) ?? 'pending') === expertAnswer).length / others.length,
            ),
    })
    counts.push(ORDER.map((a) => tally.get(a) ?? 0))
  }
  const percents = reviews.map((r) => r.percent)
  const mean = percents.reduce((a, b) => a + b, 0) / Math.max(1, percents.length)
  const stdev = Math.sqrt(percents.reduce((s, p) => s + (p - mean) ** 2, 0) / Math.max(1, percents.length))
  const majorityOf = new Map(items.map((i) => [i.item_key, i.majority]))
  const share = (r: CalibrationReview, target: (key: string) => Answer | undefined) =>
    keys.length === 0
      ? 0
      : round(keys.filter((k) => (r.items.get(k) ?? 'pending') === target(k)).length / keys.length)
  const kappa = fleissKappa(counts)
  return {
    reviewers: reviews.length,
    items,
    agreement: round(items.reduce((s, i) => s + i.agreement, 0) / Math.max(1, items.length)),
    kappa: kappa === null ? null : round(kappa),
    spread: {
      min: Math.min(...percents),
      max: Math.max(...percents),
      range: round(Math.max(...percents) - Math.min(...percents), 2),
      mean: round(mean, 2),
      stdev: round(stdev, 2),
    },
    expert: expert?.reviewer ?? null,
    by_reviewer: reviews.map((r) => ({
      reviewer_id: r.reviewerId,
      reviewer: r.reviewer,
      percent: r.percent,
      deviation: expert ? round(r.percent - expert.percent, 2) : null,
      matches_expert: expert ? share(r, (k) => expert.items.get(k) ?? 'pending') : null,
      matches_majority: share(r, (k) => majorityOf.get(k)),
    })),
  }
}
