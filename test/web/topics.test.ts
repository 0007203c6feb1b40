/**
 * What a call is about in a real browser: urgency and category in the list, the call's topics,
 * summary and the words behind each line's sentiment; the TOP issues report the API computes,
 * printed without its controls.
 */
import { afterAll, beforeAll, expect, test } from 'vitest'
import { openPage, PAGE_USERS, type PageHarness } from './page.js'

let web: PageHarness
let api: PageHarness['api']
let page: PageHarness['page']

beforeAll(async () => {
  web = await openPage('web/topics', {
    files: ['call-04-phone-dead-air.wav', 'call-01-clean-billing.flac'],
    users: PAGE_USERS,
  })
  api = web.api
  page = web.page
}, 180_000)
afterAll(async () => {
  await web?.close()
})

const signIn = (who: string) => web.signIn(who)

test('a reviewer sees what a call is about and why, and prints the TOP issues the API computes', async () => {
  await page.goto(`${api.base}/`)
  await page.evaluate(() =>
    (globalThis as unknown as { sessionStorage: { clear(): void } }).sessionStorage.clear(),
  )
  await signIn('rita')
  await page.waitForSelector('#calls tbody tr[data-call-id]')
  const id = api.idOf.get('call-01-clean-billing.flac') as number
  const detail = (await api.call('GET', `/v1/calls/${id}`, 'rita')).body
  // The list shows each call's urgency and main category, as the API has them.
  const row = page.locator(`#calls tbody tr[data-call-id="${id}"]`)
  expect(await row.locator('td:nth-child(10)').textContent()).toBe(detail.topics.urgency)
  expect(await row.locator('td:nth-child(11)').textContent()).toBe(
    detail.topics.categories[0].path.join(' › '),
  )
  await page.goto(`${api.base}/#/calls/${id}`)
  await page.waitForSelector('#about')
  expect(await page.textContent('#about .categories li')).toContain(
    detail.topics.categories[0].labels.join(' › '),
  )
  expect(await page.textContent('#about .urgency')).toBe(detail.topics.urgency)
  // A summary line plays the call from its time.
  const reason = detail.topics.summary.find((l: { kind: string }) => l.kind === 'reason')
  await page.click('#summary dd:first-of-type .time-link')
  await expect
    .poll(() => page.locator('#player').evaluate((a: { currentTime: number }) => a.currentTime))
    .toBeCloseTo(reason.start_ms / 1000, 0)
  // Each scored line says which words made it what it is.
  const scored = detail.utterances.find((u: { sentiment_terms: Array<{ source: string }> | null }) =>
    u.sentiment_terms?.some((t) => t.source === 'lexicon'),
  )
  const line = page.locator(`#transcript .utt[data-start="${scored.start_ms}"] .why-sentiment`)
  const lexicon = scored.sentiment_terms.find((t: { source: string }) => t.source === 'lexicon')
  expect(await line.getAttribute('title')).toContain(lexicon.text)

  // The TOP issues page is the API's report, row for row, with a print button and no controls in print.
  await page.goto(`${api.base}/#/reports?month=2026-11&level=1`)
  await page.waitForSelector('#top-issues tbody tr')
  const report = (await api.call('GET', '/v1/reports/top-issues?month=2026-11&level=1', 'rita')).body
  const cells = await page
    .locator('#top-issues tbody tr')
    .evaluateAll((rows) =>
      rows.map((r) => [...r.querySelectorAll('td')].slice(1, 3).map((td) => td.textContent)),
    )
  expect(cells).toEqual(report.items.map((r: { label: string; calls: number }) => [r.label, String(r.calls)]))
  await page.emulateMedia({ media: 'print' })
  expect(await page.locator('form.filters').isVisible()).toBe(false)
  expect(await page.locator('#top-issues').isVisible()).toBe(true)
  await page.emulateMedia({ media: 'screen' })
  await page.waitForSelector('#emerging p')
})

// Last: every flow above ran under the page's policy.
test('nothing the page did broke its Content-Security-Policy', () => {
  expect(web.cspViolations).toEqual([])
})
