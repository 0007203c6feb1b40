// @ts-check
// Live calls, for supervisors: every call in progress (agent, queue, duration, state, each party's
// raised voice and mood now, its alerts), updated by the server's event stream; an alert is
// acknowledged from here (audited). One call opens to its timeline as it grows. Agents see their
// own calls in progress, refreshed every few seconds (the event stream is for supervisors).

import { api } from '../lib/api.js'
import { errorBox, h, main, table } from '../lib/dom.js'
import { onLeave } from '../lib/nav.js'
import { hasRole } from '../lib/session.js'
import { clock } from '../lib/time.js'

/**
 * @typedef {{session: number, agent_id: string | null, queue: string | null, started_at: string,
 *   duration_ms: number, state: string, silence_ms: number, alerts: number, protocol: string,
 *   parties: Record<string, {talk_ms: number, speaking: boolean, agitation: number, sentiment: number | null}>}} LiveCall
 * @typedef {{id: number, session: number, rule: string, severity: string, at_ms: number,
 *   evidence: Record<string, any>, acknowledged_at?: string | null}} LiveAlert
 */

const RULES = {
  'dead-air': 'Dead air',
  'customer-agitated': 'Customer agitated',
  'sentiment-falling': 'Customer mood falling',
  overtalk: 'Overtalk',
  conduct: 'Agent conduct',
  'urgency-p0': 'Urgent (P0)',
  'forbidden-phrase': 'Forbidden phrase',
}

/**
 * The server's live events for this view, as long as it is on screen: EventSource cannot send the
 * token, so it uses a signed link asked for with it.
 * @param {(type: string, data: any) => void} onEvent
 */
async function subscribe(onEvent) {
  const { url } = await api('POST', '/v1/live/events-link')
  const source = new EventSource(url)
  for (const type of [
    'call.started',
    'call.update',
    'call.state',
    'call.ended',
    'call.filed',
    'alert',
    'alert.acknowledged',
  ])
    source.addEventListener(type, (e) => onEvent(type, JSON.parse(/** @type {MessageEvent} */ (e).data)))
  onLeave(() => source.close())
  return source
}

/** @param {number} value 0–1 */
const meter = (value) =>
  h('meter', { min: 0, max: 1, value: value.toFixed(2), title: `${Math.round(value * 100)} %` })
/** @param {number | null} v */
const mood = (v) => (v === null || v === undefined ? '–' : (v > 0 ? '+' : '') + v.toFixed(2))

/** @param {LiveCall} c */
function callRow(c) {
  const party = (/** @type {string} */ p) => c.parties?.[p]
  return h(
    'tr',
    { dataset: { session: c.session }, class: `row-link state-${c.state}` },
    h('td', {}, h('a', { href: `#/live/${c.session}` }, c.agent_id ?? '–')),
    h('td', {}, c.queue ?? '–'),
    h('td', { class: 'num duration' }, clock(c.duration_ms)),
    h(
      'td',
      { class: 'state' },
      c.state === 'silence' && c.silence_ms > 3000 ? `silence ${clock(c.silence_ms)}` : c.state,
    ),
    h('td', {}, party('customer') ? meter(party('customer').agitation) : '–'),
    h('td', { class: 'num' }, mood(party('customer')?.sentiment ?? null)),
    h('td', {}, party('agent') ? meter(party('agent').agitation) : '–'),
    h('td', { class: 'num alerts' }, String(c.alerts)),
  )
}

/**
 * An alert, with its acknowledgement (supervisors).
 * @param {LiveAlert} a
 */
function alertItem(a) {
  const words = a.evidence?.text ?? a.evidence?.remarks?.[0]?.text ?? a.evidence?.said?.[0]?.text ?? ''
  const item = h(
    'li',
    { class: `alert ${a.severity}`, dataset: { alertId: a.id, rule: a.rule } },
    h('strong', {}, RULES[a.rule] ?? a.rule),
    ` at ${clock(a.at_ms)}`,
    words ? ` — “${words}”` : '',
    ' ',
  )
  if (a.acknowledged_at) item.append(h('span', { class: 'muted ack' }, 'acknowledged'))
  else if (hasRole('admin', 'manager', 'reviewer'))
    item.append(
      h(
        'button',
        {
          type: 'button',
          class: 'acknowledge',
          onclick: async (/** @type {MouseEvent} */ e) => {
            const button = /** @type {HTMLButtonElement} */ (e.currentTarget)
            try {
              await api('POST', `/v1/live/alerts/${a.id}/acknowledge`)
              button.replaceWith(h('span', { class: 'muted ack' }, 'acknowledged'))
            } catch (err) {
              button.after(errorBox(err))
            }
          },
        },
        'Acknowledge',
      ),
    )
  return item
}

/** Every call in progress, kept current by the event stream. */
export async function showLive() {
  const body = h('tbody')
  const alerts = h('ul', { id: 'live-alerts', class: 'alerts' })
  main.replaceChildren(
    h('h1', {}, 'Live calls'),
    table(
      'live-calls',
      ['Agent', 'Queue', 'Length', 'State', 'Customer voice', 'Customer mood', 'Agent voice', 'Alerts'],
      [],
    ),
    h('h2', {}, 'Alerts'),
    alerts,
  )
  main.querySelector('#live-calls tbody')?.replaceWith(body)
  /** @type {Map<number, LiveCall>} */
  const calls = new Map()
  const draw = () => body.replaceChildren(...[...calls.values()].map(callRow))
  try {
    const { items } = await api('GET', '/v1/live/calls')
    for (const c of items) calls.set(c.session, c)
    draw()
    if (!hasRole('admin', 'manager', 'reviewer')) {
      // Agents: their own calls, refreshed.
      const timer = setInterval(async () => {
        const again = await api('GET', '/v1/live/calls').catch(() => ({ items: [] }))
        calls.clear()
        for (const c of again.items) calls.set(c.session, c)
        draw()
      }, 3000)
      onLeave(() => clearInterval(timer))
      return
    }
    await subscribe((type, data) => {
      if ('call' in data) calls.set(data.session, data.call)
      if (type === 'call.ended') calls.delete(data.session)
      if (type === 'alert') alerts.prepend(alertItem(data))
      if (type === 'alert.acknowledged')
        alerts
          .querySelector(`[data-alert-id="${data.id}"] .acknowledge`)
          ?.replaceWith(h('span', { class: 'muted ack' }, `acknowledged by ${data.by}`))
      draw()
    })
  } catch (err) {
    main.append(errorBox(err))
  }
}

/**
 * One call: its timeline growing (talk, silence, pauses), its figures now and its alerts.
 * @param {number} session
 */
export async function showLiveCall(session) {
  main.replaceChildren(h('p', { class: 'muted' }, 'Loading…'))
  try {
    const detail = await api('GET', `/v1/live/calls/${session}`)
    const figures = h('div', { class: 'call-head', id: 'live-figures' })
    const timeline = h('ol', { id: 'live-timeline', class: 'live-timeline' })
    const alerts = h('ul', { id: 'live-alerts', class: 'alerts' }, detail.alerts.map(alertItem))
    const showFigures = (/** @type {LiveCall | null} */ now) =>
      figures.replaceChildren(
        h('span', {}, `Agent ${detail.agent_id ?? '–'}`),
        h('span', {}, `Queue ${detail.queue ?? '–'}`),
        h('span', { id: 'live-duration' }, `Length ${clock(now?.duration_ms ?? detail.audio_ms)}`),
        h('span', { id: 'live-state' }, now ? now.state : detail.state),
        detail.call_id ? h('a', { href: `#/calls/${detail.call_id}` }, 'The filed call') : '',
      )
    const mark = (/** @type {string} */ state, /** @type {number} */ atMs) =>
      timeline.append(h('li', { class: `state-${state}` }, `${clock(atMs)} ${state}`))
    for (const s of detail.stretches ?? []) mark(s.kind, s.start_ms)
    showFigures(detail.now)
    main.replaceChildren(
      h('h1', {}, `Live call ${session}`),
      figures,
      h('h2', {}, 'Timeline'),
      timeline,
      h('h2', {}, 'Alerts'),
      alerts,
    )
    if (detail.state !== 'live' || !hasRole('admin', 'manager', 'reviewer')) return
    await subscribe((type, data) => {
      if (data.session !== session) return
      if (type === 'call.update') showFigures(data.call)
      if (type === 'call.state') {
        mark(data.state, data.at_ms)
        showFigures(data.call)
      }
      if (type === 'alert') alerts.prepend(alertItem(data))
      if (type === 'call.ended') mark('ended', data.at_ms)
      if (type === 'call.filed') {
        detail.call_id = data.call_id
        detail.state = 'filed'
        showFigures(null)
      }
    })
  } catch (err) {
    main.replaceChildren(errorBox(err))
  }
}
