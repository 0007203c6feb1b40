// @ts-check
// Who is signed in: the token lives in the tab's sessionStorage (gone with the tab), the user it
// belongs to in memory, read once from GET /v1/me.

/** @typedef {import('../../api/wire-types.js').Me} Me */

const TOKEN_KEY = 'callqa.token'
/** @type {{ user: Me | null }} */
const state = { user: null }

/** The signed-in user, or null before sign-in. */
export const me = () => state.user
/** @param {Me | null} user */
export const setMe = (user) => {
  state.user = user
}
export const token = () => sessionStorage.getItem(TOKEN_KEY)
/** @param {string} value */
export const setToken = (value) => sessionStorage.setItem(TOKEN_KEY, value)
export const forget = () => {
  sessionStorage.removeItem(TOKEN_KEY)
  state.user = null
}
/**
 * Whether the signed-in user has one of the roles.
 * @param {...string} roles
 */
export const hasRole = (...roles) => roles.includes(state.user?.role ?? '')
