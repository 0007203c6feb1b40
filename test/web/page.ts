/**
 * The review page in a real browser (Debian's Chromium, driven by playwright-core) against the real
 * API on the run's database, for the browser tests of each view: the calls they need ingested,
 * the users they sign in as, and what the browser reported against the page's
 * Content-Security-Policy while they ran.
 */
import { existsSync } from 'node:fs'
import { type Browser, chromium, type Page } from 'playwright-core'
import type { Role } from '../../db/queries/users.js'
import type { LiveSettings } from '../../live/settings.js'
import { type ApiHarness, startApi } from '../helpers/api.js'

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'

/** The people the view tests sign in as: two reviewers, a manager, a trainer and two agents. */
export const PAGE_USERS: ReadonlyArray<readonly [string, Role]> = [
  ['rita', 'reviewer'],
  ['ravi', 'reviewer'],
  ['max', 'manager'],
  ['tina', 'trainer'],
  ['a.sam', 'agent'],
  ['a.kim', 'agent'],
]

export interface PageHarness {
  api: ApiHarness
  page: Page
  /** What the browser reported against the page's Content-Security-Policy so far. */
  cspViolations: string[]
  /** Opens the page and signs in with the user's token (or any text, to see it refused). */
  signIn(tokenOrUser: string): Promise<void>
  close(): Promise<void>
}

export async function openPage(
  name: string,
  options: {
    files: string[]
    users: ReadonlyArray<readonly [string, Role, string?]>
    asr?: boolean
    processor?: boolean
    live?: Partial<LiveSettings>
    beforeIngest?: (db: import('../../db/index.js').Database) => Promise<void>
  },
): Promise<PageHarness> {
  if (!existsSync(CHROMIUM))
    throw new Error(`no browser at ${CHROMIUM}: apt-get install chromium (or set CHROMIUM_PATH)`)
  const api = await startApi(name, options)
  let browser: Browser | undefined
  try {
    // --no-sandbox: CI runs as root, where Chromium's sandbox cannot start.
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--no-sandbox', '--autoplay-policy=no-user-gesture-required'],
    })
    const page = await browser.newPage()
    const cspViolations: string[] = []
    page.on('console', (m) => {
      if (/Content Security Policy/i.test(m.text())) cspViolations.push(m.text())
    })
    const opened = browser
    return {
      api,
      page,
      cspViolations,
      async signIn(tokenOrUser) {
        // Whoever was signed in before is forgotten: the form shows.
        await page.goto(`${api.base}/`)
        await page.evaluate(() =>
          (globalThis as unknown as { sessionStorage: { clear(): void } }).sessionStorage.clear(),
        )
        await page.goto(`${api.base}/#/`)
        await page.reload()
        await page.fill('input[name=token]', api.tokens[tokenOrUser] ?? tokenOrUser)
        await page.click('button[type=submit]')
      },
      async close() {
        await opened.close()
        await api.close()
      },
    }
  } catch (err) {
    await browser?.close()
    await api.close()
    throw err
  }
}

/**
 * A reviewer's submitted review of a call's automatic evaluation on `card`, made through the API:
 * the first failed item turned to pass, manual items answered pass.
 */
export async function submitReview(
  api: ApiHarness,
  callId: number,
  who: string,
  card = 'inbound-support-en',
) {
  const detail = (await api.call('GET', `/v1/calls/${callId}`, who)).body
  const auto = detail.evaluations.find(
    (e: { source: string; scorecard_key: string }) => e.source === 'auto' && e.scorecard_key === card,
  )
  const review = (await api.call('POST', `/v1/evaluations/${auto.id}/reviews`, who)).body
  const items = review.items as Array<{ item_key: string; result: string }>
  const failed = items.find((i) => i.result === 'fail')
  const answers = [
    ...(failed ? [{ item_key: failed.item_key, result: 'pass', comment: 'heard it on the call' }] : []),
    ...items.filter((i) => i.result === 'pending').map((i) => ({ item_key: i.item_key, result: 'pass' })),
  ]
  const saved = await api.call('PATCH', `/v1/reviews/${review.id}`, who, { items: answers })
  if (saved.status !== 200) throw new Error(`review not saved: ${JSON.stringify(saved.body)}`)
  const submitted = await api.call('POST', `/v1/reviews/${review.id}/submit`, who)
  if (submitted.status !== 200) throw new Error(`review not submitted: ${JSON.stringify(submitted.body)}`)
  return submitted.body as { id: number }
}
