// @ts-check
import { api } from '../lib/api.js'
import { choice, errorBox, field, filterForm, h, main } from '../lib/dom.js'
import { refresh } from '../lib/nav.js'
import { hasRole } from '../lib/session.js'
import { clock } from '../lib/time.js'

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
export function clipCutter(call, audio) {
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
      onsubmit: async (/** @type {SubmitEvent} */ e) => {
        e.preventDefault()
        await saveClip(call.id, new FormData(form), message)
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

/**
 * Saves the span the cutter describes as a clip; says what was saved, or why not.
 * @param {number} callId
 * @param {FormData} d
 * @param {HTMLElement} message
 */
async function saveClip(callId, d, message) {
  const text = (/** @type {string} */ k) => String(d.get(k) ?? '').trim()
  const [startMs, endMs] = [parseClock(text('clip_start')), parseClock(text('clip_end'))]
  if (!Number.isFinite(startMs) || !Number.isFinite(endMs)) {
    message.replaceChildren(h('span', { class: 'error' }, 'start and end are times such as 1:05'))
    return
  }
  const item = text('clip_item')
  try {
    const clip = await api('POST', '/v1/clips', {
      call_id: callId,
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

/**
 * Coaching: clips found by tag, item, how it was done and words; playlists; suggested clips.
 * Agents see only the playlists shared with their team.
 * @param {URLSearchParams} params
 */
export async function showCoaching(params) {
  const mayWrite = hasRole('admin', 'trainer')
  // Agents see the playlists a trainer shared with their team, and play them; nothing else.
  if (hasRole('agent')) return showSharedPlaylists()
  const form = filterForm(
    'coaching',
    field('Tag ', 'tag', params, { size: 12 }),
    field('Item ', 'item', params, { size: 16 }),
    choice('Done ', 'polarity', params, [
      ['', 'either'],
      ['good', 'well'],
      ['bad', 'badly'],
    ]),
    field('Words ', 'q', params, { size: 16 }),
    h('button', { type: 'submit' }, 'Find clips'),
  )
  main.replaceChildren(h('h1', {}, 'Coaching'), form)
  try {
    const [clips, playlists] = await Promise.all([
      api('GET', `/v1/clips?${params}`),
      api('GET', '/v1/playlists'),
    ])
    const addTo = async (/** @type {number} */ playlistId, /** @type {number} */ clipId) => {
      const list = await api('GET', `/v1/playlists/${playlistId}`)
      const ids = list.clips.map((c) => c.id)
      if (!ids.includes(clipId))
        await api('PUT', `/v1/playlists/${playlistId}/clips`, { clip_ids: [...ids, clipId] })
      refresh()
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
    if (mayWrite) main.append(newPlaylistForm())
    for (const p of playlists) main.append(await playlistSection(p, mayWrite))
    main.append(h('h2', {}, 'Suggested clips'), await suggestions(mayWrite))
  } catch (err) {
    main.append(errorBox(err))
  }
}

async function showSharedPlaylists() {
  main.replaceChildren(h('h1', {}, 'Coaching'))
  try {
    const playlists = await api('GET', '/v1/playlists')
    if (playlists.length === 0)
      main.append(h('p', { class: 'muted' }, 'Nothing has been shared with your team yet.'))
    for (const p of playlists) main.append(await playlistSection(p, false))
  } catch (err) {
    main.append(errorBox(err))
  }
}

function newPlaylistForm() {
  const made = h(
    'form',
    {
      class: 'filters',
      onsubmit: async (/** @type {SubmitEvent} */ e) => {
        e.preventDefault()
        const name = String(new FormData(made).get('name') ?? '').trim()
        if (!name) return
        try {
          await api('POST', '/v1/playlists', { name })
          refresh()
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
  return made
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
    refresh()
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
          refresh()
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
