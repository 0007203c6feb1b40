/**
 * The README's pictures of the page, made from the demo data: the sample calls ingested into an
 * in-memory database, the page served on a free port, Debian's Chromium (playwright-core, no
 * browser download) signed in as a manager. Writes docs/img/call-view.png (the overtalk sample:
 * waveform, lanes, sentiment, transcript, evaluations) and docs/img/trends.png (QA % per team and
 * week, as a chart and a table) and docs/img/top-issues.png (the month's TOP issues).
 *
 *   npx tsx scripts/screenshots.ts        (CHROMIUM_PATH to use another browser)
 */
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { chromium } from 'playwright-core'
import { startApi } from '../test/helpers/api.js'

const root = path.join(path.dirname(fileURLToPath(import.meta.url)), '..')
const out = (name: string) => path.join(root, 'docs', 'img', name)

const api = await startApi('screenshots', { users: [['max', 'manager']] })
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
  args: ['--no-sandbox'],
})
try {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } })
  await page.goto(`${api.base}/`)
  await page.fill('input[name=token]', api.tokens.max as string)
  await page.click('button[type=submit]')
  await page.waitForSelector('#calls tbody tr[data-call-id]')

  const call = api.idOf.get('call-05-phone-overtalk.wav') as number
  const detail = (await api.call('GET', `/v1/calls/${call}`, 'max')).body
  const auto = detail.evaluations.find(
    (e: { source: string; scorecard_key: string }) =>
      e.source === 'auto' && e.scorecard_key === 'inbound-support-en',
  )
  await page.goto(`${api.base}/#/calls/${call}/evaluations/${auto.id}`)
  await page.waitForSelector('#waveform canvas')
  await page.waitForSelector('#evaluation .item')
  await page.screenshot({ path: out('call-view.png'), fullPage: false })

  await page.goto(
    `${api.base}/#/trends?from=2026-11-01&to=2026-12-01&group_by=team&period=week&metric=qa_percent`,
  )
  await page.waitForSelector('#trend-chart canvas')
  await page.screenshot({ path: out('trends.png'), fullPage: false })

  await page.goto(`${api.base}/#/reports?month=2026-11&level=2`)
  await page.waitForSelector('#top-issues tbody tr')
  await page.waitForSelector('#emerging p')
  await page.screenshot({ path: out('top-issues.png'), fullPage: false })
  console.log(`wrote ${out('call-view.png')}, ${out('trends.png')} and ${out('top-issues.png')}`)
} finally {
  await browser.close()
  await api.close()
}
