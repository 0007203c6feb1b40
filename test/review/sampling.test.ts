/** The sample draw: reproducible from its seed, unbiased, proportional, weighted, evenly assigned. */
import { describe, expect, test } from 'vitest'
import {
  allocate,
  assign,
  type Candidate,
  DEFAULT_RISK,
  draw,
  periodOf,
  riskWeight,
  uniform,
} from '../../review/sampling.js'

function candidate(id: number, over: Partial<Candidate> = {}): Candidate {
  return {
    id,
    agent_id: `agent-${id % 5}`,
    team: id % 3 === 0 ? 'red' : 'blue',
    queue: null,
    language: 'en',
    direction: 'inbound',
    started: new Date(Date.UTC(2026, 10, 2 + (id % 14), 9)).toISOString(),
    qa_percent: 90,
    fatal_failed: false,
    sentiment_trend: 0,
    dead_air_longest_ms: 0,
    urgency: 3,
    ...over,
  }
}
const pool = Array.from({ length: 50 }, (_, i) => candidate(i + 1))

describe('uniform numbers from the seed', () => {
  test('same seed and call → same number; another seed → another; always inside (0, 1)', () => {
    expect(uniform('s', 7)).toBe(uniform('s', 7))
    expect(uniform('s', 7)).not.toBe(uniform('t', 7))
    expect(uniform('s', 7)).not.toBe(uniform('s', 8))
    for (let i = 0; i < 1000; i++) {
      const u = uniform(`seed-${i}`, i)
      expect(u).toBeGreaterThan(0)
      expect(u).toBeLessThan(1)
    }
  })

  test('the draw does not depend on the order the calls arrive in', () => {
    const rule = { method: 'random' as const, n: 10 }
    const a = draw(pool, rule, 'week-47')
    const b = draw([...pool].reverse(), rule, 'week-47')
    expect(b).toEqual(a)
    expect(a.map((d) => d.rank)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10])
    expect(draw(pool, rule, 'week-48').map((d) => d.id)).not.toEqual(a.map((d) => d.id))
  })
})

describe('unbiased', () => {
  test('random: over 2,000 seeds every call is drawn about n/N of the time (chi-square, p > 0.001)', () => {
    const seeds = 2000
    const counts = new Map<number, number>()
    for (let s = 0; s < seeds; s++)
      for (const d of draw(pool, { method: 'random', n: 10 }, `seed-${s}`))
        counts.set(d.id, (counts.get(d.id) ?? 0) + 1)
    const expected = (seeds * 10) / pool.length
    let chi2 = 0
    for (const c of pool) chi2 += ((counts.get(c.id) ?? 0) - expected) ** 2 / expected
    // 49 degrees of freedom: the 0.999 quantile is 85.35.
    expect(chi2).toBeLessThan(85.35)
    // ...and not suspiciously perfect either (the 0.001 quantile is 23.98).
    expect(chi2).toBeGreaterThan(23.98)
  })

  test('risk: a call weighing 4 is drawn first four times as often as a call weighing 1', () => {
    const light = candidate(1)
    const heavy = candidate(2, { fatal_failed: true })
    expect(riskWeight(heavy, DEFAULT_RISK).weight).toBe(4)
    let heavyFirst = 0
    const seeds = 4000
    for (let s = 0; s < seeds; s++)
      if (draw([light, heavy], { method: 'risk', n: 1 }, `r${s}`)[0]?.id === 2) heavyFirst++
    // P = 4 / (4 + 1) = 0.8; 4,000 draws: standard error 0.0063.
    expect(heavyFirst / seeds).toBeGreaterThan(0.78)
    expect(heavyFirst / seeds).toBeLessThan(0.82)
  })

  test('risk weights add up from the reasons', () => {
    const c = candidate(3, {
      qa_percent: 55,
      sentiment_trend: -0.5,
      dead_air_longest_ms: 12_000,
      fatal_failed: true,
    })
    const { weight, reasons } = riskWeight(c, DEFAULT_RISK)
    expect(weight).toBe(1 + 2 + 2 + 1 + 3)
    expect(reasons).toEqual(['qa 55% < 70%', 'customer trend -0.50', 'dead air 12.0 s', 'fatal item failed'])
    // A call with no automatic score or sentiment is not treated as risky.
    expect(riskWeight(candidate(4, { qa_percent: null, sentiment_trend: null }), DEFAULT_RISK).weight).toBe(1)
  })

  test('urgent calls (P0, P1) weigh more; P2, P3 and unjudged calls do not', () => {
    expect(riskWeight(candidate(5, { urgency: 0 }), DEFAULT_RISK)).toEqual({
      weight: 4,
      reasons: ['urgency P0'],
    })
    expect(riskWeight(candidate(5, { urgency: 1 }), DEFAULT_RISK).weight).toBe(4)
    expect(riskWeight(candidate(5, { urgency: 2 }), DEFAULT_RISK).weight).toBe(1)
    expect(riskWeight(candidate(5, { urgency: null }), DEFAULT_RISK).weight).toBe(1)
    expect(
      riskWeight(candidate(5, { urgency: 2 }), { ...DEFAULT_RISK, urgent: { at_most: 2, weight: 1 } }).weight,
    ).toBe(2)
  })
})

describe('per agent and stratified', () => {
  test('per_agent: n per agent per ISO week, the smallest numbers in each', () => {
    const drawn = draw(pool, { method: 'per_agent', n: 2, period: 'week' }, 'x')
    const groups = new Map<string, number[]>()
    for (const c of pool) {
      const key = `${c.agent_id} ${periodOf(c.started, 'week')}`
      groups.set(key, [...(groups.get(key) ?? []), c.id])
    }
    let expected = 0
    for (const [key, ids] of groups) {
      const mine = drawn.filter((d) => d.stratum === key).map((d) => d.id)
      const best = [...ids].sort((a, b) => uniform('x', a) - uniform('x', b)).slice(0, 2)
      expect(mine.sort()).toEqual(best.sort())
      expected += Math.min(2, ids.length)
    }
    expect(drawn).toHaveLength(expected)
  })

  test('ISO weeks and months', () => {
    expect(periodOf('2026-01-01T10:00:00Z', 'week')).toBe('2026-W01')
    expect(periodOf('2027-01-01T10:00:00Z', 'week')).toBe('2026-W53')
    expect(periodOf('2026-11-23T23:59:00Z', 'week')).toBe('2026-W48')
    expect(periodOf('2026-11-23T23:59:00Z', 'month')).toBe('2026-11')
    expect(periodOf('2026-11-23T23:59:00Z', 'day')).toBe('2026-11-23')
  })

  test('stratified: n split in proportion to the strata, every stratum at least one', () => {
    expect(allocate([50, 30, 20], 10)).toEqual([5, 3, 2])
    expect(allocate([100, 1, 1], 5)).toEqual([3, 1, 1])
    expect(allocate([3, 0, 2], 10)).toEqual([3, 0, 2])
    expect(allocate([5, 5, 5], 2)).toEqual([1, 1, 0])
    expect(allocate([7, 7], 0)).toEqual([0, 0])
    const drawn = draw(pool, { method: 'stratified', n: 9, strata: 'team' }, 'y')
    const red = pool.filter((c) => c.team === 'red').length // 16 of 50
    expect(drawn.filter((d) => d.stratum === 'red')).toHaveLength(Math.round((9 - 2) * ((red - 1) / 48)) + 1)
    expect(drawn).toHaveLength(9)
  })
})

describe('assignment', () => {
  test('evenly, in draw order, no reviewer over the daily cap', () => {
    const drawn = Array.from({ length: 10 }, (_, i) => ({ id: 100 + i }))
    const plan = assign(drawn, [7, 8, 9], { capPerDay: 2, startOn: '2026-11-23' })
    const byReviewer = new Map<number, string[]>()
    for (const { reviewerId, dueOn } of plan.values())
      byReviewer.set(reviewerId, [...(byReviewer.get(reviewerId) ?? []), dueOn])
    expect([...byReviewer.keys()]).toEqual([7, 8, 9])
    expect(byReviewer.get(7)).toEqual(['2026-11-23', '2026-11-23', '2026-11-24', '2026-11-24'])
    expect(byReviewer.get(8)).toEqual(['2026-11-23', '2026-11-23', '2026-11-24'])
    expect(plan.get(100)?.reviewerId).toBe(7)
    expect(plan.get(101)?.reviewerId).toBe(8)
    expect(plan.get(103)?.reviewerId).toBe(7)
    expect(assign(drawn, [], { startOn: '2026-11-23' }).size).toBe(0)
  })
})
