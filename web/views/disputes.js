// @ts-check
import { api } from '../lib/api.js'
import { errorBox, filterForm, fmt, h, main } from '../lib/dom.js'
import { hasRole } from '../lib/session.js'

const DISPUTE_STATUS = {
  open: 'open',
  accepted: 'accepted',
  partially_accepted: 'partly accepted',
  rejected: 'rejected',
}

/** The disputes the API lets this user see: agents their calls', reviewers those on their reviews. */
export async function showDisputes(params) {
  const status = params.get('status') ?? 'open'
  const form = filterForm(
    'disputes',
    h(
      'label',
      {},
      'Status ',
      h(
        'select',
        { name: 'status' },
        ['open', 'accepted', 'partially_accepted', 'rejected', 'any'].map((s) =>
          h('option', { value: s, selected: s === status }, DISPUTE_STATUS[s] ?? s),
        ),
      ),
    ),
    h('button', { type: 'submit' }, 'Show'),
  )
  main.replaceChildren(h('h1', {}, 'Disputes'), form)
  /** @type {import('../../api/wire-types.js').Dispute[]} */
  let rows
  try {
    rows = await api('GET', `/v1/disputes${status === 'any' ? '' : `?status=${status}`}`)
  } catch (err) {
    main.append(errorBox(err))
    return
  }
  if (rows.length === 0) {
    main.append(h('p', { class: 'muted' }, 'No disputes here.'))
    return
  }
  const list = h('div', { id: 'disputes' })
  for (const d of rows) list.append(disputeCard(d))
  main.append(list)
}

function disputeCard(d) {
  const card = h(
    'section',
    { class: 'dispute', dataset: { disputeId: d.id }, 'aria-label': `dispute ${d.id}` },
    h(
      'h3',
      {},
      `Dispute ${d.id} — `,
      h(
        'a',
        { href: `#/calls/${d.call_id}/evaluations/${d.evaluation_id}` },
        `call ${d.call_id}, review ${d.evaluation_id}`,
      ),
      ' ',
      h('span', { class: `dispute-status ${d.status}` }, DISPUTE_STATUS[d.status] ?? d.status),
    ),
    h(
      'p',
      {},
      `Raised by ${d.raised_by_name} on ${new Date(d.created_at).toLocaleString()}: `,
      h('q', {}, d.comment),
    ),
    h(
      'ul',
      {},
      d.items.map((i) =>
        h(
          'li',
          { dataset: { item: i.item_key } },
          `${i.item_key}: ${i.current} → ${i.proposed}`,
          i.comment ? ` (“${i.comment}”)` : '',
          d.status !== 'open'
            ? d.accepted_items.includes(i.item_key)
              ? ' — accepted'
              : ' — not accepted'
            : '',
        ),
      ),
    ),
    d.status === 'open'
      ? null
      : h(
          'p',
          {},
          `Decided by ${d.decided_by_name ?? '–'}: ${fmt(d.percent_before, 1)} % → ${fmt(d.percent_after, 1)} %`,
          d.decision_comment ? ` (“${d.decision_comment}”)` : '',
        ),
  )
  // Reviewers decide the disputes of their own reviews (the API refuses the others, and says so).
  if (d.status === 'open' && hasRole('reviewer', 'admin')) card.append(decisionForm(d))
  return card
}

function decisionForm(d) {
  const message = h('span', { class: 'message', role: 'status' })
  const accepted = d.items.map((i) =>
    h('label', {}, h('input', { type: 'checkbox', name: 'accepted', value: i.item_key }), ` ${i.item_key}`),
  )
  const form = h(
    'form',
    {
      class: 'decision',
      onsubmit: async (e) => {
        e.preventDefault()
        const data = new FormData(form)
        const decision = String(data.get('decision'))
        const comment = String(data.get('comment') ?? '').trim()
        const body = {
          decision,
          ...(comment ? { comment } : {}),
          ...(decision === 'partial' ? { accepted_items: data.getAll('accepted').map(String) } : {}),
        }
        try {
          const decided = await api('POST', `/v1/disputes/${d.id}/decision`, body)
          form.closest('section')?.replaceWith(disputeCard(decided))
        } catch (err) {
          message.replaceChildren(errorBox(err))
        }
      },
    },
    h(
      'label',
      {},
      'Decision ',
      h(
        'select',
        { name: 'decision' },
        h('option', { value: 'accept' }, 'accept every item'),
        h('option', { value: 'partial' }, 'accept the ticked items'),
        h('option', { value: 'reject' }, 'reject'),
      ),
    ),
    h('span', { class: 'accepted-items' }, accepted),
    h('input', {
      type: 'text',
      name: 'comment',
      placeholder: 'why (needed unless accepting everything)',
      size: 40,
    }),
    h('button', { type: 'submit' }, 'Decide'),
    message,
  )
  return form
}

/** @typedef {import('../../api/wire-types.js').Evaluation} Evaluation */

/**
 * Under a submitted review of an agent's own call: the disputes already raised on it, and a form to
 * contest items with a comment (the API enforces the window and the cap, and says which applies).
 * @param {Evaluation} ev
 */
export async function disputePanel(ev) {
  const panel = h('div', { id: 'dispute-panel' })
  // The agent says they have read the review (once); a dispute is how they disagree.
  if (hasRole('agent')) panel.append(acknowledgement(ev))
  /** @type {import('../../api/wire-types.js').Dispute[]} */
  let existing = []
  try {
    existing = await api('GET', `/v1/disputes?evaluation_id=${ev.id}`)
  } catch {
    // Not allowed to list them (a role without disputes): nothing to show.
    return panel
  }
  for (const d of existing)
    panel.append(
      h(
        'p',
        { class: 'muted' },
        `Dispute ${d.id}: ${DISPUTE_STATUS[d.status] ?? d.status}`,
        d.status === 'open' ? ' (waiting for the reviewer)' : '',
      ),
    )
  if (existing.some((d) => d.status === 'open') || !hasRole('agent', 'manager', 'admin')) return panel
  const form = disputeForm(ev)
  panel.append(
    h(
      'button',
      {
        type: 'button',
        id: 'open-dispute',
        onclick: (/** @type {MouseEvent} */ e) => {
          const button = /** @type {HTMLElement} */ (e.currentTarget)
          form.hidden = false
          button.hidden = true
          form.querySelector('input')?.focus()
        },
      },
      'Dispute this review',
    ),
    form,
  )
  return panel
}

/**
 * When the agent acknowledged the review, or the button that does it.
 * @param {Evaluation} ev
 */
function acknowledgement(ev) {
  const said = (/** @type {string} */ at) =>
    h('p', { id: 'acknowledged' }, `Acknowledged on ${new Date(at).toLocaleString()}.`)
  if (ev.acknowledged_at) return said(ev.acknowledged_at)
  const button = h(
    'button',
    {
      type: 'button',
      id: 'acknowledge',
      onclick: async () => {
        try {
          const done = await api('POST', `/v1/evaluations/${ev.id}/acknowledge`)
          button.replaceWith(said(done.acknowledged_at))
        } catch (err) {
          button.after(errorBox(err))
        }
      },
    },
    'I have read this review',
  )
  return button
}

/**
 * The items an agent may contest (answered pass or fail) and the comment.
 * @param {Evaluation} ev
 */
function disputeForm(ev) {
  const message = h('span', { class: 'message', role: 'status' })
  const form = h(
    'form',
    {
      class: 'dispute-form',
      hidden: true,
      onsubmit: async (/** @type {SubmitEvent} */ e) => {
        e.preventDefault()
        const data = new FormData(form)
        const items = data.getAll('disputed').map((key) => ({ item_key: String(key) }))
        try {
          const made = await api('POST', `/v1/evaluations/${ev.id}/disputes`, {
            comment: String(data.get('comment') ?? '').trim(),
            items,
          })
          form.replaceWith(
            h('p', { role: 'status', id: 'dispute-sent' }, `Dispute ${made.id} sent to the reviewer.`),
          )
        } catch (err) {
          message.replaceChildren(errorBox(err))
        }
      },
    },
    h('p', {}, 'Tick the items you contest; a pass becomes a fail and a fail a pass.'),
    ev.items
      .filter((i) => i.result === 'pass' || i.result === 'fail')
      .map((i) =>
        h(
          'label',
          { class: 'disputable' },
          h('input', { type: 'checkbox', name: 'disputed', value: i.item_key }),
          ` ${i.label ?? i.item_key} (${i.result})`,
        ),
      ),
    h('textarea', { name: 'comment', required: true, placeholder: 'What happened on the call' }),
    h('button', { type: 'submit', id: 'send-dispute' }, 'Send dispute'),
    message,
  )
  return form
}
