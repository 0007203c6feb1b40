/**
 * Follow-ups over real HTTP on the real sample calls, analysed with the example rules
 * active: the calls open the follow-ups their scripts imply, routed by urgency and category to the
 * member with the fewest open; a repeat contact of the same customer joins the open one; each role
 * sees what is theirs to know; the life cycle is worked from open to closed with a callback; the
 * integration updates status and notes back; concurrent edits lose nothing; the report and the
 * CSV say what happened.
 */
import { readFileSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { samplesDir } from '../../samples/ground-truth.js'
import { type ApiHarness, startApi } from '../helpers/api.js'
import { tempDir } from '../helpers/audio.js'
import { activateRules, PEOPLE } from './seed.js'

let api: ApiHarness
const tmp = tempDir()
// The samples' metadata, with one customer calling twice (call-06, then call-09) and call-04's
// disposition a complaint.
function metadataFile(): string {
  const lines = readFileSync(path.join(samplesDir, 'metadata.csv'), 'utf8').trim().split('\n')
  const out = [`${lines[0]},customer_id`]
  for (const line of lines.slice(1)) {
    const file = line.split(',')[0] as string
    const customer = file.startsWith('call-06') || file.startsWith('call-09') ? 'CUST-77' : ''
    out.push(`${file.startsWith('call-04') ? line.replace(',resolved,', ',complaint,') : line},${customer}`)
  }
  const p = path.join(tmp.dir, 'metadata.csv')
  writeFileSync(p, `${out.join('\n')}\n`)
  // transcripts are found next to the recordings, as in the samples' own file
  return p
}

beforeAll(async () => {
  const meta = metadataFile()
  api = await startApi('follow-ups/api', {
    users: [
      ...PEOPLE.map(([n, r]) => [n, r] as const),
      ['crm', 'integration'],
      ['a.kim', 'agent'],
      ['pbx', 'telephony'],
      ['root', 'admin'],
    ],
    beforeIngest: async (db) => {
      await activateRules(db)
    },
    metadata: meta,
  })
}, 180_000)
afterAll(async () => {
  await api?.close()
  tmp.remove()
})

type Item = {
  id: number
  call_id: number
  calls: number[]
  reason: string
  // biome-ignore lint/suspicious/noExplicitAny: evidence is checked field by field
  reasons: Array<{ kind: string; evidence: any }>
  urgency: string
  category: string | null
  team: string | null
  owner: string | null
  status: string
  version: number
}
const list = async (who: string, query = '') =>
  (await api.call('GET', `/v1/follow-ups${query}`, who)).body.items as Item[]
const byCall = (items: Item[], file: string) =>
  items.find((f) => f.calls.includes(api.idOf.get(file) as number))

describe('opened by the rules', () => {
  test('the sample calls open what their scripts imply, with the evidence, routed and assigned', async () => {
    const items = await list('max')
    const opened = items.map((f) => [...api.idOf].find(([, id]) => id === f.call_id)?.[0]).sort()
    // call-06: an angry customer in an outage (P1, mood ending low) — call-09 is the same
    // customer and joins it; call-10: charged twice (P1); call-11: an outage (P1); call-04: a
    // complaint. No other call is urgent, a complaint, rude, or ends badly.
    expect(opened).toEqual([
      'call-04-phone-dead-air.wav',
      'call-06-phone-angry.wav',
      'call-10-phone-hold-en.wav',
      'call-11-phone-music-hold.wav',
    ])
    const angry = byCall(items, 'call-06-phone-angry.wav') as Item
    expect(angry.reasons.map((r) => r.kind)).toEqual(['urgency', 'sentiment'])
    expect(angry.reasons[1]?.evidence.end).toBeLessThan(-0.4)
    expect(angry.urgency).toBe('P1')
    expect(angry.category).toBe('technical/service-down/outage')
    expect([angry.team, angry.owner]).toEqual(['service-desk', 'cy'])
    // The repeat contact joined the open case instead of opening another.
    expect(angry.calls).toEqual([
      api.idOf.get('call-06-phone-angry.wav'),
      api.idOf.get('call-09-phone-street-noise.wav'),
    ])
    const charged = byCall(items, 'call-10-phone-hold-en.wav') as Item
    expect(
      charged.reasons[0]?.evidence.signals.some((s: { phrase?: string }) => s.phrase === 'charged twice'),
    ).toBe(true)
    expect([charged.team, charged.category]).toEqual(['billing', 'billing/charges/double-charge'])
    const complaint = byCall(items, 'call-04-phone-dead-air.wav') as Item
    expect(complaint.reasons.map((r) => r.kind)).toEqual(['complaint'])
    expect(complaint.team).toBe('billing')
    // Billing has ana and bo: each case went to the one with fewer open at the time.
    expect([charged.owner, complaint.owner].sort()).toEqual(['ana', 'bo'])
    // Filters: a category matches at any level of the path.
    expect((await list('max', '?category=billing')).map((f) => f.id).sort()).toEqual(
      [charged.id, complaint.id].sort(),
    )
    expect((await list('max', '?category=service-down')).length).toBe(2)
    expect((await list('max', '?team=service-desk&urgency=P1')).length).toBe(2)
    expect(
      (await list('max', `?call_id=${api.idOf.get('call-09-phone-street-noise.wav')}`)).map((f) => f.id),
    ).toEqual([angry.id])
    expect(await list('max', '?overdue=true')).toEqual([])
  })

  test('who sees what: members their team’s, agents none of their calls’, the integration all, telephony nothing', async () => {
    expect((await list('cy')).map((f) => f.team)).toEqual(['service-desk', 'service-desk'])
    expect(new Set((await list('ana')).map((f) => f.team))).toEqual(new Set(['billing']))
    // a.kim took call-04 and call-06: as an agent, not a member, none of it is theirs to know.
    expect(await list('a.kim')).toEqual([])
    const some = (await list('max'))[0] as Item
    expect((await api.call('GET', `/v1/follow-ups/${some.id}`, 'a.kim')).status).toBe(404)
    expect((await list('crm')).length).toBe(4)
    expect((await api.call('GET', '/v1/follow-ups', 'pbx')).status).toBe(403)
    expect((await api.call('GET', '/v1/follow-ups', null)).status).toBe(401)
    expect((await api.call('GET', '/v1/follow-ups/report?month=2026-12', 'cy')).status).toBe(403)
  })
})

describe('worked to closure', () => {
  test('an owner works a case from open to closed with a callback; every change audited and in its history', async () => {
    const f = byCall(await list('cy'), 'call-11-phone-music-hold.wav') as Item
    const patch = (body: unknown, who = 'cy') => api.call('PATCH', `/v1/follow-ups/${f.id}`, who, body)
    expect((await patch({ status: 'closed' })).status).toBe(409)
    let r = await patch({ status: 'in_progress', note: 'called the network team' })
    expect(r.status).toBe(200)
    expect(r.body.first_response_at).not.toBeNull()
    r = await patch({ status: 'waiting', note: 'waiting for the customer to restart the router' })
    expect(r.body.paused).toBe(true)
    r = await patch({ status: 'resolved', note: 'back online' })
    expect(r.body.status).toBe('resolved')
    const closeEarly = await patch({ status: 'closed' })
    expect(closeEarly.status).toBe(400)
    expect(closeEarly.body.error.message).toMatch(/callback/)
    r = await patch({
      status: 'closed',
      callback: { reached: true, satisfied: true, csat: 5, note: 'all good' },
    })
    expect(r.status).toBe(200)
    expect(r.body.status).toBe('closed')
    expect(r.body.callback).toMatchObject({ reached: true, satisfied: true, csat: 5, by: 'cy' })
    expect(r.body.events.map((e: { kind: string }) => e.kind)).toEqual([
      'opened',
      'note',
      'status:in_progress',
      'note',
      'status:waiting',
      'note',
      'status:resolved',
      'status:closed',
    ])
    const audit = await api.db.query<{ action: string; user_id: number }>(
      `SELECT action, user_id FROM audit_log WHERE entity = 'follow_up' AND entity_id = $1 ORDER BY id`,
      [f.id],
    )
    expect(audit.rows.map((a) => a.action)).toEqual(['follow_up.open', ...Array(4).fill('follow_up.change')])
    expect(audit.rows.slice(1).every((a) => a.user_id === api.userId.cy)).toBe(true)
    // A manager reopens it.
    r = await patch({ status: 'reopened', note: 'down again' }, 'max')
    expect([r.body.status, r.body.reopen_count]).toEqual(['reopened', 1])
    // ana is in billing: not her case, not hers to see.
    expect((await patch({ note: 'hi' }, 'ana')).status).toBe(404)
  })

  test('a complaint is resolved with its root cause and fix, from the configured list', async () => {
    const f = byCall(await list('max'), 'call-04-phone-dead-air.wav') as Item
    const owner = f.owner as string
    const patch = (body: unknown) => api.call('PATCH', `/v1/follow-ups/${f.id}`, owner, body)
    expect((await patch({ status: 'resolved' })).status).toBe(400)
    expect((await patch({ root_cause: 'bad-luck' })).body.error.message).toMatch(/root_cause must be one of/)
    const r = await patch({
      status: 'resolved',
      root_cause: 'process',
      why: ['the agent could not see the payment', 'payments post overnight'],
      fix: 'show pending payments to agents',
    })
    expect(r.status).toBe(200)
    expect([r.body.root_cause, r.body.why.length]).toEqual(['process', 2])
    expect(r.body.root_causes).toContain('training')
  })

  test('concurrent edits of one case lose nothing; a change against an old version is refused', async () => {
    const f = byCall(await list('max'), 'call-10-phone-hold-en.wav') as Item
    const results = await Promise.all(
      Array.from({ length: 12 }, (_, i) =>
        api.call('PATCH', `/v1/follow-ups/${f.id}`, 'max', { note: `note ${i}` }),
      ),
    )
    expect(results.map((r) => r.status)).toEqual(Array(12).fill(200))
    const now = (await api.call('GET', `/v1/follow-ups/${f.id}`, 'max')).body
    expect(
      now.events
        .filter((e: { kind: string }) => e.kind === 'note')
        .map((e: { note: string }) => e.note)
        .sort(),
    ).toEqual(Array.from({ length: 12 }, (_, i) => `note ${i}`).sort())
    expect(now.version).toBe(f.version + 12)
    const stale = await api.call('PATCH', `/v1/follow-ups/${f.id}`, 'max', {
      note: 'late',
      version: f.version,
    })
    expect(stale.status).toBe(409)
    // Reassigned within the team by a member; outside it only by a manager.
    expect((await api.call('PATCH', `/v1/follow-ups/${f.id}`, 'ana', { owner: 'cy' })).status).toBe(403)
    expect((await api.call('PATCH', `/v1/follow-ups/${f.id}`, 'ana', { owner: 'bo' })).body.owner).toBe('bo')
  })

  test('the integration updates status, notes and its reference back — and nothing else', async () => {
    const f = byCall(await list('crm'), 'call-06-phone-angry.wav') as Item
    const r = await api.call('PATCH', `/v1/follow-ups/${f.id}`, 'crm', {
      status: 'in_progress',
      note: 'ticket opened in the CRM',
      external_ref: 'CRM-4411',
    })
    expect(r.status).toBe(200)
    expect([r.body.status, r.body.external_ref]).toEqual(['in_progress', 'CRM-4411'])
    expect(r.body.events.at(-2)).toMatchObject({
      user: 'crm',
      kind: 'note',
      note: 'ticket opened in the CRM',
    })
    expect((await api.call('PATCH', `/v1/follow-ups/${f.id}`, 'crm', { owner: 'cy' })).status).toBe(403)
    expect((await api.call('PATCH', `/v1/follow-ups/${f.id}`, 'crm', { status: 'nonsense' })).status).toBe(
      400,
    )
  })

  test('opened by hand from a call: routed by the rules, to the member with the fewest open', async () => {
    const call = api.idOf.get('call-01-clean-billing.flac') as number
    const r = await api.call('POST', `/v1/calls/${call}/follow-ups`, 'ana', {
      note: 'promised a credit note',
    })
    expect(r.status).toBe(201)
    expect([r.body.reason, r.body.team, r.body.call_id]).toEqual(['manual', 'billing', call])
    expect((await api.call('POST', `/v1/calls/${call}/follow-ups`, 'ana', { note: 'again' })).status).toBe(
      409,
    )
    expect((await api.call('POST', `/v1/calls/${call}/follow-ups`, 'a.kim', { note: 'x' })).status).toBe(403)
    expect((await api.call('POST', '/v1/calls/999999/follow-ups', 'max', { note: 'x' })).status).toBe(404)
  })
})

describe('what managers read', () => {
  test('the report per category, team and urgency, and the CSVs', async () => {
    const month = new Date().toISOString().slice(0, 7)
    const r = await api.call('GET', `/v1/follow-ups/report?month=${month}`, 'max')
    expect(r.status, JSON.stringify(r.body)).toBe(200)
    expect(r.body.total.opened).toBe(5)
    expect(r.body.total.resolved).toBe(1) // call-04's complaint; call-11's was reopened
    expect(r.body.total.reopened).toBe(1)
    expect(r.body.total.callbacks_reached).toBe(1)
    expect(r.body.total.callback_satisfied_pct).toBe(100)
    expect(r.body.by_team.map((t: { key: string; opened: number }) => [t.key, t.opened])).toEqual([
      ['billing', 3],
      ['service-desk', 2],
    ])
    expect(r.body.by_urgency.find((u: { key: string }) => u.key === 'P1').opened).toBe(3)
    expect(r.body.by_category.map((c: { key: string }) => c.key).sort()).toEqual(['billing', 'technical'])
    const csv = await fetch(`${api.base}/v1/follow-ups?format=csv`, {
      headers: { authorization: `Bearer ${api.tokens.max}` },
    })
    expect(csv.headers.get('content-type')).toMatch(/text\/csv/)
    const rows = (await csv.text()).trim().split('\r\n')
    expect(rows[0]).toMatch(/^id,call_id,reason,urgency,category,team,owner,status,overdue/)
    expect(rows.length).toBe(6)
    const reportCsv = await fetch(`${api.base}/v1/follow-ups/report?month=${month}&format=csv`, {
      headers: { authorization: `Bearer ${api.tokens.max}` },
    })
    expect((await reportCsv.text()).split('\r\n')[0]).toMatch(
      /^group,key,opened,resolved,promises_due,promises_kept/,
    )
  })

  test('no webhook receiver configured: no event is queued (a case’s evidence is not kept for nobody)', async () => {
    expect((await api.db.query('SELECT id FROM webhook_outbox')).rows.length).toBe(0)
  })

  test('a deleted call takes the follow-up it alone was in, and its evidence, with it', async () => {
    const items = await list('max')
    const billing = byCall(items, 'call-10-phone-hold-en.wav') as Item
    const angry = byCall(items, 'call-06-phone-angry.wav') as Item
    // call-10 is its case's only call: the case goes, its audit keeps who and when, not what.
    expect((await api.call('DELETE', `/v1/calls/${billing.call_id}`, 'root')).status).toBe(200)
    expect((await api.call('GET', `/v1/follow-ups/${billing.id}`, 'max')).status).toBe(404)
    const audited = await api.db.query<{ before: unknown; after: unknown }>(
      `SELECT before, after FROM audit_log WHERE entity = 'follow_up' AND entity_id = $1`,
      [billing.id],
    )
    expect(audited.rows.length).toBeGreaterThan(0)
    expect(audited.rows.every((r) => r.before === null && r.after === null)).toBe(true)
    // call-06 opened a case call-09 joined: the case stays with call-09, without call-06's evidence.
    expect((await api.call('DELETE', `/v1/calls/${angry.call_id}`, 'root')).status).toBe(200)
    const kept = (await api.call('GET', `/v1/follow-ups/${angry.id}`, 'max')).body
    expect(kept.calls).toEqual([api.idOf.get('call-09-phone-street-noise.wav')])
    expect(kept.call_id).toBeNull()
    expect(kept.reasons.map((r: { kind: string; evidence?: unknown }) => [r.kind, r.evidence])).toEqual([
      ['urgency', null],
      ['sentiment', null],
    ])
  })
})
