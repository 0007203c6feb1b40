/**
 * Signed audio links. A browser's <audio> element cannot send an Authorization header, so a
 * signed-in user asks for a link: the path and query of one audio request, its user and an expiry,
 * signed with HMAC-SHA256. The link works for that user, that request and until it expires (15
 * minutes by default); the route still checks the user's role and may they see the call, as with
 * a bearer token. The bearer token itself never goes into a URL (URLs end up in logs).
 *
 * The key is CALLQA_LINK_SECRET when set (servers behind one balancer share it), else random per
 * process: links then die with the process, which costs a player one reload.
 *
 * A link is also bound to the token it was asked for with: the signature covers the user's
 * current token (its hash, never in the URL), so revoking or replacing the token, its expiry, or
 * disabling the user ends every link minted with it at once, not 15 minutes later.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto'
import type { Queryable } from '../db/index.js'
import { linkUser } from '../db/queries/users.js'
import { UnauthenticatedError } from '../errors.js'

export interface LinkSigner {
  /** `pathWithQuery` plus `exp`, `u` and `sig` parameters; `stamp`: the user's current token hash. */
  sign(pathWithQuery: string, userId: number, stamp: string, now?: number): { url: string; expiresAt: Date }
  /**
   * The user id of a valid, unexpired link for exactly this request, signed while the user's
   * token was the one `stampOf` gives now (undefined: no valid token), else undefined.
   */
  verify(
    pathWithQuery: string,
    stampOf: (userId: number) => Promise<string | undefined>,
    now?: number,
  ): Promise<number | undefined>
}

export function linkSigner(secret: string | undefined, ttlSeconds = 900): LinkSigner {
  const key = secret ? Buffer.from(secret, 'utf8') : randomBytes(32)
  const mac = (payload: string, stamp: string) =>
    createHmac('sha256', key).update(payload).update('\n').update(stamp).digest('base64url')
  return {
    sign(pathWithQuery, userId, stamp, now = Date.now()) {
      const exp = Math.floor(now / 1000) + ttlSeconds
      const unsigned = `${pathWithQuery}${pathWithQuery.includes('?') ? '&' : '?'}exp=${exp}&u=${userId}`
      return { url: `${unsigned}&sig=${mac(unsigned, stamp)}`, expiresAt: new Date(exp * 1000) }
    },
    async verify(pathWithQuery, stampOf, now = Date.now()) {
      // The signature is the last parameter; everything before it is what was signed.
      const m = /^(.*[?&]exp=(\d+)&u=(\d+))&sig=([A-Za-z0-9_-]+)$/.exec(pathWithQuery)
      if (!m) return undefined
      const [, unsigned, exp, user, sig] = m as unknown as [string, string, string, string, string]
      if (Number(exp) * 1000 < now) return undefined
      const stamp = await stampOf(Number(user))
      if (stamp === undefined) return undefined
      const want = Buffer.from(mac(unsigned, stamp))
      const got = Buffer.from(sig)
      if (want.length !== got.length || !timingSafeEqual(want, got)) return undefined
      return Number(user)
    },
  }
}

/** A link for `pathWithQuery` for this user, bound to their current token. */
export async function signedLink(
  db: Queryable,
  links: LinkSigner,
  pathWithQuery: string,
  userId: number,
): Promise<{ url: string; expiresAt: Date }> {
  const found = await linkUser(db, userId)
  if (!found) throw new UnauthenticatedError('this user has no valid token to sign a link with')
  return links.sign(pathWithQuery, userId, found.stamp)
}
