// @ts-check
// The page's address (`#/view/id?query`) chooses the view; each view draws itself into <main>.

import { errorBox } from './lib/dom.js'
import { leaveView } from './lib/nav.js'
import { me, token } from './lib/session.js'
import { showCalibration, showCalibrations } from './views/calibrations.js'
import { reopenShownCall, showCall } from './views/call.js'
import { showCalls } from './views/calls.js'
import { showCoaching } from './views/coaching.js'
import { showDisputes } from './views/disputes.js'
import { showFollowUp, showFollowUps } from './views/follow-ups.js'
import { showFollowUpReport } from './views/follow-ups-report.js'
import { showLive, showLiveCall } from './views/live.js'
import { showQueue } from './views/queue.js'
import { showReport } from './views/report.js'
import { showSample, showSamples } from './views/samples.js'
import { showSignIn, signedIn } from './views/sign-in.js'
import { showTrends } from './views/trends.js'

/**
 * Views by the first part of the address: the rest of the path and the query are theirs.
 * @type {Record<string, (rest: string[], query: URLSearchParams) => Promise<unknown> | unknown>}
 */
const VIEWS = {
  live: ([id]) => (id ? showLiveCall(Number(id)) : showLive()),
  queue: () => showQueue(),
  trends: (_, q) => showTrends(q),
  reports: (_, q) => showReport(q),
  disputes: (_, q) => showDisputes(q),
  'follow-ups': ([id], q) =>
    id === 'report' ? showFollowUpReport(q) : id ? showFollowUp(Number(id)) : showFollowUps(q),
  coaching: (_, q) => showCoaching(q),
  calibrations: ([id]) => (id ? showCalibration(Number(id)) : showCalibrations()),
  samples: ([id]) => (id ? showSample(Number(id)) : showSamples()),
  calls: ([id, sub, subId], q) => {
    if (!id) return showCalls(q)
    const evaluationId = sub === 'evaluations' ? Number(subId) : undefined
    // Moving between the evaluations of the call on screen keeps its player where it is.
    const reopened = reopenShownCall(Number(id), evaluationId)
    return reopened ?? showCall(Number(id), evaluationId)
  },
}

/** Draws the view the address names (the call list when it names none). */
export async function route() {
  leaveView()
  if (!token()) return showSignIn()
  if (!me())
    try {
      await signedIn()
    } catch {
      return
    }
  const [path, query] = location.hash.replace(/^#/, '').split('?')
  const [first = 'calls', ...rest] = (path ?? '').split('/').filter(Boolean)
  const view = Object.hasOwn(VIEWS, first) ? VIEWS[first] : VIEWS.calls
  try {
    await view(rest, new URLSearchParams(query ?? ''))
  } catch (err) {
    document.getElementById('main')?.replaceChildren(errorBox(/** @type {Error} */ (err)))
  }
}
