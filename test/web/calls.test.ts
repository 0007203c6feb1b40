/**
 * The call list and the call view in a real browser: sign-in (a wrong token refused), the list with
 * each call's QA % and flags, search by words, a μ-law call played through a signed link and its
 * playable copy, seeking from the transcript, the waveform and the timeline, a mono call's notes,
 * and an agent who sees only their own calls.
 */

import { afterAll, beforeAll, expect, test } from 'vitest'
import { pocketsphinxUnavailable } from '../../analysis/stages/transcribe.js'
import { openPage, PAGE_USERS, type PageHarness } from './page.js'

let web: PageHarness
let api: PageHarness['api']
let page: PageHarness['page']
let callId: number

beforeAll(async () => {
  web = await openPage('web/calls', {
    // call-03 has no transcript: PocketSphinx makes one (when installed), and on espeak's voices
    // its confidence is low, which the page must say.
    asr: true,
    files: ['call-04-phone-dead-air.wav', 'call-01-clean-billing.flac', 'call-03-mono-delivery.wav'],
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

test('a wrong token is refused on the page; the right one shows the calls', async () => {
  // The page's own files only: no inline script or style, no framing.
  const index = await fetch(`${api.base}/`)
  expect(index.headers.get('content-type')).toMatch(/^text\/html/)
  expect(index.headers.get('content-security-policy')).toContain("script-src 'self'")
  await signIn('cqa_not-a-token')
  await expect.poll(() => page.textContent('[role=alert]')).toContain('the bearer token is not valid')
  await signIn('rita')
  await page.waitForSelector('#calls tbody tr[data-call-id]')
  expect(await page.textContent('#who')).toBe('rita (reviewer)')
  expect(await page.locator('#calls tbody tr[data-call-id]').count()).toBe(3)
  // QA % is one card's score, the card named on hover: the API's figure for each row.
  const listed = (await api.call('GET', '/v1/calls?limit=50', 'rita')).body.items as Array<{
    id: number
    qa_percent: number | null
    qa_scorecard: string | null
  }>
  for (const c of listed) {
    const cell = page.locator(`#calls tbody tr[data-call-id="${c.id}"] td:nth-child(8)`)
    expect(await cell.textContent()).toBe(c.qa_percent === null ? '–' : c.qa_percent.toFixed(1))
    expect(await cell.getAttribute('title')).toBe(c.qa_scorecard ?? '')
  }
  expect(listed.every((c) => c.qa_scorecard === null || c.qa_scorecard !== 'compliance-deduction')).toBe(true)
  // The mono call's recognised text is of low confidence: its row says so before it is opened.
  if (pocketsphinxUnavailable() === undefined)
    expect(
      await page.textContent(
        `#calls tbody tr[data-call-id="${api.idOf.get('call-03-mono-delivery.wav')}"] .flags`,
      ),
    ).toContain('low-confidence text')
  // A search by words said narrows the list (call-04's customer asks to move a payment date).
  await page.fill('input[name=q]', 'payment date')
  await page.click('form.filters button[type=submit]')
  await expect.poll(() => page.locator('#calls tbody tr[data-call-id]').count()).toBe(1)
  expect(await page.getAttribute('#calls tbody tr[data-call-id]', 'data-call-id')).toBe(String(callId))
})

test('the call plays in the browser, and a click on a line of the transcript seeks there', async () => {
  await page.click(`#calls tbody tr[data-call-id="${callId}"]`)
  await page.waitForSelector('#transcript .utt')
  const detail = (await api.call('GET', `/v1/calls/${callId}`, 'rita')).body
  // The browser decoded the recording (a μ-law WAV it cannot play itself): its length is the call's.
  // Browser-side functions typed by hand: the test is compiled without the DOM's types, and the
  // page's CSP forbids string evaluation.
  const audio = page.locator('audio')
  // The first request makes the playable copy with ffmpeg: allow for a busy machine.
  await expect
    .poll(() => audio.evaluate((a: { duration: number }) => (Number.isFinite(a.duration) ? a.duration : 0)), {
      timeout: 30_000,
    })
    .toBeGreaterThan(0)
  const duration = await audio.evaluate((a: { duration: number }) => a.duration)
  expect(Math.abs(duration * 1000 - detail.call.duration_ms)).toBeLessThan(50)
  expect(await page.locator('#timeline .seg').count()).toBe(detail.segments.length)
  // Placed by time (the page's CSP forbids inline style attributes; the CSSOM is what works).
  const box = (await page.locator('#timeline').boundingBox()) as { x: number; width: number }
  const first = detail.segments[0]
  const seg = (await page.locator('#timeline .seg').first().boundingBox()) as { x: number; width: number }
  expect(seg.x - box.x).toBeCloseTo((first.startMs / detail.call.duration_ms) * box.width, -1)
  expect(seg.width).toBeCloseTo(((first.endMs - first.startMs) / detail.call.duration_ms) * box.width, -1)
  expect(await page.locator('#transcript .utt').count()).toBe(detail.utterances.length)
  const third = detail.utterances[2]
  await page.locator('#transcript .utt').nth(2).click()
  await expect
    .poll(() => audio.evaluate((a: { currentTime: number }) => a.currentTime))
    .toBeGreaterThanOrEqual(third.start_ms / 1000 - 0.05)
  // The same from the keyboard: focus the fifth line, Enter.
  const fifth = detail.utterances[4]
  await page.locator('#transcript .utt').nth(4).focus()
  await page.keyboard.press('Enter')
  await expect
    .poll(() => audio.evaluate((a: { currentTime: number }) => a.currentTime))
    .toBeGreaterThanOrEqual(fifth.start_ms / 1000 - 0.05)
  await audio.evaluate((a: { pause(): void }) => a.pause())
  // The waveform: drawn from the server's peaks, one row per channel of this stereo call; a click
  // at its middle seeks the player there.
  await expect.poll(() => page.getAttribute('#waveform', 'data-channels')).toBe('2')
  await expect.poll(() => page.locator('#waveform canvas').count()).toBeGreaterThan(0)
  const wave = (await page.locator('#waveform').boundingBox()) as {
    x: number
    y: number
    width: number
    height: number
  }
  await page.mouse.click(wave.x + wave.width / 2, wave.y + wave.height / 2)
  await expect
    .poll(() => audio.evaluate((a: { currentTime: number }) => a.currentTime))
    .toBeGreaterThan(duration / 2 - 1.5)
  expect(await audio.evaluate((a: { currentTime: number }) => a.currentTime)).toBeLessThan(duration / 2 + 1.5)
  await audio.evaluate((a: { pause(): void }) => a.pause())
  // Where the call's 16 s of dead air is, marked on the timeline as the metrics counted it.
  expect(await page.locator('#timeline .mark.dead-air').count()).toBe(detail.metrics.dead_air_count)
  expect(detail.metrics.dead_air_count).toBeGreaterThan(0)
  // Each speaker's sentiment over time: a bar per scored utterance, on its speaker's lane.
  const scored = detail.utterances.filter((u: { sentiment: number | null }) => u.sentiment !== null)
  expect(await page.locator('#sentiment .bar').count()).toBe(scored.length)
  expect(await page.locator('#sentiment .sentiment-lane.customer .bar.neg').count()).toBe(
    scored.filter((u: { speaker: string; sentiment: number }) => u.speaker === 'customer' && u.sentiment < 0)
      .length,
  )
  // How the parties were found is said above the player: the agent on the left, by what was said.
  expect(await page.textContent('#call-notes')).toMatch(
    /The agent is the left channel, from what each party said/,
  )
})

test('a mono call says its two voices were told apart, and what one channel cannot measure', async () => {
  const mono = api.idOf.get('call-03-mono-delivery.wav') as number
  await page.goto(`${api.base}/#/calls/${mono}`)
  await page.waitForSelector('#call-notes')
  const notes = (await page.textContent('#call-notes')) ?? ''
  expect(notes).toMatch(/Agent and customer were told apart on one channel/)
  expect(notes).toMatch(/Overlap and interruptions cannot be measured/)
  expect(notes).toMatch(/The agent is the first voice/)
  if (pocketsphinxUnavailable() === undefined) {
    expect(notes).toMatch(/Transcript from speech recognition with low confidence \(0\.\d\d\)/)
    expect(await page.textContent('.call-head')).toContain(
      'Customer sentiment: not computed (low-confidence text)',
    )
  }
  // Both parties have their lanes on the timeline.
  expect(await page.locator('#timeline .lane.agent .seg').count()).toBeGreaterThan(0)
  expect(await page.locator('#timeline .lane.customer .seg').count()).toBeGreaterThan(0)
})

test('an agent signed in sees only their own calls', async () => {
  await page.click('#sign-out')
  // Signed out: no navigation shows (the nav's display:flex once overrode its hidden attribute).
  expect(await page.locator('#nav').isHidden()).toBe(true)
  await signIn('a.sam')
  await page.waitForSelector('#calls tbody tr[data-call-id]')
  // a.sam has call-01 only; call-04 is a.kim's.
  const flac = api.idOf.get('call-01-clean-billing.flac') as number
  expect(await page.locator('#calls tbody tr[data-call-id]').count()).toBe(1)
  expect(await page.getAttribute('#calls tbody tr[data-call-id]', 'data-call-id')).toBe(String(flac))
  expect(await page.locator('#nav-queue').isHidden()).toBe(true)
  expect(await page.locator('#nav-trends').isHidden()).toBe(true)
  await page.goto(`${api.base}/#/calls/${callId}`)
  await expect.poll(() => page.textContent('[role=alert]')).toContain(`no call ${callId}`)
})

// Last: every flow above ran under the page's policy.
test('nothing the page did broke its Content-Security-Policy', () => {
  expect(web.cspViolations).toEqual([])
})
