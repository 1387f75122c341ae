import { randomUUID } from 'node:crypto'
import Heroku from 'heroku-client'
import { USER_AGENT } from '../constants.js'
import { HerokuApiError } from '../errors.js'
import type { Log } from '../log.js'
import { backoffDelay, type RetryPolicy, withRetry } from '../util/retry.js'
import { sleep, withTimeout } from '../util/time.js'
import type { CreateBuildBody, CreateReleaseBody, HerokuApp, HerokuBuild, HerokuRelease, SourceBlob } from './types.js'

/** The Platform API calls the deploy makes. Stages depend on this, so tests can give a fake. */
export interface HerokuApi {
  getApp(app: string): Promise<HerokuApp>
  createSource(): Promise<SourceBlob>
  createBuild(app: string, body: CreateBuildBody): Promise<HerokuBuild>
  getBuild(app: string, buildId: string): Promise<HerokuBuild>
  getRelease(app: string, idOrVersion: string | number): Promise<HerokuRelease>
  /** The newest `count` releases, newest first. */
  latestReleases(app: string, count: number): Promise<HerokuRelease[]>
  /** A new release with the code and config of `releaseId`. */
  rollback(app: string, releaseId: string): Promise<HerokuRelease>
  /** Cancels a pending build (cleanup-safe: runs after a cancel). */
  cancelBuild(app: string, buildId: string): Promise<unknown>
  /** Cleanup-safe: runs even after a cancel, so maintenance is never left on. */
  setMaintenance(app: string, on: boolean): Promise<HerokuApp>
  /** Releases a slug (a redeploy of code Heroku already built, or another app's build with build-once). */
  createRelease(app: string, body: CreateReleaseBody): Promise<HerokuRelease>
  /** Sets (or, with null, removes) config vars in one request; Heroku makes a release of the change. */
  updateConfigVars(app: string, vars: Readonly<Record<string, string | null>>): Promise<unknown>
  /** Replaces the app's buildpacks, in order. */
  setBuildpacks(app: string, buildpacks: readonly string[]): Promise<unknown>
}

export interface PlatformApiOptions {
  apiKey: string
  baseUrl: string
  log: Log
  signal?: AbortSignal
  /** Retry policy for 5xx and dropped connections; 429s wait twice as long. */
  retry?: RetryPolicy
  /** How calls are paced when the account's budget runs low (tests shorten it). */
  pacing?: { lowBudget: number; refillMsPerToken: number }
}

const DEFAULT_RETRY: RetryPolicy = { attempts: 6, baseDelayMs: 1000, maxDelayMs: 30_000 }
// heroku-client waits for a response body without a bound; no single call may hang the job.
const CALL_TIMEOUT_MS = 60_000
// Heroku refills ~75 tokens a minute (one per 800 ms); below LOW_BUDGET we pace calls at that rate.
const LOW_BUDGET = 30
const REFILL_MS_PER_TOKEN = 800

export function createPlatformApi(options: PlatformApiOptions): HerokuApi {
  return new PlatformApi(options)
}

class PlatformApi implements HerokuApi {
  private readonly client: Heroku
  private readonly retry: RetryPolicy
  /** Last RateLimit-Remaining Heroku told us, or undefined before the first answer. */
  private remaining: number | undefined
  /** When the last paced call may go: calls paced for the budget are spaced from one another. */
  private nextSlotAt = 0

  constructor(private readonly options: PlatformApiOptions) {
    this.retry = options.retry ?? DEFAULT_RETRY
    this.client = new Heroku({
      token: options.apiKey,
      host: options.baseUrl,
      userAgent: USER_AGENT,
      middleware: (response, next) => {
        const header = Number(response.headers['ratelimit-remaining'])
        if (Number.isFinite(header)) this.remaining = header
        next()
      }
    })
  }

  getApp(app: string): Promise<HerokuApp> {
    return this.call('GET', `/apps/${encodeURIComponent(app)}`)
  }

  createSource(): Promise<SourceBlob> {
    return this.call('POST', '/sources')
  }

  createBuild(app: string, body: CreateBuildBody): Promise<HerokuBuild> {
    return this.call('POST', `/apps/${encodeURIComponent(app)}/builds`, { body })
  }

  getBuild(app: string, buildId: string): Promise<HerokuBuild> {
    return this.call('GET', `/apps/${encodeURIComponent(app)}/builds/${encodeURIComponent(buildId)}`)
  }

  getRelease(app: string, idOrVersion: string | number): Promise<HerokuRelease> {
    return this.call('GET', `/apps/${encodeURIComponent(app)}/releases/${encodeURIComponent(String(idOrVersion))}`)
  }

  latestReleases(app: string, count: number): Promise<HerokuRelease[]> {
    return this.call('GET', `/apps/${encodeURIComponent(app)}/releases`, {
      headers: { Range: `version ..; max=${count}, order=desc` }
    })
  }

  rollback(app: string, releaseId: string): Promise<HerokuRelease> {
    return this.call('POST', `/apps/${encodeURIComponent(app)}/releases`, { body: { release: releaseId } })
  }

  cancelBuild(app: string, buildId: string): Promise<unknown> {
    return this.call('DELETE', `/apps/${encodeURIComponent(app)}/builds/${encodeURIComponent(buildId)}`, {
      headers: { Accept: 'application/vnd.heroku+json; version=3.cancel-build' },
      cleanup: true
    })
  }

  setMaintenance(app: string, on: boolean): Promise<HerokuApp> {
    return this.call('PATCH', `/apps/${encodeURIComponent(app)}`, { body: { maintenance: on }, cleanup: true })
  }

  createRelease(app: string, body: CreateReleaseBody): Promise<HerokuRelease> {
    return this.call('POST', `/apps/${encodeURIComponent(app)}/releases`, { body })
  }

  updateConfigVars(app: string, vars: Readonly<Record<string, string | null>>): Promise<unknown> {
    // The answer is every config var of the app: nothing of it is kept or shown.
    return this.call('PATCH', `/apps/${encodeURIComponent(app)}/config-vars`, { body: vars }).then(() => undefined)
  }

  setBuildpacks(app: string, buildpacks: readonly string[]): Promise<unknown> {
    return this.call('PUT', `/apps/${encodeURIComponent(app)}/buildpack-installations`, { body: { updates: buildpacks.map((buildpack) => ({ buildpack })) } })
  }

  private async call<T>(method: string, path: string, extra: { body?: unknown; headers?: Record<string, string>; cleanup?: boolean } = {}): Promise<T> {
    const { log } = this.options
    // A cleanup call (maintenance off) must still run after the job was cancelled.
    const signal = extra.cleanup ? undefined : this.options.signal
    return withRetry(
      async () => {
        await this.paceForBudget(signal)
        const requestId = randomUUID()
        try {
          return await withTimeout(
            this.client.request<T>({
              method,
              path,
              body: extra.body,
              headers: { 'Request-Id': requestId, ...extra.headers },
              partial: true,
              timeout: CALL_TIMEOUT_MS
            }),
            CALL_TIMEOUT_MS + 5000,
            `Heroku API ${method} ${path}`
          )
        } catch (error) {
          throw toApiError(method, path, requestId, error)
        }
      },
      {
        ...this.retry,
        signal,
        retryDelay: (error, attempt) => {
          if (!(error instanceof HerokuApiError) || !isTransient(error.status)) return undefined
          const delay = backoffDelay(this.retry, attempt)
          return error.status === 429 ? delay * 2 : delay
        },
        onRetry: (error, attempt, delayMs) =>
          log.warning(`${(error as Error).message}; retrying in ${(delayMs / 1000).toFixed(1)} s (attempt ${attempt + 1} of ${this.retry.attempts})`)
      }
    )
  }

  /**
   * Slows down before the account's budget runs out: when it is low, calls go no faster than Heroku
   * refills it (an empty budget, one token every two refills), instead of spending it and waiting on
   * 429s. The budget is the account's, shared by every app deployed in parallel: calls take turns,
   * each in its own slot, however many apps are waiting.
   */
  private async paceForBudget(signal: AbortSignal | undefined): Promise<void> {
    const { lowBudget, refillMsPerToken } = this.options.pacing ?? { lowBudget: LOW_BUDGET, refillMsPerToken: REFILL_MS_PER_TOKEN }
    if (this.remaining === undefined || this.remaining >= lowBudget) return
    const spacing = refillMsPerToken * (this.remaining === 0 ? 2 : 1)
    const now = Date.now()
    const slot = Math.max(now + spacing, this.nextSlotAt + spacing)
    this.nextSlotAt = slot
    await sleep(slot - now, signal)
  }
}

/** 429 and 5xx answers and failures without an answer (dropped connection, timeout) are worth a retry. */
function isTransient(status: number | undefined): boolean {
  return status === undefined || status === 429 || status >= 500
}

interface ClientError extends Error {
  statusCode?: number
  body?: unknown
  code?: string
}

function toApiError(method: string, path: string, requestId: string, error: unknown): HerokuApiError {
  const { statusCode, body, message, code } = error as ClientError
  if (statusCode === undefined) {
    return new HerokuApiError(method, path, undefined, code, `no answer (${code ?? message})`, requestId)
  }
  const parsed = (typeof body === 'object' && body !== null ? body : {}) as { id?: string; message?: string }
  const text = parsed.message ?? (typeof body === 'string' && body.trim() ? body.trim().slice(0, 200) : 'no message')
  return new HerokuApiError(method, path, statusCode, parsed.id, text, requestId)
}
