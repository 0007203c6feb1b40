// @ts-check
import { api } from '../lib/api.js'
import { errorBox, fmt, h, main } from '../lib/dom.js'
import { hasRole } from '../lib/session.js'
import { clock } from '../lib/time.js'
import { aboutCall, sentimentWhy, timeButton } from '../views/call-about.js'
import { drawWaveform, sentimentLanes } from '../views/call-waveform.js'
import { clipCutter } from '../views/coaching.js'
import { showEvaluation } from '../views/evaluation.js'
import { callFollowUp } from '../views/follow-ups.js'

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

/** @typedef {import('../../api/wire-types.js').CallDetail} CallDetail */
/** @typedef {(ms: number) => void} Seek */

/**
 * One call: its figures, what it is about, the player with waveform and timeline, the transcript
 * and its evaluations (one of them open in the panel beside).
 * @param {number} callId
 * @param {number} [evaluationId]
 */
export async function showCall(callId, evaluationId) {
  main.replaceChildren(h('p', { class: 'muted' }, 'Loading…'))
  /** @type {CallDetail} */
  let detail
  try {
    detail = await api('GET', `/v1/calls/${callId}`)
  } catch (err) {
    main.replaceChildren(errorBox(err))
    return
  }
  const { call } = detail
  const utterances = await allUtterances(detail)
  const audio = h('audio', { controls: true, preload: 'metadata', id: 'player' })
  /** @type {Seek} */
  const seek = (ms) => {
    audio.currentTime = ms / 1000
    audio.play().catch(() => {})
  }
  const durationMs = call.duration_ms ?? Math.max(0, ...detail.segments.map((s) => s.endMs))
  const { timeline, playhead } = callTimeline(detail, durationMs, seek)
  const transcript = transcriptOf(utterances, call.transcript_status, seek)
  audio.addEventListener('timeupdate', () => {
    const ms = audio.currentTime * 1000
    playhead.style.left = `${(100 * ms) / durationMs}%`
    for (const el of transcript.querySelectorAll(/** @type {'div'} */ ('.utt')))
      el.classList.toggle('current', ms >= Number(el.dataset.start) && ms < Number(el.dataset.end))
  })
  const panel = h('div', { id: 'evaluation' })
  const evaluations = evaluationList(callId)
  evaluations.show(detail.evaluations)
  const waveform = h('div', { id: 'waveform', class: 'waveform', title: 'click to listen from there' })
  const cutter = hasRole('admin', 'trainer') && call.status === 'done' ? clipCutter(call, audio) : null
  main.replaceChildren(
    h('h1', {}, `Call ${call.external_id ?? call.id}`),
    callHead(detail),
    ...[callNotes(call)].filter(Boolean),
    aboutCall(detail.topics, call, seek),
    liveAlerts(callId, seek),
    callFollowUp(callId),
    audio,
    waveform,
    timeline,
    sentimentLanes(utterances, durationMs),
    cutter ?? '',
    h(
      'div',
      { class: 'columns' },
      h('section', {}, h('h2', {}, 'Transcript'), transcript),
      h('section', {}, h('h2', {}, 'Evaluations'), evaluations.table, panel),
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
  shownCalls.set(panel, {
    callId,
    async open(id) {
      /** @type {CallDetail} */
      const again = await api('GET', `/v1/calls/${callId}`)
      evaluations.show(again.evaluations)
      if (id) await showEvaluation(panel, callId, id, seek)
      else panel.replaceChildren()
    },
  })
  if (evaluationId) await showEvaluation(panel, callId, evaluationId, seek)
}

/**
 * The alerts raised while the call was live (none for a recorded call): each plays from its moment.
 * @param {number} callId
 * @param {Seek} seek
 */
function liveAlerts(callId, seek) {
  const section = h('section', { id: 'call-alerts', hidden: true }, h('h2', {}, 'Live alerts'))
  api('GET', `/v1/calls/${callId}/alerts`)
    .then(({ items }) => {
      if (!items.length) return
      section.hidden = false
      section.append(
        h(
          'ul',
          { class: 'alerts' },
          items.map((/** @type {any} */ a) =>
            h(
              'li',
              { class: `alert ${a.severity}`, dataset: { rule: a.rule } },
              timeButton(a.at_ms, seek, a.rule),
              ` ${a.rule}`,
              a.acknowledged_by_name
                ? h('span', { class: 'muted' }, ` acknowledged by ${a.acknowledged_by_name}`)
                : '',
            ),
          ),
        ),
      )
    })
    .catch(() => {})
  return section
}

/**
 * A long transcript comes in pages: the rest is fetched before drawing.
 * @param {CallDetail} detail
 */
async function allUtterances(detail) {
  const utterances = [...detail.utterances]
  for (let after = detail.utterances_next; after !== null && after !== undefined; ) {
    /** @type {{items: import('../../api/wire-types.js').Utterance[], next: number | null}} */
    const page = await api('GET', `/v1/calls/${detail.call.id}/utterances?after=${after}`)
    utterances.push(...page.items)
    after = page.next
  }
  return utterances
}

/**
 * The call's metadata and headline figures.
 * @param {CallDetail} detail
 */
function callHead({ call, metrics }) {
  return h(
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
  )
}

/**
 * Timeline: one lane per speaker, segments placed by time, holds, dead air and overtalk marked
 * under them; a click seeks there.
 * @param {CallDetail} detail
 * @param {number} durationMs
 * @param {Seek} seek
 */
function callTimeline({ segments, metrics }, durationMs, seek) {
  const placed = (/** @type {{startMs: number, endMs: number}} */ e) => ({
    left: `${(100 * e.startMs) / durationMs}%`,
    width: `${(100 * (e.endMs - e.startMs)) / durationMs}%`,
  })
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
            style: placed(s),
          }),
        ),
    ),
  )
  const mark = (/** @type {string} */ kind, /** @type {string} */ label) => (e) =>
    h('div', {
      class: `mark ${kind} ${e.reason ?? ''}`,
      title: `${label} ${clock(e.startMs)}–${clock(e.endMs)}${e.reason === 'music' ? ' (music)' : ''}`,
      style: placed(e),
    })
  const marks = [
    ...(metrics?.hold_episodes ?? []).map(mark('hold', 'hold')),
    ...(metrics?.dead_air_episodes ?? []).map(mark('dead-air', 'dead air')),
    ...(metrics?.overtalk_episodes ?? []).map(mark('overtalk', 'overtalk')),
  ]
  const timeline = h(
    'div',
    {
      class: 'timeline',
      id: 'timeline',
      dataset: { durationMs },
      title: 'agent above, customer below; click to listen from there',
      onclick: (/** @type {MouseEvent} */ e) => {
        const box = timeline.getBoundingClientRect()
        seek(((e.clientX - box.left) / box.width) * durationMs)
      },
    },
    marks,
    lanes,
    playhead,
  )
  return { timeline, playhead }
}

/**
 * The transcript: a click (or Enter) on a line listens from there.
 * @param {import('../../api/wire-types.js').Utterance[]} utterances
 * @param {string} status
 * @param {Seek} seek
 */
function transcriptOf(utterances, status, seek) {
  return h(
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
              onkeydown: (/** @type {KeyboardEvent} */ e) => {
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
      : h('p', { class: 'muted' }, `No transcript (${status}).`),
  )
}

/**
 * The call's evaluations, each a link that opens it in the panel.
 * @param {number} callId
 */
function evaluationList(callId) {
  const body = h('tbody')
  return {
    table: h('table', { id: 'evaluations' }, body),
    /** @param {CallDetail['evaluations']} list */
    show: (list) =>
      body.replaceChildren(
        ...list.map((e) =>
          h(
            'tr',
            {
              class: 'row-link',
              dataset: { evaluationId: e.id },
              onclick: () => {
                location.hash = `#/calls/${callId}/evaluations/${e.id}`
              },
            },
            h('td', {}, `${e.scorecard_key} v${e.scorecard_version}`),
            h('td', {}, e.source === 'auto' ? 'automatic' : `review by ${e.reviewer_name ?? e.reviewer_id}`),
            h('td', {}, e.status),
            h('td', { class: 'num' }, fmt(e.percent, 1)),
          ),
        ),
      ),
  }
}

/**
 * The call on screen by its evaluation panel, so that moving between its evaluations does not
 * reload it (a panel gone from the page is forgotten with it).
 * @type {WeakMap<HTMLElement, {callId: number, open: (evaluationId?: number) => Promise<void>}>}
 */
const shownCalls = new WeakMap()

/**
 * Opens another evaluation of the call on screen; undefined when that call is not on screen.
 * @param {number} callId
 * @param {number} [evaluationId]
 */
export function reopenShownCall(callId, evaluationId) {
  const panel = /** @type {HTMLElement | null} */ (main.querySelector('#evaluation'))
  const shown = panel ? shownCalls.get(panel) : undefined
  if (!panel || shown?.callId !== callId) return undefined
  return shown.open(evaluationId).catch((err) => panel.replaceChildren(errorBox(err)))
}
