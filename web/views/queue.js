// @ts-check
import { api } from '../lib/api.js'
import { errorBox, h, main, table } from '../lib/dom.js'
import { clock } from '../lib/time.js'

export async function showQueue() {
  main.replaceChildren(h('h1', {}, 'My queue'))
  try {
    /** @type {import('../../api/wire-types.js').QueueEntry[]} */
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
