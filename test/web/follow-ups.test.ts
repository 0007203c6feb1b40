/**
 * Follow-ups in a real browser: an owner works a case from open to closed, with a callback, from
 * their queue (due times counting down); the call view shows its case; a manager reads the report
 * and clicks through to the cases behind a figure, and the TOP issues report shows what became of
 * each category's follow-ups.
 */
import { afterAll, beforeAll, expect, test } from 'vitest'
import { activateRules, PEOPLE } from '../follow-ups/seed.js'
import { openPage, type PageHarness } from './page.js'

let web: PageHarness
let api: PageHarness['api']
let page: PageHarness['page']

beforeAll(async () => {
  web = await openPage('web/follow-ups', {
    files: ['call-06-phone-angry.wav', 'call-10-phone-hold-en.wav', 'call-11-phone-music-hold.wav'],
    users: PEOPLE.map(([n, r]) => [n, r] as const),
    beforeIngest: async (db) => {
      await activateRules(db)
    },
  })
  api = web.api
  page = web.page
}, 180_000)
afterAll(async () => {
  await web?.close()
})

const rowsOf = (selector: string) =>
  page
    .locator(`${selector} tbody tr`)
    .evaluateAll((trs: Array<{ children: ArrayLike<{ textContent: string | null }> }>) =>
      trs.map((tr) => Array.from(tr.children, (td) => td.textContent ?? '')),
    )

test('an owner works a case from open to closed with a callback', async () => {
  await web.signIn('cy')
  await page.click('#nav-follow-ups')
  await page.waitForSelector('#follow-ups tbody tr[data-follow-up]')
  const rows = await rowsOf('#follow-ups')
  // cy's queue: the two outage calls (service-desk), due times counting down.
  expect(rows.map((r) => [r[3], r[5], r[6], r[7]])).toEqual([
    ['P1', 'service-desk', 'cy', 'open'],
    ['P1', 'service-desk', 'cy', 'open'],
  ])
  const due = async () => page.locator('#follow-ups tbody tr').first().locator('span.due').textContent()
  const before = await due()
  expect(before).toMatch(/^response in (59|60) min \d\d s$|^response in 1 h 0 min$/)
  await expect.poll(due, { timeout: 5000 }).not.toBe(before)
  const call = api.idOf.get('call-11-phone-music-hold.wav') as number
  await page.click(`#follow-ups tbody tr:has(a[href="#/calls/${call}"]) a[href^="#/follow-ups/"]`)
  await page.waitForSelector('#follow-up-work')
  const step = async (status: string, note?: string) => {
    await page.selectOption('#follow-up-work select[name=status]', status)
    if (note) await page.fill('#follow-up-work textarea[name=note]', note)
    await page.click('#follow-up-work button[type=submit]')
    await page.waitForSelector(`h1 .fu-status.${status}`)
  }
  await step('in_progress', 'asked the network team')
  await step('waiting', 'the customer restarts the router')
  expect(await page.locator('#follow-up-facts span.due').textContent()).toBe('paused')
  await step('resolved', 'back online')
  // Closing needs the callback: the API says so, and the page shows it.
  await page.selectOption('#follow-up-work select[name=status]', 'closed')
  await page.click('#follow-up-work button[type=submit]')
  await page.waitForSelector('#follow-up-work .message .error, #follow-up-work .message [role=alert]')
  expect(await page.locator('#follow-up-work .message').textContent()).toMatch(/callback/)
  await page.selectOption('#follow-up-work select[name=cb_reached]', 'yes')
  await page.selectOption('#follow-up-work select[name=cb_satisfied]', 'yes')
  await page.selectOption('#follow-up-work select[name=cb_csat]', '5')
  await page.click('#follow-up-work button[type=submit]')
  await page.waitForSelector('h1 .fu-status.closed')
  expect(await page.locator('#follow-up-facts').textContent()).toContain('reached, satisfied, CSAT 5')
  const history = await page
    .locator('#follow-up-history li')
    .evaluateAll((lis) => lis.map((li) => li.getAttribute('data-kind')))
  expect(history).toEqual([
    'opened',
    'note',
    'status:in_progress',
    'note',
    'status:waiting',
    'note',
    'status:resolved',
    'status:closed',
  ])
  expect(web.cspViolations).toEqual([])
})

test('a manager reads the report and clicks through to the cases behind a figure', async () => {
  await web.signIn('max')
  await page.waitForSelector('#calls tbody tr[data-call-id]')
  await page.click('#nav-follow-ups')
  await page.click('a[href="#/follow-ups/report"]')
  await page.waitForSelector('#follow-up-by-team tbody tr')
  const month = new Date().toISOString().slice(0, 7)
  const report = (await api.call('GET', `/v1/follow-ups/report?month=${month}`, 'max')).body
  const teams = await rowsOf('#follow-up-by-team')
  expect(teams.map((r) => [r[0], r[1], r[2]])).toEqual(
    report.by_team.map((t: { key: string; opened: number; resolved: number }) => [
      t.key,
      String(t.opened),
      String(t.resolved),
    ]),
  )
  expect(teams.find((r) => r[0] === 'service-desk')?.slice(1, 3)).toEqual(['2', '1'])
  // The resolved count of service-desk opens that one case.
  await page.click('#follow-up-by-team tr[data-key="service-desk"] td:nth-child(3) a')
  await page.waitForSelector('#follow-ups tbody tr[data-follow-up]')
  const listed = await rowsOf('#follow-ups')
  expect(listed.map((r) => [r[5], r[7]])).toEqual([['service-desk', 'closed']])
  // The call view shows its case (cy, an agent, sees only their own calls; a manager sees all).
  const call = api.idOf.get('call-11-phone-music-hold.wav') as number
  await page.goto(`${api.base}/#/calls/${call}`)
  await page.waitForSelector('#call-follow-up a[href^="#/follow-ups/"]')
  expect(await page.locator('#call-follow-up').textContent()).toContain('closed')
  // TOP issues: each category's follow-ups and how many were resolved.
  await page.click('#nav-reports')
  await page.fill('input[name=month]', '2026-11')
  await page.click('form.filters button[type=submit]')
  await page.waitForSelector('#top-issues tbody tr')
  const outage = await page
    .locator('#top-issues tbody tr[data-category="technical/service-down"]')
    .evaluate((tr: { children: ArrayLike<{ textContent: string | null }> }) =>
      Array.from(tr.children, (td) => td.textContent),
    )
  const headings = await page.locator('#top-issues thead th').allTextContents()
  expect(outage[headings.indexOf('Follow-ups')]).toBe('2')
  expect(outage[headings.indexOf('Resolved')]).toBe('50%')
  expect(web.cspViolations).toEqual([])
})
