// @ts-check
// Building the page's elements. Text from the server is only ever set as text, never parsed as HTML.

/** Where every view draws itself. */
export const main = /** @type {HTMLElement} */ (document.getElementById('main'))

/**
 * An element of index.html that is always there.
 * @param {string} id
 */
export const byId = (id) => /** @type {HTMLElement} */ (document.getElementById(id))

/**
 * Builds an element: attributes (on* as listeners), then children (strings become text).
 * @template {keyof HTMLElementTagNameMap} K
 * @param {K} tag
 * @param {Record<string, any>} [attrs]
 * @param {...any} children
 * @returns {HTMLElementTagNameMap[K]}
 */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag)
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue
    if (k.startsWith('on')) el.addEventListener(k.slice(2), v)
    else if (k === 'dataset') Object.assign(el.dataset, v)
    // Styles through the CSSOM: the page's Content-Security-Policy refuses inline style attributes.
    else if (k === 'style') Object.assign(el.style, v)
    else el.setAttribute(k, v === true ? '' : String(v))
  }
  for (const c of children.flat()) if (c !== null && c !== undefined && c !== false) el.append(c)
  return el
}

/**
 * A search form above a list: submitting puts its filled-in fields into the page's address
 * (`#/<view>?…`), so the view can be reloaded, linked and gone back to.
 * @param {string} view
 * @param {...Node} fields
 */
export function filterForm(view, ...fields) {
  const form = h(
    'form',
    {
      class: 'filters',
      onsubmit: (/** @type {SubmitEvent} */ e) => {
        e.preventDefault()
        const q = new URLSearchParams()
        for (const [k, v] of new FormData(form)) if (String(v).trim()) q.set(k, String(v).trim())
        location.hash = `#/${view}?${q}`
      },
    },
    ...fields,
  )
  return form
}

/**
 * A table: its id, the column headings, and the body's rows.
 * @param {string} id
 * @param {string[]} headings
 * @param {Node[]} rows
 */
export const table = (id, headings, rows) =>
  h(
    'table',
    { id },
    h(
      'thead',
      {},
      h(
        'tr',
        {},
        headings.map((t) => h('th', {}, t)),
      ),
    ),
    h('tbody', {}, rows),
  )

/**
 * A number with `digits` decimals, or – for none.
 * @param {number | string | null | undefined} v
 */
export const fmt = (v, digits = 2) =>
  v === null || v === undefined
    ? '–'
    : // No "-0.00": a value that rounds to zero is zero.
      (Math.abs(Number(v)) < 0.5 * 10 ** -digits ? 0 : Number(v)).toFixed(digits)

/** @param {{message: string, details?: unknown}} err */
export const errorBox = (err) =>
  h(
    'p',
    { class: 'error', role: 'alert' },
    err.message,
    Array.isArray(err.details)
      ? `: ${err.details.map((d) => (typeof d === 'string' ? d : d.message)).join('; ')}`
      : '',
  )

/**
 * A form control with its label in front.
 * @param {string} label
 * @param {HTMLElement} input
 */
export const labelled = (label, input) => h('label', {}, `${label} `, input)

/**
 * A labelled text field of a filter form, filled from the address's query.
 * @param {string} label
 * @param {string} name
 * @param {URLSearchParams} params
 * @param {Record<string, any>} [attrs]
 */
export const field = (label, name, params, attrs = {}) =>
  h('label', {}, label, h('input', { name, value: params.get(name) ?? '', ...attrs }))

/**
 * A labelled choice of a filter form: each option a value and its text ('' for "any").
 * @param {string} label
 * @param {string} name
 * @param {URLSearchParams} params
 * @param {Array<[string, string]>} options
 */
export const choice = (label, name, params, options) =>
  h(
    'label',
    {},
    label,
    h(
      'select',
      { name },
      options.map(([value, text]) => h('option', { value, selected: params.get(name) === value }, text)),
    ),
  )
