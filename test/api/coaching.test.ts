/** Coaching over real HTTP: clips (cut by real ffmpeg), search, playlists, suggestions, roles, audit. */
import { readFileSync } from 'node:fs'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import wavefile from 'wavefile'
import { type ApiHarness, startApi } from '../helpers/api.js'
import { ffmpeg, sample, tempDir } from '../helpers/audio.js'

let api: ApiHarness
let deadAir: number
let billing: number
const tmp = tempDir()
const clipIds: number[] = []

beforeAll(async () => {
  api = await startApi('api/coaching', {
    files: [
      'call-01-clean-billing.flac',
      'call-04-phone-dead-air.wav',
      'call-05-phone-overtalk.wav',
      'call-06-phone-angry.wav',
    ],
    users: [
      ['tina', 'trainer'],
      ['ada', 'admin'],
      ['max', 'manager'],
      ['rita', 'reviewer'],
      ['a.kim', 'agent'],
      ['a.lee', 'agent'],
    ],
  })
  deadAir = api.idOf.get('call-04-phone-dead-air.wav') as number
  billing = api.idOf.get('call-01-clean-billing.flac') as number
}, 180_000)
afterAll(async () => {
  await api?.close()
  tmp.remove()
})

const greeting = {
  start_ms: 500,
  end_ms: 4500,
  title: 'Name and company in the first breath',
  note: 'Listen for the name',
  tags: ['Greeting', 'opening'],
  scorecard_key: 'inbound-support-en',
  item_key: 'greeting',
  polarity: 'good',
}

describe('clips', () => {
  test('trainers and admins cut clips; others read or nothing', async () => {
    const body = { ...greeting, call_id: deadAir }
    expect((await api.call('POST', '/v1/clips', null, body)).status).toBe(401)
    for (const who of ['max', 'rita', 'a.kim'])
      expect((await api.call('POST', '/v1/clips', who, body)).status, who).toBe(403)
    expect((await api.call('GET', '/v1/clips', 'a.kim')).status).toBe(403)
    // Agents see only what a trainer shared with their team: nothing yet.
    expect((await api.call('GET', '/v1/playlists', 'a.kim')).body).toEqual([])
  })

  test('bad clips are 400 with the reason', async () => {
    const cases: Array<[Record<string, unknown>, RegExp]> = [
      [{ ...greeting, call_id: deadAir, start_ms: 5000, end_ms: 4000 }, /end_ms must be after start_ms/],
      [{ ...greeting, call_id: deadAir, end_ms: 60_000 }, /past the end of the call \(50653 ms\)/],
      [{ ...greeting, call_id: 999_999 }, /no call 999999/],
      [{ ...greeting, call_id: deadAir, scorecard_key: undefined }, /item_key needs the scorecard_key/],
      [{ ...greeting, call_id: deadAir, item_key: 'no-such' }, /has no item "no-such"/],
      [{ ...greeting, call_id: deadAir, scorecard_key: 'nope' }, /no scorecard "nope"/],
      [{ ...greeting, call_id: deadAir, tags: ['a,b'] }, /tags/],
      [{ ...greeting, call_id: deadAir, title: '' }, /title/],
    ]
    for (const [body, message] of cases) {
      const res = await api.call('POST', '/v1/clips', 'tina', body)
      expect(res.status, JSON.stringify(body)).toBe(400)
      expect(res.body.error.message).toMatch(message)
    }
    expect((await api.db.query('SELECT 1 FROM clips')).rows).toHaveLength(0)
  })

  test('a clip is created, audited, and its audio is exactly that span of the call', async () => {
    const made = await api.call('POST', '/v1/clips', 'tina', { ...greeting, call_id: deadAir })
    expect(made.status).toBe(201)
    expect(made.body).toMatchObject({
      call_id: deadAir,
      tags: ['greeting', 'opening'],
      created_by: 'tina',
      agent_id: 'a.kim',
    })
    clipIds.push(made.body.id)
    const log = await api.db.query<{ action: string; user_id: number }>(
      "SELECT action, user_id FROM audit_log WHERE entity = 'clip' AND entity_id = $1",
      [made.body.id],
    )
    expect(log.rows).toEqual([{ action: 'clip.create', user_id: api.userId.tina }])

    const res = await fetch(`${api.base}/v1/clips/${made.body.id}/audio`, {
      headers: { authorization: `Bearer ${api.tokens.rita}` },
    })
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toBe('audio/wav')
    const clip = new wavefile.WaveFile(Buffer.from(await res.arrayBuffer()))
    const fmt = clip.fmt as { sampleRate: number; numChannels: number }
    expect(fmt).toMatchObject({ sampleRate: 8000, numChannels: 2 })
    const clipSamples = clip.getSamples(true, Int16Array) as unknown as Int16Array
    expect(clipSamples.length / 2).toBe(4 * 8000)
    // The same span decoded by ffmpeg from the original, sample for sample.
    const whole = new wavefile.WaveFile(
      readFileSync(
        ffmpeg(
          ['-i', sample('call-04-phone-dead-air.wav'), '-c:a', 'pcm_s16le'],
          path.join(tmp.dir, 'w.wav'),
        ),
      ),
    )
    const all = whole.getSamples(true, Int16Array) as unknown as Int16Array
    const from = 500 * 8 * 2
    expect(Array.from(clipSamples.subarray(0, 16_000))).toEqual(Array.from(all.subarray(from, from + 16_000)))
    // Nothing is left behind in the storage's temporary folder.
    await new Promise((r) => setTimeout(r, 100))
    const { readdirSync } = await import('node:fs')
    expect(readdirSync(path.join(api.storageDir, 'tmp')).filter((f) => f.startsWith('clip-'))).toEqual([])
  })

  test('a signed link plays a clip without a token, for its user only, and a tampered one is refused', async () => {
    const id = clipIds[0] as number
    const link = await api.call('POST', `/v1/clips/${id}/audio-link`, 'rita')
    expect(link.status).toBe(200)
    expect(link.body.url).toMatch(new RegExp(`^/v1/clips/${id}/audio\\?exp=\\d+&u=\\d+&sig=`))
    const played = await fetch(`${api.base}${link.body.url}`)
    expect(played.status).toBe(200)
    expect(played.headers.get('content-type')).toBe('audio/wav')
    // The link is for this clip's audio only: another clip, or a changed signature, is refused.
    const other = link.body.url.replace(`/clips/${id}/`, `/clips/${id + 1}/`)
    expect((await fetch(`${api.base}${other}`)).status).toBe(401)
    expect((await fetch(`${api.base}${link.body.url.slice(0, -2)}xx`)).status).toBe(401)
    // An agent reaches no clip that is not in a playlist shared with their team.
    expect((await api.call('POST', `/v1/clips/${id}/audio-link`, 'a.kim')).status).toBe(404)
  })

  test('search by tags, item, polarity, words; change and delete', async () => {
    const second = await api.call('POST', '/v1/clips', 'ada', {
      call_id: billing,
      start_ms: 0,
      end_ms: 3000,
      title: 'Billing opening',
      tags: ['opening', 'billing'],
      polarity: 'bad',
    })
    expect(second.status).toBe(201)
    clipIds.push(second.body.id)
    const ids = async (query: string) =>
      (await api.call('GET', `/v1/clips${query}`, 'max')).body.map((c: { id: number }) => c.id)
    const [first, other] = clipIds as [number, number]
    expect(await ids('?tag=opening')).toEqual([other, first])
    expect(await ids('?tag=opening&tag=Billing')).toEqual([other])
    expect(await ids('?scorecard=inbound-support-en&item=greeting')).toEqual([first])
    expect(await ids('?polarity=bad')).toEqual([other])
    expect(await ids('?q=first%20breath')).toEqual([first])
    expect(await ids('?q=100%25')).toEqual([])
    expect(await ids(`?call_id=${billing}`)).toEqual([other])

    const changed = await api.call('PATCH', `/v1/clips/${other}`, 'tina', {
      title: 'Billing: flat opening',
      tags: ['opening'],
    })
    expect(changed.body).toMatchObject({ title: 'Billing: flat opening', tags: ['opening'], start_ms: 0 })
    expect((await api.call('PATCH', `/v1/clips/${other}`, 'tina', { end_ms: 10_000_000 })).status).toBe(400)
    expect((await api.call('PATCH', `/v1/clips/${other}`, 'tina', {})).status).toBe(400)
    expect((await api.call('PATCH', `/v1/clips/${other}`, 'rita', { title: 'x' })).status).toBe(403)
    const log = await api.db.query<{ before: { title: string }; after: { title: string } }>(
      "SELECT before, after FROM audit_log WHERE entity = 'clip' AND action = 'clip.update' AND entity_id = $1",
      [other],
    )
    expect(log.rows[0]).toMatchObject({
      before: { title: 'Billing opening' },
      after: { title: 'Billing: flat opening' },
    })
  })
})

describe('playlists', () => {
  test('ordered clips; reorder; unknown clips refused; deleting a clip leaves the playlist', async () => {
    const [first, second] = clipIds as [number, number]
    const made = await api.call('POST', '/v1/playlists', 'tina', {
      name: 'Openings',
      clip_ids: [second, first],
    })
    expect(made.status).toBe(201)
    expect(made.body.clips.map((c: { id: number }) => c.id)).toEqual([second, first])
    const id = made.body.id
    const reordered = await api.call('PUT', `/v1/playlists/${id}/clips`, 'tina', {
      clip_ids: [first, second],
    })
    expect(reordered.body.clips.map((c: { id: number }) => c.id)).toEqual([first, second])
    const bad = await api.call('PUT', `/v1/playlists/${id}/clips`, 'tina', { clip_ids: [first, 424242] })
    expect([bad.status, bad.body.error.message]).toEqual([400, 'no clips 424242'])
    expect((await api.call('GET', `/v1/playlists/${id}`, 'rita')).body.clips).toHaveLength(2)
    expect((await api.call('PUT', `/v1/playlists/${id}/clips`, 'max', { clip_ids: [] })).status).toBe(403)

    expect((await api.call('DELETE', `/v1/clips/${second}`, 'tina')).status).toBe(204)
    expect((await api.call('GET', `/v1/clips/${second}`, 'tina')).status).toBe(404)
    const list = await api.call('GET', '/v1/playlists', 'max')
    expect(list.body.find((p: { id: number }) => p.id === id)).toMatchObject({ name: 'Openings', clips: 1 })
    expect((await api.call('DELETE', `/v1/playlists/${id}`, 'ada')).status).toBe(204)
    expect((await api.call('GET', `/v1/playlists/${id}`, 'ada')).status).toBe(404)
    expect((await api.call('GET', `/v1/clips/${first}`, 'ada')).status).toBe(200)
    const actions = await api.db.query<{ action: string }>(
      "SELECT action FROM audit_log WHERE entity = 'playlist' AND entity_id = $1 ORDER BY id",
      [id],
    )
    expect(actions.rows.map((r) => r.action)).toEqual([
      'playlist.create',
      'playlist.clips',
      'playlist.delete',
    ])
  })
})

describe('suggestions', () => {
  test('failed item: the dead-air call, clipped around the silence the evaluator found', async () => {
    const res = await api.call(
      'GET',
      '/v1/coaching/suggestions?kind=failed_item&scorecard=inbound-support-en&item=no-long-dead-air',
      'tina',
    )
    expect(res.status).toBe(200)
    const mine = res.body.find((s: { call_id: number }) => s.call_id === deadAir)
    expect(mine).toMatchObject({
      polarity: 'bad',
      item_key: 'no-long-dead-air',
      scorecard_key: 'inbound-support-en',
    })
    const detail = await api.call('GET', `/v1/calls/${deadAir}`, 'tina')
    const item = detail.body.evaluations
      .find(
        (e: { source: string; scorecard_key: string }) =>
          e.source === 'auto' && e.scorecard_key === 'inbound-support-en',
      )
      .items.find((i: { item_key: string }) => i.item_key === 'no-long-dead-air')
    const silence = item.evidence.find((e: { type: string }) => e.type === 'interval')
    expect(mine.start_ms).toBe(Math.max(0, silence.start_ms - 2000))
    expect(mine.end_ms).toBe(silence.end_ms + 2000)
    // The ground truth puts a silent hold of over 10 s in this call: the clip spans it.
    expect(mine.end_ms - mine.start_ms).toBeGreaterThan(10_000)
    // A suggestion is ready to save as a clip.
    const { why: _w, score: _s, agent_id: _a, ...clip } = mine
    expect((await api.call('POST', '/v1/clips', 'tina', clip)).status).toBe(201)
  })

  test('passed item: greeting clips start near the phrase', async () => {
    const res = await api.call(
      'GET',
      '/v1/coaching/suggestions?kind=passed_item&scorecard=inbound-support-en&item=greeting',
      'tina',
    )
    expect(res.body.length).toBeGreaterThan(0)
    for (const s of res.body) {
      expect(s.polarity).toBe('good')
      expect(s.start_ms).toBeLessThan(15_000)
      expect(s.why).toMatch(/^".+" at \d+\.\d s$/)
    }
  })

  test('recovery: the calls whose customer went from low to high, biggest rise first', async () => {
    const metrics = await api.db.query<{ call_id: number; start: number; end: number }>(
      `SELECT call_id, customer_sentiment_start AS start, customer_sentiment_end AS "end" FROM call_metrics
       WHERE customer_sentiment_start IS NOT NULL AND customer_sentiment_end IS NOT NULL`,
    )
    // Thresholds wide enough to take every call: then the order is by the rise.
    const res = await api.call('GET', '/v1/coaching/suggestions?kind=recovery&start_max=1&end_min=-1', 'tina')
    const expected = [...metrics.rows].sort(
      (a, b) => b.end - b.start - (a.end - a.start) || a.call_id - b.call_id,
    )
    expect(res.body.map((s: { call_id: number }) => s.call_id)).toEqual(expected.map((m) => m.call_id))
    for (const s of res.body) expect(s.end_ms).toBeGreaterThan(s.start_ms)
    // With the defaults only a real rise qualifies.
    const strict = await api.call('GET', '/v1/coaching/suggestions?kind=recovery', 'tina')
    // The overtalk call's customer starts upset and ends pleased (its script says so).
    expect(strict.body.map((s: { call_id: number }) => s.call_id)).toContain(
      api.idOf.get('call-05-phone-overtalk.wav'),
    )
    expect(strict.body.map((s: { call_id: number }) => s.call_id).sort()).toEqual(
      metrics.rows
        .filter((m) => m.start <= -0.1 && m.end >= 0.1)
        .map((m) => m.call_id)
        .sort(),
    )
  })

  test('item suggestions need a real card and item', async () => {
    for (const query of [
      'kind=failed_item',
      'kind=failed_item&scorecard=inbound-support-en&item=nope',
      'kind=other',
    ]) {
      const res = await api.call('GET', `/v1/coaching/suggestions?${query}`, 'tina')
      expect(res.status, query).toBe(400)
    }
    expect((await api.call('GET', '/v1/coaching/suggestions?kind=recovery', 'a.kim')).status).toBe(403)
  })

  test("shared with a team: that team's agents see the playlist and play its clips, nothing more", async () => {
    const [first] = clipIds as [number]
    const other = (
      await api.call('POST', '/v1/clips', 'tina', { ...greeting, call_id: billing, title: 'Not shared' })
    ).body.id as number
    // A clip of a teammate's call (a.sam's), judged bad, with the trainer's own note.
    const theirs = (
      await api.call('POST', '/v1/clips', 'tina', {
        ...greeting,
        call_id: billing,
        title: 'How not to open',
        note: 'a.sam was curt here; talk to him',
        polarity: 'bad',
      })
    ).body.id as number
    const made = (
      await api.call('POST', '/v1/playlists', 'tina', { name: 'Billing basics', clip_ids: [first, theirs] })
    ).body
    expect(made.shared_with_team).toBeNull()
    // Only trainers share.
    expect(
      (await api.call('PUT', `/v1/playlists/${made.id}/team`, 'max', { team: 'billing-east' })).status,
    ).toBe(403)
    const shared = await api.call('PUT', `/v1/playlists/${made.id}/team`, 'tina', { team: 'billing-east' })
    expect(shared.body.shared_with_team).toBe('billing-east')
    // a.kim's calls are billing-east's: the playlist, its clip and the clip's audio are theirs to see.
    expect((await api.call('GET', '/v1/playlists', 'a.kim')).body.map((p: { id: number }) => p.id)).toEqual([
      made.id,
    ])
    const seen = (await api.call('GET', `/v1/playlists/${made.id}`, 'a.kim')).body.clips
    expect(seen.map((c: { id: number }) => c.id)).toEqual([first, theirs])
    // What a clip teaches, not whose call it is or how the trainer judged it: on a teammate's clip
    // no call, no agent, no polarity, no note; on their own clip, their call.
    expect(seen[1]).toMatchObject({
      title: 'How not to open',
      call_id: null,
      agent_id: null,
      polarity: null,
      note: null,
    })
    expect(seen[1].item_key).toBe('greeting')
    expect(JSON.stringify(seen)).not.toContain('a.sam')
    expect(seen[0]).toMatchObject({ call_id: deadAir, agent_id: 'a.kim', polarity: null, note: null })
    // The trainer still sees everything.
    const trainers = (await api.call('GET', `/v1/playlists/${made.id}`, 'tina')).body.clips
    expect(trainers[1]).toMatchObject({
      call_id: billing,
      polarity: 'bad',
      note: 'a.sam was curt here; talk to him',
    })
    const link = await api.call('POST', `/v1/clips/${first}/audio-link`, 'a.kim')
    expect(link.status).toBe(200)
    expect((await fetch(`${api.base}${link.body.url}`)).status).toBe(200)
    // A clip outside the shared playlist, and the clip search, stay closed to them.
    expect((await api.call('POST', `/v1/clips/${other}/audio-link`, 'a.kim')).status).toBe(404)
    expect((await api.call('GET', `/v1/clips/${first}`, 'a.kim')).status).toBe(403)
    // a.lee's calls are another team's: nothing.
    expect((await api.call('GET', '/v1/playlists', 'a.lee')).body).toEqual([])
    expect((await api.call('GET', `/v1/playlists/${made.id}`, 'a.lee')).status).toBe(404)
    expect((await api.call('POST', `/v1/clips/${first}/audio-link`, 'a.lee')).status).toBe(404)
    // Stop sharing: gone for a.kim too; both changes audited.
    await api.call('PUT', `/v1/playlists/${made.id}/team`, 'tina', { team: null })
    expect((await api.call('GET', `/v1/playlists/${made.id}`, 'a.kim')).status).toBe(404)
    const actions = await api.db.query<{ action: string }>(
      "SELECT action FROM audit_log WHERE entity = 'playlist' AND entity_id = $1 ORDER BY id",
      [made.id],
    )
    expect(actions.rows.map((r) => r.action)).toEqual(['playlist.create', 'playlist.share', 'playlist.share'])
  })
})
