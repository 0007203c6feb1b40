/**
 * Sampling and calibration in a real browser, for a QA lead: a seeded draw previewed, drawn again
 * the same, saved and assigned; a calibration session started, scored blind by two reviewers and
 * its figures shown.
 */
import { afterAll, beforeAll, expect, test } from 'vitest'
import { openPage, PAGE_USERS, type PageHarness } from './page.js'

let web: PageHarness
let api: PageHarness['api']
let page: PageHarness['page']

beforeAll(async () => {
  web = await openPage('web/sampling', {
    files: ['call-04-phone-dead-air.wav', 'call-01-clean-billing.flac', 'call-03-mono-delivery.wav'],
    users: PAGE_USERS,
  })
  api = web.api
  page = web.page
}, 180_000)
afterAll(async () => {
  await web?.close()
})

const signIn = (who: string) => web.signIn(who)

test('a QA lead draws a seeded sample on the page, gets the same draw again, saves and assigns it', async () => {
  await signIn('max')
  await page.waitForSelector('#calls tbody tr[data-call-id]')
  await page.click('#nav-samples')
  await page.fill('input[name=name]', 'week 48')
  await page.selectOption('select[name=method]', 'random')
  await page.fill('input[name=n]', '2')
  await page.fill('input[name=seed]', 'week-48')
  await page.fill('input[name=reviewers]', 'rita')
  await page.fill('input[name=cap_per_day]', '1')
  await page.fill('input[name=start_on]', '2026-12-01')
  const drawn = async () => {
    await page.click('#preview')
    await page.waitForSelector('#draw-summary')
    const ids = await page
      .locator('#assignments tbody tr')
      .evaluateAll((trs: Array<{ dataset: { callId?: string } }>) =>
        trs.map((tr) => Number(tr.dataset.callId)),
      )
    await page.evaluate(() => {
      // The next preview must be a new answer, not the old one still on the page.
      ;(
        globalThis as unknown as { document: { getElementById(id: string): { remove(): void } | null } }
      ).document
        .getElementById('draw-summary')
        ?.remove()
    })
    return ids
  }
  const first = await drawn()
  expect(first).toHaveLength(2)
  // The same rule and seed over the same calls: the same draw.
  expect(await drawn()).toEqual(first)
  // The preview is what the API draws for that rule and seed.
  const viaApi = (
    await api.call('POST', '/v1/samples/preview', 'max', {
      name: 'x',
      scorecard: 'inbound-support-en',
      method: 'random',
      n: 2,
      seed: 'week-48',
    })
  ).body
  expect(viaApi.assignments.map((a: { call_id: number }) => a.call_id)).toEqual(first)
  await page.click('#save-sample')
  await page.waitForURL(/#\/samples\/\d+$/)
  const sampleId = Number(/samples\/(\d+)$/.exec(page.url())?.[1])
  await page.waitForSelector('#assignments tbody tr')
  const stored = (await api.call('GET', `/v1/samples/${sampleId}`, 'max')).body
  expect(stored).toMatchObject({ name: 'week 48', seed: 'week-48', drawn: 2 })
  expect(stored.assignments.map((a: { call_id: number }) => a.call_id)).toEqual(first)
  // One a day for rita: the cap spreads the two calls over two days.
  expect(stored.assignments.map((a: { reviewer: string; due_on: string }) => [a.reviewer, a.due_on])).toEqual(
    [
      ['rita', '2026-12-01'],
      ['rita', '2026-12-02'],
    ],
  )
  // And they are in rita's queue.
  const queue = (await api.call('GET', '/v1/me/queue?all=true', 'rita')).body as Array<{ call_id: number }>
  expect(queue.map((q) => q.call_id).sort()).toEqual([...first].sort())
})

test('a calibration on the page: started by a lead, scored blind by two reviewers, its figures shown', async () => {
  const flac = api.idOf.get('call-01-clean-billing.flac') as number
  await page.click('#sign-out')
  await signIn('max')
  await page.waitForSelector('#calls tbody tr[data-call-id]')
  await page.click('#nav-calibrations')
  await page.fill('input[name=call_id]', String(flac))
  await page.fill('input[name=reviewers]', 'rita, ravi')
  await page.fill('input[name=expert]', 'rita')
  await page.fill('input[name=title]', 'billing, week 48')
  await page.click('#create-calibration')
  await page.waitForURL(/#\/calibrations\/\d+$/)
  const sessionId = Number(/calibrations\/(\d+)$/.exec(page.url())?.[1])
  expect(await page.textContent('#calibration-status')).toBe('open')

  /** One participant scores the call blind: every manual item answered, `flip` turned over. */
  const score = async (who: 'rita' | 'ravi', flip?: string) => {
    await page.click('#sign-out')
    await signIn(api.tokens[who] as string)
    await page.waitForSelector('#calls tbody tr[data-call-id]')
    await page.goto(`${api.base}/#/calibrations/${sessionId}`)
    await page.click('#score-blind')
    await page.waitForSelector('#evaluation select')
    const reviewId = Number(/evaluations\/(\d+)$/.exec(page.url())?.[1])
    const draft = (await api.call('GET', `/v1/evaluations/${reviewId}`, who)).body
    expect(draft.calibration_id).toBe(sessionId)
    for (const item of draft.items as Array<{ item_key: string; result: string }>) {
      if (item.result === 'pending') await page.selectOption(`select[name="result-${item.item_key}"]`, 'pass')
      if (item.item_key === flip)
        await page.selectOption(
          `select[name="result-${item.item_key}"]`,
          item.result === 'pass' ? 'fail' : 'pass',
        )
    }
    await page.click('#submit')
    await expect.poll(() => page.textContent('#status')).toBe('submitted')
    return reviewId
  }
  const ritaReview = await score('rita')
  // rita's queue on the page: the sample assigned to her above, as the API lists it.
  await page.click('#nav-queue')
  await page.waitForSelector('#queue tbody tr')
  const queued = (await api.call('GET', '/v1/me/queue?all=true', 'rita')).body as unknown[]
  expect(await page.locator('#queue tbody tr').count()).toBe(queued.length)
  // Blind: until everyone has submitted, ravi cannot read rita's review.
  expect((await api.call('GET', `/v1/evaluations/${ritaReview}`, 'ravi')).status).toBe(403)
  const items = (await api.call('GET', `/v1/evaluations/${ritaReview}`, 'rita')).body.items as Array<{
    item_key: string
    result: string
  }>
  const flipped = (items.find((i) => i.result === 'pass') as { item_key: string }).item_key
  await score('ravi', flipped)

  await page.click('#sign-out')
  await signIn('max')
  await page.waitForSelector('#calls tbody tr[data-call-id]')
  await page.goto(`${api.base}/#/calibrations/${sessionId}`)
  await page.waitForSelector('#calibration-items')
  const stored = (await api.call('GET', `/v1/calibrations/${sessionId}`, 'max')).body
  expect(stored.status).toBe('complete')
  expect(await page.textContent('#calibration-status')).toBe('complete')
  // The one item they answered differently is the one split row; the figures are the API's.
  expect(await page.locator('#calibration-items tr.split').count()).toBe(1)
  expect(await page.getAttribute('#calibration-items tr.split', 'data-item')).toBe(flipped)
  const ravi = stored.results.by_reviewer.find((b: { reviewer: string }) => b.reviewer === 'ravi')
  expect(ravi.matches_expert).toBeLessThan(1)
  expect(await page.textContent('#calibration-figures')).toContain(
    `Agreement ${(stored.results.agreement * 100).toFixed(0)} %`,
  )
  expect(await page.textContent('#calibration-reviewers')).toContain(
    `${(ravi.matches_expert * 100).toFixed(0)} %`,
  )
  // Each reviewer's agreement over time, on the sessions page, as the API has it.
  await page.click('#nav-calibrations')
  await page.waitForSelector('#reviewer-agreement tbody tr')
  const overTime = (await api.call('GET', '/v1/calibrations/reviewers?period=month', 'max')).body as unknown[]
  expect(await page.locator('#reviewer-agreement tbody tr').count()).toBe(overTime.length)
  expect(await page.textContent('#reviewer-agreement')).toContain('ravi')
})

// Last: every flow above ran under the page's policy.
test('nothing the page did broke its Content-Security-Policy', () => {
  expect(web.cspViolations).toEqual([])
})
