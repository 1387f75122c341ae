import { randomUUID } from 'node:crypto'
import { USER_AGENT } from '../constants.js'
import { HerokuApiError, oneLine } from '../errors.js'
import type { Log } from '../log.js'
import type { CleanupWindow } from '../util/cleanup.js'
import { backoffDelay, type RetryPolicy, withRetry } from '../util/retry.js'
import { CancelledError, formatSeconds, sleep } from '../util/time.js'
import { type ClientError, type ClientOptions, sendOnce } from './client.js'
import type {
  CreateBuildBody,
  CreatePromotionBody,
  CreateReleaseBody,
  HerokuApp,
  HerokuBuild,
  HerokuDyno,
  HerokuPipeline,
  HerokuPipelineCoupling,
  HerokuPromotion,
  HerokuPromotionTarget,
  HerokuRelease,
  HerokuSlug,
  SourceBlob
} from './types.js'

/** The Platform API calls the deploy makes. Stages depend on this, so tests can give a fake. */
export interface HerokuApi {
  getApp(app: string): Promise<HerokuApp>
  createSource(): Promise<SourceBlob>
  /** Never sent twice blindly: after a lost answer, the build of this source is looked for first. */
  createBuild(app: string, body: CreateBuildBody): Promise<HerokuBuild>
  getBuild(app: string, buildId: string): Promise<HerokuBuild>
  /** The newest `count` builds, newest first. */
  recentBuilds(app: string, count: number): Promise<HerokuBuild[]>
  getRelease(app: string, idOrVersion: string | number): Promise<HerokuRelease>
  /** The newest `count` releases, newest first. */
  latestReleases(app: string, count: number): Promise<HerokuRelease[]>
  /** A new release with the code and config of `releaseId`. Never sent twice blindly. */
  rollback(app: string, releaseId: string): Promise<HerokuRelease>
  /** Cancels a pending build (cleanup-safe: runs after a cancel, within the cleanup window). */
  cancelBuild(app: string, buildId: string): Promise<unknown>
  /** Cleanup-safe: runs even after a cancel, so maintenance is never left on. */
  setMaintenance(app: string, on: boolean): Promise<HerokuApp>
  /** Releases a slug (a redeploy of code Heroku already built, or another app's build with build-once). Never sent twice blindly. */
  createRelease(app: string, body: CreateReleaseBody): Promise<HerokuRelease>
  /** Sets (or, with null, removes) config vars in one request; Heroku makes a release of the change. */
  updateConfigVars(app: string, vars: Readonly<Record<string, string | null>>): Promise<unknown>
  /** Replaces the app's buildpacks, in order. */
  setBuildpacks(app: string, buildpacks: readonly string[]): Promise<unknown>
  /** The app's dynos (a release phase runs in one of type `release`). Cleanup-safe. */
  listDynos(app: string): Promise<HerokuDyno[]>
  /** Stops a dyno (a release phase's: its release then fails instead of going live). Cleanup-safe. */
  stopDyno(app: string, dyno: string): Promise<unknown>
  /** The same API with every call cleanup-safe: for the reads and writes that stop what a cancelled deploy started. */
  forCleanup(): HerokuApi
  /**
   * A slug released on the app: `commit` is what its build named (a git push: the pushed commit).
   * `until` (the caller's own limit) ends it, retries included, as a cancel does.
   */
  getSlug(app: string, slugId: string, until?: AbortSignal): Promise<HerokuSlug>
  /** The app's place in its pipeline (404 when it is in none). */
  pipelineCouplingOf(app: string): Promise<HerokuPipelineCoupling>
  getPipeline(pipelineId: string): Promise<HerokuPipeline>
  /** Every app of the pipeline, with its stage. */
  pipelineCouplings(pipelineId: string): Promise<HerokuPipelineCoupling[]>
  /** Copies a release's slug to apps of later stages of the pipeline. Never repeated once Heroku may have acted. */
  createPromotion(body: CreatePromotionBody): Promise<HerokuPromotion>
  getPromotion(promotionId: string): Promise<HerokuPromotion>
  promotionTargets(promotionId: string): Promise<HerokuPromotionTarget[]>
}

export interface PlatformApiOptions {
  apiKey: string
  baseUrl: string
  log: Log
  signal?: AbortSignal
  /** After a cancel, the window cleanup calls (cancel the build, maintenance off) must end in. */
  cleanup?: CleanupWindow
  /** Retry policy for 5xx and dropped connections; 429s wait twice as long, or what Retry-After asks. */
  retry?: RetryPolicy
  /** How calls are paced when the account's budget runs low (tests shorten it). */
  pacing?: { lowBudget: number; refillMsPerToken: number }
  /** How long one request may go without an answer before it counts as lost (default 60 s). */
  requestTimeoutMs?: number
}

const DEFAULT_RETRY: RetryPolicy = { attempts: 6, baseDelayMs: 1000, maxDelayMs: 30_000 }
// heroku-client waits for a response body without a bound; no single call may hang the job.
export const REQUEST_TIMEOUT_MS = 60_000
// Heroku refills ~75 tokens a minute (one per 800 ms); below LOW_BUDGET we pace calls at that rate.
const LOW_BUDGET = 30
const REFILL_MS_PER_TOKEN = 800
// A Retry-After longer than this is not waited for: the call fails and says what Heroku asked.
const MAX_RETRY_AFTER_MS = 120_000

/**
 * How a call may be repeated when its first try ended without a clear answer (a dropped connection, a
 * timeout, an answer cut short, a 5xx): Heroku may have carried it out.
 *   read:       GET: simply again.
 *   idempotent: PATCH, PUT, DELETE: sending it twice leaves the same state.
 *   harmless:   a create whose extra copy changes nothing on any app (POST /sources: an unused blob).
 *   lookFirst:  a create of something on an app (a build, a release): what it may have made is looked
 *               for first, and only when nothing is found is it sent again.
 *   once:       a create that cannot be looked for (a pipeline promotion: Heroku lists none): never sent
 *               again once Heroku may have acted; the caller says what may have happened.
 */
type Repeat<T> = { kind: 'read' | 'idempotent' | 'harmless' | 'once' } | { kind: 'lookFirst'; find: () => Promise<T | undefined>; what: string }

interface Call<T> {
  body?: unknown
  headers?: Record<string, string>
  /** A cleanup call (maintenance off, cancel the build): ignores the cancel, bounded by the cleanup window. */
  cleanup?: boolean
  /** The caller's own limit (a budget) besides the cancel: ends the call, and its retries, as a cancel does. */
  until?: AbortSignal
  repeat: Repeat<T>
}

export function createPlatformApi(options: PlatformApiOptions): HerokuApi {
  return new PlatformApi(options)
}

class PlatformApi implements HerokuApi {
  private readonly client: ClientOptions
  private readonly retry: RetryPolicy
  private readonly requestTimeoutMs: number
  /** Last RateLimit-Remaining Heroku told us, or undefined before the first answer. */
  private remaining: number | undefined
  /** When the last paced call may go: calls paced for the budget are spaced from one another. */
  private nextSlotAt = 0

  constructor(
    private readonly options: PlatformApiOptions,
    /** Every call is a cleanup call (forCleanup). */
    private readonly cleanupOnly = false
  ) {
    this.retry = options.retry ?? DEFAULT_RETRY
    this.requestTimeoutMs = options.requestTimeoutMs ?? REQUEST_TIMEOUT_MS
    this.client = {
      token: options.apiKey,
      host: options.baseUrl,
      userAgent: USER_AGENT,
      middleware: (response, next) => {
        const header = Number(response.headers['ratelimit-remaining'])
        if (Number.isFinite(header)) this.remaining = header
        next()
      }
    }
  }

  getApp(app: string): Promise<HerokuApp> {
    return this.call('GET', `/apps/${encodeURIComponent(app)}`, READ)
  }

  createSource(): Promise<SourceBlob> {
    return this.call('POST', '/sources', { repeat: { kind: 'harmless' } })
  }

  createBuild(app: string, body: CreateBuildBody): Promise<HerokuBuild> {
    const find = async () => (await this.recentBuilds(app, 20)).find((build) => sameSource(build, body.source_blob))
    return this.call('POST', `${appPath(app)}/builds`, { body, repeat: { kind: 'lookFirst', find, what: `a build of ${body.source_blob.version} on ${app}` } })
  }

  getBuild(app: string, buildId: string): Promise<HerokuBuild> {
    return this.call('GET', `${appPath(app)}/builds/${encodeURIComponent(buildId)}`, READ)
  }

  recentBuilds(app: string, count: number): Promise<HerokuBuild[]> {
    return this.call('GET', `${appPath(app)}/builds`, { headers: { Range: `started_at ..; max=${count}, order=desc` }, repeat: { kind: 'read' } })
  }

  getRelease(app: string, idOrVersion: string | number): Promise<HerokuRelease> {
    return this.call('GET', `${appPath(app)}/releases/${encodeURIComponent(String(idOrVersion))}`, READ)
  }

  latestReleases(app: string, count: number): Promise<HerokuRelease[]> {
    return this.call('GET', `${appPath(app)}/releases`, { headers: { Range: `version ..; max=${count}, order=desc` }, repeat: { kind: 'read' } })
  }

  async rollback(app: string, releaseId: string): Promise<HerokuRelease> {
    const before = await this.newestVersion(app)
    const find = async () => {
      const target = await this.getRelease(app, releaseId)
      const made = await this.latestReleases(app, 10)
      return made.find((release) => release.version > before && (release.description === `Rollback to v${target.version}` || sameSlug(release, target.slug?.id)))
    }
    return this.call('POST', `${appPath(app)}/releases`, { body: { release: releaseId }, repeat: { kind: 'lookFirst', find, what: `a rollback on ${app}` } })
  }

  cancelBuild(app: string, buildId: string): Promise<unknown> {
    return this.call('DELETE', `${appPath(app)}/builds/${encodeURIComponent(buildId)}`, {
      headers: { Accept: 'application/vnd.heroku+json; version=3.cancel-build' },
      cleanup: true,
      repeat: { kind: 'idempotent' }
    })
  }

  setMaintenance(app: string, on: boolean): Promise<HerokuApp> {
    return this.call('PATCH', appPath(app), { body: { maintenance: on }, cleanup: !on, repeat: { kind: 'idempotent' } })
  }

  async createRelease(app: string, body: CreateReleaseBody): Promise<HerokuRelease> {
    const before = await this.newestVersion(app)
    const find = async () =>
      (await this.latestReleases(app, 10)).find(
        (release) => release.version > before && sameSlug(release, body.slug) && (body.description === undefined || release.description === body.description)
      )
    return this.call('POST', `${appPath(app)}/releases`, { body, repeat: { kind: 'lookFirst', find, what: `a release of slug ${body.slug} on ${app}` } })
  }

  updateConfigVars(app: string, vars: Readonly<Record<string, string | null>>): Promise<unknown> {
    // The answer is every config var of the app: nothing of it is kept or shown.
    return this.call('PATCH', `${appPath(app)}/config-vars`, { body: vars, repeat: { kind: 'idempotent' } }).then(() => undefined)
  }

  setBuildpacks(app: string, buildpacks: readonly string[]): Promise<unknown> {
    return this.call('PUT', `${appPath(app)}/buildpack-installations`, { body: { updates: buildpacks.map((buildpack) => ({ buildpack })) }, repeat: { kind: 'idempotent' } })
  }

  getSlug(app: string, slugId: string, until?: AbortSignal): Promise<HerokuSlug> {
    return this.call('GET', `${appPath(app)}/slugs/${encodeURIComponent(slugId)}`, { ...READ, until })
  }

  pipelineCouplingOf(app: string): Promise<HerokuPipelineCoupling> {
    return this.call('GET', `${appPath(app)}/pipeline-couplings`, READ)
  }

  getPipeline(pipelineId: string): Promise<HerokuPipeline> {
    return this.call('GET', `/pipelines/${encodeURIComponent(pipelineId)}`, READ)
  }

  pipelineCouplings(pipelineId: string): Promise<HerokuPipelineCoupling[]> {
    return this.call('GET', `/pipelines/${encodeURIComponent(pipelineId)}/pipeline-couplings`, READ)
  }

  createPromotion(body: CreatePromotionBody): Promise<HerokuPromotion> {
    return this.call('POST', '/pipeline-promotions', { body, repeat: { kind: 'once' } })
  }

  getPromotion(promotionId: string): Promise<HerokuPromotion> {
    return this.call('GET', `/pipeline-promotions/${encodeURIComponent(promotionId)}`, READ)
  }

  promotionTargets(promotionId: string): Promise<HerokuPromotionTarget[]> {
    return this.call('GET', `/pipeline-promotions/${encodeURIComponent(promotionId)}/promotion-targets`, READ)
  }

  listDynos(app: string): Promise<HerokuDyno[]> {
    return this.call('GET', `${appPath(app)}/dynos`, { cleanup: true, repeat: { kind: 'read' } })
  }

  stopDyno(app: string, dyno: string): Promise<unknown> {
    return this.call('POST', `${appPath(app)}/dynos/${encodeURIComponent(dyno)}/actions/stop`, { cleanup: true, repeat: { kind: 'idempotent' } })
  }

  forCleanup(): HerokuApi {
    return this.cleanupOnly ? this : new PlatformApi(this.options, true)
  }

  /** The newest release's version (0 without one): what a create's lost answer is looked for above. */
  private async newestVersion(app: string): Promise<number> {
    return (await this.latestReleases(app, 1))[0]?.version ?? 0
  }

  /**
   * One call: paced for the rate-limit budget, each try bounded by the request timeout and aborted by
   * the cancel (a cleanup call by the cleanup window instead), retried on 429 and, as `repeat` allows,
   * on 5xx and lost answers.
   */
  private async call<T>(method: string, path: string, call: Call<T>): Promise<T> {
    const { log } = this.options
    const window = this.options.cleanup
    if (this.cleanupOnly) call = { ...call, cleanup: true }
    // A cleanup call must still run after the job was cancelled, within what the window leaves.
    const stops = call.cleanup ? [window?.signal] : [this.options.signal, call.until]
    const given = stops.filter((stop): stop is AbortSignal => stop !== undefined)
    const signal = given.length > 1 ? AbortSignal.any(given) : given[0]
    const what = `Heroku API ${method} ${path}`
    let uncertain = false
    try {
      return await withRetry(
        async () => {
          if (uncertain && call.repeat.kind === 'lookFirst') {
            const made = await call.repeat.find()
            if (made !== undefined) {
              log.info(`${what} got no clear answer, but Heroku had carried it out: found ${call.repeat.what}; not sent again.`)
              return made
            }
            log.info(`${what} got no clear answer, and Heroku shows no ${call.repeat.what}: sending it again.`)
          }
          await this.paceForBudget(signal)
          try {
            return await this.attempt<T>(method, path, call, signal)
          } catch (error) {
            if (error instanceof HerokuApiError && error.mayHaveActed) uncertain = true
            throw error
          }
        },
        {
          ...this.retry,
          signal,
          retryDelay: (error, attempt) => this.retryDelay(error, attempt, call.repeat),
          onRetry: (error, attempt, delayMs) => log.warning(`${(error as Error).message}; retrying in ${formatSeconds(delayMs)} (attempt ${attempt + 1} of ${this.retry.attempts})`)
        }
      )
    } catch (error) {
      if (call.cleanup && window?.signal.aborted) throw window.closedError(what)
      if (!call.cleanup && (this.options.signal?.aborted || call.until?.aborted) && !(error instanceof CancelledError)) throw new CancelledError()
      throw error
    }
  }

  private async attempt<T>(method: string, path: string, call: Call<T>, signal: AbortSignal | undefined): Promise<T> {
    const requestId = randomUUID()
    // After a cancel, a cleanup call gets what is left of the window, not a whole request timeout.
    const timeoutMs = Math.max(1, Math.min(this.requestTimeoutMs, call.cleanup ? (this.options.cleanup?.remainingMs() ?? Infinity) : Infinity))
    // heroku-client's timeout is the socket's idle time; this one bounds the whole answer.
    const attempt = AbortSignal.timeout(timeoutMs * 2)
    try {
      return await sendOnce<T>(
        this.client,
        { method, path, body: call.body, headers: { 'Request-Id': requestId, ...call.headers }, partial: true, timeout: timeoutMs },
        signal ? AbortSignal.any([signal, attempt]) : attempt
      )
    } catch (error) {
      throw toApiError(method, path, requestId, error, attempt.aborted ? timeoutMs * 2 : timeoutMs)
    }
  }

  /** How long to wait before trying again, or undefined when the call must not be repeated. */
  private retryDelay<T>(error: unknown, attempt: number, repeat: Repeat<T>): number | undefined {
    if (!(error instanceof HerokuApiError)) return undefined
    const backoff = backoffDelay(this.retry, attempt)
    const asked = error.retryAfterMs
    if (asked !== undefined && asked > MAX_RETRY_AFTER_MS) return undefined
    if (error.status === 429) return asked ?? backoff * 2 // Heroku refused before doing anything
    if (error.status !== undefined && error.status < 500) return undefined
    // No answer, or a 5xx: Heroku may have acted. Repeat only what is safe to repeat, or looked for first.
    if (repeat.kind === 'once') return undefined
    return Math.max(asked ?? 0, backoff)
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

const READ: Call<never> = { repeat: { kind: 'read' } }

function appPath(app: string): string {
  return `/apps/${encodeURIComponent(app)}`
}

/** A build made from this very upload: the same source URL (new for every upload), checksum and version. */
export function sameSource(build: HerokuBuild, source: CreateBuildBody['source_blob']): boolean {
  const blob = build.source_blob
  if (!blob) return false
  return blob.checksum === source.checksum && blob.version === source.version && (!blob.url || blob.url === source.url)
}

function sameSlug(release: HerokuRelease, slugId: string | undefined): boolean {
  return slugId !== undefined && release.slug?.id === slugId
}

/**
 * heroku-client's error as a HerokuApiError with Heroku's id and message, what Retry-After asked, and
 * whether Heroku may have acted (no answer, an answer cut short, a timeout, a 5xx).
 */
function toApiError(method: string, path: string, requestId: string, error: unknown, timeoutMs: number): HerokuApiError {
  const { statusCode, body, message, code, retryAfter } = error as ClientError
  const retryAfterMs = retryAfter === undefined ? undefined : retryAfter * 1000
  if (statusCode === undefined) {
    const timedOut = /took longer than/.test(message) || (error as Error).name === 'TimeoutError' || code === 'ABORT_ERR'
    const why = timedOut ? `no answer within ${formatSeconds(timeoutMs)}` : `no answer (${code ?? oneLine(error)})`
    // A refused connection never reached Heroku.
    return new HerokuApiError(method, path, undefined, code, why, requestId, retryAfterMs, code !== 'ECONNREFUSED')
  }
  const parsed = (typeof body === 'object' && body !== null ? body : {}) as { id?: string; message?: string }
  const text = parsed.message ?? (typeof body === 'string' && body.trim() ? body.trim().slice(0, 200) : 'no message')
  return new HerokuApiError(method, path, statusCode, parsed.id, text, requestId, retryAfterMs, statusCode >= 500)
}
