// @ts-check
import { api } from '../lib/api.js'
import { errorBox, fmt, h, labelled, main, table } from '../lib/dom.js'
import { me } from '../lib/session.js'

/**
 * A complete session's figures (the wire describes them in words only).
 * @typedef {{agreement: number, kappa: number | null, spread: {min: number, max: number, range: number},
 *   by_reviewer: Array<Record<string, any>>, items: Array<Record<string, any>>}} CalibrationResults
 */

/** Calibration sessions: a lead starts one, the list of sessions, reviewers' agreement over time. */
export async function showCalibrations() {
  main.replaceChildren(h('h1', {}, 'Calibration'), newSessionForm())
  try {
    const [sessions, agreement] = await Promise.all([
      api('GET', '/v1/calibrations'),
      api('GET', '/v1/calibrations/reviewers?period=month'),
    ])
    main.append(
      h('h2', {}, 'Sessions'),
      sessionsTable(sessions),
      h('h2', {}, 'Reviewers over time'),
      reviewerAgreement(agreement),
    )
  } catch (err) {
    main.append(errorBox(err))
  }
}

function newSessionForm() {
  const message = h('span', { class: 'message', role: 'status' })
  const form = h(
    'form',
    {
      class: 'sample-rule',
      onsubmit: async (/** @type {SubmitEvent} */ e) => {
        e.preventDefault()
        const d = new FormData(form)
        const text = (/** @type {string} */ k) => String(d.get(k) ?? '').trim()
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
    labelled('Call', h('input', { name: 'call_id', type: 'number', min: 1, required: true })),
    labelled(
      'Scorecard',
      h('input', { name: 'scorecard', required: true, value: 'inbound-support-en', size: 20 }),
    ),
    labelled(
      'Reviewers',
      h('input', { name: 'reviewers', required: true, size: 28, placeholder: 'names, comma-separated' }),
    ),
    labelled('Expert', h('input', { name: 'expert', size: 12, placeholder: 'one of them (optional)' })),
    labelled('Title', h('input', { name: 'title', size: 24 })),
    h('p', {}, h('button', { type: 'submit', id: 'create-calibration' }, 'Start the session'), message),
  )
  return form
}

/** @param {import('../../api/wire-types.js').CalibrationSummary[]} sessions */
function sessionsTable(sessions) {
  if (sessions.length === 0) return h('p', { class: 'muted' }, 'None yet.')
  return table(
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
  )
}

/** @param {import('../../api/wire-types.js').ReviewerAgreement[]} agreement */
function reviewerAgreement(agreement) {
  if (agreement.length === 0) return h('p', { class: 'muted' }, 'No completed sessions yet.')
  const share = (/** @type {number | null} */ x) => (x === null ? '–' : `${fmt(x * 100, 0)} %`)
  return table(
    'reviewer-agreement',
    ['Reviewer', 'Month', 'Sessions', 'Matches expert', 'Matches majority', 'From the expert'],
    agreement.map((a) =>
      h(
        'tr',
        {},
        h('td', {}, a.reviewer),
        h('td', {}, a.period),
        h('td', { class: 'num' }, String(a.sessions)),
        h('td', { class: 'num' }, share(a.matches_expert)),
        h('td', { class: 'num' }, share(a.matches_majority)),
        h('td', { class: 'num' }, a.mean_abs_deviation === null ? '–' : fmt(a.mean_abs_deviation, 1)),
      ),
    ),
  )
}

/**
 * A session: who has submitted (blind: nobody sees another's answers until all have), a
 * participant's way into their own review, and once complete the figures: per-item agreement
 * with the majority and the expert, Fleiss' kappa, the score spread, each reviewer's deviation.
 */
export async function showCalibration(id) {
  main.replaceChildren(h('p', { class: 'muted' }, 'Loading session…'))
  /** @type {import('../../api/wire-types.js').CalibrationSession} */
  let s
  try {
    s = await api('GET', `/v1/calibrations/${id}`)
  } catch (err) {
    main.replaceChildren(errorBox(err))
    return
  }
  const mine = s.participants.find((p) => p.reviewer === me()?.name)
  /** @type {HTMLElement[]} */
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
  const r = /** @type {CalibrationResults | null} */ (s.results)
  if (r) parts.push(...calibrationFigures(r))
  parts.push(h('p', {}, h('a', { href: '#/calibrations' }, 'All sessions')))
  main.replaceChildren(...parts)
}

/**
 * A complete session's figures: per-item agreement with the majority and the expert, kappa, the
 * score spread and each reviewer against both.
 * @param {CalibrationResults} r
 */
function calibrationFigures(r) {
  return [
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
          h('td', { class: 'num' }, b.matches_expert === null ? '–' : `${fmt(b.matches_expert * 100, 0)} %`),
          h('td', { class: 'num' }, `${fmt(b.matches_majority * 100, 0)} %`),
        ),
      ),
    ),
  ]
}
