// @ts-check
import { api, csvButton } from '../lib/api.js'
import { errorBox, filterForm, fmt, h, main, table } from '../lib/dom.js'
import { hasRole } from '../lib/session.js'
import { clock } from '../lib/time.js'

/**
 * The month's TOP issues as a printable page (the browser's print keeps the table and drops the
 * controls), with the CSV beside it; for QA leads, the emerging topics the taxonomy misses and a
 * form to promote one into it.
 */
/** @param {number | null | undefined} x */
const pct = (x) => (x === null || x === undefined ? '–' : `${Math.round(x * 100)}%`)

/**
 * The monthly TOP issues: categories ranked by calls, with their figures, a print and a CSV;
 * emerging topics the taxonomy does not file yet, which reviewers can promote.
 * @param {URLSearchParams} params
 */
export async function showReport(params) {
  const now = new Date()
  const month =
    params.get('month') ?? `${now.getUTCFullYear()}-${String(now.getUTCMonth() + 1).padStart(2, '0')}`
  const level = params.get('level') ?? '2'
  const form = filterForm(
    'reports',
    h('label', {}, 'Month', h('input', { name: 'month', type: 'month', value: month })),
    h(
      'label',
      {},
      'Level',
      h(
        'select',
        { name: 'level' },
        ['1', '2', '3'].map((l) => h('option', { value: l, selected: l === level }, l)),
      ),
    ),
    h('button', { type: 'submit' }, 'Show'),
  )
  main.replaceChildren(h('h1', {}, `TOP issues ${month}`), form)
  let report
  try {
    report = await api('GET', `/v1/reports/top-issues?month=${month}&level=${level}`)
  } catch (err) {
    main.append(errorBox(err))
    return
  }
  const csv = csvButton({
    class: 'no-print',
    label: 'CSV',
    url: `/v1/reports/top-issues?month=${month}&level=${level}&format=csv`,
    filename: `callqa-top-issues-${month}.csv`,
  })
  main.append(
    h(
      'p',
      { class: 'report-head' },
      `${report.total_calls} calls (previous month ${report.previous_total_calls}); taxonomy ${report.taxonomy.key} v${report.taxonomy.version}. `,
      h('button', { type: 'button', class: 'no-print', onclick: () => window.print() }, 'Print'),
      ' ',
      csv,
    ),
    issueTable(report),
  )
  main.append(await emergingTopics(month, report))
}

const ISSUE_COLUMNS = [
  '#',
  'Category',
  'Calls',
  'Share',
  'Change',
  'CSAT',
  'Customer sentiment',
  'Complaints',
  'AHT',
  'P0–P1',
  'Follow-ups',
  'Resolved',
  'Promises kept',
  'Examples',
]

/** @param {any} report the TOP issues as GET /v1/reports/top-issues answers */
function issueTable(report) {
  const change = (/** @type {any} */ r) =>
    `${r.change >= 0 ? '+' : ''}${r.change}${r.change_pct === null ? '' : ` (${r.change_pct >= 0 ? '+' : ''}${Math.round(r.change_pct * 100)}%)`}`
  return table(
    'top-issues',
    ISSUE_COLUMNS,
    report.items.map((r) =>
      h(
        'tr',
        { dataset: { category: r.category } },
        [
          String(r.rank),
          h(
            'a',
            {
              title: r.label_zh ?? '',
              href: r.category
                ? `#/calls?category=${r.category}&from=${report.period.from}&to=${report.period.to}`
                : '#/calls',
            },
            r.label,
          ),
          String(r.calls),
          pct(r.share),
          change(r),
          fmt(r.csat),
          fmt(r.customer_sentiment),
          pct(r.complaint_rate),
          r.aht_ms === null ? '–' : clock(r.aht_ms),
          String(r.urgent_calls),
          r.follow_ups
            ? h(
                'a',
                {
                  href: `#/follow-ups?category=${r.category}&call_from=${report.period.from.slice(0, 10)}&call_to=${report.period.to.slice(0, 10)}`,
                },
                String(r.follow_ups),
              )
            : '0',
          r.follow_ups_resolved_rate === null ? '–' : pct(r.follow_ups_resolved_rate),
          r.promises_kept_rate === null ? '–' : pct(r.promises_kept_rate),
          h(
            'span',
            {},
            r.example_calls.map((id) => h('a', { href: `#/calls/${id}` }, `#${id} `)),
          ),
        ].map((cell) => h('td', {}, cell)),
      ),
    ),
  )
}

/**
 * Emerging topics: what the taxonomy does not file yet.
 * @param {string} month
 * @param {any} report
 */
async function emergingTopics(month, report) {
  const emerging = h('section', { id: 'emerging', class: 'no-print' }, h('h2', {}, 'Emerging topics'))
  try {
    const found = await api('GET', `/v1/topics/emerging?month=${month}`)
    emerging.append(
      h(
        'p',
        { class: 'muted' },
        `${found.unfiled_calls} of ${found.calls} calls with a trusted transcript were not filed by the taxonomy.`,
      ),
    )
    if (!found.items.length) emerging.append(h('p', { class: 'muted' }, 'No recurring topic among them.'))
    for (const t of found.items) {
      const card = h(
        'div',
        { class: 'emerging', dataset: { label: t.label } },
        h('strong', {}, t.label),
        ` ${t.calls.length} calls · `,
        t.phrases.map((p) => `${p.phrase} (${p.calls})`).join(', '),
        ' · ',
        ...t.examples.map((id) => h('a', { href: `#/calls/${id}` }, `#${id} `)),
      )
      if (hasRole('admin', 'reviewer')) card.append(promoteForm(t, report))
      emerging.append(card)
    }
  } catch (err) {
    emerging.append(errorBox(err))
  }
  return emerging
}

/** Promote an emerging topic: a node under a chosen parent, with its phrases (editable). */
function promoteForm(topic, report) {
  const result = h('span', { class: 'result' })
  return h(
    'form',
    {
      class: 'promote',
      onsubmit: async (e) => {
        e.preventDefault()
        const f = new FormData(e.target)
        try {
          const done = await api('POST', '/v1/taxonomy/nodes', {
            parent: String(f.get('parent') ?? '')
              .split('/')
              .filter(Boolean),
            key: String(f.get('key')),
            label: String(f.get('label')),
            phrases: String(f.get('phrases'))
              .split(',')
              .map((p) => p.trim())
              .filter(Boolean),
          })
          result.replaceChildren(
            `Added ${done.path.join('/')} (taxonomy v${done.taxonomy.version}); ${done.refile.pending_calls} calls are being filed again in the background.`,
          )
        } catch (err) {
          result.replaceChildren(errorBox(err))
        }
      },
    },
    h(
      'label',
      {},
      'Under',
      h('input', {
        name: 'parent',
        size: 14,
        placeholder: 'billing (empty: top level)',
        title: `taxonomy ${report.taxonomy.key}`,
      }),
    ),
    h('label', {}, 'Key', h('input', { name: 'key', size: 14, value: topic.suggestion.key, required: true })),
    h(
      'label',
      {},
      'Label',
      h('input', { name: 'label', size: 16, value: topic.suggestion.label, required: true }),
    ),
    h(
      'label',
      {},
      'Phrases',
      h('input', { name: 'phrases', size: 30, value: topic.suggestion.phrases.join(', '), required: true }),
    ),
    h('button', { type: 'submit' }, 'Add to the taxonomy'),
    result,
  )
}
