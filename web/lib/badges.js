// @ts-check
import { h } from './dom.js'

/**
 * An urgency badge: P0 (most urgent) to P3.
 * @param {string | null | undefined} level
 * @param {string} [title]
 */
export const urgencyBadge = (level, title) =>
  level ? h('span', { class: `urgency ${level}`, title: title ?? `urgency ${level}` }, level) : '–'
