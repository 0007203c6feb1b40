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

/** @typedef {import('../../api/wire-types.js').Evaluation} Evaluation */
/** @typedef {import('../../api/wire-types.js').EvaluationItem} EvaluationItem */
/** @typedef {(ms: number) => void} Seek */

/**
 * One evaluation in the call view's panel: read-only, or a reviewer's draft to answer, save and
 * submit; a submitted review shows its dispute panel.
 * @param {HTMLElement} panel
 * @param {number} callId
 * @param {number} evaluationId
 * @param {Seek} seek
 */
export async function showEvaluation(panel, callId, evaluationId, seek) {
  panel.replaceChildren(h('p', { class: 'muted' }, 'Loading evaluation…'))
  /** @type {Evaluation} */
  let ev
  try {
    ev = await api('GET', `/v1/evaluations/${evaluationId}`)
  } catch (err) {
    panel.replaceChildren(errorBox(err))
    return
  }
  const editable =
    ev.source === 'review' && ev.status === 'draft' && (ev.reviewer_id === me()?.id || hasRole('admin'))
  const score = h('span', { class: 'score', id: 'score' }, `${fmt(ev.percent, 1)} %`)
  const head = evaluationHead(ev, callId, score)
  const draft = editable ? new Draft(ev, panel, score) : null
  const items = itemRows(ev, seek, draft)
  const overall =
    draft?.overall ??
    h('textarea', { name: 'overall', placeholder: 'Overall comment', disabled: true }, ev.comment ?? '')
  const actions = draft
    ? draftActions(draft, async (said) => {
        await showEvaluation(panel, callId, evaluationId, seek)
        panel.append(h('p', { role: 'status' }, said))
      })
    : ''
  panel.replaceChildren(head, ...items, h('h4', {}, 'Overall'), overall, actions)
  markEvidence(ev, seek)
  if (ev.source === 'review' && ev.status === 'submitted' && ev.calibration_id === null)
    panel.append(await disputePanel(ev))
}

/**
 * The evaluation's title, score and (for reviewers, on an automatic one) the button to review it.
 * @param {Evaluation} ev
 * @param {number} callId
 * @param {HTMLElement} score
 */
function evaluationHead(ev, callId, score) {
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
  if (ev.source === 'auto' && hasRole('reviewer', 'admin', 'manager'))
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
  return head
}

/**
 * A reviewer's unsaved answers: kept in the tab too, so a reload (or a crash) does not lose work,
 * and saved as one PATCH of what changed.
 */
class Draft {
  /**
   * @param {Evaluation} ev
   * @param {HTMLElement} panel
   * @param {HTMLElement} score
   */
  constructor(ev, panel, score) {
    this.ev = ev
    this.panel = panel
    this.score = score
    /** @type {Map<string, {result: string, comment: string | null}>} */
    this.changes = new Map()
    this.stashKey = `callqa.unsaved.${ev.id}`
    /** @type {{items?: Array<[string, {result: string, comment: string | null}]>, overall?: string} | null} */
    this.stashed = JSON.parse(sessionStorage.getItem(this.stashKey) ?? 'null')
    this.overallChanged = typeof this.stashed?.overall === 'string'
    this.overall = h(
      'textarea',
      { name: 'overall', placeholder: 'Overall comment' },
      this.overallChanged ? this.stashed?.overall : (ev.comment ?? ''),
    )
    this.overall.addEventListener('input', () => {
      this.overallChanged = true
      this.stash()
    })
  }

  stash() {
    sessionStorage.setItem(
      this.stashKey,
      JSON.stringify({
        items: [...this.changes],
        overall: this.overallChanged ? this.overall.value : undefined,
      }),
    )
  }

  /** @param {string} key */
  unsaved(key) {
    return this.stashed?.items?.find(([k]) => k === key)?.[1]
  }

  async save() {
    const body = {
      ...(this.changes.size
        ? {
            items: [...this.changes].map(([item_key, c]) => ({
              item_key,
              result: c.result,
              comment: c.comment,
            })),
          }
        : {}),
      ...(this.overallChanged ? { comment: this.overall.value.trim() || null } : {}),
    }
    if (!body.items && body.comment === undefined) return this.ev
    /** @type {Evaluation} */
    const saved = await api('PATCH', `/v1/reviews/${this.ev.id}`, body)
    this.changes.clear()
    this.overallChanged = false
    sessionStorage.removeItem(this.stashKey)
    for (const el of this.panel.querySelectorAll('.item.changed')) el.classList.remove('changed')
    this.score.textContent = `${fmt(saved.percent, 1)} %`
    return saved
  }
}

/**
 * Save and submit, with a message line for what happened or the API's refusal.
 * @param {Draft} draft
 * @param {(said: string) => Promise<void>} submitted
 */
function draftActions(draft, submitted) {
  const message = h('span', { id: 'message', role: 'status' })
  /** A button that runs `run` and shows what it returns, or the API's refusal, in the message line. */
  const action = (
    /** @type {string} */ id,
    /** @type {string} */ label,
    /** @type {() => Promise<string>} */ run,
  ) =>
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
  return h(
    'div',
    { class: 'actions' },
    action('save', 'Save draft', async () => {
      await draft.save()
      return 'Draft saved.'
    }),
    action('submit', 'Submit', async () => {
      await draft.save()
      /** @type {Evaluation} */
      const done = await api('POST', `/v1/reviews/${draft.ev.id}/submit`)
      const said = `Submitted: ${fmt(done.percent, 1)} %.`
      await submitted(said)
      return said
    }),
    message,
  )
}

/**
 * The items under their section titles.
 * @param {Evaluation} ev
 * @param {Seek} seek
 * @param {Draft | null} draft
 */
function itemRows(ev, seek, draft) {
  /** @type {HTMLElement[]} */
  const rows = []
  let section = null
  for (const item of ev.items) {
    if (item.section_key !== section) {
      section = item.section_key
      rows.push(h('div', { class: 'section-title' }, item.section_label ?? section))
    }
    const row = h('div', { class: 'item', dataset: { item: item.item_key } })
    const evidence = evidenceOf(item, seek)
    const auto = item.auto_result ?? (ev.source === 'auto' ? item.result : null)
    row.append(
      h(
        'div',
        { class: 'label' },
        item.label ?? item.item_key,
        item.critical ? ' (critical)' : '',
        item.fatal ? ' (fatal)' : '',
      ),
      draft ? editableAnswer(item, row, draft, auto, evidence) : readOnlyAnswer(item, evidence),
    )
    rows.push(row)
  }
  return rows
}

/**
 * What an item was judged on, as buttons that seek to it, and which rules the answer rests on.
 * @param {EvaluationItem} item
 * @param {Seek} seek
 */
function evidenceOf(item, seek) {
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
  return evidence
}

/**
 * An item's answer and comment as a reviewer changes them (an unsaved change from the tab comes back).
 * @param {EvaluationItem} item
 * @param {HTMLElement} row
 * @param {Draft} draft
 * @param {string | null} auto
 * @param {HTMLElement[]} evidence
 */
function editableAnswer(item, row, draft, auto, evidence) {
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
    draft.changes.set(item.item_key, { result: select.value, comment: comment.value.trim() || null })
    row.classList.add('changed')
    draft.stash()
  }
  select.addEventListener('change', mark)
  comment.addEventListener('input', mark)
  const unsaved = draft.unsaved(item.item_key)
  if (unsaved) {
    select.value = unsaved.result
    comment.value = unsaved.comment ?? ''
    draft.changes.set(item.item_key, unsaved)
    row.classList.add('changed')
  }
  return h(
    'div',
    { class: 'answer' },
    select,
    auto ? h('span', { class: 'muted' }, 'automatic: ', h('span', { class: `result ${auto}` }, auto)) : null,
    evidence,
    comment,
  )
}

/**
 * @param {EvaluationItem} item
 * @param {HTMLElement[]} evidence
 */
function readOnlyAnswer(item, evidence) {
  return h(
    'div',
    { class: 'answer' },
    h('span', { class: `result ${item.result}` }, item.result),
    item.auto_result && item.auto_result !== item.result
      ? h('span', { class: 'muted' }, `(automatic: ${item.auto_result})`)
      : null,
    evidence,
    item.comment ? h('span', {}, `“${item.comment}”`) : null,
  )
}
