// @ts-check
// Moving between views without importing them: the router listens for hashchange.

/** Draws the current view again (after a change it shows). */
export const refresh = () => window.dispatchEvent(new HashChangeEvent('hashchange'))

/** @param {string} hash */
export const go = (hash) => {
  if (location.hash === hash) refresh()
  else location.hash = hash
}
