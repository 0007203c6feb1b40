// @ts-check
import { api, csvButton } from '../lib/api.js'
import { errorBox, filterForm, h, main, table } from '../lib/dom.js'
import { hasRole } from '../lib/session.js'
import { clock } from '../lib/time.js'

const TREND_COLUMNS = [
  ['period', 'Period'],
  ['group', 'Group'],
  ['calls', 'Calls'],
  ['qa_percent', 'QA %'],
  ['qa_reviewed', 'Reviewed'],
  ['customer_sentiment_end', 'Customer end'],
  ['csat', 'CSAT'],
  ['aht_ms', 'AHT'],
  ['dead_air_rate', 'Dead air'],
  ['overtalk_share', 'Overtalk'],
  ['agent_talk_ratio', 'Agent talk'],
  ['hold_rate', 'Calls with holds'],
  ['hold_ms_per_call', 'Hold per call'],
  ['low_confidence_transcripts', 'Low-confidence text'],
]

/**
 * The trends of the period, per agent, team, queue or language: a chart of one figure and the
 * table of all, with its CSV; reviewers' agreement with the machine below.
 * @param {URLSearchParams} params
 */
export async function showTrends(params) {
  const day = (/** @type {Date} */ d) => d.toISOString().slice(0, 10)
  const to = params.get('to') ?? day(new Date(Date.now() + 86_400_000))
  const from = params.get('from') ?? day(new Date(Date.now() - 90 * 86_400_000))
  const groupBy = params.get('group_by') ?? 'agent'
  const period = params.get('period') ?? 'week'
  const scorecard = params.get('scorecard') ?? ''
  const metric = params.get('metric') ?? 'qa_percent'
  main.replaceChildren(h('h1', {}, 'Trends'), trendFilters({ from, to, groupBy, period, scorecard, metric }))
  const query = new URLSearchParams({
    from: `${from}T00:00:00Z`,
    to: `${to}T00:00:00Z`,
    group_by: groupBy,
    period,
    ...(scorecard ? { scorecard } : {}),
  })
  try {
    const { items } = await api('GET', `/v1/trends?${query}`)
    const chart = h('div', { id: 'trend-chart', class: 'chart' })
    main.append(
      h(
        'p',
        { class: 'muted' },
        `${CHART_METRICS.find(([k]) => k === metric)?.[1] ?? metric} per ${period}, one line per ${groupBy}: click a point for the calls behind it.`,
      ),
      chart,
      trendTable(items),
      h(
        'p',
        {},
        csvButton({
          id: 'csv',
          label: 'Download CSV',
          url: `/v1/trends?${query}&format=csv`,
          filename: `trends-${groupBy}-${period}.csv`,
        }),
      ),
    )
    await drawTrendChart(chart, items, { metric, groupBy, period })
    if (hasRole('admin', 'manager', 'reviewer')) main.append(await agreementTable(query))
  } catch (err) {
    main.append(errorBox(err))
  }
}

/** @param {{from: string, to: string, groupBy: string, period: string, scorecard: string, metric: string}} shown */
function trendFilters({ from, to, groupBy, period, scorecard, metric }) {
  const select = (/** @type {string} */ name, /** @type {string[]} */ options, /** @type {string} */ value) =>
    h(
      'select',
      { name },
      options.map((o) => h('option', { value: o, selected: o === value }, o)),
    )
  return filterForm(
    'trends',
    h('label', {}, 'From', h('input', { type: 'date', name: 'from', value: from })),
    h('label', {}, 'To (excluded)', h('input', { type: 'date', name: 'to', value: to })),
    h('label', {}, 'By', select('group_by', ['agent', 'team', 'queue', 'language'], groupBy)),
    h('label', {}, 'Per', select('period', ['day', 'week', 'month'], period)),
    h(
      'label',
      {},
      'Scorecard',
      h('input', { name: 'scorecard', value: scorecard, size: 18, placeholder: 'every card' }),
    ),
    h(
      'label',
      {},
      'Chart',
      select(
        'metric',
        CHART_METRICS.map(([k]) => k),
        metric,
      ),
    ),
    h('button', { type: 'submit' }, 'Show'),
  )
}

/**
 * A trend figure as the table shows it: times as clock, rates as %.
 * @param {string} key
 * @param {number | string | null | undefined} v
 */
const trendCell = (key, v) =>
  v === null || v === undefined
    ? '–'
    : key === 'aht_ms' || key === 'hold_ms_per_call'
      ? clock(Number(v))
      : ['dead_air_rate', 'overtalk_share', 'hold_rate'].includes(key)
        ? `${(100 * Number(v)).toFixed(1)} %`
        : String(v)

/** @param {Array<Record<string, any>>} items */
function trendTable(items) {
  return table(
    'trends',
    TREND_COLUMNS.map(([, t]) => t),
    items.length
      ? items.map((r) =>
          h(
            'tr',
            {},
            TREND_COLUMNS.map(([k]) => h('td', { dataset: { key: k } }, trendCell(k, r[k]))),
          ),
        )
      : [h('tr', {}, h('td', { colspan: TREND_COLUMNS.length, class: 'muted' }, 'No calls in this range.'))],
  )
}

/** What the chart can plot, with how its axis reads. */
const CHART_METRICS = [
  ['qa_percent', 'QA %'],
  ['customer_sentiment_end', 'Customer sentiment at the end'],
  ['csat', 'CSAT'],
  ['aht_ms', 'Average handle time (ms)'],
  ['dead_air_rate', 'Share of calls with dead air'],
  ['hold_rate', 'Share of calls with holds'],
  ['calls', 'Calls'],
]

/** The first day after a period that starts on `start` (YYYY-MM-DD). */
function periodEnd(start, period) {
  const d = new Date(`${start}T00:00:00Z`)
  if (period === 'day') d.setUTCDate(d.getUTCDate() + 1)
  else if (period === 'week') d.setUTCDate(d.getUTCDate() + 7)
  else d.setUTCMonth(d.getUTCMonth() + 1)
  return d.toISOString().slice(0, 10)
}

/**
 * One line per group over the periods (uPlot, served by callqa). A click on a point opens the call
 * list behind it: that group's calls in that period.
 */
async function drawTrendChart(container, items, { metric, groupBy, period }) {
  if (items.length === 0) return
  const { default: uPlot } = await import('/vendor/uplot.esm.js')
  const periods = [...new Set(items.map((r) => r.period))].sort()
  const groups = [...new Set(items.map((r) => r.group ?? '(none)'))].sort()
  const x = periods.map((p) => Date.parse(`${p}T00:00:00Z`) / 1000)
  const value = new Map(items.map((r) => [`${r.group ?? '(none)'}\u0000${r.period}`, r[metric]]))
  const series = groups.map((g) => periods.map((p) => value.get(`${g}\u0000${p}`) ?? null))
  const colours = ['#1a5fb4', '#c2703d', '#2e8b57', '#8e44ad', '#c01c28', '#5e5c64', '#b5835a', '#26a269']
  let focused = null
  const plot = new uPlot(
    {
      width: Math.max(320, Math.min(960, container.clientWidth || 800)),
      height: 260,
      cursor: { focus: { prox: 24 } },
      focus: { alpha: 0.35 },
      scales: { x: { time: true } },
      series: [
        {},
        ...groups.map((g, i) => ({
          label: g,
          stroke: colours[i % colours.length],
          width: 2,
          points: { show: true, size: 7 },
          spanGaps: true,
        })),
      ],
      hooks: {
        setSeries: [
          (_u, i) => {
            focused = i
          },
        ],
      },
    },
    [x, ...series],
    container,
  )
  container.plot = plot
  plot.over.addEventListener('click', () => {
    const idx = plot.cursor.idx
    if (idx === null || idx === undefined || !focused) return
    const group = groups[focused - 1]
    const start = periods[idx]
    const q = new URLSearchParams({ from: `${start}T00:00:00Z`, to: `${periodEnd(start, period)}T00:00:00Z` })
    if (group !== '(none)') q.set(groupBy, group)
    location.hash = `#/calls?${q}`
  })
}

/** Automatic against human, per item: where reviewers keep or override the machine's answer. */
async function agreementTable(query) {
  const q = new URLSearchParams({ from: query.get('from'), to: query.get('to'), period: 'month' })
  if (query.get('scorecard')) q.set('scorecard', query.get('scorecard'))
  const { items } = await api('GET', `/v1/trends/agreement?${q}`)
  return h(
    'section',
    {},
    h('h2', {}, 'Automatic against human'),
    items.length === 0
      ? h('p', { class: 'muted' }, 'No submitted reviews in this range.')
      : h(
          'table',
          { id: 'agreement' },
          h(
            'thead',
            {},
            h(
              'tr',
              {},
              ['Month', 'Card', 'Item', 'Reviewed', 'Kept', 'Pass → fail', 'Fail → pass', 'Agreement'].map(
                (t) => h('th', {}, t),
              ),
            ),
          ),
          h(
            'tbody',
            {},
            items.map((r) =>
              h(
                'tr',
                { dataset: { item: r.item_key } },
                h('td', {}, r.period),
                h('td', {}, r.scorecard),
                h('td', {}, r.item_key),
                h('td', { class: 'num' }, String(r.reviewed)),
                h('td', { class: 'num' }, String(r.kept)),
                h('td', { class: 'num' }, String(r.pass_to_fail)),
                h('td', { class: 'num' }, String(r.fail_to_pass)),
                h('td', { class: 'num' }, `${(100 * r.agreement).toFixed(0)} %`),
              ),
            ),
          ),
        ),
  )
}
