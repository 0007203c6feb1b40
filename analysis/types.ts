/** Shared types of the worker stages. Times are integer milliseconds from the call's start. */

/** `speaker` is a mono recording's single, unattributed channel. */
export type Speaker = 'agent' | 'customer' | 'speaker'

export { type ChannelLayout, LAYOUT_OPTIONS, type LayoutOption } from '../layouts.js'

export interface Segment {
  speaker: Speaker
  startMs: number
  endMs: number
}

/** A span of time without speaker, used for dead air and overtalk episodes. */
export interface Interval {
  startMs: number
  endMs: number
}
