// The review page: a reviewer signs in with their token, finds a call (or takes one from their
// queue), listens with the timeline and transcript, opens a review from the automatic evaluation,
// answers and comments item by item (the automatic answer and its evidence stay beside), saves a
// draft and submits; an agent disputes items of a submitted review of their call, and the
// reviewer decides the dispute. Everything goes through the /v1 API with the user's own token; text
// from the server is only ever set as text, never parsed as HTML.

const TOKEN_KEY = 'callqa.token'
const main = /** @type {HTMLElement} */ (document.getElementById('main'))
/** @type {{id: number, name: string, role: string, agent_id: string | null} | null} */
let me = null

// ---------- helpers ----------

/** Builds an element: attributes (on* as listeners), then children (strings become text). */
function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag)
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue
    if (k.startsWith('on')) el.addEventListener(k.slice(2), v)
    else if (k === 'dataset') Object.assign(el.dataset, v)
    // Styles through the CSSOM: the page's Content-Security-Policy refuses inline style attributes.
    else if (k === 'style') Object.assign(el.style, v)
    else el.setAttribute(k, v === true ? '' : String(v))
  }
  for (const c of children.flat()) if (c !== null && c !== undefined && c !== false) el.append(c)
  return el
}

class ApiFailure extends Error {
  constructor(status, body) {
    super(body?.error?.message ?? `HTTP ${status}`)
    this.status = status
    this.details = body?.error?.details
  }
}

async function api(method, url, body) {
  const res = await fetch(url, {
    method,
    headers: {
      authorization: `Bearer ${sessionStorage.getItem(TOKEN_KEY) ?? ''}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  })
  const data = res.headers.get('content-type')?.includes('json') ? await res.json() : null
  if (res.status === 401) {
    sessionStorage.removeItem(TOKEN_KEY)
    // Signed in until now: the token was revoked or the user disabled. Signing in: the form says why.
    if (me) {
      me = null
      showSignIn('Your session ended: sign in again.')
    }
    throw new ApiFailure(res.status, data)
  }
  if (!res.ok) throw new ApiFailure(res.status, data)
  return data
}

/** m:ss or h:mm:ss */
function clock(ms) {
  const s = Math.max(0, Math.round(ms / 1000))
  const hh = Math.floor(s / 3600)
  const mm = Math.floor((s % 3600) / 60)
  const ss = String(s % 60).padStart(2, '0')
  return hh ? `${hh}:${String(mm).padStart(2, '0')}:${ss}` : `${mm}:${ss}`
}

/**
 * A search form above a list: submitting puts its filled-in fields into the page's address
 * (`#/<view>?…`), so the view can be reloaded, linked and gone back to.
 */
function filterForm(view, ...fields) {
  const form = h(
    'form',
    {
      class: 'filters',
      onsubmit: (e) => {
        e.preventDefault()
        const q = new URLSearchParams()
        for (const [k, v] of new FormData(form)) if (String(v).trim()) q.set(k, String(v).trim())
        location.hash = `#/${view}?${q}`
      },
    },
    ...fields,
  )
  return form
}

/** A table: its id, the column headings, and the body's rows. */
const table = (id, headings, rows) =>
  h(
    'table',
    { id },
    h(
      'thead',
      {},
      h(
        'tr',
        {},
        headings.map((t) => h('th', {}, t)),
      ),
    ),
    h('tbody', {}, rows),
  )

const fmt = (v, digits = 2) =>
  v === null || v === undefined
    ? '–'
    : // No "-0.00": a value that rounds to zero is zero.
      (Math.abs(Number(v)) < 0.5 * 10 ** -digits ? 0 : Number(v)).toFixed(digits)
const errorBox = (err) =>
  h(
    'p',
    { class: 'error', role: 'alert' },
    err.message,
    Array.isArray(err.details)
      ? `: ${err.details.map((d) => (typeof d === 'string' ? d : d.message)).join('; ')}`
      : '',
  )

// ---------- sign in ----------

function showSignIn(message) {
  document.getElementById('nav').hidden = true
  document.getElementById('sign-out').hidden = true
  document.getElementById('who').textContent = ''
  const input = h('input', { type: 'password', name: 'token', autocomplete: 'off', required: true })
  const form = h(
    'form',
    {
      class: 'signin',
      onsubmit: async (e) => {
        e.preventDefault()
        sessionStorage.setItem(TOKEN_KEY, input.value.trim())
        try {
          await signedIn()
          if (!location.hash || location.hash === '#/') location.hash = '#/calls'
          else route()
        } catch (err) {
          form.querySelector('.error')?.remove()
          form.append(errorBox(err))
        }
      },
    },
    h('h1', {}, 'Sign in'),
    h('p', { class: 'muted' }, 'Paste the token that `callqa users add` printed for you.'),
    h('label', {}, 'Token ', input),
    h('p', {}, h('button', { type: 'submit' }, 'Sign in')),
    message ? h('p', { class: 'error', role: 'alert' }, message) : null,
  )
  main.replaceChildren(form)
}

async function signedIn() {
  me = await api('GET', '/v1/me')
  document.getElementById('who').textContent = `${me.name} (${me.role})`
  document.getElementById('nav').hidden = false
  document.getElementById('nav-queue').hidden = !['reviewer', 'admin', 'manager'].includes(me.role)
  document.getElementById('nav-trends').hidden = !['admin', 'manager'].includes(me.role)
  document.getElementById('nav-samples').hidden = !['admin', 'manager', 'reviewer'].includes(me.role)
  document.getElementById('nav-coaching').hidden = ![
    'admin',
    'trainer',
    'manager',
    'reviewer',
    'agent',
  ].includes(me.role)
  document.getElementById('nav-reports').hidden = !['admin', 'manager', 'reviewer'].includes(me.role)
  document.getElementById('nav-calibrations').hidden = !['admin', 'manager', 'reviewer'].includes(me.role)
  document.getElementById('nav-disputes').hidden = !['agent', 'reviewer', 'admin', 'manager'].includes(
    me.role,
  )
  document.getElementById('sign-out').hidden = false
}

// ---------- call list ----------

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

/** An urgency badge: P0 (most urgent) to P3. */
const urgencyBadge = (level, title) =>
  level ? h('span', { class: `urgency ${level}`, title: title ?? `urgency ${level}` }, level) : '–'

async function showCalls(params) {
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

// ---------- my queue ----------

async function showQueue() {
  main.replaceChildren(h('h1', {}, 'My queue'))
  try {
    const rows = await api('GET', '/v1/me/queue?all=true')
    if (rows.length === 0) {
      main.append(h('p', { class: 'muted' }, 'Nothing assigned to you.'))
      return
    }
    main.append(
      table(
        'queue',
        ['Due', 'Sample', 'Card', 'Call', 'Agent', 'Length', ''],
        rows.map((r) =>
          h(
            'tr',
            {},
            h('td', {}, r.due_on ?? '–'),
            h('td', {}, r.sample),
            h('td', {}, r.scorecard),
            h('td', {}, h('a', { href: `#/calls/${r.call_id}` }, String(r.call_id))),
            h('td', {}, r.agent_id ?? '–'),
            h('td', {}, r.duration_ms ? clock(r.duration_ms) : '–'),
            h(
              'td',
              {},
              h(
                'a',
                { href: `#/calls/${r.call_id}/evaluations/${r.draft_review_id ?? r.auto_evaluation_id}` },
                r.draft_review_id ? 'Continue review' : 'Review',
              ),
            ),
          ),
        ),
      ),
    )
  } catch (err) {
    main.append(errorBox(err))
  }
}

// ---------- trends (managers) ----------

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

async function showTrends(params) {
  const day = (d) => d.toISOString().slice(0, 10)
  const to = params.get('to') ?? day(new Date(Date.now() + 86_400_000))
  const from = params.get('from') ?? day(new Date(Date.now() - 90 * 86_400_000))
  const groupBy = params.get('group_by') ?? 'agent'
  const period = params.get('period') ?? 'week'
  const scorecard = params.get('scorecard') ?? ''
  const metric = params.get('metric') ?? 'qa_percent'
  const select = (name, options, value) =>
    h(
      'select',
      { name },
      options.map((o) => h('option', { value: o, selected: o === value }, o)),
    )
  const form = filterForm(
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
  const query = new URLSearchParams({
    from: `${from}T00:00:00Z`,
    to: `${to}T00:00:00Z`,
    group_by: groupBy,
    period,
    ...(scorecard ? { scorecard } : {}),
  })
  const csv = h(
    'button',
    {
      type: 'button',
      id: 'csv',
      // A download cannot carry the token in a header: fetch it, then save the blob.
      onclick: async () => {
        const res = await fetch(`/v1/trends?${query}&format=csv`, {
          headers: { authorization: `Bearer ${sessionStorage.getItem(TOKEN_KEY) ?? ''}` },
        })
        const link = h('a', {
          href: URL.createObjectURL(await res.blob()),
          download: `trends-${groupBy}-${period}.csv`,
        })
        link.click()
        URL.revokeObjectURL(link.href)
      },
    },
    'Download CSV',
  )
  main.replaceChildren(h('h1', {}, 'Trends'), form)
  try {
    const { items } = await api('GET', `/v1/trends?${query}`)
    const cell = (key, v) =>
      v === null || v === undefined
        ? '–'
        : key === 'aht_ms' || key === 'hold_ms_per_call'
          ? clock(v)
          : ['dead_air_rate', 'overtalk_share', 'hold_rate'].includes(key)
            ? `${(100 * v).toFixed(1)} %`
            : String(v)
    const chart = h('div', { id: 'trend-chart', class: 'chart' })
    main.append(
      h(
        'p',
        { class: 'muted' },
        `${CHART_METRICS.find(([k]) => k === metric)?.[1] ?? metric} per ${period}, one line per ${groupBy}: click a point for the calls behind it.`,
      ),
      chart,
      h(
        'table',
        { id: 'trends' },
        h(
          'thead',
          {},
          h(
            'tr',
            {},
            TREND_COLUMNS.map(([, t]) => h('th', {}, t)),
          ),
        ),
        h(
          'tbody',
          {},
          items.length
            ? items.map((r) =>
                h(
                  'tr',
                  {},
                  TREND_COLUMNS.map(([k]) => h('td', { dataset: { key: k } }, cell(k, r[k]))),
                ),
              )
            : h(
                'tr',
                {},
                h('td', { colspan: TREND_COLUMNS.length, class: 'muted' }, 'No calls in this range.'),
              ),
        ),
      ),
      h('p', {}, csv),
    )
    await drawTrendChart(chart, items, { metric, groupBy, period })
    if (['admin', 'manager', 'reviewer'].includes(me?.role ?? '')) main.append(await agreementTable(query))
  } catch (err) {
    main.append(errorBox(err))
  }
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

// ---------- one call ----------

/**
 * What a reviewer must know before trusting the call's figures: how the parties were found (the
 * stereo channel check, two voices told apart on one channel, who the agent is and why) and
 * whether the transcript's text can be trusted.
 */
function callNotes(call) {
  const notes = []
  const check = call.channel_check
  if (check?.layout === 'dual-mono')
    notes.push(
      `Both channels carry the same mix (correlation ${check.correlation.toFixed(3)}): the call was analysed as one channel.`,
    )
  else if (check?.layout === 'one-channel-silent')
    notes.push(
      `The ${check.silentChannel} channel is silent (${check.levelsDb.map((l) => `${Math.round(l)} dBFS`).join(' / ')}): a recorder layout problem; the call was analysed on the other channel.`,
    )
  if (call.diarization)
    notes.push(
      `Agent and customer were told apart on one channel (voices ${call.diarization.separation.toFixed(1)} SD apart; first voice ${Math.round(100 * call.diarization.shareFirst)}% of the speech). Overlap and interruptions cannot be measured on one channel.`,
    )
  else if (call.channel_layout === 'mono')
    notes.push('One channel: talk is not attributed to agent or customer.')
  const role = call.role_decision
  if (role) {
    const where = { left: 'the left channel', right: 'the right channel' }[role.agent] ?? `the ${role.agent}`
    const why = {
      transcript: `from what each party said (margin ${role.margin > 0 ? '+' : ''}${role.margin})`,
      'turn-taking': 'from who spoke first (no clear phrase either way)',
      metadata: 'as the metadata says',
      manual: 'as a person set it',
    }[role.source]
    notes.push(
      `The agent is ${where}, ${why ?? role.source}${role.swapped ? '; the labels were swapped' : ''}.`,
    )
  }
  if (call.transcript_trusted === false)
    notes.push(
      `Transcript from speech recognition with low confidence (${Number(call.transcript_confidence).toFixed(2)}): shown, but no sentiment is derived from it and its phrase items wait for a reviewer.`,
    )
  return notes.length
    ? h(
        'ul',
        { class: 'notes', id: 'call-notes' },
        notes.map((n) => h('li', {}, n)),
      )
    : null
}

async function showCall(callId, evaluationId) {
  main.replaceChildren(h('p', { class: 'muted' }, 'Loading…'))
  let detail
  try {
    detail = await api('GET', `/v1/calls/${callId}`)
  } catch (err) {
    main.replaceChildren(errorBox(err))
    return
  }
  const { call, metrics, segments, evaluations } = detail
  // A long transcript comes in pages: fetch the rest before drawing.
  const utterances = [...detail.utterances]
  for (let after = detail.utterances_next; after !== null && after !== undefined; ) {
    const page = await api('GET', `/v1/calls/${callId}/utterances?after=${after}`)
    utterances.push(...page.items)
    after = page.next
  }
  const audio = h('audio', { controls: true, preload: 'metadata', id: 'player' })
  const seek = (ms) => {
    audio.currentTime = ms / 1000
    audio.play().catch(() => {})
  }
  const durationMs = call.duration_ms ?? Math.max(0, ...segments.map((s) => s.endMs))

  // Timeline: one lane per speaker, segments placed by time; a click seeks there.
  const playhead = h('div', { class: 'playhead' })
  const lanes = [...new Set(segments.map((s) => s.speaker))].map((speaker) =>
    h(
      'div',
      { class: `lane ${speaker}` },
      segments
        .filter((s) => s.speaker === speaker)
        .map((s) =>
          h('div', {
            class: `seg ${s.speaker}${s.agitated ? ' agitated' : ''}`,
            title: `${s.speaker} ${clock(s.startMs)}–${clock(s.endMs)}`,
            style: {
              left: `${(100 * s.startMs) / durationMs}%`,
              width: `${(100 * (s.endMs - s.startMs)) / durationMs}%`,
            },
          }),
        ),
    ),
  )
  // Holds (announced, or music), dead air and overtalk marked on the timeline, under the segments.
  const mark = (kind, label) => (e) =>
    h('div', {
      class: `mark ${kind} ${e.reason ?? ''}`,
      title: `${label} ${clock(e.startMs)}–${clock(e.endMs)}${e.reason === 'music' ? ' (music)' : ''}`,
      style: {
        left: `${(100 * e.startMs) / durationMs}%`,
        width: `${(100 * (e.endMs - e.startMs)) / durationMs}%`,
      },
    })
  const holds = [
    ...(detail.metrics?.hold_episodes ?? []).map(mark('hold', 'hold')),
    ...(detail.metrics?.dead_air_episodes ?? []).map(mark('dead-air', 'dead air')),
    ...(detail.metrics?.overtalk_episodes ?? []).map(mark('overtalk', 'overtalk')),
  ]
  const waveform = h('div', { id: 'waveform', class: 'waveform', title: 'click to listen from there' })
  const timeline = h(
    'div',
    {
      class: 'timeline',
      id: 'timeline',
      dataset: { durationMs },
      title: 'agent above, customer below; click to listen from there',
      onclick: (e) => {
        const box = timeline.getBoundingClientRect()
        seek(((e.clientX - box.left) / box.width) * durationMs)
      },
    },
    holds,
    lanes,
    playhead,
  )
  const sentiment = sentimentLanes(utterances, durationMs)

  const transcript = h(
    'div',
    { class: 'transcript', id: 'transcript' },
    utterances.length
      ? utterances.map((u) =>
          h(
            'div',
            {
              class: 'utt',
              dataset: { start: u.start_ms, end: u.end_ms },
              // Reachable from the keyboard: Tab to a line, Enter or Space to listen from it.
              tabindex: 0,
              role: 'button',
              onclick: () => seek(u.start_ms),
              onkeydown: (e) => {
                if (e.key === 'Enter' || e.key === ' ') {
                  e.preventDefault()
                  seek(u.start_ms)
                }
              },
            },
            h('span', { class: 'time' }, clock(u.start_ms)),
            h('span', { class: `who ${u.speaker}` }, u.speaker),
            h('span', {}, u.text_redacted),
            sentimentWhy(u),
          ),
        )
      : h('p', { class: 'muted' }, `No transcript (${call.transcript_status}).`),
  )
  audio.addEventListener('timeupdate', () => {
    const ms = audio.currentTime * 1000
    playhead.style.left = `${(100 * ms) / durationMs}%`
    for (const el of transcript.querySelectorAll('.utt'))
      el.classList.toggle('current', ms >= Number(el.dataset.start) && ms < Number(el.dataset.end))
  })

  const panel = h('div', { id: 'evaluation' })
  const evalBody = h('tbody')
  const listEvaluations = (list) =>
    evalBody.replaceChildren(
      ...list.map((e) =>
        h(
          'tr',
          {
            class: 'row-link',
            dataset: { evaluationId: e.id },
            onclick: () => (location.hash = `#/calls/${callId}/evaluations/${e.id}`),
          },
          h('td', {}, `${e.scorecard_key} v${e.scorecard_version}`),
          h('td', {}, e.source === 'auto' ? 'automatic' : `review by ${e.reviewer_name ?? e.reviewer_id}`),
          h('td', {}, e.status),
          h('td', { class: 'num' }, fmt(e.percent, 1)),
        ),
      ),
    )
  listEvaluations(evaluations)

  const cutter =
    ['admin', 'trainer'].includes(me?.role ?? '') && call.status === 'done' ? clipCutter(call, audio) : null
  main.replaceChildren(
    h('h1', {}, `Call ${call.external_id ?? call.id}`),
    h(
      'div',
      { class: 'call-head' },
      h('span', {}, `Agent ${call.agent_id ?? '–'}`),
      h('span', {}, `Team ${call.team ?? '–'}`),
      h('span', {}, `Queue ${call.queue ?? '–'}`),
      h('span', {}, call.direction ?? ''),
      h('span', {}, `Language ${call.language ?? '–'}`),
      h('span', {}, `Length ${call.duration_ms ? clock(call.duration_ms) : '–'}`),
      h('span', {}, `CSAT ${call.csat ?? '–'}`),
      metrics ? h('span', {}, `Agent talk ${fmt(metrics.agent_talk_ratio)}`) : null,
      metrics ? h('span', {}, `Longest silence ${clock(metrics.dead_air_longest_ms ?? 0)}`) : null,
      metrics
        ? h(
            'span',
            {},
            call.transcript_trusted === false
              ? 'Customer sentiment: not computed (low-confidence text)'
              : `Customer ${fmt(metrics.customer_sentiment_start)} → ${fmt(metrics.customer_sentiment_end)}`,
          )
        : null,
      metrics?.hold_count
        ? h('span', {}, `Holds ${metrics.hold_count} (${clock(metrics.hold_total_ms)})`)
        : null,
      call.status !== 'done'
        ? h('span', { class: 'error' }, `${call.status} ${call.error_message ?? ''}`)
        : null,
    ),
    ...[callNotes(call)].filter(Boolean),
    aboutCall(detail.topics, call, seek),
    audio,
    waveform,
    timeline,
    sentiment,
    cutter ?? '',
    h(
      'div',
      { class: 'columns' },
      h('section', {}, h('h2', {}, 'Transcript'), transcript),
      h('section', {}, h('h2', {}, 'Evaluations'), h('table', { id: 'evaluations' }, evalBody), panel),
    ),
  )

  // The player gets a signed link (an <audio> element cannot send the token); a browser-playable
  // copy when the recording is μ-law or another codec browsers do not play; the redacted copy
  // when there is one. The waveform is drawn over that player from peaks the server computes.
  if (call.status === 'done')
    api('POST', `/v1/calls/${callId}/audio-link`, { playable: true, redacted: call.has_redacted_audio })
      .then((link) => {
        audio.src = link.url
        return drawWaveform(waveform, audio, call, cutter)
      })
      .catch((err) => audio.after(errorBox(err)))

  // Opening another evaluation of this call keeps the player where it is: only the list (a new
  // review may have joined it) and the panel change.
  shown = {
    callId,
    panel,
    async open(id) {
      listEvaluations((await api('GET', `/v1/calls/${callId}`)).evaluations)
      if (id) await showEvaluation(panel, callId, id, seek)
      else panel.replaceChildren()
    },
  }
  if (evaluationId) await showEvaluation(panel, callId, evaluationId, seek)
}

/** The call on screen, so that moving between its evaluations does not reload it. */
let shown = null

// ---------- what the call is about ----------

/** A time that plays the call from there. */
const timeButton = (ms, seek, title) =>
  h('button', { type: 'button', class: 'time-link', title: title ?? '', onclick: () => seek(ms) }, clock(ms))

const SUMMARY_KIND = { reason: 'Why they called', action: 'What was done', follow_up: 'What happens next' }
const SUMMARY_KIND_ZH = { reason: '来电原因', action: '处理结果', follow_up: '后续跟进' }

/** What one urgency signal says, in a line. */
function urgencySignal(e) {
  if (e.signal === 'phrase') return `${e.level}: the customer said "${e.text}"`
  if (e.signal === 'category')
    return `${e.level}: category ${e.path.join('/')}${e.overruled_by_routine_question ? ' (a routine question)' : ''}`
  if (e.signal === 'sentiment')
    return `${e.level}: ${e.turns.length} clearly negative customer turn(s)${e.turns.some((t) => (t.arousal ?? 0) >= 0.5) ? ', agitated' : ''}`
  if (e.signal === 'repeat_contact')
    return e.previous_call_id === undefined
      ? `${e.level}: the same customer called again`
      : `${e.level}: same customer called ${e.days} days before (call ${e.previous_call_id})`
  return `${e.level}: ${e.signal}`
}

/**
 * What the call was about: its categories (with the phrases that filed it), its urgency and why,
 * the summary (each line plays from its time), and what the agent said that was flagged.
 */
function aboutCall(topics, call, seek) {
  const box = h('section', { class: 'about', id: 'about' }, h('h2', {}, 'About this call'))
  if (!topics) {
    box.append(h('p', { class: 'muted' }, 'Not described yet.'))
    return box
  }
  const zh = call.language === 'zh'
  const categories = topics.categories.length
    ? h(
        'ul',
        { class: 'categories' },
        topics.categories.map((c) =>
          h(
            'li',
            { dataset: { path: c.path.join('/') } },
            h('strong', {}, (zh && c.labels_zh.every(Boolean) ? c.labels_zh : c.labels).join(' › ')),
            ' ',
            ...c.evidence
              .slice(0, 4)
              .map((e) => timeButton(e.start_ms, seek, `${e.speaker}: "${e.text}" (${e.node.join('/')})`)),
          ),
        ),
      )
    : h('p', { class: 'muted' }, topics.summary_note ?? 'No category of the taxonomy fits this call.')
  const urgency = h(
    'div',
    { class: 'urgency-line' },
    'Urgency ',
    urgencyBadge(topics.urgency, topics.urgency ? undefined : 'not judged'),
    h(
      'ul',
      { class: 'signals' },
      topics.urgency_evidence
        .slice(0, 4)
        .map((e) =>
          h(
            'li',
            {},
            urgencySignal(e),
            ' ',
            typeof e.start_ms === 'number' ? timeButton(e.start_ms, seek) : '',
          ),
        ),
    ),
  )
  const summary = topics.summary?.length
    ? h(
        'dl',
        { class: 'summary', id: 'summary' },
        topics.summary.flatMap((l) => [
          h('dt', {}, (zh ? SUMMARY_KIND_ZH : SUMMARY_KIND)[l.kind] ?? l.kind),
          h('dd', {}, timeButton(l.start_ms, seek), ' ', l.text),
        ]),
      )
    : h('p', { class: 'muted' }, `No summary${topics.summary_note ? `: ${topics.summary_note}` : ''}.`)
  const flags = topics.conduct?.flags ?? []
  const conduct = flags.length
    ? h(
        'div',
        { class: 'conduct', id: 'conduct' },
        h('strong', {}, 'Agent conduct: '),
        ...flags.map((f) =>
          h('span', { class: 'flag conduct' }, `${f.kind} "${f.text}" `, timeButton(f.start_ms, seek)),
        ),
      )
    : null
  const trend = topics.conduct?.agent_trend?.falling
    ? h(
        'p',
        { class: 'conduct' },
        `The agent's tone fell over the call (${fmt(topics.conduct.agent_trend.first)} → ${fmt(topics.conduct.agent_trend.second)}).`,
      )
    : null
  box.append(categories, urgency, summary, ...[conduct, trend].filter(Boolean))
  return box
}

/** Why an utterance got its sentiment: its strongest terms, their weights adding up to the score. */
function sentimentWhy(u) {
  if (u.sentiment === null || u.sentiment === undefined || !u.sentiment_terms?.length) return ''
  const term = (t) =>
    `${t.text}${t.negated ? ' (negated)' : ''}${t.intensifier ? ` (${t.intensifier})` : ''}${t.contrast ? ` (${t.contrast} "but")` : ''} ${t.weight >= 0 ? '+' : ''}${t.weight.toFixed(2)}`
  const all = u.sentiment_terms.map(term).join('\n')
  return h(
    'span',
    {
      class: `why-sentiment ${u.sentiment >= 0.05 ? 'positive' : u.sentiment <= -0.05 ? 'negative' : 'neutral'}`,
      title: `sentiment ${u.sentiment.toFixed(2)} =\n${all}`,
    },
    `${u.sentiment >= 0 ? '+' : ''}${u.sentiment.toFixed(2)}: `,
    u.sentiment_terms
      .filter((t) => t.source !== 'baseline' && t.source !== 'other')
      .slice(0, 3)
      .map(term)
      .join(', '),
  )
}

// ---------- TOP issues report ----------

/**
 * The month's TOP issues as a printable page (the browser's print keeps the table and drops the
 * controls), with the CSV beside it; for QA leads, the emerging topics the taxonomy misses and a
 * form to promote one into it.
 */
async function showReport(params) {
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
  const pct = (x) => (x === null || x === undefined ? '–' : `${Math.round(x * 100)}%`)
  const csv = h(
    'button',
    {
      type: 'button',
      class: 'no-print',
      onclick: async () => {
        const res = await fetch(`/v1/reports/top-issues?month=${month}&level=${level}&format=csv`, {
          headers: { authorization: `Bearer ${sessionStorage.getItem(TOKEN_KEY)}` },
        })
        const url = URL.createObjectURL(await res.blob())
        h('a', { href: url, download: `callqa-top-issues-${month}.csv` }).click()
        URL.revokeObjectURL(url)
      },
    },
    'CSV',
  )
  main.append(
    h(
      'p',
      { class: 'report-head' },
      `${report.total_calls} calls (previous month ${report.previous_total_calls}); taxonomy ${report.taxonomy.key} v${report.taxonomy.version}. `,
      h('button', { type: 'button', class: 'no-print', onclick: () => window.print() }, 'Print'),
      ' ',
      csv,
    ),
    table(
      'top-issues',
      [
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
        'Examples',
      ],
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
            `${r.change >= 0 ? '+' : ''}${r.change}${r.change_pct === null ? '' : ` (${r.change_pct >= 0 ? '+' : ''}${Math.round(r.change_pct * 100)}%)`}`,
            fmt(r.csat),
            fmt(r.customer_sentiment),
            pct(r.complaint_rate),
            r.aht_ms === null ? '–' : clock(r.aht_ms),
            String(r.urgent_calls),
            h(
              'span',
              {},
              r.example_calls.map((id) => h('a', { href: `#/calls/${id}` }, `#${id} `)),
            ),
          ].map((cell) => h('td', {}, cell)),
        ),
      ),
    ),
  )
  // Emerging topics: what the taxonomy does not file yet.
  const emerging = h('section', { id: 'emerging', class: 'no-print' }, h('h2', {}, 'Emerging topics'))
  main.append(emerging)
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
      if (['admin', 'reviewer'].includes(me?.role ?? '')) card.append(promoteForm(t, report))
      emerging.append(card)
    }
  } catch (err) {
    emerging.append(errorBox(err))
  }
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

// ---------- one evaluation / review ----------

async function showEvaluation(panel, callId, evaluationId, seek) {
  panel.replaceChildren(h('p', { class: 'muted' }, 'Loading evaluation…'))
  let ev
  try {
    ev = await api('GET', `/v1/evaluations/${evaluationId}`)
  } catch (err) {
    panel.replaceChildren(errorBox(err))
    return
  }
  const mayReview = ['reviewer', 'admin', 'manager'].includes(me?.role ?? '')
  const editable =
    ev.source === 'review' && ev.status === 'draft' && (ev.reviewer_id === me?.id || me?.role === 'admin')
  const score = h('span', { class: 'score', id: 'score' }, `${fmt(ev.percent, 1)} %`)
  const status = h('span', { id: 'status' }, ev.status)
  const head = h(
    'div',
    {},
    h(
      'h3',
      {},
      `${ev.scorecard_key} v${ev.scorecard_version} — ${ev.source === 'auto' ? 'automatic' : 'review'} `,
      status,
    ),
    h('p', {}, score, ev.passed ? ' passed' : ' not passed', ev.fatal_failed ? ' (fatal item failed)' : ''),
  )
  if (ev.source === 'auto' && mayReview)
    head.append(
      h(
        'button',
        {
          type: 'button',
          id: 'start-review',
          onclick: async () => {
            try {
              const review = await api('POST', `/v1/evaluations/${ev.id}/reviews`)
              location.hash = `#/calls/${callId}/evaluations/${review.id}`
            } catch (err) {
              head.append(errorBox(err))
            }
          },
        },
        'Review this call',
      ),
    )

  /** @type {Map<string, {result: string, comment: string | null}>} */
  const changes = new Map()
  // Unsaved answers live in the tab too: a reload (or a crash) does not lose a reviewer's work.
  const stashKey = `callqa.unsaved.${ev.id}`
  const stashed = editable ? JSON.parse(sessionStorage.getItem(stashKey) ?? 'null') : null
  const stash = () =>
    sessionStorage.setItem(
      stashKey,
      JSON.stringify({ items: [...changes], overall: overallChanged ? overall.value : undefined }),
    )
  const items = []
  let section = null
  for (const item of ev.items) {
    if (item.section_key !== section) {
      section = item.section_key
      items.push(h('div', { class: 'section-title' }, item.section_label ?? section))
    }
    const evidence = (item.evidence ?? []).map((e) =>
      typeof e.start_ms === 'number'
        ? timeButton(e.start_ms, seek, [e.rule, e.text ?? e.what].filter(Boolean).join(': '))
        : h(
            'span',
            { class: 'muted' },
            e.type === 'metric' ? ` ${e.metric} ${fmt(e.value, 0)}` : e.text ? ` ${e.text}` : '',
          ),
    )
    // Which rule of the item the machine's answer rests on.
    const rules = [...new Set((item.evidence ?? []).map((e) => e.rule).filter(Boolean))]
    if (rules.length)
      evidence.push(
        h('div', { class: 'why' }, `Why: ${rules.slice(0, 3).join('; ')}${rules.length > 3 ? ' …' : ''}`),
      )
    const row = h('div', { class: 'item', dataset: { item: item.item_key } })
    const auto = item.auto_result ?? (ev.source === 'auto' ? item.result : null)
    const parts = [
      h(
        'div',
        { class: 'label' },
        item.label ?? item.item_key,
        item.critical ? ' (critical)' : '',
        item.fatal ? ' (fatal)' : '',
      ),
    ]
    if (editable) {
      const select = h(
        'select',
        { name: `result-${item.item_key}`, 'aria-label': `answer for ${item.item_key}` },
        ['pass', 'fail', 'na', ...(item.result === 'pending' ? ['pending'] : [])].map((r) =>
          h('option', { value: r, selected: r === item.result }, r),
        ),
      )
      const comment = h('input', {
        type: 'text',
        name: `comment-${item.item_key}`,
        placeholder: 'comment',
        value: item.comment ?? '',
      })
      const mark = () => {
        changes.set(item.item_key, { result: select.value, comment: comment.value.trim() || null })
        row.classList.add('changed')
        stash()
      }
      select.addEventListener('change', mark)
      comment.addEventListener('input', mark)
      const unsaved = stashed?.items?.find(([key]) => key === item.item_key)?.[1]
      if (unsaved) {
        select.value = unsaved.result
        comment.value = unsaved.comment ?? ''
        changes.set(item.item_key, unsaved)
        row.classList.add('changed')
      }
      parts.push(
        h(
          'div',
          { class: 'answer' },
          select,
          auto
            ? h('span', { class: 'muted' }, 'automatic: ', h('span', { class: `result ${auto}` }, auto))
            : null,
          evidence,
          comment,
        ),
      )
    } else {
      parts.push(
        h(
          'div',
          { class: 'answer' },
          h('span', { class: `result ${item.result}` }, item.result),
          item.auto_result && item.auto_result !== item.result
            ? h('span', { class: 'muted' }, `(automatic: ${item.auto_result})`)
            : null,
          evidence,
          item.comment ? h('span', {}, `“${item.comment}”`) : null,
        ),
      )
    }
    row.append(...parts)
    items.push(row)
  }

  const overall = h(
    'textarea',
    { name: 'overall', placeholder: 'Overall comment', disabled: !editable },
    ev.comment ?? '',
  )
  let overallChanged = false
  if (typeof stashed?.overall === 'string') {
    overall.value = stashed.overall
    overallChanged = true
  }
  overall.addEventListener('input', () => {
    overallChanged = true
    stash()
  })
  const message = h('span', { id: 'message', role: 'status' })
  const save = async () => {
    const body = {
      ...(changes.size
        ? { items: [...changes].map(([item_key, c]) => ({ item_key, result: c.result, comment: c.comment })) }
        : {}),
      ...(overallChanged ? { comment: overall.value.trim() || null } : {}),
    }
    if (!body.items && body.comment === undefined) return ev
    const saved = await api('PATCH', `/v1/reviews/${ev.id}`, body)
    changes.clear()
    overallChanged = false
    sessionStorage.removeItem(stashKey)
    for (const el of panel.querySelectorAll('.item.changed')) el.classList.remove('changed')
    score.textContent = `${fmt(saved.percent, 1)} %`
    return saved
  }
  /** A button that runs `run` and shows what it returns, or the API's refusal, in the message line. */
  const action = (id, label, run) =>
    h(
      'button',
      {
        type: 'button',
        id,
        onclick: async () => {
          message.textContent = ''
          try {
            message.textContent = await run()
          } catch (err) {
            message.replaceChildren(errorBox(err))
          }
        },
      },
      label,
    )
  const actions = editable
    ? h(
        'div',
        { class: 'actions' },
        action('save', 'Save draft', async () => {
          await save()
          return 'Draft saved.'
        }),
        action('submit', 'Submit', async () => {
          await save()
          const done = await api('POST', `/v1/reviews/${ev.id}/submit`)
          const said = `Submitted: ${fmt(done.percent, 1)} %.`
          await showEvaluation(panel, callId, evaluationId, seek)
          panel.append(h('p', { role: 'status' }, said))
          return said
        }),
        message,
      )
    : null
  panel.replaceChildren(head, ...items, h('h4', {}, 'Overall'), overall, actions ?? '')
  markEvidence(ev, seek)
  if (ev.source === 'review' && ev.status === 'submitted' && ev.calibration_id === null)
    panel.append(await disputePanel(ev))
}

// ---------- sampling (QA leads) ----------

const METHODS = {
  random: 'random',
  per_agent: 'per agent and period',
  stratified: 'stratified',
  risk: 'risk-weighted',
}

/** The draw's calls and their plan: who reviews each, and when. */
function assignmentTable(rows, withStatus) {
  return h(
    'table',
    { id: 'assignments' },
    h(
      'thead',
      {},
      h(
        'tr',
        {},
        ['#', 'Call', 'Stratum', 'Weight', 'Why', 'Reviewer', 'Due', ...(withStatus ? ['Status'] : [])].map(
          (t) => h('th', {}, t),
        ),
      ),
    ),
    h(
      'tbody',
      {},
      rows.map((a) =>
        h(
          'tr',
          { dataset: { callId: a.call_id } },
          h('td', { class: 'num' }, String(a.rank)),
          h('td', {}, h('a', { href: `#/calls/${a.call_id}` }, String(a.call_id))),
          h('td', {}, a.stratum ?? '–'),
          h('td', { class: 'num' }, fmt(a.weight)),
          h('td', {}, (a.reasons ?? []).join('; ') || '–'),
          h('td', {}, a.reviewer ?? '–'),
          h('td', {}, a.due_on ?? '–'),
          withStatus ? h('td', {}, a.status ?? '–') : null,
        ),
      ),
    ),
  )
}

/**
 * A sample in four steps: the rule (method, size, card, filters), the seed, a preview of the draw
 * and its plan, then saving it with its assignments. The same rule and seed over the same calls
 * draw the same calls: the preview's seed is what is saved.
 */
async function showSamples() {
  const field = (label, input) => h('label', {}, `${label} `, input)
  const method = h(
    'select',
    { name: 'method' },
    Object.entries(METHODS).map(([v, t]) => h('option', { value: v }, t)),
  )
  const form = h(
    'form',
    { class: 'sample-rule' },
    h('h2', {}, '1. Rule'),
    field('Name', h('input', { name: 'name', required: true, size: 24 })),
    field(
      'Scorecard',
      h('input', { name: 'scorecard', required: true, value: 'inbound-support-en', size: 20 }),
    ),
    field('Method', method),
    field('Calls', h('input', { name: 'n', type: 'number', min: 1, value: 10, required: true })),
    field(
      'Per',
      h(
        'select',
        { name: 'period' },
        ['week', 'day', 'month'].map((p) => h('option', { value: p }, p)),
      ),
    ),
    field(
      'Strata',
      h(
        'select',
        { name: 'strata' },
        ['team', 'agent', 'queue', 'language', 'direction'].map((p) => h('option', { value: p }, p)),
      ),
    ),
    field('Agent', h('input', { name: 'agent', size: 10 })),
    field('Team', h('input', { name: 'team', size: 10 })),
    field('From', h('input', { name: 'from', type: 'date' })),
    field('To', h('input', { name: 'to', type: 'date' })),
    field(
      'Urgency',
      h(
        'select',
        { name: 'urgency', title: 'only calls this urgent (a risk draw also weighs P0–P1 calls more)' },
        ['', 'P0,P1', 'P0,P1,P2'].map((u) => h('option', { value: u }, u ? u.replaceAll(',', ', ') : 'any')),
      ),
    ),
    field('Category', h('input', { name: 'category', size: 14, placeholder: 'billing/refund' })),
    h('h2', {}, '2. Seed and reviewers'),
    field('Seed', h('input', { name: 'seed', size: 16, placeholder: 'empty: a new one' })),
    field(
      'Reviewers',
      h('input', { name: 'reviewers', size: 24, placeholder: 'names, comma-separated; empty: all' }),
    ),
    field('At most per day', h('input', { name: 'cap_per_day', type: 'number', min: 1 })),
    field('Starting', h('input', { name: 'start_on', type: 'date' })),
    h('p', {}, h('button', { type: 'submit', id: 'preview' }, '3. Preview the draw')),
  )
  const preview = h('div', { id: 'sample-preview' })
  const body = () => {
    const d = new FormData(form)
    const text = (k) => String(d.get(k) ?? '').trim()
    const m = text('method')
    const filters = {
      ...(text('agent') ? { agent: text('agent') } : {}),
      ...(text('team') ? { team: text('team') } : {}),
      ...(text('from') ? { from: `${text('from')}T00:00:00Z` } : {}),
      ...(text('to') ? { to: `${text('to')}T00:00:00Z` } : {}),
      ...(text('urgency') ? { urgency: text('urgency') } : {}),
      ...(text('category') ? { category: text('category') } : {}),
    }
    const reviewers = text('reviewers')
      .split(',')
      .map((r) => r.trim())
      .filter(Boolean)
    return {
      name: text('name'),
      scorecard: text('scorecard'),
      method: m,
      n: Number(text('n')),
      ...(m === 'per_agent' ? { period: text('period') } : {}),
      ...(m === 'stratified' ? { strata: text('strata') } : {}),
      ...(Object.keys(filters).length ? { filters } : {}),
      ...(text('seed') ? { seed: text('seed') } : {}),
      assign: {
        ...(reviewers.length ? { reviewers } : {}),
        ...(text('cap_per_day') ? { cap_per_day: Number(text('cap_per_day')) } : {}),
        ...(text('start_on') ? { start_on: text('start_on') } : {}),
      },
    }
  }
  form.addEventListener('submit', async (e) => {
    e.preventDefault()
    preview.replaceChildren(h('p', { class: 'muted' }, 'Drawing…'))
    try {
      const drawn = await api('POST', '/v1/samples/preview', body())
      // The seed of this draw goes back into the form: saving draws exactly these calls.
      form.elements.namedItem('seed').value = drawn.seed
      preview.replaceChildren(
        h(
          'p',
          { id: 'draw-summary' },
          `${drawn.drawn} of ${drawn.population} eligible calls, seed `,
          h('code', { id: 'seed' }, drawn.seed),
          drawn.strata.length
            ? ` (${drawn.strata.map((s) => `${s.stratum}: ${s.drawn}/${s.population}`).join(', ')})`
            : '',
        ),
        assignmentTable(drawn.assignments, false),
        h(
          'p',
          {},
          h(
            'button',
            {
              type: 'button',
              id: 'save-sample',
              onclick: async () => {
                try {
                  const saved = await api('POST', '/v1/samples', body())
                  location.hash = `#/samples/${saved.id}`
                } catch (err) {
                  preview.append(errorBox(err))
                }
              },
            },
            '4. Save and assign',
          ),
        ),
      )
    } catch (err) {
      preview.replaceChildren(errorBox(err))
    }
  })
  main.replaceChildren(h('h1', {}, 'Sampling'), form, preview)
  try {
    const samples = await api('GET', '/v1/samples')
    if (samples.length)
      main.append(
        h('h2', {}, 'Samples'),
        table(
          'samples',
          ['Sample', 'Card', 'Seed', 'Eligible', 'Drawn', 'Reviewed', 'Made'],
          samples.map((s) =>
            h(
              'tr',
              { dataset: { sampleId: s.id } },
              h('td', {}, h('a', { href: `#/samples/${s.id}` }, s.name)),
              h('td', {}, s.scorecard),
              h('td', {}, h('code', {}, s.seed)),
              h('td', { class: 'num' }, String(s.population)),
              h('td', { class: 'num' }, String(s.drawn)),
              h('td', { class: 'num' }, String(s.done)),
              h('td', {}, new Date(s.created_at).toLocaleString()),
            ),
          ),
        ),
      )
  } catch (err) {
    main.append(errorBox(err))
  }
}

async function showSample(id) {
  main.replaceChildren(h('p', { class: 'muted' }, 'Loading sample…'))
  try {
    const s = await api('GET', `/v1/samples/${id}`)
    main.replaceChildren(
      h('h1', {}, s.name),
      h(
        'p',
        {},
        `${METHODS[s.rule.method] ?? s.rule.method}, ${s.drawn} of ${s.population} calls on ${s.scorecard}, seed `,
        h('code', { id: 'seed' }, s.seed),
      ),
      assignmentTable(s.assignments, true),
      h('p', {}, h('a', { href: '#/samples' }, 'All samples')),
    )
  } catch (err) {
    main.replaceChildren(errorBox(err))
  }
}

/** The open evaluation's timed evidence as ticks on the timeline: each names its item and seeks there. */
function markEvidence(ev, seek) {
  const timeline = document.getElementById('timeline')
  if (!timeline) return
  for (const old of timeline.querySelectorAll('.mark.evidence')) old.remove()
  const durationMs = Number(timeline.dataset.durationMs)
  if (!durationMs) return
  for (const item of ev.items)
    for (const e of item.evidence ?? [])
      if (typeof e.start_ms === 'number')
        timeline.append(
          h('button', {
            type: 'button',
            class: `mark evidence ${item.result}`,
            title: `${item.label ?? item.item_key} (${item.result}) at ${clock(e.start_ms)}`,
            'aria-label': `${item.label ?? item.item_key} at ${clock(e.start_ms)}`,
            dataset: { item: item.item_key },
            style: { left: `${(100 * e.start_ms) / durationMs}%` },
            onclick: (event) => {
              event.stopPropagation()
              seek(e.start_ms)
            },
          }),
        )
}

// ---------- waveform and sentiment over time ----------

/**
 * The waveform (wavesurfer.js, served by callqa from its npm package) over the page's own player:
 * peaks computed by the server, one row per channel (agent and customer on a stereo call); a click
 * seeks the player. Trainers drag across it to select a clip's span. Its shadow-root style carries
 * the page's CSP nonce.
 */
async function drawWaveform(container, audio, call, cutter) {
  try {
    const [{ default: WaveSurfer }, peaks] = await Promise.all([
      import('/vendor/wavesurfer.esm.js'),
      api('GET', `/v1/calls/${call.id}/peaks?buckets=1000${call.has_redacted_audio ? '&redacted=true' : ''}`),
    ])
    const nonce = document.querySelector('meta[name=csp-nonce]')?.getAttribute('content') ?? ''
    const stereo = peaks.channels.length > 1
    // Scaled together, so the two parties keep their relative loudness and a quiet call still shows.
    const loudest = Math.max(0.01, ...peaks.channels.flat())
    const ws = WaveSurfer.create({
      container,
      media: audio,
      peaks: peaks.channels.map((ch) => ch.map((v) => v / loudest)),
      barWidth: 2,
      barGap: 1,
      duration: peaks.duration_ms / 1000,
      height: stereo ? 36 : 56,
      waveColor: '#3b6fb6',
      progressColor: '#1d3f73',
      cursorColor: '#c01c28',
      ...(stereo
        ? {
            splitChannels: [
              { waveColor: '#3b6fb6', progressColor: '#1d3f73' },
              { waveColor: '#c2703d', progressColor: '#7a4420' },
            ],
          }
        : {}),
      cspNonce: nonce,
    })
    container.dataset.channels = String(peaks.channels.length)
    if (cutter) {
      const { default: RegionsPlugin } = await import('/vendor/regions.esm.js')
      const regions = ws.registerPlugin(RegionsPlugin.create())
      regions.enableDragSelection({ color: 'rgba(26, 95, 180, 0.2)' })
      const take = (region) => cutter.setSpan(region.start * 1000, region.end * 1000)
      regions.on('region-created', (region) => {
        for (const other of regions.getRegions()) if (other !== region) other.remove()
        take(region)
      })
      regions.on('region-updated', take)
    }
    return ws
  } catch (err) {
    container.replaceChildren(errorBox(err))
  }
}

/** Each speaker's sentiment, utterance by utterance, as bars above (positive) or below (negative) a line. */
function sentimentLanes(utterances, durationMs) {
  const scored = utterances.filter((u) => typeof u.sentiment === 'number')
  if (scored.length === 0 || !durationMs) return ''
  const speakers = [...new Set(scored.map((u) => u.speaker))]
  return h(
    'div',
    { class: 'sentiment', id: 'sentiment', title: 'sentiment over time, per speaker' },
    speakers.map((speaker) =>
      h(
        'div',
        { class: `sentiment-lane ${speaker}` },
        h('span', { class: 'sentiment-label' }, speaker),
        scored
          .filter((u) => u.speaker === speaker)
          .map((u) =>
            h('div', {
              class: `bar ${u.sentiment >= 0 ? 'pos' : 'neg'}`,
              title: `${speaker} ${clock(u.start_ms)}: ${fmt(u.sentiment)}`,
              dataset: { start: u.start_ms, sentiment: u.sentiment },
              style: {
                left: `${(100 * u.start_ms) / durationMs}%`,
                width: `${Math.max(0.3, (100 * (u.end_ms - u.start_ms)) / durationMs)}%`,
                height: `${Math.round(Math.abs(u.sentiment) * 50)}%`,
              },
            }),
          ),
      ),
    ),
  )
}

// ---------- coaching (trainers cut clips, gather playlists, keep suggestions) ----------

/** m:ss (or h:mm:ss, or seconds) → ms; NaN when it is not a time. */
function parseClock(text) {
  const parts = String(text).trim().split(':').map(Number)
  if (parts.length === 0 || parts.some((p) => !Number.isFinite(p) || p < 0)) return Number.NaN
  return Math.round(parts.reduce((total, p) => total * 60 + p, 0) * 1000)
}

/**
 * Under the player, for trainers: "Start here" and "End here" take the player's position (or type
 * the times), then a title, tags, the scorecard item it illustrates and whether it was done well,
 * and the span is saved as a coaching clip.
 */
function clipCutter(call, audio) {
  const message = h('span', { class: 'message', role: 'status', id: 'clip-message' })
  const start = h('input', { name: 'clip_start', size: 6, placeholder: 'm:ss', 'aria-label': 'clip start' })
  const end = h('input', { name: 'clip_end', size: 6, placeholder: 'm:ss', 'aria-label': 'clip end' })
  const here = (input) => () => {
    input.value = clock(audio.currentTime * 1000)
  }
  const form = h(
    'form',
    {
      class: 'clip-cutter',
      id: 'clip-cutter',
      onsubmit: async (e) => {
        e.preventDefault()
        const d = new FormData(form)
        const text = (k) => String(d.get(k) ?? '').trim()
        const [startMs, endMs] = [parseClock(text('clip_start')), parseClock(text('clip_end'))]
        if (!Number.isFinite(startMs) || !Number.isFinite(endMs)) {
          message.replaceChildren(h('span', { class: 'error' }, 'start and end are times such as 1:05'))
          return
        }
        const item = text('clip_item')
        try {
          const clip = await api('POST', '/v1/clips', {
            call_id: call.id,
            start_ms: startMs,
            end_ms: endMs,
            title: text('clip_title'),
            tags: text('clip_tags')
              .split(',')
              .map((t) => t.trim())
              .filter(Boolean),
            ...(item ? { scorecard_key: item.split('/')[0], item_key: item.split('/')[1] ?? '' } : {}),
            ...(text('clip_polarity') ? { polarity: text('clip_polarity') } : {}),
          })
          message.textContent = `Clip ${clip.id} saved (${clock(clip.start_ms)}–${clock(clip.end_ms)}).`
        } catch (err) {
          message.replaceChildren(errorBox(err))
        }
      },
    },
    h('strong', {}, 'Coaching clip '),
    h('button', { type: 'button', id: 'clip-from-here', onclick: here(start) }, 'Start here'),
    start,
    h('button', { type: 'button', id: 'clip-to-here', onclick: here(end) }, 'End here'),
    end,
    h('input', {
      name: 'clip_title',
      required: true,
      size: 24,
      placeholder: 'title',
      'aria-label': 'clip title',
    }),
    h('input', {
      name: 'clip_tags',
      size: 18,
      placeholder: 'tags, comma-separated',
      'aria-label': 'clip tags',
    }),
    h('input', {
      name: 'clip_item',
      size: 26,
      placeholder: 'card/item (optional)',
      'aria-label': 'scorecard item',
    }),
    h(
      'select',
      { name: 'clip_polarity', 'aria-label': 'done well or badly' },
      h('option', { value: '' }, '–'),
      h('option', { value: 'good' }, 'done well'),
      h('option', { value: 'bad' }, 'done badly'),
    ),
    h('button', { type: 'submit', id: 'save-clip' }, 'Save clip'),
    message,
  )
  // A span selected on the waveform fills the times.
  form.setSpan = (startMs, endMs) => {
    start.value = clock(startMs)
    end.value = clock(endMs)
  }
  return form
}

/** One clip: what it shows, a player for it alone (by a signed link), and "add to playlist". */
function clipCard(c, playlists, onAdd) {
  const player = h('audio', { controls: true, preload: 'none', hidden: true })
  const pick = h(
    'select',
    { name: 'playlist', 'aria-label': `playlist for clip ${c.id}` },
    h('option', { value: '' }, 'add to playlist…'),
    playlists.map((p) => h('option', { value: p.id }, p.name)),
  )
  pick.addEventListener('change', async () => {
    if (pick.value) await onAdd(Number(pick.value), c.id)
    pick.value = ''
  })
  return h(
    'li',
    { class: 'clip', dataset: { clipId: c.id } },
    h('strong', {}, c.title),
    ...(c.call_id === null
      ? [` — ${clock(c.start_ms)}–${clock(c.end_ms)}`]
      : [
          ` — call `,
          h('a', { href: `#/calls/${c.call_id}` }, String(c.call_id)),
          ` ${clock(c.start_ms)}–${clock(c.end_ms)}`,
        ]),
    c.item_key ? ` · ${c.scorecard_key}/${c.item_key}` : '',
    c.polarity ? ` · done ${c.polarity === 'good' ? 'well' : 'badly'}` : '',
    c.tags.length ? h('span', { class: 'muted' }, ` [${c.tags.join(', ')}]`) : '',
    ' ',
    h(
      'button',
      {
        type: 'button',
        class: 'play-clip',
        onclick: async () => {
          const link = await api('POST', `/v1/clips/${c.id}/audio-link`)
          player.src = link.url
          player.hidden = false
          player.play().catch(() => {})
        },
      },
      'Play',
    ),
    onAdd ? pick : '',
    player,
  )
}

async function showCoaching(params) {
  const mayWrite = ['admin', 'trainer'].includes(me?.role ?? '')
  // Agents see the playlists a trainer shared with their team, and play them; nothing else.
  if (me?.role === 'agent') {
    main.replaceChildren(h('h1', {}, 'Coaching'))
    try {
      const playlists = await api('GET', '/v1/playlists')
      if (playlists.length === 0)
        main.append(h('p', { class: 'muted' }, 'Nothing has been shared with your team yet.'))
      for (const p of playlists) main.append(await playlistSection(p, false))
    } catch (err) {
      main.append(errorBox(err))
    }
    return
  }
  const form = filterForm(
    'coaching',
    h('label', {}, 'Tag ', h('input', { name: 'tag', value: params.get('tag') ?? '', size: 12 })),
    h('label', {}, 'Item ', h('input', { name: 'item', value: params.get('item') ?? '', size: 16 })),
    h(
      'label',
      {},
      'Done ',
      h(
        'select',
        { name: 'polarity' },
        [
          ['', 'either'],
          ['good', 'well'],
          ['bad', 'badly'],
        ].map(([v, t]) => h('option', { value: v, selected: params.get('polarity') === v }, t)),
      ),
    ),
    h('label', {}, 'Words ', h('input', { name: 'q', value: params.get('q') ?? '', size: 16 })),
    h('button', { type: 'submit' }, 'Find clips'),
  )
  main.replaceChildren(h('h1', {}, 'Coaching'), form)
  try {
    const [clips, playlists] = await Promise.all([
      api('GET', `/v1/clips?${params}`),
      api('GET', '/v1/playlists'),
    ])
    const addTo = async (playlistId, clipId) => {
      const list = await api('GET', `/v1/playlists/${playlistId}`)
      const ids = list.clips.map((c) => c.id)
      if (!ids.includes(clipId))
        await api('PUT', `/v1/playlists/${playlistId}/clips`, { clip_ids: [...ids, clipId] })
      route()
    }
    main.append(
      h('h2', {}, 'Clips'),
      clips.length
        ? h(
            'ul',
            { id: 'clips' },
            clips.map((c) => clipCard(c, playlists, mayWrite ? addTo : null)),
          )
        : h('p', { class: 'muted' }, 'No clips match.'),
      h('h2', {}, 'Playlists'),
    )
    if (mayWrite) {
      const made = h(
        'form',
        {
          class: 'filters',
          onsubmit: async (e) => {
            e.preventDefault()
            const name = String(new FormData(made).get('name') ?? '').trim()
            if (!name) return
            try {
              await api('POST', '/v1/playlists', { name })
              route()
            } catch (err) {
              made.append(errorBox(err))
            }
          },
        },
        h('input', {
          name: 'name',
          size: 20,
          placeholder: 'new playlist',
          'aria-label': 'new playlist name',
        }),
        h('button', { type: 'submit', id: 'create-playlist' }, 'Create'),
      )
      main.append(made)
    }
    for (const p of playlists) main.append(await playlistSection(p, mayWrite))
    main.append(h('h2', {}, 'Suggested clips'), await suggestions(mayWrite))
  } catch (err) {
    main.append(errorBox(err))
  }
}

/**
 * A playlist and its clips in order, each playable. Trainers (`mayWrite`) also move clips up and
 * down and share the playlist with a team; others see whom it is shared with.
 */
async function playlistSection(p, mayWrite) {
  const full = await api('GET', `/v1/playlists/${p.id}`)
  const ids = full.clips.map((c) => c.id)
  // Trainers put the clips in the order they teach them: a clip moves one place at a time.
  const move = (index, by) => async () => {
    const order = [...ids]
    const [moved] = order.splice(index, 1)
    order.splice(index + by, 0, moved)
    await api('PUT', `/v1/playlists/${p.id}/clips`, { clip_ids: order })
    route()
  }
  const share = h(
    'form',
    {
      class: 'share',
      onsubmit: async (e) => {
        e.preventDefault()
        const team = String(new FormData(share).get('team') ?? '').trim()
        try {
          await api('PUT', `/v1/playlists/${p.id}/team`, { team: team || null })
          route()
        } catch (err) {
          share.append(errorBox(err))
        }
      },
    },
    h(
      'label',
      {},
      'Shared with team ',
      h('input', { name: 'team', size: 14, value: p.shared_with_team ?? '', placeholder: 'no one' }),
    ),
    h('button', { type: 'submit' }, 'Share'),
  )
  return h(
    'section',
    { class: 'playlist', dataset: { playlistId: p.id } },
    h('h3', {}, `${p.name} (${full.clips.length})`),
    p.description ? h('p', {}, p.description) : null,
    mayWrite
      ? share
      : p.shared_with_team
        ? h('p', { class: 'muted' }, `Shared with ${p.shared_with_team}.`)
        : null,
    h(
      'ol',
      {},
      full.clips.map((c, i) => {
        const card = clipCard(c, [], null)
        if (mayWrite)
          card.append(
            h(
              'button',
              {
                type: 'button',
                class: 'move-up',
                disabled: i === 0,
                onclick: move(i, -1),
                'aria-label': `move ${c.title} up`,
              },
              '↑',
            ),
            h(
              'button',
              {
                type: 'button',
                class: 'move-down',
                disabled: i === full.clips.length - 1,
                onclick: move(i, 1),
                'aria-label': `move ${c.title} down`,
              },
              '↓',
            ),
          )
        return card
      }),
    ),
  )
}

/** Calls where the customer came round, each with why it was suggested; "Keep" saves it as a clip. */
async function suggestions(mayWrite) {
  const list = h('ul', { id: 'suggestions' })
  const found = await api('GET', '/v1/coaching/suggestions?kind=recovery&limit=5')
  if (found.length === 0) return h('p', { class: 'muted' }, 'Nothing to suggest yet.')
  for (const s of found)
    list.append(
      h(
        'li',
        {},
        h('strong', {}, s.title),
        ` — call `,
        h('a', { href: `#/calls/${s.call_id}` }, String(s.call_id)),
        ` ${clock(s.start_ms)}–${clock(s.end_ms)}: ${s.why} `,
        mayWrite
          ? h(
              'button',
              {
                type: 'button',
                onclick: async (e) => {
                  const button = e.currentTarget
                  try {
                    const { why: _why, score: _score, agent_id: _agent, ...clip } = s
                    await api('POST', '/v1/clips', { ...clip, tags: ['recovery'] })
                    button.replaceWith(h('span', { role: 'status' }, 'kept'))
                  } catch (err) {
                    button.after(errorBox(err))
                  }
                },
              },
              'Keep',
            )
          : '',
      ),
    )
  return list
}

// ---------- calibration (QA leads run it, reviewers score blind) ----------

async function showCalibrations() {
  const field = (label, input) => h('label', {}, `${label} `, input)
  const message = h('span', { class: 'message', role: 'status' })
  const form = h(
    'form',
    {
      class: 'sample-rule',
      onsubmit: async (e) => {
        e.preventDefault()
        const d = new FormData(form)
        const text = (k) => String(d.get(k) ?? '').trim()
        try {
          const made = await api('POST', '/v1/calibrations', {
            call_id: Number(text('call_id')),
            scorecard: text('scorecard'),
            reviewers: text('reviewers')
              .split(',')
              .map((r) => r.trim())
              .filter(Boolean),
            ...(text('expert') ? { expert: text('expert') } : {}),
            ...(text('title') ? { title: text('title') } : {}),
          })
          location.hash = `#/calibrations/${made.id}`
        } catch (err) {
          message.replaceChildren(errorBox(err))
        }
      },
    },
    h('h2', {}, 'New session'),
    field('Call', h('input', { name: 'call_id', type: 'number', min: 1, required: true })),
    field(
      'Scorecard',
      h('input', { name: 'scorecard', required: true, value: 'inbound-support-en', size: 20 }),
    ),
    field(
      'Reviewers',
      h('input', { name: 'reviewers', required: true, size: 28, placeholder: 'names, comma-separated' }),
    ),
    field('Expert', h('input', { name: 'expert', size: 12, placeholder: 'one of them (optional)' })),
    field('Title', h('input', { name: 'title', size: 24 })),
    h('p', {}, h('button', { type: 'submit', id: 'create-calibration' }, 'Start the session'), message),
  )
  main.replaceChildren(h('h1', {}, 'Calibration'), form)
  try {
    const [sessions, agreement] = await Promise.all([
      api('GET', '/v1/calibrations'),
      api('GET', '/v1/calibrations/reviewers?period=month'),
    ])
    main.append(
      h('h2', {}, 'Sessions'),
      sessions.length === 0
        ? h('p', { class: 'muted' }, 'None yet.')
        : table(
            'calibrations',
            ['Session', 'Call', 'Card', 'Status', 'Submitted', ''],
            sessions.map((c) =>
              h(
                'tr',
                { dataset: { calibrationId: c.id } },
                h('td', {}, h('a', { href: `#/calibrations/${c.id}` }, c.title ?? `session ${c.id}`)),
                h('td', {}, h('a', { href: `#/calls/${c.call_id}` }, String(c.call_id))),
                h('td', {}, c.scorecard),
                h('td', {}, c.status),
                h('td', { class: 'num' }, `${c.submitted}/${c.participants}`),
                h('td', {}, c.mine && c.status === 'open' ? 'yours to score' : ''),
              ),
            ),
          ),
      h('h2', {}, 'Reviewers over time'),
      agreement.length === 0
        ? h('p', { class: 'muted' }, 'No completed sessions yet.')
        : table(
            'reviewer-agreement',
            ['Reviewer', 'Month', 'Sessions', 'Matches expert', 'Matches majority', 'From the expert'],
            agreement.map((a) =>
              h(
                'tr',
                {},
                h('td', {}, a.reviewer),
                h('td', {}, a.period),
                h('td', { class: 'num' }, String(a.sessions)),
                h(
                  'td',
                  { class: 'num' },
                  a.matches_expert === null ? '–' : `${fmt(a.matches_expert * 100, 0)} %`,
                ),
                h(
                  'td',
                  { class: 'num' },
                  a.matches_majority === null ? '–' : `${fmt(a.matches_majority * 100, 0)} %`,
                ),
                h('td', { class: 'num' }, a.mean_abs_deviation === null ? '–' : fmt(a.mean_abs_deviation, 1)),
              ),
            ),
          ),
    )
  } catch (err) {
    main.append(errorBox(err))
  }
}

/**
 * A session: who has submitted (blind: nobody sees another's answers until all have), a
 * participant's way into their own review, and once complete the figures: per-item agreement
 * with the majority and the expert, Fleiss' kappa, the score spread, each reviewer's deviation.
 */
async function showCalibration(id) {
  main.replaceChildren(h('p', { class: 'muted' }, 'Loading session…'))
  let s
  try {
    s = await api('GET', `/v1/calibrations/${id}`)
  } catch (err) {
    main.replaceChildren(errorBox(err))
    return
  }
  const mine = s.participants.find((p) => p.reviewer === me?.name)
  const parts = [
    h('h1', {}, s.title ?? `Calibration ${s.id}`),
    h(
      'p',
      {},
      'Call ',
      h('a', { href: `#/calls/${s.call_id}` }, String(s.call_id)),
      ` on ${s.scorecard} v${s.scorecard_version}; `,
      h('span', { id: 'calibration-status' }, s.status),
      s.expert ? `; expert: ${s.expert}` : '',
    ),
    h(
      'ul',
      { id: 'participants' },
      s.participants.map((p) =>
        h(
          'li',
          {},
          `${p.reviewer}: ${p.submitted ? 'submitted' : 'not yet'}`,
          p.percent === undefined || p.percent === null ? '' : ` (${fmt(p.percent, 1)} %)`,
        ),
      ),
    ),
  ]
  if (mine && s.status === 'open')
    parts.push(
      h(
        'button',
        {
          type: 'button',
          id: 'score-blind',
          onclick: async () => {
            try {
              const review = await api('POST', `/v1/calibrations/${s.id}/review`)
              location.hash = `#/calls/${s.call_id}/evaluations/${review.id}`
            } catch (err) {
              main.append(errorBox(err))
            }
          },
        },
        mine.submitted ? 'See my review' : 'Score it blind',
      ),
    )
  const r = s.results
  if (r) {
    parts.push(
      h(
        'p',
        { id: 'calibration-figures' },
        `Agreement ${fmt(r.agreement * 100, 0)} %, kappa ${r.kappa === null ? '–' : fmt(r.kappa)}, scores ${fmt(r.spread.min, 1)}–${fmt(r.spread.max, 1)} % (range ${fmt(r.spread.range, 1)}).`,
      ),
      table(
        'calibration-items',
        ['Item', ...r.by_reviewer.map((b) => b.reviewer), 'Majority', 'Agreement', 'Expert'],
        r.items.map((i) =>
          h(
            'tr',
            { dataset: { item: i.item_key }, class: i.unanimous ? null : 'split' },
            h('td', {}, i.item_key),
            r.by_reviewer.map((b) => h('td', {}, i.answers[b.reviewer] ?? '–')),
            h('td', {}, i.majority),
            h('td', { class: 'num' }, `${fmt(i.agreement * 100, 0)} %`),
            h('td', {}, i.expert ?? '–'),
          ),
        ),
      ),
      table(
        'calibration-reviewers',
        ['Reviewer', 'Score', 'From the expert', 'Matches expert', 'Matches majority'],
        r.by_reviewer.map((b) =>
          h(
            'tr',
            {},
            h('td', {}, b.reviewer),
            h('td', { class: 'num' }, `${fmt(b.percent, 1)} %`),
            h('td', { class: 'num' }, b.deviation === null ? '–' : fmt(b.deviation, 1)),
            h(
              'td',
              { class: 'num' },
              b.matches_expert === null ? '–' : `${fmt(b.matches_expert * 100, 0)} %`,
            ),
            h('td', { class: 'num' }, `${fmt(b.matches_majority * 100, 0)} %`),
          ),
        ),
      ),
    )
  }
  parts.push(h('p', {}, h('a', { href: '#/calibrations' }, 'All sessions')))
  main.replaceChildren(...parts)
}

// ---------- disputes (agents raise them, reviewers decide them) ----------

const DISPUTE_STATUS = {
  open: 'open',
  accepted: 'accepted',
  partially_accepted: 'partly accepted',
  rejected: 'rejected',
}

/** The disputes the API lets this user see: agents their calls', reviewers those on their reviews. */
async function showDisputes(params) {
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
  if (d.status === 'open' && ['reviewer', 'admin'].includes(me?.role ?? '')) card.append(decisionForm(d))
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

/**
 * Under a submitted review of an agent's own call: the disputes already raised on it, and a form to
 * contest items with a comment (the API enforces the window and the cap, and says which applies).
 */
async function disputePanel(ev) {
  const panel = h('div', { id: 'dispute-panel' })
  // The agent says they have read the review (once); a dispute is how they disagree.
  if (me?.role === 'agent')
    panel.append(
      ev.acknowledged_at
        ? h('p', { id: 'acknowledged' }, `Acknowledged on ${new Date(ev.acknowledged_at).toLocaleString()}.`)
        : h(
            'button',
            {
              type: 'button',
              id: 'acknowledge',
              onclick: async (e) => {
                const button = e.currentTarget
                try {
                  const done = await api('POST', `/v1/evaluations/${ev.id}/acknowledge`)
                  button.replaceWith(
                    h(
                      'p',
                      { id: 'acknowledged' },
                      `Acknowledged on ${new Date(done.acknowledged_at).toLocaleString()}.`,
                    ),
                  )
                } catch (err) {
                  button.after(errorBox(err))
                }
              },
            },
            'I have read this review',
          ),
    )
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
  if (existing.some((d) => d.status === 'open') || !['agent', 'manager', 'admin'].includes(me?.role ?? ''))
    return panel
  const message = h('span', { class: 'message', role: 'status' })
  const form = h(
    'form',
    {
      class: 'dispute-form',
      hidden: true,
      onsubmit: async (e) => {
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
  panel.append(
    h(
      'button',
      {
        type: 'button',
        id: 'open-dispute',
        onclick: (e) => {
          form.hidden = false
          e.currentTarget.hidden = true
          form.querySelector('input')?.focus()
        },
      },
      'Dispute this review',
    ),
    form,
  )
  return panel
}

// ---------- routing ----------

async function route() {
  if (!sessionStorage.getItem(TOKEN_KEY)) return showSignIn()
  if (!me)
    try {
      await signedIn()
    } catch {
      return
    }
  const [path, query] = location.hash.replace(/^#/, '').split('?')
  const parts = (path ?? '').split('/').filter(Boolean)
  if (parts[0] === 'queue') return showQueue()
  if (parts[0] === 'trends') return showTrends(new URLSearchParams(query ?? ''))
  if (parts[0] === 'reports') return showReport(new URLSearchParams(query ?? ''))
  if (parts[0] === 'disputes') return showDisputes(new URLSearchParams(query ?? ''))
  if (parts[0] === 'coaching') return showCoaching(new URLSearchParams(query ?? ''))
  if (parts[0] === 'calibrations' && parts[1]) return showCalibration(Number(parts[1]))
  if (parts[0] === 'calibrations') return showCalibrations()
  if (parts[0] === 'samples' && parts[1]) return showSample(Number(parts[1]))
  if (parts[0] === 'samples') return showSamples()
  const evaluationId = parts[2] === 'evaluations' ? Number(parts[3]) : undefined
  if (parts[0] === 'calls' && parts[1] && shown?.callId === Number(parts[1]) && main.contains(shown.panel))
    return shown.open(evaluationId).catch((err) => shown.panel.replaceChildren(errorBox(err)))
  if (parts[0] === 'calls' && parts[1]) return showCall(Number(parts[1]), evaluationId)
  return showCalls(new URLSearchParams(query ?? ''))
}

document.getElementById('sign-out')?.addEventListener('click', () => {
  sessionStorage.removeItem(TOKEN_KEY)
  me = null
  location.hash = ''
  showSignIn()
})
window.addEventListener('hashchange', route)
route()
