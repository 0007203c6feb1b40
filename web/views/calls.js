// @ts-check
import { api } from '../lib/api.js'
import { urgencyBadge } from '../lib/badges.js'
import { choice, errorBox, field, filterForm, fmt, h, main } from '../lib/dom.js'
import { clock } from '../lib/time.js'

/** What to know about a call before reading its figures, as short badges in the call list. */
function callFlags(c) {
  const flag = (kind, text, title) => h('span', { class: `flag ${kind}`, title }, text)
  return [
    c.fatal_failed ? flag('fatal', 'fatal', `a fatal item failed on ${c.qa_scorecard}`) : null,
    c.transcript_trusted === false
      ? flag('low-confidence', 'low-confidence text', 'speech recognition below its confidence threshold')
      : null,
    c.channel_problem === 'dual-mono'
      ? flag('channels', 'dual mono', 'both channels carry the same mix: analysed as one channel')
      : c.channel_problem === 'one-channel-silent'
        ? flag('channels', 'silent channel', 'one channel of the stereo file is silent')
        : null,
    c.hold_count
      ? flag('hold', `${c.hold_count} hold${c.hold_count === 1 ? '' : 's'}`, 'holds on this call')
      : null,
    c.conduct_flags
      ? flag('conduct', 'agent conduct', `${c.conduct_flags} dismissive or rude remark(s) by the agent`)
      : null,
  ]
}

/** @typedef {import('../../api/wire-types.js').CallPage['items'][number]} CallSummary */

const COLUMNS = [
  'Call',
  'Started',
  'Agent',
  'Team',
  'Queue',
  'Length',
  'Status',
  'QA %',
  'Customer end',
  'Urgency',
  'Category',
  'Flags',
]

/**
 * The calls, newest first, filtered by the form (kept in the address); 50 at a time.
 * @param {URLSearchParams} params
 */
export async function showCalls(params) {
  const body = h('tbody')
  const more = h('button', { type: 'button', hidden: true }, 'More')
  const table = h(
    'table',
    { id: 'calls' },
    h(
      'thead',
      {},
      h(
        'tr',
        {},
        COLUMNS.map((t) =>
          h('th', { class: ['Length', 'QA %', 'Customer end'].includes(t) ? 'num' : null }, t),
        ),
      ),
    ),
    body,
  )
  main.replaceChildren(h('h1', {}, 'Calls'), callFilters(params), table, more)
  /** @type {string | null} */
  let cursor = null
  const load = async () => {
    const q = new URLSearchParams(params)
    q.set('limit', '50')
    if (cursor) q.set('cursor', cursor)
    try {
      /** @type {import('../../api/wire-types.js').CallPage} */
      const page = await api('GET', `/v1/calls?${q}`)
      body.append(...page.items.map(callRow))
      if (page.items.length === 0 && !cursor)
        body.append(h('tr', {}, h('td', { colspan: COLUMNS.length, class: 'muted' }, 'No calls match.')))
      cursor = page.next_cursor
      more.hidden = !cursor
    } catch (err) {
      main.append(errorBox(err))
    }
  }
  more.addEventListener('click', load)
  await load()
}

/** @param {URLSearchParams} params */
function callFilters(params) {
  return filterForm(
    'calls',
    field('Words said', 'q', params),
    field('Agent', 'agent', params, { size: 10 }),
    field('Team', 'team', params, { size: 10 }),
    choice(
      'Status',
      'status',
      params,
      ['', 'done', 'failed', 'processing', 'queued'].map((s) => [s, s || 'any']),
    ),
    field('Scorecard', 'scorecard', params, {
      size: 18,
      placeholder: 'the card that fits',
      title: "QA % is this card's score; empty: the card that fits each call",
    }),
    field('QA % below', 'qa_max', params, { size: 4 }),
    choice(
      'Urgency',
      'urgency',
      params,
      ['', 'P0', 'P0,P1', 'P0,P1,P2', 'P3'].map((u) => [u, u ? u.replaceAll(',', ', ') : 'any']),
    ),
    field('Category', 'category', params, {
      size: 16,
      placeholder: 'billing/refund',
      title: 'a taxonomy path or its start',
    }),
    h('button', { type: 'submit' }, 'Search'),
  )
}

/** @param {CallSummary} c */
function callRow(c) {
  return h(
    'tr',
    {
      class: 'row-link',
      dataset: { callId: c.id },
      onclick: () => {
        location.hash = `#/calls/${c.id}`
      },
    },
    h('td', {}, h('a', { href: `#/calls/${c.id}` }, String(c.external_id ?? c.id))),
    h('td', {}, c.started_at ? new Date(c.started_at).toLocaleString() : '–'),
    h('td', {}, c.agent_id ?? '–'),
    h('td', {}, c.team ?? '–'),
    h('td', {}, c.queue ?? '–'),
    h('td', { class: 'num' }, c.duration_ms ? clock(c.duration_ms) : '–'),
    h('td', {}, c.status),
    h('td', { class: 'num', title: c.qa_scorecard ?? '' }, fmt(c.qa_percent, 1)),
    h('td', { class: 'num' }, fmt(c.customer_sentiment_end)),
    h('td', {}, urgencyBadge(c.urgency)),
    h('td', {}, c.category ? c.category.join(' › ') : '–'),
    h('td', { class: 'flags' }, callFlags(c)),
  )
}
