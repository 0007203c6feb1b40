// @ts-check
import { urgencyBadge } from '../lib/badges.js'
import { fmt, h } from '../lib/dom.js'
import { clock } from '../lib/time.js'

/** A time that plays the call from there. */
export const timeButton = (ms, seek, title) =>
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
export function aboutCall(topics, call, seek) {
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
export function sentimentWhy(u) {
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
