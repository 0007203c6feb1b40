/**
 * The review page in a real browser (Debian's Chromium, driven by playwright-core) against the real
 * API on the run's database: sign in, find a call, play it (a μ-law recording, through a signed
 * link and the playable copy), seek from the transcript, open a review from the automatic
 * evaluation, override and comment, save, submit — then check through the API what was stored.
 */
import { existsSync } from 'node:fs'
import { type Browser, chromium, type Page } from 'playwright-core'
import { afterAll, beforeAll, expect, test } from 'vitest'
import { pocketsphinxUnavailable } from '../../analysis/stages/transcribe.js'
import { type ApiHarness, startApi } from '../helpers/api.js'

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'
let api: ApiHarness
let browser: Browser
let page: Page
let callId: number
/** What the browser reported against the page's Content-Security-Policy, over all the tests. */
const cspViolations: string[] = []

beforeAll(async () => {
  if (!existsSync(CHROMIUM))
    throw new Error(`no browser at ${CHROMIUM}: apt-get install chromium (or set CHROMIUM_PATH)`)
  api = await startApi('web/review-page', {
    // call-03 has no transcript: PocketSphinx makes one (when installed), and on espeak's voices
    // its confidence is low, which the page must say.
    asr: true,
    files: ['call-04-phone-dead-air.wav', 'call-01-clean-billing.flac', 'call-03-mono-delivery.wav'],
    users: [
      ['rita', 'reviewer'],
      ['ravi', 'reviewer'],
      ['max', 'manager'],
      ['tina', 'trainer'],
      ['a.sam', 'agent'],
      ['a.kim', 'agent'],
    ],
  })
  callId = api.idOf.get('call-04-phone-dead-air.wav') as number
  // --no-sandbox: CI runs as root, where Chromium's sandbox cannot start.
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--autoplay-policy=no-user-gesture-required'],
  })
  page = await browser.newPage()
}, 180_000)
afterAll(async () => {
  await browser?.close()
  await api?.close()
})

async function signIn(token: string) {
  await page.goto(`${api.base}/`)
  await page.fill('input[name=token]', token)
  await page.click('button[type=submit]')
}

test('a wrong token is refused on the page; the right one shows the calls', async () => {
  // The page's own files only: no inline script or style, no framing.
  const index = await fetch(`${api.base}/`)
  expect(index.headers.get('content-type')).toMatch(/^text\/html/)
  expect(index.headers.get('content-security-policy')).toContain("script-src 'self'")
  page.on('console', (m) => {
    if (/Content Security Policy/i.test(m.text())) cspViolations.push(m.text())
  })
  await signIn('cqa_not-a-token')
  await expect.poll(() => page.textContent('[role=alert]')).toContain('the bearer token is not valid')
  await signIn(api.tokens.rita as string)
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

test('a review: opened from the automatic evaluation, answered, saved, submitted, audited', async () => {
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

test('a manager sees the trends the API computes, and downloads them as CSV', async () => {
  await page.click('#sign-out')
  await signIn(api.tokens.max as string)
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
  await signIn(api.tokens['a.sam'] as string)
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

test('an agent disputes an item of a review of their call on the page, and the reviewer decides it there', async () => {
  await page.click('#sign-out')
  await signIn(api.tokens['a.kim'] as string)
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
  await signIn(api.tokens.rita as string)
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

test('a QA lead draws a seeded sample on the page, gets the same draw again, saves and assigns it', async () => {
  await page.click('#sign-out')
  await signIn(api.tokens.max as string)
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
  await signIn(api.tokens.max as string)
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
  await signIn(api.tokens.max as string)
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

test('a trainer cuts a clip from the player, finds it by tag, adds it to a playlist and plays it', async () => {
  await page.click('#sign-out')
  await signIn(api.tokens.tina as string)
  await page.waitForSelector('#calls tbody tr[data-call-id]')
  await page.goto(`${api.base}/#/calls/${callId}`)
  await page.waitForSelector('#clip-cutter')
  const audio = page.locator('#player')
  await expect
    .poll(() => audio.evaluate((a: { duration: number }) => (Number.isFinite(a.duration) ? a.duration : 0)), {
      timeout: 30_000,
    })
    .toBeGreaterThan(0)
  // A drag across the waveform selects a span: from a tenth to three tenths of the call.
  await expect.poll(() => page.locator('#waveform canvas').count()).toBeGreaterThan(0)
  const wave = (await page.locator('#waveform').boundingBox()) as {
    x: number
    y: number
    width: number
    height: number
  }
  const length = await audio.evaluate((a: { duration: number }) => a.duration)
  await page.mouse.move(wave.x + wave.width * 0.1, wave.y + wave.height / 2)
  await page.mouse.down()
  await page.mouse.move(wave.x + wave.width * 0.2, wave.y + wave.height / 2, { steps: 5 })
  await page.mouse.move(wave.x + wave.width * 0.3, wave.y + wave.height / 2, { steps: 5 })
  await page.mouse.up()
  const asClock = (s: number) => `${Math.floor(s / 60)}:${String(Math.round(s % 60)).padStart(2, '0')}`
  await expect.poll(() => page.inputValue('input[name=clip_start]')).toBe(asClock(length * 0.1))
  expect(await page.inputValue('input[name=clip_end]')).toBe(asClock(length * 0.3))
  // Or the span is taken from where the player is.
  await audio.evaluate((a: { currentTime: number }) => {
    a.currentTime = 2
  })
  await page.click('#clip-from-here')
  await audio.evaluate((a: { currentTime: number }) => {
    a.currentTime = 6
  })
  await page.click('#clip-to-here')
  expect(await page.inputValue('input[name=clip_start]')).toBe('0:02')
  await page.fill('input[name=clip_title]', 'A clear greeting')
  await page.fill('input[name=clip_tags]', 'Greeting, opening')
  await page.fill('input[name=clip_item]', 'inbound-support-en/greeting')
  await page.selectOption('select[name=clip_polarity]', 'good')
  await page.click('#save-clip')
  await expect.poll(() => page.textContent('#clip-message')).toMatch(/Clip \d+ saved \(0:02–0:06\)/)
  const clips = (await api.call('GET', `/v1/clips?call_id=${callId}`, 'tina')).body
  expect(clips).toHaveLength(1)
  expect(clips[0]).toMatchObject({
    start_ms: 2000,
    end_ms: 6000,
    title: 'A clear greeting',
    tags: ['greeting', 'opening'],
    scorecard_key: 'inbound-support-en',
    item_key: 'greeting',
    polarity: 'good',
    created_by: 'tina',
  })
  const clipId = clips[0].id as number

  await page.click('#nav-coaching')
  await page.fill('form.filters input[name=tag]', 'greeting')
  await page.click('form.filters button[type=submit]')
  await page.waitForSelector(`#clips li[data-clip-id="${clipId}"]`)
  await page.fill('input[name=name]', 'onboarding')
  await page.click('#create-playlist')
  await page.waitForSelector('section.playlist')
  await page.selectOption(`#clips li[data-clip-id="${clipId}"] select[name=playlist]`, {
    label: 'onboarding',
  })
  await expect.poll(() => page.textContent('section.playlist h3')).toBe('onboarding (1)')
  const playlists = (await api.call('GET', '/v1/playlists', 'tina')).body as Array<{
    id: number
    name: string
  }>
  const onboarding = playlists.find((p) => p.name === 'onboarding') as { id: number }
  const stored = (await api.call('GET', `/v1/playlists/${onboarding.id}`, 'tina')).body
  expect(stored.clips.map((c: { id: number }) => c.id)).toEqual([clipId])
  // A second clip (through the API), added on the page, then moved to the top of the playlist.
  const second = (
    await api.call('POST', '/v1/clips', 'tina', {
      call_id: callId,
      start_ms: 20_000,
      end_ms: 25_000,
      title: 'The hold, explained',
      tags: ['hold'],
    })
  ).body.id as number
  await page.goto(`${api.base}/#/coaching`)
  await page.waitForSelector(`#clips li[data-clip-id="${second}"]`)
  await page.selectOption(`#clips li[data-clip-id="${second}"] select[name=playlist]`, {
    label: 'onboarding',
  })
  await expect.poll(() => page.textContent('section.playlist h3')).toBe('onboarding (2)')
  await page.click(`section.playlist li[data-clip-id="${second}"] button.move-up`)
  await expect
    .poll(async () =>
      (await api.call('GET', `/v1/playlists/${onboarding.id}`, 'tina')).body.clips.map(
        (c: { id: number }) => c.id,
      ),
    )
    .toEqual([second, clipId])
  await page.waitForSelector(`section.playlist li[data-clip-id="${clipId}"] button.play-clip`)
  // Shared with call-04's team (billing-east): its agent a.kim sees the playlist on the page.
  await page.fill('section.playlist input[name=team]', 'billing-east')
  await page.click('section.playlist form.share button[type=submit]')
  await expect
    .poll(async () => (await api.call('GET', `/v1/playlists/${onboarding.id}`, 'tina')).body.shared_with_team)
    .toBe('billing-east')
  await page.waitForSelector(`section.playlist li[data-clip-id="${clipId}"] button.play-clip`)
  // The clip plays on its own: four seconds, through a signed link.
  await page.click(`section.playlist li[data-clip-id="${clipId}"] button.play-clip`)
  const clipPlayer = page.locator(`section.playlist li[data-clip-id="${clipId}"] audio`)
  await expect
    .poll(() =>
      clipPlayer.evaluate((a: { duration: number }) => (Number.isFinite(a.duration) ? a.duration : 0)),
    )
    .toBeCloseTo(4, 1)

  // a.kim (billing-east) opens Coaching: the shared playlist, and its clip plays for them too.
  await page.click('#sign-out')
  await signIn(api.tokens['a.kim'] as string)
  await page.waitForSelector('#calls tbody tr[data-call-id]')
  await page.click('#nav-coaching')
  await page.waitForSelector(`section.playlist[data-playlist-id="${onboarding.id}"]`)
  expect(await page.locator('#clips').count()).toBe(0)
  await page.click(`section.playlist li[data-clip-id="${clipId}"] button.play-clip`)
  await expect
    .poll(() =>
      page
        .locator(`section.playlist li[data-clip-id="${clipId}"] audio`)
        .evaluate((a: { duration: number }) => (Number.isFinite(a.duration) ? a.duration : 0)),
    )
    .toBeCloseTo(4, 1)
})

test('a manager reads the trends as a chart, clicks a point through to the calls behind it, and sees auto against human', async () => {
  await page.click('#sign-out')
  await signIn(api.tokens.max as string)
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

test('a reviewer sees what a call is about and why, and prints the TOP issues the API computes', async () => {
  await page.goto(`${api.base}/`)
  await page.evaluate(() =>
    (globalThis as unknown as { sessionStorage: { clear(): void } }).sessionStorage.clear(),
  )
  await signIn(api.tokens.rita as string)
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
  expect(cspViolations).toEqual([])
})
