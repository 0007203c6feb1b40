// @ts-check
// Follow-ups: the queue (mine, my team's, escalated to me, all), one case worked from open to
// closed, the call view's follow-up, and the managers' report whose figures open their cases.

import { api, csvButton } from '../lib/api.js'
import { choice, errorBox, field, filterForm, h, main, table } from '../lib/dom.js'
import { go, onLeave, refresh } from '../lib/nav.js'
import { hasRole, me } from '../lib/session.js'

/** @typedef {import('../../api/wire-types.js').FollowUp} FollowUp */
/** @typedef {import('../../api/wire-types.js').FollowUpDetail} FollowUpDetail */

export const STATUS_LABEL = {
  open: 'open',
  in_progress: 'in progress',
  waiting: 'waiting for the customer',
  resolved: 'resolved',
  closed: 'closed',
  reopened: 'reopened',
}

/**
 * "in 3 h 12 min", "5 min overdue", or "paused" while waiting for the customer.
 * @param {FollowUp} f
 * @param {number} now
 */
export function dueText(f, now) {
  if (f.status === 'resolved' || f.status === 'closed') return '–'
  if (f.paused) return 'paused'
  const respondFirst = !f.first_response_at && Date.parse(f.respond_due_at) < Date.parse(f.resolve_due_at)
  const due = Date.parse(respondFirst ? f.respond_due_at : f.resolve_due_at)
  const what = respondFirst ? 'response' : 'resolution'
  const left = due - now
  const span = Math.abs(left)
  const d = Math.floor(span / 86_400_000)
  const hh = Math.floor((span % 86_400_000) / 3_600_000)
  const mm = Math.floor((span % 3_600_000) / 60_000)
  const ss = Math.floor((span % 60_000) / 1000)
  const text = d ? `${d} d ${hh} h` : hh ? `${hh} h ${mm} min` : `${mm} min ${String(ss).padStart(2, '0')} s`
  return left >= 0 ? `${what} in ${text}` : `${what} ${text} overdue`
}

/** Due times count down while the view is on screen. */
function countDown(/** @type {HTMLElement} */ root) {
  const timer = setInterval(() => {
    const now = Date.now()
    for (const el of root.querySelectorAll(/** @type {'span'} */ ('span.due')))
      el.textContent = dueText(JSON.parse(el.dataset.followUp ?? '{}'), now)
  }, 1000)
  onLeave(() => clearInterval(timer))
}

/** @param {FollowUp} f */
const dueCell = (f) =>
  h(
    'span',
    {
      class: `due${f.overdue ? ' overdue' : ''}`,
      dataset: {
        followUp: JSON.stringify({
          status: f.status,
          paused: f.paused,
          first_response_at: f.first_response_at,
          respond_due_at: f.respond_due_at,
          resolve_due_at: f.resolve_due_at,
        }),
      },
    },
    dueText(f, Date.now()),
  )

const QUEUES = [
  ['mine', 'Mine'],
  ['team', 'My team’s'],
  ['escalated', 'Escalated to me'],
  ['all', 'All I can see'],
]

/** The list's filters as the API takes them, from the page's address. */
function listQuery(/** @type {URLSearchParams} */ params) {
  const q = new URLSearchParams()
  const queue = params.get('queue') ?? (hasRole('admin', 'manager') ? 'all' : 'mine')
  const user = me()
  if (queue === 'mine') q.set('mine', 'true')
  if (queue === 'team' && user?.team) q.set('team', user.team)
  const keys = ['status', 'team', 'owner', 'urgency', 'category', 'overdue', 'escalated', 'resolved']
  for (const k of [...keys, 'from', 'to', 'call_from', 'call_to', 'call_id']) {
    const v = params.get(k)
    if (v) q.set(k, v)
  }
  return { q, queue }
}

/**
 * The queue: overdue first, then by due time, counting down.
 * @param {URLSearchParams} params
 */
export async function showFollowUps(params) {
  const { q, queue } = listQuery(params)
  const tabs = h(
    'nav',
    { class: 'tabs', 'aria-label': 'queues' },
    QUEUES.map(([key, label]) =>
      h('a', { href: `#/follow-ups?queue=${key}`, class: key === queue ? 'current' : '' }, label),
    ),
    hasRole('admin', 'manager') ? h('a', { href: '#/follow-ups/report' }, 'Report') : '',
  )
  const form = filterForm(
    'follow-ups',
    h('input', { type: 'hidden', name: 'queue', value: queue }),
    choice('Status', 'status', params, [['', 'any'], ...Object.entries(STATUS_LABEL)]),
    choice('Urgency', 'urgency', params, [
      ['', 'any'],
      ...['P0', 'P1', 'P2', 'P3'].map((u) => /** @type {[string, string]} */ ([u, u])),
    ]),
    field('Category', 'category', params),
    field('Team', 'team', params),
    choice('Overdue', 'overdue', params, [
      ['', 'any'],
      ['true', 'overdue only'],
    ]),
    h('button', { type: 'submit' }, 'Show'),
  )
  main.replaceChildren(h('h1', {}, 'Follow-ups'), tabs, form)
  /** @type {{items: FollowUp[]}} */
  let list
  try {
    list = await api('GET', `/v1/follow-ups?${q}`)
  } catch (err) {
    main.append(errorBox(err))
    return
  }
  const csvQuery = new URLSearchParams(q)
  csvQuery.set('format', 'csv')
  main.append(
    h('p', {}, csvButton({ label: 'CSV', url: `/v1/follow-ups?${csvQuery}`, filename: 'follow-ups.csv' })),
  )
  if (!list.items.length) {
    main.append(h('p', { class: 'muted' }, 'No follow-ups here.'))
    return
  }
  main.append(followUpTable(list.items))
  countDown(main)
}

/** @param {FollowUp[]} items */
function followUpTable(items) {
  return table(
    'follow-ups',
    ['#', 'Call', 'Reason', 'Urgency', 'Category', 'Team', 'Owner', 'Status', 'Due', 'Escalation'],
    items.map((f) =>
      h(
        'tr',
        { dataset: { followUp: String(f.id) }, class: f.overdue ? 'overdue' : '' },
        [
          h('a', { href: `#/follow-ups/${f.id}` }, `#${f.id}`),
          f.call_id ? h('a', { href: `#/calls/${f.call_id}` }, `call ${f.call_id}`) : '–',
          f.reasons.map((r) => r.kind).join(', '),
          f.urgency,
          f.category ?? '–',
          f.team ?? '–',
          f.owner ?? '–',
          STATUS_LABEL[f.status],
          dueCell(f),
          f.escalation_level ? `level ${f.escalation_level}: ${f.escalated_to.join(', ')}` : '–',
        ].map((cell) => h('td', {}, cell)),
      ),
    ),
  )
}

/**
 * What opened a case, said in a line per reason.
 * @param {{kind: string, evidence: any}} r
 */
function reasonLine(r) {
  const e = r.evidence ?? {}
  switch (r.kind) {
    case 'urgency':
      return `urgency ${e.urgency}: ${(e.signals ?? []).map((/** @type {any} */ s) => s.phrase ?? s.path?.join('/') ?? s.signal).join('; ')}`
    case 'complaint':
      return `complaint: ${e.category ?? e.disposition ?? ''}`
    case 'conduct':
      return `agent conduct: ${(e.flags ?? []).map((/** @type {any} */ f) => `“${f.text}”`).join(', ')}`
    case 'sentiment':
      return `customer sentiment ended at ${Number(e.end).toFixed(2)} (below ${e.below})`
    case 'fatal_item':
      return `failed fatal item: ${(e.items ?? []).map((/** @type {any} */ i) => `${i.scorecard}/${i.item}`).join(', ')}`
    case 'live_alert':
      return `live alert: ${(e.alerts ?? []).map((/** @type {any} */ a) => a.rule).join(', ')}`
    case 'manual':
      return `opened by ${e.by}: ${e.note}`
    default:
      return r.kind
  }
}

/**
 * One case: what opened it, its promises, its history, and what its owner can do next.
 * @param {number} id
 */
export async function showFollowUp(id) {
  /** @type {FollowUpDetail} */
  let f
  try {
    f = await api('GET', `/v1/follow-ups/${id}`)
  } catch (err) {
    main.replaceChildren(errorBox(err))
    return
  }
  main.replaceChildren(
    h('h1', {}, `Follow-up #${f.id} `, h('span', { class: `fu-status ${f.status}` }, STATUS_LABEL[f.status])),
    caseFacts(f),
    h(
      'section',
      {},
      h('h2', {}, 'Why it was opened'),
      h(
        'ul',
        { class: 'reasons' },
        f.reasons.map((r) => h('li', {}, reasonLine(r))),
      ),
    ),
    hasRole('integration') ? '' : workForm(f),
    history(f),
  )
  countDown(main)
}

/** @param {FollowUpDetail} f */
function caseFacts(f) {
  const row = (/** @type {string} */ k, /** @type {any} */ v) => [h('dt', {}, k), h('dd', {}, v)]
  return h(
    'dl',
    { class: 'facts', id: 'follow-up-facts' },
    row(
      'Calls',
      f.calls.map((c) => h('a', { href: `#/calls/${c}` }, `call ${c} `)),
    ),
    row('Urgency', f.urgency),
    row('Category', f.category ?? '–'),
    row('Team', f.team ?? '–'),
    row('Owner', f.owner ?? '–'),
    row('Due', dueCell(f)),
    row('Response due', new Date(f.respond_due_at).toLocaleString()),
    row('Resolution due', new Date(f.resolve_due_at).toLocaleString()),
    row(
      'Escalation',
      f.escalation_level ? `level ${f.escalation_level}: ${f.escalated_to.join(', ')}` : 'none',
    ),
    f.callback
      ? row(
          'Callback',
          `${f.callback.reached ? 'reached' : 'not reached'}${f.callback.satisfied === undefined ? '' : f.callback.satisfied ? ', satisfied' : ', not satisfied'}${f.callback.csat ? `, CSAT ${f.callback.csat}` : ''}${f.callback.note ? ` — ${f.callback.note}` : ''}`,
        )
      : [],
    f.root_cause ? row('Root cause', `${f.root_cause}${f.why.length ? `: ${f.why.join(' → ')}` : ''}`) : [],
    f.fix ? row('Fix', f.fix) : [],
    f.external_ref ? row('Ticket', f.external_ref) : [],
  )
}

/** @param {FollowUpDetail} f */
function history(f) {
  return h(
    'section',
    {},
    h('h2', {}, 'History'),
    h(
      'ol',
      { class: 'history', id: 'follow-up-history' },
      f.events.map((e) =>
        h(
          'li',
          { dataset: { kind: e.kind } },
          `${new Date(e.at).toLocaleString()} · ${e.user ?? 'callqa'} · ${e.kind.replace('status:', '→ ')}`,
          e.note ? h('q', {}, e.note) : '',
        ),
      ),
    ),
  )
}

/**
 * The owner's form: move it on, note, call the customer back, give a complaint its root cause.
 * @param {FollowUpDetail} f
 */
function workForm(f) {
  const message = h('div', { class: 'message', role: 'status' })
  const complaint = f.reasons.some((r) => r.kind === 'complaint')
  const form = h(
    'form',
    { id: 'follow-up-work', class: 'work' },
    h('h2', {}, 'Work it'),
    h(
      'label',
      {},
      'Status ',
      h(
        'select',
        { name: 'status' },
        h('option', { value: '' }, `(${STATUS_LABEL[f.status]})`),
        f.next.map((s) => h('option', { value: s }, STATUS_LABEL[s])),
      ),
    ),
    f.team_members.length
      ? h(
          'label',
          {},
          ' Owner ',
          h(
            'select',
            { name: 'owner' },
            f.team_members.map((m) => h('option', { value: m, selected: m === f.owner }, m)),
          ),
        )
      : '',
    h('label', { class: 'block' }, 'Note ', h('textarea', { name: 'note', rows: 2 })),
    callbackFields(),
    complaint || f.root_cause ? rootCauseFields(f) : '',
    h('button', { type: 'submit' }, 'Save'),
    message,
  )
  form.addEventListener('submit', async (e) => {
    e.preventDefault()
    try {
      await api('PATCH', `/v1/follow-ups/${f.id}`, { ...changeOf(new FormData(form), f), version: f.version })
      refresh()
    } catch (err) {
      message.replaceChildren(errorBox(err))
    }
  })
  return form
}

function callbackFields() {
  return h(
    'fieldset',
    { class: 'callback' },
    h('legend', {}, 'Callback to the customer'),
    h(
      'label',
      {},
      'Reached ',
      h(
        'select',
        { name: 'cb_reached' },
        h('option', { value: '' }, '(no callback yet)'),
        h('option', { value: 'yes' }, 'yes'),
        h('option', { value: 'no' }, 'no'),
      ),
    ),
    h(
      'label',
      {},
      ' Satisfied ',
      h(
        'select',
        { name: 'cb_satisfied' },
        ['', 'yes', 'no'].map((v) => h('option', { value: v }, v || '–')),
      ),
    ),
    h(
      'label',
      {},
      ' CSAT ',
      h(
        'select',
        { name: 'cb_csat' },
        ['', '1', '2', '3', '4', '5'].map((v) => h('option', { value: v }, v || '–')),
      ),
    ),
    h('label', { class: 'block' }, 'Callback note ', h('input', { name: 'cb_note' })),
  )
}

/** @param {FollowUpDetail} f */
function rootCauseFields(f) {
  return h(
    'fieldset',
    { class: 'root-cause' },
    h('legend', {}, 'Complaint: root cause and fix'),
    h(
      'label',
      {},
      'Root cause ',
      h(
        'select',
        { name: 'root_cause' },
        h('option', { value: '' }, '–'),
        f.root_causes.map((c) => h('option', { value: c, selected: c === f.root_cause }, c)),
      ),
    ),
    h(
      'label',
      { class: 'block' },
      'Why (one reason per line, each the cause of the one before) ',
      h('textarea', { name: 'why', rows: 3 }, f.why.join('\n')),
    ),
    h('label', { class: 'block' }, 'Fix ', h('input', { name: 'fix', value: f.fix ?? '' })),
  )
}

/**
 * The change the form asks for, with only what was filled in.
 * @param {FormData} data
 * @param {FollowUpDetail} f
 */
function changeOf(data, f) {
  const get = (/** @type {string} */ k) => String(data.get(k) ?? '').trim()
  /** @type {Record<string, any>} */
  const body = {}
  if (get('status')) body.status = get('status')
  if (get('owner') && get('owner') !== f.owner) body.owner = get('owner')
  if (get('note')) body.note = get('note')
  if (get('cb_reached')) {
    body.callback = { reached: get('cb_reached') === 'yes' }
    if (get('cb_satisfied')) body.callback.satisfied = get('cb_satisfied') === 'yes'
    if (get('cb_csat')) body.callback.csat = Number(get('cb_csat'))
    if (get('cb_note')) body.callback.note = get('cb_note')
  }
  if (get('root_cause') && get('root_cause') !== f.root_cause) body.root_cause = get('root_cause')
  const why = get('why')
    .split('\n')
    .map((s) => s.trim())
    .filter(Boolean)
  if (data.has('why') && why.join('\n') !== f.why.join('\n')) body.why = why
  if (get('fix') && get('fix') !== f.fix) body.fix = get('fix')
  return body
}

/**
 * The call view's follow-up: the case this call is in, or a form to open one.
 * @param {number} callId
 */
export function callFollowUp(callId) {
  const section = h('section', { id: 'call-follow-up' }, h('h2', {}, 'Follow-up'))
  api('GET', `/v1/follow-ups?call_id=${callId}`)
    .then((/** @type {{items: FollowUp[]}} */ { items }) => {
      const f = items[0]
      if (f)
        section.append(
          h(
            'p',
            {},
            h('a', { href: `#/follow-ups/${f.id}` }, `Follow-up #${f.id}`),
            ` · ${STATUS_LABEL[f.status]} · ${f.team ?? 'no team'} · ${f.owner ?? 'no owner'} · `,
            dueCell(f),
          ),
        )
      else if (hasRole('admin', 'manager', 'reviewer', 'trainer')) section.append(openForm(callId))
      else section.hidden = true
    })
    .catch(() => {
      section.hidden = true
    })
  return section
}

/** @param {number} callId */
function openForm(callId) {
  const message = h('span', { class: 'message', role: 'status' })
  const form = h(
    'form',
    { class: 'open-follow-up' },
    h('input', { name: 'note', required: true, placeholder: 'what needs doing', size: 40 }),
    h(
      'select',
      { name: 'urgency' },
      ['', 'P0', 'P1', 'P2', 'P3'].map((u) => h('option', { value: u }, u || 'urgency of the call')),
    ),
    h('button', { type: 'submit' }, 'Open a follow-up'),
    message,
  )
  form.addEventListener('submit', async (e) => {
    e.preventDefault()
    const data = new FormData(form)
    try {
      const f = await api('POST', `/v1/calls/${callId}/follow-ups`, {
        note: String(data.get('note')),
        ...(data.get('urgency') ? { urgency: String(data.get('urgency')) } : {}),
      })
      go(`#/follow-ups/${f.id}`)
    } catch (err) {
      message.replaceChildren(errorBox(err))
    }
  })
  return form
}
