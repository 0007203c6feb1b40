/**
 * A review and its dispute in a real browser: opened from the automatic evaluation, answered (a
 * reload loses nothing), saved, submitted and audited; then the agent acknowledges it and disputes
 * an item, and the reviewer decides the dispute on the page.
 */
import { afterAll, beforeAll, expect, test } from 'vitest'
import { openPage, PAGE_USERS, type PageHarness } from './page.js'

let web: PageHarness
let api: PageHarness['api']
let page: PageHarness['page']
let callId: number

beforeAll(async () => {
  web = await openPage('web/review', {
    files: ['call-04-phone-dead-air.wav', 'call-01-clean-billing.flac'],
    users: PAGE_USERS,
  })
  api = web.api
  page = web.page
  callId = api.idOf.get('call-04-phone-dead-air.wav') as number
}, 180_000)
afterAll(async () => {
  await web?.close()
})

const signIn = (who: string) => web.signIn(who)

test('a review: opened from the automatic evaluation, answered, saved, submitted, audited', async () => {
  await signIn('rita')
  await page.goto(`${api.base}/#/calls/${callId}`)
  await page.waitForSelector('#evaluations tr[data-evaluation-id]')
  // The player has loaded: opening the review keeps its position.
  await expect
    .poll(
      () =>
        page
          .locator('audio')
          .evaluate((a: { duration: number }) => (Number.isFinite(a.duration) ? a.duration : 0)),
      {
        timeout: 30_000,
      },
    )
    .toBeGreaterThan(0)
  const detail = (await api.call('GET', `/v1/calls/${callId}`, 'rita')).body
  const auto = detail.evaluations.find(
    (e: { source: string; scorecard_key: string }) =>
      e.source === 'auto' && e.scorecard_key === 'inbound-support-en',
  )
  await page.click(`#evaluations tr[data-evaluation-id="${auto.id}"]`)
  await page.waitForSelector('#start-review')
  // Evidence times are buttons that seek the player, and ticks on the timeline for the same moments.
  expect(await page.locator('#evaluation button.time-link').count()).toBeGreaterThan(0)
  const timed = (await api.call('GET', `/v1/evaluations/${auto.id}`, 'rita')).body.items.flatMap(
    (i: { evidence: Array<{ start_ms?: number }> }) =>
      i.evidence.filter((e) => typeof e.start_ms === 'number'),
  )
  expect(await page.locator('#timeline .mark.evidence').count()).toBe(timed.length)
  await page.locator('#timeline .mark.evidence').last().click()
  await expect
    .poll(() => page.locator('audio').evaluate((a: { currentTime: number }) => a.currentTime))
    .toBeGreaterThanOrEqual((timed.at(-1).start_ms as number) / 1000 - 0.05)
  await page.click('#start-review')
  await page.waitForSelector('#evaluation select')
  const reviewId = Number(/evaluations\/(\d+)$/.exec(page.url())?.[1])
  expect(reviewId).toBeGreaterThan(auto.id)
  // The new draft joined the call's list; the player was not reloaded (its position stayed).
  await expect.poll(() => page.textContent('#evaluations')).toContain('review by rita')
  expect(await page.locator('audio').evaluate((a: { currentTime: number }) => a.currentTime)).toBeGreaterThan(
    0,
  )

  const autoItems = (await api.call('GET', `/v1/evaluations/${auto.id}`, 'rita')).body.items as Array<{
    item_key: string
    result: string
    label: string
  }>
  const failed = autoItems.find((i) => i.result === 'fail') as { item_key: string; label: string }
  expect(await page.textContent(`[data-item="${failed.item_key}"] .label`)).toContain(failed.label)
  // Submit before the manual item is answered: the page shows the API's refusal.
  await page.click('#submit')
  await expect.poll(() => page.textContent('#message')).toContain('answer every manual item')

  await page.selectOption(`select[name="result-${failed.item_key}"]`, 'pass')
  await page.fill(`input[name="comment-${failed.item_key}"]`, 'said at 0:09, the transcript missed it')
  await page.selectOption('select[name="result-customer-hangs-up-first"]', 'pass')
  await page.fill('textarea[name=overall]', 'Good call; long hold without explanation.')
  // A reload before saving loses nothing: the unsaved answers come back from the tab.
  await page.reload()
  await page.waitForSelector(`select[name="result-${failed.item_key}"]`)
  expect(await page.inputValue(`select[name="result-${failed.item_key}"]`)).toBe('pass')
  expect(await page.inputValue(`input[name="comment-${failed.item_key}"]`)).toBe(
    'said at 0:09, the transcript missed it',
  )
  expect(await page.inputValue('textarea[name=overall]')).toBe('Good call; long hold without explanation.')
  await page.click('#save')
  await expect.poll(() => page.textContent('#message')).toBe('Draft saved.')
  const draft = (await api.call('GET', `/v1/evaluations/${reviewId}`, 'rita')).body
  expect(draft).toMatchObject({ status: 'draft', comment: 'Good call; long hold without explanation.' })
  expect(draft.items.find((i: { item_key: string }) => i.item_key === failed.item_key)).toMatchObject({
    result: 'pass',
    auto_result: 'fail',
    comment: 'said at 0:09, the transcript missed it',
  })
  expect(await page.textContent('#score')).toBe(`${draft.percent.toFixed(1)} %`)

  await page.click('#submit')
  await expect.poll(() => page.textContent('#status')).toBe('submitted')
  expect(await page.locator('#evaluation select').count()).toBe(0)
  const audit = (await api.call('GET', `/v1/evaluations/${reviewId}/audit`, 'rita')).body
  const actions = (Array.isArray(audit) ? audit : audit.items).map((a: { action: string }) => a.action)
  expect(actions).toEqual(expect.arrayContaining(['review.open', 'review.save', 'review.submit']))
})

test('an agent disputes an item of a review of their call on the page, and the reviewer decides it there', async () => {
  await page.click('#sign-out')
  await signIn('a.kim')
  await page.waitForSelector('#calls tbody tr[data-call-id]')
  expect(await page.locator('#nav-disputes').isVisible()).toBe(true)
  // rita's submitted review of call-04 (a.kim's call), from the review test above.
  const detail = (await api.call('GET', `/v1/calls/${callId}`, 'rita')).body
  const review = detail.evaluations.find(
    (e: { source: string; status: string }) => e.source === 'review' && e.status === 'submitted',
  )
  const items = (await api.call('GET', `/v1/evaluations/${review.id}`, 'rita')).body.items as Array<{
    item_key: string
    result: string
  }>
  const contested = items.find((i) => i.result === 'fail') as { item_key: string; result: string }
  await page.goto(`${api.base}/#/calls/${callId}/evaluations/${review.id}`)
  // First the agent says they have read it; the API records when, once.
  await page.click('#acknowledge')
  await page.waitForSelector('#acknowledged')
  const read = (await api.call('GET', `/v1/evaluations/${review.id}`, 'a.kim')).body
  expect(Date.now() - Date.parse(read.acknowledged_at)).toBeLessThan(60_000)
  expect(
    (await api.call('POST', `/v1/evaluations/${review.id}/acknowledge`, 'a.kim')).body.acknowledged_at,
  ).toBe(read.acknowledged_at)
  // Another agent cannot acknowledge it: not theirs to see.
  expect((await api.call('POST', `/v1/evaluations/${review.id}/acknowledge`, 'a.sam')).status).toBe(404)
  await page.click('#open-dispute')
  // The form is reachable from the keyboard: the first box has the focus.
  expect(
    await page.evaluate(
      () =>
        (globalThis as unknown as { document: { activeElement: { name?: string } } }).document.activeElement
          .name,
    ),
  ).toBe('disputed')
  await page.check(`input[name=disputed][value="${contested.item_key}"]`)
  await page.fill('textarea[name=comment]', 'I asked if there was anything else at the end')
  await page.click('#send-dispute')
  await expect.poll(() => page.textContent('#dispute-sent')).toMatch(/Dispute \d+ sent to the reviewer/)
  const stored = (await api.call('GET', `/v1/disputes?evaluation_id=${review.id}`, 'a.kim')).body
  expect(stored).toHaveLength(1)
  expect(stored[0]).toMatchObject({
    status: 'open',
    comment: 'I asked if there was anything else at the end',
    items: [{ item_key: contested.item_key, current: 'fail', proposed: 'pass' }],
  })
  const disputeId = stored[0].id as number

  await page.click('#sign-out')
  await signIn('rita')
  await page.waitForSelector('#calls tbody tr[data-call-id]')
  await page.click('#nav-disputes')
  const card = `section[data-dispute-id="${disputeId}"]`
  await page.waitForSelector(card)
  expect(await page.textContent(card)).toContain(`${contested.item_key}: fail → pass`)
  // Rejecting without a reason: the page shows the API's refusal, and nothing changes.
  await page.selectOption(`${card} select[name=decision]`, 'reject')
  await page.click(`${card} button[type=submit]`)
  await expect.poll(() => page.textContent(`${card} .message`)).toContain('say why in a comment')
  await page.selectOption(`${card} select[name=decision]`, 'accept')
  await page.fill(`${card} input[name=comment]`, 'heard it at the end')
  await page.click(`${card} button[type=submit]`)
  await expect.poll(() => page.textContent(`${card} .dispute-status`)).toBe('accepted')
  const decided = (await api.call('GET', `/v1/disputes/${disputeId}`, 'rita')).body
  expect(decided).toMatchObject({ status: 'accepted', accepted_items: [contested.item_key] })
  const after = (await api.call('GET', `/v1/evaluations/${review.id}`, 'rita')).body
  expect(after.items.find((i: { item_key: string }) => i.item_key === contested.item_key).result).toBe('pass')
  expect(after.percent).toBe(decided.percent_after)
  expect(decided.percent_after).toBeGreaterThan(decided.percent_before)
})

// Last: every flow above ran under the page's policy.
test('nothing the page did broke its Content-Security-Policy', () => {
  expect(web.cspViolations).toEqual([])
})
