/**
 * What calls are about over real HTTP, on sample calls ingested through the real pipeline (real
 * audio, real ffmpeg): a call's categories with evidence, urgency, summary, conduct and explained
 * sentiment; the list filters; the TOP issues report as JSON and CSV; emerging topics; the
 * taxonomy and a promotion, each with its roles.
 */
import { afterAll, beforeAll, expect, test } from 'vitest'
import { describeCalls } from '../../pipeline/describe.js'
import { type ApiHarness, startApi } from '../helpers/api.js'

let api: ApiHarness
const id = (file: string) => api.idOf.get(file) as number

beforeAll(async () => {
  api = await startApi('api/topics', {
    files: ['call-06-phone-angry.wav', 'call-08-clean-zh-refund.flac', 'call-10-phone-hold-en.wav'],
    users: [
      ['max', 'manager'],
      ['rita', 'reviewer'],
      ['tess', 'trainer'],
      ['a.kim', 'agent'],
      ['a.dana', 'agent'],
    ],
  })
}, 180_000)
afterAll(async () => api?.close())

test('a call says what it was about, how urgent it was and why, and what was done', async () => {
  const res = await api.call('GET', `/v1/calls/${id('call-10-phone-hold-en.wav')}`, 'rita')
  expect(res.status).toBe(200)
  const { topics, utterances } = res.body
  expect(topics.taxonomy).toEqual({ key: 'support-starter', version: 1 })
  expect(topics.categories[0]).toMatchObject({
    rank: 1,
    path: ['billing', 'charges', 'double-charge'],
    labels_zh: ['账单与退款', '扣费', '重复扣费或多扣'],
  })
  const said = topics.categories[0].evidence.find((e: { phrase: string }) => e.phrase === 'charged twice')
  const utterance = utterances.find(
    (u: { start_ms: number; end_ms: number }) => u.start_ms <= said.start_ms && said.end_ms <= u.end_ms,
  )
  expect(utterance.speaker).toBe('customer')
  expect(utterance.text_redacted).toContain('charged twice')
  expect(topics.urgency).toBe('P1')
  expect(topics.urgency_evidence[0]).toMatchObject({ signal: 'phrase', level: 'P1', phrase: 'charged twice' })
  expect(topics.summary.map((l: { kind: string }) => l.kind)).toContain('reason')
  expect(topics.conduct.flags).toEqual([])
  // Explained sentiment: each scored utterance's terms add up to its score.
  const scored = utterances.filter(
    (u: { sentiment: number | null }) => u.sentiment !== null && u.sentiment !== 0,
  )
  expect(scored.length).toBeGreaterThan(3)
  for (const u of scored)
    expect(u.sentiment_terms.reduce((s: number, t: { weight: number }) => s + t.weight, 0)).toBeCloseTo(
      u.sentiment,
      3,
    )
  // The Chinese call, and an agent reading their own call sees it too.
  const zh = await api.call('GET', `/v1/calls/${id('call-08-clean-zh-refund.flac')}`, 'rita')
  expect(zh.body.topics.categories[0].path).toEqual(['billing', 'refund', 'refund-request'])
  expect(zh.body.topics.summary.map((l: { kind: string }) => l.kind)).toEqual([
    'reason',
    'action',
    'follow_up',
  ])
  const own = await api.call('GET', `/v1/calls/${id('call-06-phone-angry.wav')}`, 'a.kim')
  expect(own.body.topics.categories[0].path).toEqual(['technical', 'service-down', 'outage'])
})

test('the call list filters on urgency and category, and refuses what it cannot read', async () => {
  const billing = await api.call('GET', '/v1/calls?category=billing', 'max')
  expect(new Set(billing.body.items.map((c: { id: number }) => c.id))).toEqual(
    new Set([id('call-08-clean-zh-refund.flac'), id('call-10-phone-hold-en.wav')]),
  )
  const refund = await api.call('GET', '/v1/calls?category=billing/refund/refund-request', 'max')
  expect(refund.body.items).toEqual([
    expect.objectContaining({
      id: id('call-08-clean-zh-refund.flac'),
      category: ['billing', 'refund', 'refund-request'],
    }),
  ])
  const all = await api.call('GET', '/v1/calls', 'max')
  const p1 = await api.call('GET', '/v1/calls?urgency=P0,P1', 'max')
  expect(p1.body.items.map((c: { id: number }) => c.id)).toEqual(
    all.body.items
      .filter((c: { urgency: string }) => ['P0', 'P1'].includes(c.urgency))
      .map((c: { id: number }) => c.id),
  )
  expect(all.body.items.every((c: { urgency: string | null }) => /^P[0-3]$/.test(c.urgency ?? ''))).toBe(true)
  // Sampling draws from the same filter.
  const preview = await api.call('POST', '/v1/samples/preview', 'max', {
    name: 'urgent ones',
    scorecard: 'compliance-deduction',
    method: 'risk',
    n: 10,
    seed: 's',
    filters: { urgency: 'P0,P1' },
  })
  expect(preview.status).toBe(200)
  expect(preview.body.assignments.map((x: { call_id: number }) => x.call_id).sort()).toEqual(
    p1.body.items.map((c: { id: number }) => c.id).sort(),
  )
  expect(
    preview.body.assignments.every((x: { reasons: string[] }) =>
      x.reasons.some((r) => /^urgency P[01]$/.test(r)),
    ),
  ).toBe(true)
  expect((await api.call('GET', '/v1/calls?urgency=urgent', 'max')).status).toBe(400)
  expect((await api.call('GET', '/v1/calls?category=Billing%20Stuff', 'max')).status).toBe(400)
})

test('the TOP issues report answers JSON and CSV to leads and managers, and no one else', async () => {
  const json = await api.call('GET', '/v1/reports/top-issues?month=2026-11&level=1', 'max')
  expect(json.status).toBe(200)
  expect(json.body.total_calls).toBe(3)
  const billing = json.body.items.find((r: { category: string }) => r.category === 'billing')
  const technical = json.body.items.find((r: { category: string }) => r.category === 'technical')
  expect(billing).toMatchObject({ rank: 1, calls: 2, label: 'Billing and refunds' })
  expect(technical).toMatchObject({ calls: 1, csat: 1, complaint_rate: 0 })
  const csv = await fetch(`${api.base}/v1/reports/top-issues?month=2026-11&level=1&format=csv`, {
    headers: { authorization: `Bearer ${api.tokens.rita}` },
  })
  expect(csv.headers.get('content-disposition')).toMatch(
    /attachment; filename="callqa-top-issues-2026-11-01\.csv"/,
  )
  const lines = (await csv.text()).trim().split('\r\n')
  expect(lines[0]?.split(',').slice(0, 6)).toEqual([
    'period_from',
    'period_to',
    'rank',
    'category',
    'label',
    'label_zh',
  ])
  expect(lines).toHaveLength(1 + json.body.items.length)
  for (const who of ['tess', 'a.kim'])
    expect((await api.call('GET', '/v1/reports/top-issues?month=2026-11', who)).status).toBe(403)
  expect((await api.call('GET', '/v1/reports/top-issues?month=2026-13', 'max')).status).toBe(400)
  // Periods outside a sane range are 400s that say why, never a 500 or a silent other period.
  for (const query of [
    'month=9999-12',
    'month=0000-01',
    'from=0001-01-01T00:00:00Z&to=9999-12-31T00:00:00Z',
    'from=1969-12-31T00:00:00Z&to=2026-01-01T00:00:00Z',
  ]) {
    const refused = await api.call('GET', `/v1/reports/top-issues?${query}`, 'max')
    expect({ query, status: refused.status }).toEqual({ query, status: 400 })
    expect(refused.body.error.message).toMatch(/between 1970/)
  }
  expect(
    (await api.call('GET', '/v1/trends?from=0001-01-01T00:00:00Z&to=9999-12-31T00:00:00Z', 'max')).status,
  ).toBe(400)
  expect((await api.call('GET', '/v1/reports/top-issues', 'max')).status).toBe(400)
})

test('emerging topics, the taxonomy, and a promotion with its roles', async () => {
  const emerging = await api.call('GET', '/v1/topics/emerging?month=2026-11', 'rita')
  expect(emerging.status).toBe(200)
  expect(emerging.body).toMatchObject({ calls: 3, unfiled_calls: 0, items: [] })
  const tax = await api.call('GET', '/v1/taxonomy', 'tess')
  expect(tax.body.active).toMatchObject({ key: 'support-starter', version: 1 })
  expect(tax.body.versions).toEqual([
    expect.objectContaining({ key: 'support-starter', version: 1, calls: 3 }),
  ])
  const node = {
    parent: ['billing', 'charges'],
    key: 'hold-music-fee',
    label: 'Fee for holding',
    phrases: ['phone bill'],
  }
  expect((await api.call('POST', '/v1/taxonomy/nodes', 'max', node)).status).toBe(403)
  expect(
    (await api.call('POST', '/v1/taxonomy/nodes', 'rita', { ...node, parent: ['a', 'b', 'c'] })).status,
  ).toBe(400)
  const promoted = await api.call('POST', '/v1/taxonomy/nodes', 'rita', node)
  expect(promoted.status).toBe(202)
  expect(promoted.body).toEqual({
    taxonomy: { key: 'support-starter', version: 2 },
    path: ['billing', 'charges', 'hold-music-fee'],
    refile: { pending_calls: 3 },
  })
  const again = await api.call('POST', '/v1/taxonomy/nodes', 'rita', node)
  expect(again.status).toBe(409)
  expect(again.body.error.message).toMatch(/already in taxonomy support-starter \(version 2\)/)
  expect(await refiled('rita')).toMatchObject({ taxonomy: { version: 2 }, pending_calls: 0, running: false })
  const after = await api.call('GET', '/v1/taxonomy', 'rita')
  expect(after.body.versions.find((v: { version: number }) => v.version === 2).calls).toBe(3)
})

test("an agent sees that a customer called again, not the customer's other call or when", async () => {
  // The same customer on a.kim's call (7 Nov) and on a.dana's (10 Nov): a repeat contact.
  await api.db.query("UPDATE calls SET customer_id = 'C-77' WHERE id = ANY($1::int[])", [
    [id('call-06-phone-angry.wav'), id('call-10-phone-hold-en.wav')],
  ])
  await describeCalls(api.db, [id('call-10-phone-hold-en.wav')])
  const repeatOf = (body: { topics: { urgency_evidence: Array<{ signal: string }> } }) =>
    body.topics.urgency_evidence.find((e) => e.signal === 'repeat_contact')
  const lead = await api.call('GET', `/v1/calls/${id('call-10-phone-hold-en.wav')}`, 'rita')
  expect(repeatOf(lead.body)).toMatchObject({ previous_call_id: id('call-06-phone-angry.wav') })
  const agent = await api.call('GET', `/v1/calls/${id('call-10-phone-hold-en.wav')}`, 'a.dana')
  expect(agent.status).toBe(200)
  const seen = repeatOf(agent.body)
  expect(seen).toMatchObject({ signal: 'repeat_contact' })
  expect(seen).not.toHaveProperty('previous_call_id')
  expect(seen).not.toHaveProperty('days')
  expect(JSON.stringify(agent.body)).not.toContain(`"previous_call_id"`)
  await api.db.query('UPDATE calls SET customer_id = NULL WHERE customer_id = $1', ['C-77'])
  await describeCalls(api.db, [id('call-10-phone-hold-en.wav')])
})

/** Waits for the background refile to finish; its last status. */
async function refiled(user: string) {
  for (let i = 0; i < 200; i++) {
    const status = await api.call('GET', '/v1/taxonomy/refiling', user)
    expect(status.status).toBe(200)
    if (status.body.pending_calls === 0 && !status.body.running) return status.body
    await new Promise((r) => setTimeout(r, 50))
  }
  throw new Error('the refile did not finish')
}

test('three promotions at once: none is lost, each version builds on the one before, the same node twice is a clean 409', async () => {
  const before = (await api.call('GET', '/v1/taxonomy', 'rita')).body.active.version as number
  const nodes = ['late-refund', 'card-declined', 'app-crash'].map((key) => ({
    parent: [],
    key,
    label: key,
    phrases: [key.replace('-', ' ')],
  }))
  const answers = await Promise.all(nodes.map((n) => api.call('POST', '/v1/taxonomy/nodes', 'rita', n)))
  expect(answers.map((a) => a.status)).toEqual([202, 202, 202])
  expect(answers.map((a) => a.body.taxonomy.version).sort()).toEqual([before + 1, before + 2, before + 3])
  const active = (await api.call('GET', '/v1/taxonomy', 'rita')).body.active
  expect(active.version).toBe(before + 3)
  const keys = active.categories.map((c: { key: string }) => c.key)
  for (const n of nodes) expect(keys).toContain(n.key)
  // The same node promoted twice at once: one version, one clean 409 that says why.
  const twice = await Promise.all(
    [1, 2].map(() =>
      api.call('POST', '/v1/taxonomy/nodes', 'rita', {
        parent: [],
        key: 'dup',
        label: 'Dup',
        phrases: ['dup'],
      }),
    ),
  )
  expect(twice.map((t) => t.status).sort()).toEqual([202, 409])
  expect(twice.find((t) => t.status === 409)?.body.error).toMatchObject({
    code: 'QA_ERR_CONFLICT',
    message: expect.stringMatching(/^dup is already in taxonomy/),
  })
  const audited = await api.db.query<{ n: number }>(
    "SELECT count(*)::int AS n FROM audit_log WHERE action = 'taxonomy.promote'",
  )
  expect(audited.rows[0]?.n).toBe(5)
  expect(await refiled('max')).toMatchObject({ taxonomy: { version: before + 4 }, pending_calls: 0 })
})
