// @ts-check
// The managers' follow-up report: per period, by category, team and urgency, what was opened,
// resolved, promised and kept; each count opens the cases behind it.

import { api, csvButton } from '../lib/api.js'
import { errorBox, filterForm, h, main, table } from '../lib/dom.js'

/** @typedef {import('../../api/wire-types.js').FollowUpReport} FollowUpReport */
/** @typedef {FollowUpReport['total']} Figures */

/** @param {number | null} ms */
const hours = (ms) =>
  ms === null ? '–' : ms < 3_600_000 ? `${Math.round(ms / 60_000)} min` : `${(ms / 3_600_000).toFixed(1)} h`
/** @param {number | null} x */
const pct = (x) => (x === null ? '–' : `${x}%`)

const GROUP_FILTER = { category: 'category', team: 'team', urgency: 'urgency' }

/**
 * @param {URLSearchParams} params
 */
export async function showFollowUpReport(params) {
  const now = new Date()
  const month =
    params.get('month') ?? `${now.getUTCFullYear()}-${String(now.getUTCMonth() + 1).padStart(2, '0')}`
  const form = filterForm(
    'follow-ups/report',
    h('label', {}, 'Month ', h('input', { name: 'month', type: 'month', value: month })),
    h('button', { type: 'submit' }, 'Show'),
  )
  main.replaceChildren(h('h1', {}, `Follow-ups ${month}`), form)
  /** @type {FollowUpReport} */
  let report
  try {
    report = await api('GET', `/v1/follow-ups/report?month=${month}`)
  } catch (err) {
    main.append(errorBox(err))
    return
  }
  const period = `from=${report.from.slice(0, 10)}&to=${report.to.slice(0, 10)}`
  main.append(
    h(
      'p',
      {},
      csvButton({
        label: 'CSV',
        url: `/v1/follow-ups/report?month=${month}&format=csv`,
        filename: `follow-ups-${month}.csv`,
      }),
    ),
    figuresTable('follow-up-total', 'All', [report.total], period, null),
    figuresTable('follow-up-by-category', 'Category', report.by_category, period, 'category'),
    figuresTable('follow-up-by-team', 'Team', report.by_team, period, 'team'),
    figuresTable('follow-up-by-urgency', 'Urgency', report.by_urgency, period, 'urgency'),
  )
}

/**
 * @param {string} id
 * @param {string} heading
 * @param {Figures[]} rows
 * @param {string} period
 * @param {'category' | 'team' | 'urgency' | null} group
 */
function figuresTable(id, heading, rows, period, group) {
  /** A count that opens the list of its cases. */
  const open = (/** @type {Figures} */ r, /** @type {number} */ n, extra = '') => {
    const by = group && r.key ? `&${GROUP_FILTER[group]}=${encodeURIComponent(r.key)}` : ''
    return n ? h('a', { href: `#/follow-ups?queue=all&${period}${by}${extra}` }, String(n)) : '0'
  }
  return h(
    'section',
    {},
    table(
      id,
      [
        heading,
        'Opened',
        'Resolved',
        'Promises kept',
        'Median to resolve',
        'Median promise',
        'Escalated',
        'Reopen rate',
        'Callbacks reached',
        'Satisfied',
        'CSAT',
      ],
      rows.map((r) =>
        h(
          'tr',
          { dataset: { key: r.key ?? '' } },
          [
            r.key ?? (group ? '(none)' : 'all'),
            open(r, r.opened),
            open(r, r.resolved, '&resolved=true'),
            `${pct(r.promises_kept_pct)} (${r.promises_kept} of ${r.promises_due})`,
            hours(r.median_resolve_ms),
            hours(r.median_promise_ms),
            open(r, r.escalated, '&escalated=true'),
            pct(r.reopen_rate_pct),
            String(r.callbacks_reached),
            pct(r.callback_satisfied_pct),
            r.callback_csat === null ? '–' : String(r.callback_csat),
          ].map((cell) => h('td', {}, cell)),
        ),
      ),
    ),
  )
}
