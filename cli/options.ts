import {
  type ComputeMetricsOptions,
  defaultMetricsOptions,
  resolveMetricsOptions,
} from '../analysis/stages/compute-metrics.js'
import {
  type DetectVoiceActivityOptions,
  defaultVadOptions,
  resolveVadOptions,
} from '../analysis/stages/detect-voice-activity.js'
import type { ResolvedConfig } from '../config.js'
import { ConfigError } from '../errors.js'

/**
 * `--vad KEY=VALUE` and `--metric KEY=VALUE` flags → stage options, validated by the stages'
 * own resolvers so the messages name the option.
 */
function parsePairs(
  flag: string,
  pairs: readonly string[],
  known: readonly string[],
): Record<string, string | number> {
  const out: Record<string, string | number> = {}
  for (const pair of pairs) {
    const m = /^([A-Za-z]+)=(.+)$/.exec(pair)
    if (!m?.[1] || !m[2]) throw new ConfigError(`${flag} takes KEY=VALUE, got "${pair}"`)
    if (!known.includes(m[1])) throw new ConfigError(`${flag} ${m[1]} is unknown; known: ${known.join(', ')}`)
    const n = Number(m[2])
    out[m[1]] = Number.isFinite(n) ? n : m[2]
  }
  return out
}

export function parseVadFlags(pairs: readonly string[]): DetectVoiceActivityOptions {
  const options = parsePairs('--vad', pairs, Object.keys(defaultVadOptions)) as DetectVoiceActivityOptions
  resolveVadOptions(options)
  return options
}

export function parseMetricFlags(pairs: readonly string[]): ComputeMetricsOptions {
  const options = parsePairs('--metric', pairs, Object.keys(defaultMetricsOptions)) as ComputeMetricsOptions
  resolveMetricsOptions(options)
  return options
}

/** Local speech recognition options from the configuration (none when CALLQA_ASR=off). */
export function asrOptions(config: ResolvedConfig) {
  if (config.asr === 'off') return {}
  return {
    asr: {
      engine: config.asr,
      keepOriginalText: config.keepOriginalText,
      ...(config.pocketsphinxModel ? { modelDir: config.pocketsphinxModel } : {}),
    },
  }
}

/**
 * What every analysis in this process shares, read from the configuration once: local ASR, audio
 * redaction and the claim's lease. Ingest, the worker, swap and the server all take it from here.
 */
export function analyserSettings(config: ResolvedConfig) {
  return {
    ...asrOptions(config),
    ...(config.redactAudio ? { redactAudio: config.redactAudio } : {}),
    leaseMs: config.leaseMs,
  }
}

/** pg-boss's schema beside callqa's own. */
export function queueSchema(config: ResolvedConfig): string {
  return `${config.databaseSchema ?? 'callqa'}_queue`
}
