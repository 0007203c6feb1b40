/**
 * Coaching in a real browser, for a trainer: a clip cut from the player (dragged on the waveform
 * or taken from the player's position), found by tag, added to a playlist and played.
 */
import { afterAll, beforeAll, expect, test } from 'vitest'
import { openPage, PAGE_USERS, type PageHarness } from './page.js'

let web: PageHarness
let api: PageHarness['api']
let page: PageHarness['page']
let callId: number

beforeAll(async () => {
  web = await openPage('web/coaching', {
    files: ['call-04-phone-dead-air.wav'],
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

test('a trainer cuts a clip from the player, finds it by tag, adds it to a playlist and plays it', async () => {
  await signIn('tina')
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
  await signIn('a.kim')
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

// Last: every flow above ran under the page's policy.
test('nothing the page did broke its Content-Security-Policy', () => {
  expect(web.cspViolations).toEqual([])
})
