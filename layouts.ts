/**
 * How a recording's channels map to the parties: the one list, read by the CLI, the upload route,
 * metadata files and the analysis alike.
 */

/** How channels map to speakers. `auto` = stereo-agent-left for 2 channels, mono for 1. */
export type ChannelLayout = 'stereo-agent-left' | 'stereo-agent-right' | 'mono'
export type LayoutOption = ChannelLayout | 'auto'
export const LAYOUT_OPTIONS: readonly LayoutOption[] = [
  'auto',
  'stereo-agent-left',
  'stereo-agent-right',
  'mono',
]
