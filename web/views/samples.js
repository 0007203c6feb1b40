// @ts-check
import { api } from '../lib/api.js'
import { errorBox, fmt, h, labelled, main, table } from '../lib/dom.js'
import { clock } from '../lib/time.js'

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
export async function showSamples() {
  const form = sampleRuleForm()
  const preview = h('div', { id: 'sample-preview' })
  form.addEventListener('submit', async (e) => {
    e.preventDefault()
    preview.replaceChildren(h('p', { class: 'muted' }, 'Drawing…'))
    try {
      const drawn = await api('POST', '/v1/samples/preview', sampleBody(form))
      // The seed of this draw goes back into the form: saving draws exactly these calls.
      const seed = /** @type {HTMLInputElement} */ (form.elements.namedItem('seed'))
      seed.value = drawn.seed
      preview.replaceChildren(...drawPreview(drawn, form, preview))
    } catch (err) {
      preview.replaceChildren(errorBox(err))
    }
  })
  main.replaceChildren(h('h1', {}, 'Sampling'), form, preview)
  try {
    /** @type {import('../../api/wire-types.js').SampleSummary[]} */
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

/** The rule, the seed and the reviewers of a sample. */
function sampleRuleForm() {
  const options = (/** @type {string} */ name, /** @type {Array<[string, string]>} */ list, attrs = {}) =>
    h(
      'select',
      { name, ...attrs },
      list.map(([v, t]) => h('option', { value: v }, t)),
    )
  const same = (/** @type {string[]} */ list) => list.map((v) => /** @type {[string, string]} */ ([v, v]))
  return h(
    'form',
    { class: 'sample-rule' },
    h('h2', {}, '1. Rule'),
    labelled('Name', h('input', { name: 'name', required: true, size: 24 })),
    labelled(
      'Scorecard',
      h('input', { name: 'scorecard', required: true, value: 'inbound-support-en', size: 20 }),
    ),
    labelled('Method', options('method', Object.entries(METHODS))),
    labelled('Calls', h('input', { name: 'n', type: 'number', min: 1, value: 10, required: true })),
    labelled('Per', options('period', same(['week', 'day', 'month']))),
    labelled('Strata', options('strata', same(['team', 'agent', 'queue', 'language', 'direction']))),
    labelled('Agent', h('input', { name: 'agent', size: 10 })),
    labelled('Team', h('input', { name: 'team', size: 10 })),
    labelled('From', h('input', { name: 'from', type: 'date' })),
    labelled('To', h('input', { name: 'to', type: 'date' })),
    labelled(
      'Urgency',
      options(
        'urgency',
        ['', 'P0,P1', 'P0,P1,P2'].map((u) => [u, u ? u.replaceAll(',', ', ') : 'any']),
        { title: 'only calls this urgent (a risk draw also weighs P0–P1 calls more)' },
      ),
    ),
    labelled('Category', h('input', { name: 'category', size: 14, placeholder: 'billing/refund' })),
    h('h2', {}, '2. Seed and reviewers'),
    labelled('Seed', h('input', { name: 'seed', size: 16, placeholder: 'empty: a new one' })),
    labelled(
      'Reviewers',
      h('input', { name: 'reviewers', size: 24, placeholder: 'names, comma-separated; empty: all' }),
    ),
    labelled('At most per day', h('input', { name: 'cap_per_day', type: 'number', min: 1 })),
    labelled('Starting', h('input', { name: 'start_on', type: 'date' })),
    h('p', {}, h('button', { type: 'submit', id: 'preview' }, '3. Preview the draw')),
  )
}

/**
 * The request body the form describes (POST /v1/samples and its preview take the same).
 * @param {HTMLFormElement} form
 */
function sampleBody(form) {
  const d = new FormData(form)
  const text = (/** @type {string} */ k) => String(d.get(k) ?? '').trim()
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

/**
 * What a preview drew, and the button that saves exactly that draw.
 * @param {any} drawn what POST /v1/samples/preview answers
 * @param {HTMLFormElement} form
 * @param {HTMLElement} preview
 */
function drawPreview(drawn, form, preview) {
  return [
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
              const saved = await api('POST', '/v1/samples', sampleBody(form))
              location.hash = `#/samples/${saved.id}`
            } catch (err) {
              preview.append(errorBox(err))
            }
          },
        },
        '4. Save and assign',
      ),
    ),
  ]
}

export async function showSample(id) {
  main.replaceChildren(h('p', { class: 'muted' }, 'Loading sample…'))
  try {
    /** @type {import('../../api/wire-types.js').Sample} */
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
export function markEvidence(ev, seek) {
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
