// @ts-check
import { api } from '../lib/api.js'
import { urgencyBadge } from '../lib/badges.js'
import { errorBox, filterForm, fmt, h, main } from '../lib/dom.js'
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

export async function showCalls(params) {
  const form = filterForm(
    'calls',
    h('label', {}, 'Words said', h('input', { name: 'q', value: params.get('q') ?? '' })),
    h('label', {}, 'Agent', h('input', { name: 'agent', value: params.get('agent') ?? '', size: 10 })),
    h('label', {}, 'Team', h('input', { name: 'team', value: params.get('team') ?? '', size: 10 })),
    h(
      'label',
      {},
      'Status',
      h(
        'select',
        { name: 'status' },
        ['', 'done', 'failed', 'processing', 'queued'].map((s) =>
          h('option', { value: s, selected: params.get('status') === s }, s || 'any'),
        ),
      ),
    ),
    h(
      'label',
      {},
      'Scorecard',
      h('input', {
        name: 'scorecard',
        value: params.get('scorecard') ?? '',
        size: 18,
        placeholder: 'the card that fits',
        title: "QA % is this card's score; empty: the card that fits each call",
      }),
    ),
    h('label', {}, 'QA % below', h('input', { name: 'qa_max', value: params.get('qa_max') ?? '', size: 4 })),
    h(
      'label',
      {},
      'Urgency',
      h(
        'select',
        { name: 'urgency' },
        ['', 'P0', 'P0,P1', 'P0,P1,P2', 'P3'].map((u) =>
          h(
            'option',
            { value: u, selected: params.get('urgency') === u },
            u ? u.replaceAll(',', ', ') : 'any',
          ),
        ),
      ),
    ),
    h(
      'label',
      {},
      'Category',
      h('input', {
        name: 'category',
        value: params.get('category') ?? '',
        size: 16,
        placeholder: 'billing/refund',
        title: 'a taxonomy path or its start',
      }),
    ),
    h('button', { type: 'submit' }, 'Search'),
  )
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
        [
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
        ].map((t) => h('th', { class: ['Length', 'QA %', 'Customer end'].includes(t) ? 'num' : null }, t)),
      ),
    ),
    body,
  )
  main.replaceChildren(h('h1', {}, 'Calls'), form, table, more)
  let cursor = null
  const load = async () => {
    const q = new URLSearchParams(params)
    q.set('limit', '50')
    if (cursor) q.set('cursor', cursor)
    try {
      /** @type {import('../../api/wire-types.js').CallPage} */
      const page = await api('GET', `/v1/calls?${q}`)
      for (const c of page.items)
        body.append(
          h(
            'tr',
            {
              class: 'row-link',
              dataset: { callId: c.id },
              onclick: () => (location.hash = `#/calls/${c.id}`),
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
          ),
        )
      if (page.items.length === 0 && !cursor)
        body.append(h('tr', {}, h('td', { colspan: 12, class: 'muted' }, 'No calls match.')))
      cursor = page.next_cursor
      more.hidden = !cursor
    } catch (err) {
      main.append(errorBox(err))
    }
  }
  more.addEventListener('click', load)
  await load()
}
