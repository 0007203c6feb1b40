/**
 * The trends in a real browser, for a manager: the table the API computes and its CSV, the chart
 * and a click on a point through to the calls behind it, and the automatic evaluation against
 * the human one (a reviewer's submitted review of call-04, made through the API before).
 */
import { afterAll, beforeAll, expect, test } from 'vitest'
import { openPage, PAGE_USERS, type PageHarness, submitReview } from './page.js'

let web: PageHarness
let api: PageHarness['api']
let page: PageHarness['page']
let callId: number

beforeAll(async () => {
  web = await openPage('web/trends', {
    files: ['call-04-phone-dead-air.wav', 'call-01-clean-billing.flac'],
    users: PAGE_USERS,
  })
  api = web.api
  page = web.page
  callId = api.idOf.get('call-04-phone-dead-air.wav') as number
  // rita's submitted review of call-04: counted as reviewed, and automatic against human.
  await submitReview(api, callId, 'rita')
}, 180_000)
afterAll(async () => {
  await web?.close()
})

const signIn = (who: string) => web.signIn(who)

test('a manager sees the trends the API computes, and downloads them as CSV', async () => {
  await signIn('max')
  await page.waitForSelector('#calls tbody tr[data-call-id]')
  await page.click('#nav-trends')
  await page.fill('input[name=from]', '2026-11-01')
  await page.fill('input[name=to]', '2026-12-01')
  await page.selectOption('select[name=group_by]', 'team')
  await page.selectOption('select[name=period]', 'month')
  await page.click('form.filters button[type=submit]')
  await page.waitForSelector('#trends tbody tr td[data-key=group]')
  const api_ = await api.call(
    'GET',
    '/v1/trends?from=2026-11-01T00:00:00Z&to=2026-12-01T00:00:00Z&group_by=team&period=month',
    'max',
  )
  const rows = await page
    .locator('#trends tbody tr')
    .evaluateAll((trs: Array<{ children: ArrayLike<{ textContent: string | null }> }>) =>
      trs.map((tr) => Array.from(tr.children, (td) => td.textContent)),
    )
  expect(rows).toHaveLength(api_.body.items.length)
  // Both calls are billing-east's; rita's submitted review of call-04 is counted as reviewed.
  expect(rows[0]?.slice(0, 5)).toEqual([
    '2026-11-01',
    'billing-east',
    '2',
    String(api_.body.items[0].qa_percent),
    '1',
  ])
  const [download] = await Promise.all([page.waitForEvent('download'), page.click('#csv')])
  const text = await (await download.createReadStream()).toArray()
  const csv = Buffer.concat(text as Buffer[])
    .toString('utf8')
    .trim()
    .split('\r\n')
  expect(csv[0]).toMatch(/^period,group,calls,qa_percent,qa_evaluations,qa_reviewed,/)
  expect(csv).toHaveLength(1 + api_.body.items.length)
})

test('a manager reads the trends as a chart, clicks a point through to the calls behind it, and sees auto against human', async () => {
  await page.click('#sign-out')
  await signIn('max')
  await page.waitForSelector('#calls tbody tr[data-call-id]')
  await page.goto(`${api.base}/#/trends?from=2026-11-01&to=2026-12-01&group_by=team&period=week&metric=calls`)
  await page.waitForSelector('#trend-chart canvas')
  const range = 'from=2026-11-01T00:00:00Z&to=2026-12-01T00:00:00Z'
  const rows = (await api.call('GET', `/v1/trends?${range}&group_by=team&period=week`, 'max')).body
    .items as Array<{
    period: string
    group: string
    calls: number
  }>
  const point = rows[0] as { period: string; group: string; calls: number }
  const groups = [...new Set(rows.map((r) => r.group))].sort()
  const periods = [...new Set(rows.map((r) => r.period))].sort()
  type Plot = {
    plot: {
      over: { getBoundingClientRect(): { left: number; top: number } }
      data: number[][]
      valToPos(v: number, scale: string): number
    }
  }
  // Where the chart drew this point (the page's own uPlot instance says), then a click on it.
  const at = await page.locator('#trend-chart').evaluate(
    (el: Plot, [series = 0, index = 0]: number[]) => {
      const u = el.plot
      const box = u.over.getBoundingClientRect()
      return {
        x: box.left + u.valToPos(u.data[0]?.[index] as number, 'x'),
        y: box.top + u.valToPos(u.data[series]?.[index] as number, 'y'),
      }
    },
    [groups.indexOf(point.group) + 1, periods.indexOf(point.period)],
  )
  await page.mouse.move(at.x, at.y)
  await page.mouse.click(at.x, at.y)
  await page.waitForURL(/#\/calls\?/)
  const query = new URLSearchParams(page.url().split('#/calls?')[1])
  expect(query.get('team')).toBe(point.group)
  expect(query.get('from')).toBe(`${point.period}T00:00:00Z`)
  // The list behind the point is that team's calls of that week: as many as the chart counted.
  await page.waitForSelector('#calls tbody tr[data-call-id]')
  expect(await page.locator('#calls tbody tr[data-call-id]').count()).toBe(point.calls)

  // Automatic against human: the API's rows, on the trends page.
  await page.goto(`${api.base}/#/trends?from=2026-11-01&to=2099-01-01&group_by=team&period=month`)
  await page.waitForSelector('#agreement tbody tr')
  const agreement = (
    await api.call(
      'GET',
      '/v1/trends/agreement?from=2026-11-01T00:00:00Z&to=2099-01-01T00:00:00Z&period=month',
      'max',
    )
  ).body.items as Array<{ item_key: string; fail_to_pass: number }>
  expect(await page.locator('#agreement tbody tr').count()).toBe(agreement.length)
  expect(agreement.some((r) => r.fail_to_pass > 0)).toBe(true)
})

// Last: every flow above ran under the page's policy.
test('nothing the page did broke its Content-Security-Policy', () => {
  expect(web.cspViolations).toEqual([])
})
