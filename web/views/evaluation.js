// @ts-check
import { api } from '../lib/api.js'
import { errorBox, fmt, h } from '../lib/dom.js'
import { hasRole, me } from '../lib/session.js'
import { timeButton } from '../views/call-about.js'
import { disputePanel } from '../views/disputes.js'
import { markEvidence } from '../views/samples.js'

/**
 * What an item was judged on (the wire leaves its shape to the item's kind): an utterance or span
 * with its time, or a metric's value.
 * @typedef {{start_ms?: number, rule?: string, text?: string, what?: string, type?: string, metric?: string, value?: number}} EvidenceEntry
 */

export async function showEvaluation(panel, callId, evaluationId, seek) {
  panel.replaceChildren(h('p', { class: 'muted' }, 'Loading evaluation…'))
  /** @type {import('../../api/wire-types.js').Evaluation} */
  let ev
  try {
    ev = await api('GET', `/v1/evaluations/${evaluationId}`)
  } catch (err) {
    panel.replaceChildren(errorBox(err))
    return
  }
  const mayReview = hasRole('reviewer', 'admin', 'manager')
  const editable =
    ev.source === 'review' && ev.status === 'draft' && (ev.reviewer_id === me()?.id || hasRole('admin'))
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
    const given = /** @type {EvidenceEntry[]} */ (item.evidence ?? [])
    const evidence = given.map((e) =>
      typeof e.start_ms === 'number'
        ? timeButton(e.start_ms, seek, [e.rule, e.text ?? e.what].filter(Boolean).join(': '))
        : h(
            'span',
            { class: 'muted' },
            e.type === 'metric' ? ` ${e.metric} ${fmt(e.value, 0)}` : e.text ? ` ${e.text}` : '',
          ),
    )
    // Which rule of the item the machine's answer rests on.
    const rules = [...new Set(given.map((e) => e.rule).filter(Boolean))]
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
