// @ts-check
import { api } from '../lib/api.js'
import { errorBox, fmt, h } from '../lib/dom.js'
import { clock } from '../lib/time.js'

/**
 * The waveform (wavesurfer.js, served by callqa from its npm package) over the page's own player:
 * peaks computed by the server, one row per channel (agent and customer on a stereo call); a click
 * seeks the player. Trainers drag across it to select a clip's span. Its shadow-root style carries
 * the page's CSP nonce.
 */
export async function drawWaveform(container, audio, call, cutter) {
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
export function sentimentLanes(utterances, durationMs) {
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
