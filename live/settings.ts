/**
 * Live calls' settings (environment, read by `callqa serve`):
 *
 * - `CALLQA_AUDIOHOOK_KEYS`: JSON object, AudioHook API key → base-64 client secret ('' = unsigned).
 * - `CALLQA_TWILIO_AUTH_TOKEN`: the Twilio account's auth token, which signs Media Streams requests.
 * - `CALLQA_LIVE_MAX_SESSIONS` (200): live calls one server holds at once; past it a new one is refused.
 * - `CALLQA_LIVE_MAX_FRAME_BYTES` (65536): largest WebSocket message.
 * - `CALLQA_LIVE_MAX_CALL_MINUTES` (240): a longer call is ended (and filed) at that length.
 * - `CALLQA_LIVE_RULES`: a live rules file (live/rules.ts); default the built-in rules.
 */
import { positiveInt } from '../config.js'
import { ConfigError } from '../errors.js'
import { parseAudiohookKeys } from './audiohook.js'
import { type LiveRules, loadLiveRules } from './rules.js'

export interface LiveSettings {
  audiohookKeys: Map<string, Buffer>
  twilioAuthToken: string | undefined
  maxSessions: number
  maxFrameBytes: number
  maxCallMs: number
  rules: LiveRules
}

export function liveSettings(env: NodeJS.ProcessEnv = process.env): LiveSettings {
  let audiohookKeys: Map<string, Buffer>
  try {
    audiohookKeys = parseAudiohookKeys(env.CALLQA_AUDIOHOOK_KEYS)
  } catch (err) {
    throw new ConfigError((err as Error).message)
  }
  return {
    audiohookKeys,
    twilioAuthToken: env.CALLQA_TWILIO_AUTH_TOKEN || undefined,
    maxSessions: positiveInt('CALLQA_LIVE_MAX_SESSIONS', env.CALLQA_LIVE_MAX_SESSIONS, 200),
    maxFrameBytes: positiveInt('CALLQA_LIVE_MAX_FRAME_BYTES', env.CALLQA_LIVE_MAX_FRAME_BYTES, 65_536),
    maxCallMs: positiveInt('CALLQA_LIVE_MAX_CALL_MINUTES', env.CALLQA_LIVE_MAX_CALL_MINUTES, 240) * 60_000,
    rules: loadLiveRules(env.CALLQA_LIVE_RULES || undefined),
  }
}
