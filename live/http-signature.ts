/**
 * HTTP message signatures as Genesys AudioHook makes them (IETF draft-ietf-httpbis-message-signatures,
 * HMAC-SHA256 with the integration's client secret): the `signature-input` and `signature` header
 * fields are Structured Field dictionaries (RFC 8941, parsed by the `structured-headers` library);
 * the signature base lists each covered component as `"name": value`, then `"@signature-params"`
 * with the input re-serialized from what was parsed (a signer must have been strict).
 *
 * Only what AudioHook uses is accepted: one HMAC-SHA256 signature whose key id is the API key, with
 * `created` and `expires`, covering at least the request target, the authority, the API key and
 * the session id. Anything else is refused with the reason, before any audio is taken.
 */
import { createHmac, timingSafeEqual } from 'node:crypto'
import { type InnerList, type Item, parseDictionary, serializeInnerList } from 'structured-headers'

/** Allowed difference between the client's clock and ours, seconds. */
const CLOCK_SKEW_S = 3

/** What the signature must cover. */
export const REQUIRED_COMPONENTS = [
  '@request-target',
  '@authority',
  'x-api-key',
  'audiohook-session-id',
] as const

export type Headers = Record<string, string | string[] | undefined>

export interface SignedRequest {
  method: string
  /** path and query, as the request line had them */
  target: string
  headers: Headers
}

export type VerifyResult =
  | { ok: true }
  | { ok: false; code: 'UNSIGNED' | 'INVALID' | 'EXPIRED' | 'FAILED' | 'UNSUPPORTED'; reason: string }

const fail = (code: Exclude<VerifyResult, { ok: true }>['code'], reason: string): VerifyResult => ({
  ok: false,
  code,
  reason,
})

/** A header field as the signature base has it: trimmed, obs-folds joined, repeats joined by ", ". */
export function canonicalField(headers: Headers, name: string): string | undefined {
  const value = headers[name]
  if (value === undefined) return undefined
  const one = (v: string) => v.trim().replace(/[ \t]*\r\n[ \t]+/g, ' ')
  return Array.isArray(value) ? value.map(one).join(', ') : one(value)
}

function componentValue(request: SignedRequest, name: string): string | undefined {
  switch (name) {
    case '@request-target':
      return request.target
    case '@method':
      return request.method.toUpperCase()
    case '@path':
      return request.target.split('?')[0]
    case '@query': {
      const q = request.target.indexOf('?')
      return q < 0 ? '?' : request.target.slice(q)
    }
    case '@authority':
      return canonicalField(request.headers, 'host')?.toLowerCase()
    default:
      return name.startsWith('@') ? undefined : canonicalField(request.headers, name)
  }
}

function dictionary(headers: Headers, name: string) {
  const raw = canonicalField(headers, name)
  return raw ? parseDictionary(raw) : new Map()
}

/** Checks the request's signature against `secret` for the API key `keyId`. */
export function verifySignature(
  request: SignedRequest,
  keyId: string,
  secret: Buffer,
  nowSeconds = Date.now() / 1000,
): VerifyResult {
  let inputs: Map<string, Item | InnerList>
  let signatures: Map<string, Item | InnerList>
  try {
    inputs = dictionary(request.headers, 'signature-input')
    signatures = dictionary(request.headers, 'signature')
  } catch {
    return fail('INVALID', 'the signature header fields are not valid structured fields')
  }
  if (inputs.size === 0 && signatures.size === 0) return fail('UNSIGNED', 'the request is not signed')
  const [label, input] = [...inputs][0] ?? []
  const signature = label === undefined ? undefined : signatures.get(label)
  if (label === undefined || !input || !signature)
    return fail('INVALID', 'signature-input and signature do not name the same signature')
  if (!Array.isArray(input[0])) return fail('INVALID', 'signature-input is not an inner list')
  const [components, params] = input as InnerList
  const sigBytes = (signature as Item)[0]
  if (!(sigBytes instanceof ArrayBuffer)) return fail('INVALID', 'signature is not a byte sequence')

  if (params.get('keyid') !== keyId) return fail('INVALID', 'the signature key id is not the API key')
  const alg = params.get('alg')
  if (alg !== undefined && alg !== 'hmac-sha256') return fail('UNSUPPORTED', `algorithm ${String(alg)}`)
  const created = params.get('created')
  const expires = params.get('expires')
  if (typeof created !== 'number' || typeof expires !== 'number')
    return fail('INVALID', 'the signature has no created and expires times')
  if (created > nowSeconds + CLOCK_SKEW_S) return fail('INVALID', 'the signature was created in the future')
  if (expires < nowSeconds - CLOCK_SKEW_S) return fail('EXPIRED', 'the signature has expired')

  const lines: string[] = []
  const covered = new Set<string>()
  for (const [name, itemParams] of components) {
    if (typeof name !== 'string' || itemParams.size > 0)
      return fail('UNSUPPORTED', 'only plain component names are supported')
    if (covered.has(name)) return fail('INVALID', `component ${name} is listed twice`)
    const value = componentValue(request, name)
    if (value === undefined) return fail('INVALID', `component ${name} is not in the request`)
    lines.push(`"${name}": ${value}`)
    covered.add(name)
  }
  const missing = REQUIRED_COMPONENTS.filter((c) => !covered.has(c))
  if (missing.length > 0) return fail('INVALID', `the signature does not cover ${missing.join(', ')}`)
  lines.push(`"@signature-params": ${serializeInnerList(input as InnerList)}`)
  const expected = createHmac('sha256', secret).update(lines.join('\n')).digest()
  const given = Buffer.from(sigBytes)
  if (given.length !== expected.length || !timingSafeEqual(given, expected))
    return fail('FAILED', 'the signature does not match')
  return { ok: true }
}
