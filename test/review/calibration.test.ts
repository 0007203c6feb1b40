/** Calibration figures on cases worked out by hand. */
import { describe, expect, test } from 'vitest'
import { type Answer, calibrationFigures, fleissKappa } from '../../review/calibration.js'

const review = (reviewerId: number, reviewer: string, percent: number, answers: Record<string, Answer>) => ({
  reviewerId,
  reviewer,
  percent,
  items: new Map(Object.entries(answers)),
})

describe("Fleiss' kappa", () => {
  test('the textbook example (10 subjects, 14 raters, 5 categories) gives 0.210', () => {
    const table = [
      [0, 0, 0, 0, 14],
      [0, 2, 6, 4, 2],
      [0, 0, 3, 5, 6],
      [0, 3, 9, 2, 0],
      [2, 2, 8, 1, 1],
      [7, 7, 0, 0, 0],
      [3, 2, 6, 3, 0],
      [2, 5, 3, 2, 2],
      [6, 5, 2, 1, 0],
      [0, 2, 2, 3, 7],
    ]
    expect(fleissKappa(table)).toBeCloseTo(0.21, 3)
  })
  test('perfect agreement over mixed answers is 1; one category everywhere has no kappa', () => {
    expect(
      fleissKappa([
        [3, 0],
        [0, 3],
      ]),
    ).toBe(1)
    expect(
      fleissKappa([
        [3, 0],
        [3, 0],
      ]),
    ).toBeNull()
  })
})

test('three reviewers, four items, the first reviewer the expert', () => {
  const f = calibrationFigures(
    [
      review(1, 'ann', 75, { greet: 'pass', verify: 'pass', resolve: 'fail', close: 'pass' }),
      review(2, 'bob', 50, { greet: 'pass', verify: 'fail', resolve: 'fail', close: 'fail' }),
      review(3, 'cyd', 60, { greet: 'pass', verify: 'pass', resolve: 'na', close: 'fail' }),
    ],
    1,
  )
  expect(f.items.map((i) => [i.item_key, i.majority, i.agreement, i.unanimous, i.expert_agreement])).toEqual([
    ['greet', 'pass', 1, true, 1],
    ['verify', 'pass', 0.6667, false, 0.5],
    ['resolve', 'fail', 0.6667, false, 0.5],
    ['close', 'fail', 0.6667, false, 0],
  ])
  expect(f.agreement).toBe(0.75)
  // P̄ = 0.5, Pe = 62/144 → κ = 5/41.
  expect(f.kappa).toBeCloseTo(5 / 41, 4)
  expect(f.spread).toEqual({ min: 50, max: 75, range: 25, mean: 61.67, stdev: 10.27 })
  expect(f.expert).toBe('ann')
  expect(f.by_reviewer).toEqual([
    { reviewer_id: 1, reviewer: 'ann', percent: 75, deviation: 0, matches_expert: 1, matches_majority: 0.75 },
    {
      reviewer_id: 2,
      reviewer: 'bob',
      percent: 50,
      deviation: -25,
      matches_expert: 0.5,
      matches_majority: 0.75,
    },
    {
      reviewer_id: 3,
      reviewer: 'cyd',
      percent: 60,
      deviation: -15,
      matches_expert: 0.5,
      matches_majority: 0.75,
    },
  ])
  // Without an expert there is nothing to deviate from.
  const noExpert = calibrationFigures(
    [review(1, 'ann', 75, { a: 'pass' }), review(2, 'bob', 50, { a: 'pass' })],
    null,
  )
  expect(noExpert.expert).toBeNull()
  expect(noExpert.by_reviewer[1]).toMatchObject({
    deviation: null,
    matches_expert: null,
    matches_majority: 1,
  })
})
