// @ts-check
// The /v1 API with the user's own token. A 401 after sign-in means the token was revoked or the
// user disabled: the listeners registered with onSessionEnded are told (the sign-in form says why).

import { h } from './dom.js'
import { forget, me, token } from './session.js'

export class ApiFailure extends Error {
  /**
   * @param {number} status
   * @param {any} body
   */
  constructor(status, body) {
    super(body?.error?.message ?? `HTTP ${status}`)
    this.status = status
    this.details = body?.error?.details
  }
}

/** @type {Array<() => void>} */
const endedListeners = []
/** @param {() => void} listener */
export const onSessionEnded = (listener) => endedListeners.push(listener)

/** The Authorization header of the signed-in user, for requests that are not JSON (CSV downloads). */
export const authHeader = () => ({ authorization: `Bearer ${token() ?? ''}` })

/**
 * A request to the API; the answer's JSON (null when it has none). Callers name what they expect
 * with a type from api/wire-types.ts, so a field renamed on the server fails the type check.
 * @param {'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE'} method
 * @param {string} url
 * @param {unknown} [body]
 * @returns {Promise<any>}
 */
export async function api(method, url, body) {
  const res = await fetch(url, {
    method,
    headers: {
      ...authHeader(),
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  })
  const data = res.headers.get('content-type')?.includes('json') ? await res.json() : null
  if (res.status === 401) {
    const wasSignedIn = me() !== null
    forget()
    // Signed in until now: the token was revoked or the user disabled. Signing in: the form says why.
    if (wasSignedIn) for (const listener of endedListeners) listener()
    throw new ApiFailure(res.status, data)
  }
  if (!res.ok) throw new ApiFailure(res.status, data)
  return data
}

/**
 * A button that downloads a CSV the API makes. A download cannot carry the token in a header:
 * it fetches with it, then saves the blob.
 * @param {{id?: string, class?: string, label: string, url: string, filename: string}} what
 */
export const csvButton = ({ label, url, filename, ...attrs }) =>
  h(
    'button',
    {
      type: 'button',
      ...attrs,
      onclick: async () => {
        const res = await fetch(url, { headers: authHeader() })
        const link = h('a', { href: URL.createObjectURL(await res.blob()), download: filename })
        link.click()
        URL.revokeObjectURL(link.href)
      },
    },
    label,
  )
