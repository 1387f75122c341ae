import { createHmac } from 'node:crypto'
import { USER_AGENT } from '../constants.js'
import { oneLine } from '../errors.js'
import type { Log } from '../log.js'
import { backoffDelay, withRetry } from '../util/retry.js'
import { scrubDeep } from '../util/secrets.js'

export interface DeliveryOptions {
  log: Log
  /** What it is, for the warning: "the Slack notification". */
  what: string
  /** Signs the exact body: `X-Signature-256: sha256=<HMAC-SHA256 hex>`, as GitHub's webhooks do. */
  secret?: string
  attempts?: number
  timeoutMs?: number
  retryBaseMs?: number
}

/** The signature of a body, as a receiver recomputes it. */
export function signature(body: string, secret: string): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`
}

/**
 * POSTs JSON to a notification URL: a timeout per attempt, retries on 5xx, 429 and network errors,
 * then a warning. Never throws: a notification never changes the deploy's result. The URL is a
 * secret, so messages name its host only.
 */
export async function deliver(url: string, payload: unknown, options: DeliveryOptions): Promise<boolean> {
  // Build output in a payload can carry a config var's value: nothing secret leaves in a notification.
  const body = JSON.stringify(scrubDeep(payload))
  const policy = { attempts: options.attempts ?? 3, baseDelayMs: options.retryBaseMs ?? 1000, maxDelayMs: 5000 }
  const host = new URL(url).host
  const headers: Record<string, string> = { 'Content-Type': 'application/json', 'User-Agent': USER_AGENT }
  if (options.secret) headers['X-Signature-256'] = signature(body, options.secret)
  try {
    await withRetry(
      async () => {
        let response: Response
        try {
          // Never follow a redirect: a 301/302 would turn the POST into a GET, and the signed body must
          // reach only the URL that was configured.
          response = await fetch(url, { method: 'POST', body, headers, redirect: 'manual', signal: AbortSignal.timeout(options.timeoutMs ?? 10_000) })
        } catch (error) {
          throw new DeliveryError(`no answer from ${host} (${describe(error)})`, true)
        }
        await response.body?.cancel()
        if (response.status >= 300 && response.status < 400) throw new DeliveryError(`${host} answered ${response.status}, a redirect, which is not followed`, false)
        if (!response.ok) throw new DeliveryError(`${host} answered ${response.status}`, response.status >= 500 || response.status === 429)
      },
      { ...policy, retryDelay: (error, attempt) => ((error as DeliveryError).transient ? backoffDelay(policy, attempt) : undefined) }
    )
    options.log.info(`Sent ${options.what} to ${host}.`)
    return true
  } catch (error) {
    options.log.warning(`Could not send ${options.what}: ${oneLine(error)}. The deploy's result is unchanged.`)
    return false
  }
}

class DeliveryError extends Error {
  constructor(
    message: string,
    readonly transient: boolean
  ) {
    super(message)
    this.name = 'DeliveryError'
  }
}

function describe(error: unknown): string {
  const cause = (error as { cause?: { code?: string } }).cause?.code
  return cause ?? (error as Error).name
}
