import { USER_AGENT } from '../constants.js'
import type { Log } from '../log.js'
import { backoffDelay } from '../util/retry.js'
import type { Deadline } from '../util/time.js'
import { checkUrl, type SmokeCheck } from './smoke-grammar.js'

/** What one check saw on its last attempt. */
export interface SmokeResult {
  check: string
  /** The URL that answered, after redirects. */
  url: string
  /** The final status code, or 0 when no answer came. */
  status: number
  latencyMs: number
  passed: boolean
  /** Why it did not pass, in a few words. */
  detail?: string
}

export interface SmokeOptions {
  deadline: Deadline
  log: Log
  signal?: AbortSignal
  requestTimeoutMs?: number
  /** First pause between rounds; doubles with jitter. */
  retryBaseMs?: number
}

const MAX_REDIRECTS = 5
// A round squeezed into the last milliseconds would only report timeouts instead of the real failure.
const MIN_ROUND_MS = 1000
const POLICY = { attempts: Number.POSITIVE_INFINITY, maxDelayMs: 10_000 }

/**
 * Runs every check against the live app, in rounds, until all pass or the deadline (smoke-timeout)
 * passes: a fresh dyno takes seconds to boot. Returns the last round's results; never throws but
 * for a cancel.
 */
export async function runSmokeChecks(checks: readonly SmokeCheck[], webUrl: string, options: SmokeOptions): Promise<SmokeResult[]> {
  const { deadline, log, signal } = options
  const policy = { ...POLICY, baseDelayMs: options.retryBaseMs ?? 1000 }
  for (let round = 1; ; round++) {
    const results = await Promise.all(checks.map((check) => runCheck(check, webUrl, options)))
    const failing = results.filter((result) => !result.passed)
    for (const result of results) log.info(`${result.passed ? '✓' : '✗'} ${describe(result)}`)
    if (failing.length === 0) return results
    // The last pause is shortened rather than skipped, so the checks get the whole smoke-timeout,
    // yet the last round still starts with MIN_ROUND_MS left.
    const remaining = deadline.remainingMs() - MIN_ROUND_MS
    if (remaining <= 0) return results
    const delay = Math.min(backoffDelay(policy, round), remaining)
    log.info(`${failing.length} of ${results.length} smoke checks failing; trying again in ${(delay / 1000).toFixed(1)} s.`)
    await deadline.sleep(delay, signal).catch((error: unknown) => {
      if (signal?.aborted) throw error
    })
  }
}

export function describe(result: SmokeResult): string {
  const answer = result.status === 0 ? 'no answer' : `${result.status}`
  return `${result.check} → ${answer} in ${result.latencyMs} ms (${result.url})${result.detail ? `: ${result.detail}` : ''}`
}

async function runCheck(check: SmokeCheck, webUrl: string, options: SmokeOptions): Promise<SmokeResult> {
  const started = Date.now()
  let url = checkUrl(check, webUrl)
  const result = (status: number, passed: boolean, detail?: string): SmokeResult => ({
    check: check.line,
    url,
    status,
    latencyMs: Date.now() - started,
    passed,
    ...(detail ? { detail } : {})
  })
  for (let hop = 0; ; hop++) {
    // Each request (each hop of a redirect chain) has its own timeout, within what smoke-timeout leaves.
    const timeoutMs = Math.max(1, Math.min(options.requestTimeoutMs ?? 10_000, options.deadline.remainingMs()))
    const timeout = AbortSignal.timeout(timeoutMs)
    const signal = options.signal ? AbortSignal.any([options.signal, timeout]) : timeout
    let status = 0
    try {
      const response = await fetch(url, { redirect: 'manual', signal, headers: { 'User-Agent': USER_AGENT } })
      status = response.status
      const location = response.headers.get('location')
      if (response.status >= 300 && response.status < 400 && location) {
        await response.body?.cancel()
        if (hop >= MAX_REDIRECTS) return result(response.status, false, `more than ${MAX_REDIRECTS} redirects`)
        url = new URL(location, url).toString()
        continue
      }
      const statusOk = check.status === undefined ? response.ok : response.status === check.status
      if (!statusOk || check.text === undefined) {
        await response.body?.cancel()
        return statusOk ? result(response.status, true) : result(response.status, false, `expected ${check.status ?? 'a 2xx status'}`)
      }
      if (!(await bodyContains(response.body, check.text))) return result(response.status, false, `body does not contain '${check.text}'`)
      return result(response.status, true)
    } catch (error) {
      if (options.signal?.aborted) throw error
      const cause = (error as { cause?: { code?: string } }).cause?.code
      const what = status === 0 ? 'no answer' : 'the body did not arrive'
      return result(status, false, timeout.aborted ? `${what} within ${timeoutMs} ms` : (cause ?? (error as Error).message))
    }
  }
}

/**
 * Whether a body contains `text`, read as a stream: it stops at the first match and keeps only a
 * text-sized overlap between chunks, so a large page is never held in memory.
 */
export async function bodyContains(body: ReadableStream<Uint8Array> | null, text: string): Promise<boolean> {
  if (!body) return false
  const decoder = new TextDecoder()
  const overlap = text.length - 1
  let carry = ''
  for await (const chunk of body) {
    const window = carry + decoder.decode(chunk, { stream: true })
    if (window.includes(text)) return true // leaving the loop cancels the rest of the body
    carry = overlap > 0 ? window.slice(-overlap) : ''
  }
  return (carry + decoder.decode()).includes(text)
}
