/** Shared types of the worker stages. Times are integer milliseconds from the call's start. */

/** `speaker` is a mono recording's single, unattributed channel. */
export type Speaker = 'agent' | 'customer' | 'speaker'

/** How channels map to speakers. `auto` = stereo-agent-left for 2 channels, mono for 1. */
export type ChannelLayout = 'stereo-agent-left' | 'stereo-agent-right' | 'mono'
export type LayoutOption = ChannelLayout | 'auto'
export const LAYOUT_OPTIONS: readonly LayoutOption[] = [
  'auto',
  'stereo-agent-left',
  'stereo-agent-right',
  'mono',
]

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
