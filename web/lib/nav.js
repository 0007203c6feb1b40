// @ts-check
// Moving between views without importing them: the router listens for hashchange.

/** Draws the current view again (after a change it shows). */
export const refresh = () => window.dispatchEvent(new HashChangeEvent('hashchange'))

/** @param {string} hash */
export const go = (hash) => {
  if (location.hash === hash) refresh()
  else location.hash = hash
}

/** What the view on screen must stop when another replaces it (an event stream, a timer). */
const cleanups = new Set()

/** @param {() => void} fn */
export const onLeave = (fn) => {
  cleanups.add(fn)
}

/** Runs (once) what the view on screen asked to be stopped. */
export const leaveView = () => {
  for (const fn of cleanups) fn()
  cleanups.clear()
}
