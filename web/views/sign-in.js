// @ts-check
import { api } from '../lib/api.js'
import { byId, errorBox, h, main } from '../lib/dom.js'
import { refresh } from '../lib/nav.js'
import { setMe, setToken } from '../lib/session.js'

/**
 * The sign-in form, with why it is shown again when a session ended.
 * @param {string} [message]
 */
export function showSignIn(message) {
  byId('nav').hidden = true
  byId('sign-out').hidden = true
  byId('who').textContent = ''
  const input = h('input', { type: 'password', name: 'token', autocomplete: 'off', required: true })
  const form = h(
    'form',
    {
      class: 'signin',
      onsubmit: async (e) => {
        e.preventDefault()
        setToken(input.value.trim())
        try {
          await signedIn()
          if (!location.hash || location.hash === '#/') location.hash = '#/calls'
          else refresh()
        } catch (err) {
          form.querySelector('.error')?.remove()
          form.append(errorBox(err))
        }
      },
    },
    h('h1', {}, 'Sign in'),
    h('p', { class: 'muted' }, 'Paste the token that `callqa users add` printed for you.'),
    h('label', {}, 'Token ', input),
    h('p', {}, h('button', { type: 'submit' }, 'Sign in')),
    message ? h('p', { class: 'error', role: 'alert' }, message) : null,
  )
  main.replaceChildren(form)
}

/** Who can open which part of the navigation. */
const NAV = {
  'nav-live': ['admin', 'manager', 'reviewer', 'agent'],
  'nav-queue': ['reviewer', 'admin', 'manager'],
  'nav-trends': ['admin', 'manager'],
  'nav-samples': ['admin', 'manager', 'reviewer'],
  'nav-coaching': ['admin', 'trainer', 'manager', 'reviewer', 'agent'],
  'nav-reports': ['admin', 'manager', 'reviewer'],
  'nav-calibrations': ['admin', 'manager', 'reviewer'],
  'nav-disputes': ['agent', 'reviewer', 'admin', 'manager'],
  'nav-follow-ups': ['admin', 'manager', 'reviewer', 'trainer', 'agent', 'integration'],
}

/** Reads who the token belongs to and shows the navigation their role may use. */
export async function signedIn() {
  /** @type {import('../../api/wire-types.js').Me} */
  const user = await api('GET', '/v1/me')
  setMe(user)
  byId('who').textContent = `${user.name} (${user.role})`
  byId('nav').hidden = false
  for (const [id, roles] of Object.entries(NAV)) byId(id).hidden = !roles.includes(user.role)
  byId('sign-out').hidden = false
}
