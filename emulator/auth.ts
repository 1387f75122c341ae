import { createHash, timingSafeEqual } from 'node:crypto'
import type { IncomingHttpHeaders } from 'node:http'
import { errorForStatus } from './errors.js'

// version=3 and its variants (3.sdk, 3.cancel-build, 3.docker-releases, ...).
const HEROKU_MEDIA_TYPE = /^application\/vnd\.heroku\+json\s*;\s*version=3(\.[\w-]+)?$/i

/** Throws 406 unless one of the Accept media ranges is Heroku's versioned type, then 401 unless the key matches. */
export function checkApiRequest(headers: IncomingHttpHeaders, apiKey: string): void {
  if (!acceptsHerokuJson(headers.accept)) throw errorForStatus(406)
  if (!presentsKey(headers.authorization, apiKey)) throw errorForStatus(401)
}

function acceptsHerokuJson(accept: string | undefined): boolean {
  return (accept ?? '').split(',').some((range) => HEROKU_MEDIA_TYPE.test(range.trim()))
}

/** `Bearer <key>`, or Basic auth with the key as password (heroku-client sends `:<key>`, git `heroku:<key>`). */
export function presentsKey(authorization: string | undefined, apiKey: string): boolean {
  const [scheme, credentials = ''] = (authorization ?? '').trim().split(/\s+/, 2)
  switch (scheme?.toLowerCase()) {
    case 'bearer':
      return sameSecret(credentials, apiKey)
    case 'basic': {
      const decoded = Buffer.from(credentials, 'base64').toString('utf8')
      const colon = decoded.indexOf(':')
      return colon >= 0 && sameSecret(decoded.slice(colon + 1), apiKey)
    }
    default:
      return false
  }
}

function sameSecret(given: string, expected: string): boolean {
  const digest = (text: string) => createHash('sha256').update(text).digest()
  return timingSafeEqual(digest(given), digest(expected))
}

/** The account the key belongs to: a stable id derived from the key, so every answer names the same user. */
export function accountFor(apiKey: string): { id: string; email: string } {
  const hex = createHash('sha256').update(`account:${apiKey}`).digest('hex')
  const id = `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20, 32)}`
  return { id, email: 'emulator@example.com' }
}
