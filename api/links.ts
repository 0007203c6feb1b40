/**
 * Signed audio links. A browser's <audio> element cannot send an Authorization header, so a
 * signed-in user asks for a link: the path and query of one audio request, its user and an expiry,
 * signed with HMAC-SHA256. The link works for that user, that request and until it expires (15
 * minutes by default); the route still checks the user's role and may they see the call, as with
 * a bearer token. The bearer token itself never goes into a URL (URLs end up in logs).
 *
 * The key is CALLQA_LINK_SECRET when set (servers behind one balancer share it), else random per
 * process: links then die with the process, which costs a player one reload.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto'

export interface LinkSigner {
  /** `pathWithQuery` plus `exp`, `u` and `sig` parameters. */
  sign(pathWithQuery: string, userId: number, now?: number): { url: string; expiresAt: Date }
  /** The user id of a valid, unexpired link for exactly this request, else undefined. */
  verify(pathWithQuery: string, now?: number): number | undefined
}

export function linkSigner(secret: string | undefined, ttlSeconds = 900): LinkSigner {
  const key = secret ? Buffer.from(secret, 'utf8') : randomBytes(32)
  const mac = (payload: string) => createHmac('sha256', key).update(payload).digest('base64url')
  return {
    sign(pathWithQuery, userId, now = Date.now()) {
      const exp = Math.floor(now / 1000) + ttlSeconds
      const unsigned = `${pathWithQuery}${pathWithQuery.includes('?') ? '&' : '?'}exp=${exp}&u=${userId}`
      return { url: `${unsigned}&sig=${mac(unsigned)}`, expiresAt: new Date(exp * 1000) }
    },
    verify(pathWithQuery, now = Date.now()) {
      // The signature is the last parameter; everything before it is what was signed.
      const m = /^(.*[?&]exp=(\d+)&u=(\d+))&sig=([A-Za-z0-9_-]+)$/.exec(pathWithQuery)
      if (!m) return undefined
      const [, unsigned, exp, user, sig] = m as unknown as [string, string, string, string, string]
      const want = Buffer.from(mac(unsigned))
      const got = Buffer.from(sig)
      if (want.length !== got.length || !timingSafeEqual(want, got)) return undefined
      if (Number(exp) * 1000 < now) return undefined
      return Number(user)
    },
  }
}
