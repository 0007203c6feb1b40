// @ts-check
// The review page: a reviewer signs in with their token, finds a call (or takes one from their
// queue), listens with the timeline and transcript, opens a review from the automatic evaluation,
// answers and comments item by item (the automatic answer and its evidence stay beside), saves a
// draft and submits; an agent disputes items of a submitted review of their call, and the
// reviewer decides the dispute. Everything goes through the /v1 API with the user's own token; text
// from the server is only ever set as text, never parsed as HTML.
//
// The page's rooms: lib/ (elements, the API client, the session, time), views/ (one file per
// view), router.js (the address chooses the view). No build step: the browser loads these modules.

import { onSessionEnded } from './lib/api.js'
import { forget } from './lib/session.js'
import { route } from './router.js'
import { showSignIn } from './views/sign-in.js'

onSessionEnded(() => showSignIn('Your session ended: sign in again.'))
document.getElementById('sign-out')?.addEventListener('click', () => {
  forget()
  location.hash = ''
  showSignIn()
})
window.addEventListener('hashchange', route)
route()
