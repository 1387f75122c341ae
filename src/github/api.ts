import { randomUUID } from 'node:crypto'
import { getOctokit } from '@actions/github'
import { USER_AGENT } from '../constants.js'
import { CancelledError, GitHubApiError } from '../errors.js'
import type { Log } from '../log.js'
import { backoffDelay, type RetryPolicy, withRetry } from '../util/retry.js'
import type { CleanupWindow } from '../util/cleanup.js'

/** A check run, with the fields the gate reads. */
export interface CheckRun {
  id: number
  name: string
  status: string
  conclusion: string | null
  html_url: string | null
  details_url: string | null
}

/** The latest commit status of one context. */
export interface CommitStatus {
  context: string
  state: string
  target_url: string | null
  description: string | null
}

export type DeploymentState = 'error' | 'failure' | 'inactive' | 'in_progress' | 'queued' | 'pending' | 'success'

export interface NewDeployment {
  sha: string
  environment: string
  description: string
  payload: Record<string, unknown>
  /** An environment that goes away (a pull request's): GitHub never marks its deployments inactive by itself. */
  transient?: boolean
  /**
   * The mark of this one create (the payload's `request_id`), made here when not given. A caller that
   * gives it can look for what a create left without an answer made (findDeployment).
   */
  requestId?: string
}

/** What finds the deployment one create made: its commit, its environment and the create's mark. */
export interface MarkedDeployment {
  sha: string
  environment: string
  requestId: string
}

/** A deployment as listed, with the fields the branch-node ledger reads. */
export interface Deployment {
  id: number
  sha: string
  environment: string
  payload: unknown
  created_at: string
}

/** The newest status of a deployment. */
export interface DeploymentStatus {
  state: DeploymentState
  description: string
}

export interface PullRequest {
  number: number
  state: 'open' | 'closed'
}

export interface NewDeploymentStatus {
  state: DeploymentState
  description?: string
  log_url?: string
  environment_url?: string
}

/** One commit of a comparison. */
export interface ComparedCommit {
  sha: string
  parents: string[]
  /** The whole message. */
  message: string
  /** The GitHub account GitHub links the commit's author email to; null when none. */
  login: string | null
  /** The git author's name. */
  name: string | null
}

/** `GET /compare/{base}...{head}`: where head stands from base, and one page of the commits base lacks (oldest first). */
export interface Comparison {
  status: 'ahead' | 'behind' | 'identical' | 'diverged'
  aheadBy: number
  behindBy: number
  commits: ComparedCommit[]
}

/** A pull request a commit came with. */
export interface CommitPullRequest {
  number: number
  title: string
  /** The author's login. */
  login: string | null
  url: string
  merged: boolean
}

/** The GitHub REST calls the action makes. Stages depend on this, so tests can give a fake. */
export interface GitHubApi {
  /** Every check run of the commit (all pages), the latest of each name. */
  checkRuns(sha: string): Promise<CheckRun[]>
  /** The latest status of each context of the commit (all pages of the combined status). */
  commitStatuses(sha: string): Promise<CommitStatus[]>
  /** Creates a deployment of the commit; answers its id. */
  createDeployment(deployment: NewDeployment): Promise<number>
  /**
   * The deployment of `sha` to `environment` that the create marked `requestId` made; undefined when
   * there is none. With `afterCancel`, as createDeploymentStatus: once, within the cleanup window.
   */
  findDeployment(made: MarkedDeployment, options?: { afterCancel?: boolean }): Promise<number | undefined>
  /**
   * With `afterCancel`, the call is made although the job is cancelled: once, within what is left of
   * the cleanup window, so that a cancelled deploy still closes its deployment and exits in time.
   */
  createDeploymentStatus(deploymentId: number, status: NewDeploymentStatus, options?: { afterCancel?: boolean }): Promise<void>
  /** One page of the repository's deployments, newest first (`perPage` at most 100). */
  listDeployments(page: number, perPage: number): Promise<Deployment[]>
  /** The deployment's newest status; undefined while it has none. */
  latestDeploymentStatus(deploymentId: number): Promise<DeploymentStatus | undefined>
  pullRequest(number: number): Promise<PullRequest>
  /** One page (1-based, `perPage` commits) of the comparison of two commits. `signal` can end it early (a budget). */
  compare(base: string, head: string, page: { page: number; perPage: number }, signal?: AbortSignal): Promise<Comparison>
  /** The pull requests a commit came with: the merged one that brought it to the default branch, else open ones. */
  pullRequestsOf(sha: string, signal?: AbortSignal): Promise<CommitPullRequest[]>
}

export interface GitHubApiOptions {
  token: string
  /** GITHUB_API_URL. */
  baseUrl: string
  /** owner/name */
  repository: string
  log: Log
  signal?: AbortSignal
  /** After a cancel, the window the calls made anyway (closing the deployments) must end in. */
  cleanup?: CleanupWindow
  retry?: RetryPolicy
  /** How long one request may go without an answer (default 30 s). */
  requestTimeoutMs?: number
}

const DEFAULT_RETRY: RetryPolicy = { attempts: 5, baseDelayMs: 1000, maxDelayMs: 30_000 }
const CALL_TIMEOUT_MS = 30_000
const PER_PAGE = 100
// 100 pages of 100: far more check runs than any commit has; a bound, not a limit anyone meets.
const MAX_PAGES = 100
// A rate limit that resets later than this is not waited for: the step fails and says so.
const MAX_RATE_LIMIT_WAIT_MS = 60_000

// The `permissions:` line each call needs when the job sets permissions (GITHUB_TOKEN).
const PERMISSION = {
  checks: 'checks: read',
  statuses: 'statuses: read',
  // Branch nodes read deployments to write them: the hint names what the whole run needs.
  deployments: 'deployments: write',
  contents: 'contents: read',
  pullRequests: 'pull-requests: read'
} as const

export function createGitHubApi(options: GitHubApiOptions): GitHubApi {
  return new RestGitHub(options)
}

class RestGitHub implements GitHubApi {
  private readonly octokit: ReturnType<typeof getOctokit>
  private readonly owner: string
  private readonly repo: string
  private readonly retry: RetryPolicy

  constructor(private readonly options: GitHubApiOptions) {
    ;[this.owner, this.repo] = options.repository.split('/')
    this.retry = options.retry ?? DEFAULT_RETRY
    this.octokit = getOctokit(options.token, {
      baseUrl: options.baseUrl,
      userAgent: USER_AGENT,
      log: { debug: () => undefined, info: () => undefined, warn: (message: string) => options.log.warning(message), error: () => undefined }
    })
  }

  checkRuns(sha: string): Promise<CheckRun[]> {
    return this.allPages(`/commits/${sha}/check-runs`, PERMISSION.checks, async (page, signal) => {
      const { data } = await this.octokit.rest.checks.listForRef({ owner: this.owner, repo: this.repo, ref: sha, per_page: PER_PAGE, page, request: { signal } })
      const items = data.check_runs.map(({ id, name, status, conclusion, html_url, details_url }) => ({ id, name, status, conclusion, html_url, details_url }))
      return { items, total: data.total_count }
    })
  }

  commitStatuses(sha: string): Promise<CommitStatus[]> {
    return this.allPages(`/commits/${sha}/status`, PERMISSION.statuses, async (page, signal) => {
      const { data } = await this.octokit.rest.repos.getCombinedStatusForRef({ owner: this.owner, repo: this.repo, ref: sha, per_page: PER_PAGE, page, request: { signal } })
      const items = data.statuses.map(({ context, state, target_url, description }) => ({ context, state, target_url, description }))
      return { items, total: data.total_count }
    })
  }

  /**
   * Never sent twice blindly: when an attempt got no clear answer (a dropped connection, a timeout, a
   * 5xx), the deployment of this commit to this environment that it may have made is looked for first.
   */
  async createDeployment(wanted: NewDeployment): Promise<number> {
    const path = '/deployments'
    // A mark of this one create, so that what it made is told apart from a deployment of the same commit by an earlier run.
    const requestId = wanted.requestId ?? randomUUID()
    const deployment = { ...wanted, payload: { ...wanted.payload, request_id: requestId } }
    let uncertain = false
    return this.call('POST', path, PERMISSION.deployments, false, async (signal) => {
      if (uncertain) {
        const made = await this.lookUpDeployment({ ...deployment, requestId }, signal)
        if (made !== undefined) {
          this.options.log.info(`GitHub API POST ${this.url(path)} got no clear answer, but GitHub had made deployment ${made}: not sent again.`)
          return made
        }
      }
      uncertain = true // until GitHub answers this attempt clearly, below
      try {
        return await this.postDeployment(deployment, path, signal)
      } catch (error) {
        const answered = (error as { status?: number }).status ?? (error as { response?: { status?: number } }).response?.status
        uncertain = answered === undefined || answered >= 500
        throw error
      }
    })
  }

  findDeployment(made: MarkedDeployment, options: { afterCancel?: boolean } = {}): Promise<number | undefined> {
    return this.call('GET', '/deployments', PERMISSION.deployments, options.afterCancel ?? false, (signal) => this.lookUpDeployment(made, signal))
  }

  /** The deployment of this commit to this environment that carries this create's mark. */
  private async lookUpDeployment(made: MarkedDeployment, signal: AbortSignal): Promise<number | undefined> {
    const { data } = await this.octokit.rest.repos.listDeployments({
      owner: this.owner,
      repo: this.repo,
      sha: made.sha,
      environment: made.environment,
      per_page: 20,
      request: { signal }
    })
    return data.find((found) => typeof found.payload === 'object' && found.payload !== null && found.payload.request_id === made.requestId)?.id
  }

  private async postDeployment(deployment: NewDeployment, path: string, signal: AbortSignal): Promise<number> {
    const response = await this.octokit.rest.repos.createDeployment({
      owner: this.owner,
      repo: this.repo,
      ref: deployment.sha,
      environment: deployment.environment,
      description: deployment.description,
      payload: deployment.payload,
      // We deploy exactly this commit, and we gate on checks ourselves (required-checks).
      auto_merge: false,
      required_contexts: [],
      ...(deployment.transient ? { transient_environment: true, production_environment: false } : {}),
      request: { signal }
    })
    if (!('id' in response.data)) throw new GitHubApiError('POST', this.url(path), response.status, response.data.message ?? 'no deployment was created')
    return response.data.id
  }

  async createDeploymentStatus(deploymentId: number, status: NewDeploymentStatus, options: { afterCancel?: boolean } = {}): Promise<void> {
    await this.call('POST', `/deployments/${deploymentId}/statuses`, PERMISSION.deployments, options.afterCancel ?? false, (signal) =>
      this.octokit.rest.repos.createDeploymentStatus({ owner: this.owner, repo: this.repo, deployment_id: deploymentId, ...status, request: { signal } })
    )
  }

  async listDeployments(page: number, perPage: number): Promise<Deployment[]> {
    return this.call('GET', '/deployments', PERMISSION.deployments, false, async (signal) => {
      const { data } = await this.octokit.rest.repos.listDeployments({ owner: this.owner, repo: this.repo, per_page: perPage, page, request: { signal } })
      return data.map(({ id, sha, environment, payload, created_at }) => ({ id, sha, environment, payload, created_at }))
    })
  }

  async latestDeploymentStatus(deploymentId: number): Promise<DeploymentStatus | undefined> {
    return this.call('GET', `/deployments/${deploymentId}/statuses`, PERMISSION.deployments, false, async (signal) => {
      // GitHub lists a deployment's statuses newest first.
      const { data } = await this.octokit.rest.repos.listDeploymentStatuses({ owner: this.owner, repo: this.repo, deployment_id: deploymentId, per_page: 1, request: { signal } })
      const newest = data[0]
      return newest ? { state: newest.state, description: newest.description } : undefined
    })
  }

  async pullRequest(number: number): Promise<PullRequest> {
    return this.call('GET', `/pulls/${number}`, PERMISSION.pullRequests, false, async (signal) => {
      const { data } = await this.octokit.rest.pulls.get({ owner: this.owner, repo: this.repo, pull_number: number, request: { signal } })
      return { number: data.number, state: data.state }
    })
  }

  compare(base: string, head: string, { page, perPage }: { page: number; perPage: number }, signal?: AbortSignal): Promise<Comparison> {
    const basehead = `${base}...${head}`
    return this.call(
      'GET',
      `/compare/${basehead}`,
      PERMISSION.contents,
      false,
      async (callSignal) => {
        const { data } = await this.octokit.rest.repos.compareCommitsWithBasehead({
          owner: this.owner,
          repo: this.repo,
          basehead,
          page,
          per_page: perPage,
          request: { signal: callSignal }
        })
        return {
          status: data.status,
          aheadBy: data.ahead_by,
          behindBy: data.behind_by,
          commits: data.commits.map((commit) => ({
            sha: commit.sha,
            parents: commit.parents.map((parent) => parent.sha),
            message: commit.commit.message,
            login: commit.author && 'login' in commit.author ? commit.author.login : null,
            name: commit.commit.author?.name ?? null
          }))
        }
      },
      signal
    )
  }

  pullRequestsOf(sha: string, signal?: AbortSignal): Promise<CommitPullRequest[]> {
    return this.call(
      'GET',
      `/commits/${sha}/pulls`,
      PERMISSION.pullRequests,
      false,
      async (callSignal) => {
        const { data } = await this.octokit.rest.repos.listPullRequestsAssociatedWithCommit({
          owner: this.owner,
          repo: this.repo,
          commit_sha: sha,
          request: { signal: callSignal }
        })
        return data.map((pr) => ({ number: pr.number, title: pr.title, login: pr.user?.login ?? null, url: pr.html_url, merged: pr.merged_at !== null }))
      },
      signal
    )
  }

  /** Every page of a list, 100 at a time, until a short page or the total count. */
  private async allPages<T>(path: string, permission: string, fetchPage: (page: number, signal: AbortSignal) => Promise<{ items: T[]; total: number }>): Promise<T[]> {
    const all: T[] = []
    for (let page = 1; page <= MAX_PAGES; page++) {
      const { items, total } = await this.call('GET', path, permission, false, (signal) => fetchPage(page, signal))
      all.push(...items)
      if (items.length < PER_PAGE || all.length >= total) break
    }
    return all
  }

  /**
   * One call, retried on 5xx, rate limits and dropped connections, each attempt bounded in time. A
   * cancel of the job (or `until`, the caller's own limit) ends it with CancelledError, unless the
   * call is the clean-up after a cancel.
   */
  private call<T>(method: string, path: string, permission: string, afterCancel: boolean, fn: (signal: AbortSignal) => Promise<T>, until?: AbortSignal): Promise<T> {
    const stops = afterCancel ? [] : [this.options.signal, until].filter((signal): signal is AbortSignal => signal !== undefined)
    const jobSignal = stops.length === 0 ? undefined : AbortSignal.any(stops)
    const window = this.options.cleanup
    const requestTimeoutMs = this.options.requestTimeoutMs ?? CALL_TIMEOUT_MS
    const timeoutMs = Math.max(1, Math.min(requestTimeoutMs, afterCancel ? (window?.remainingMs() ?? requestTimeoutMs) : requestTimeoutMs))
    const url = this.url(path)
    return withRetry(
      async () => {
        const timeout = AbortSignal.timeout(timeoutMs)
        const bounds = [timeout, ...(jobSignal ? [jobSignal] : []), ...(afterCancel && window?.started ? [window.signal] : [])]
        try {
          return await fn(AbortSignal.any(bounds))
        } catch (error) {
          if (jobSignal?.aborted) throw new CancelledError()
          if (error instanceof GitHubApiError) throw error
          throw toGitHubError(method, url, error, permission, this.options.repository, timeout.aborted ? timeoutMs : undefined)
        }
      },
      {
        ...this.retry,
        attempts: afterCancel ? 1 : this.retry.attempts,
        signal: jobSignal,
        retryDelay: (error, attempt) => {
          if (!(error instanceof GitHubApiError) || !error.transient) return undefined
          const wait = error.retryAfterMs ?? 0
          return wait > MAX_RATE_LIMIT_WAIT_MS ? undefined : Math.max(wait, backoffDelay(this.retry, attempt))
        },
        onRetry: (error, attempt, delayMs) =>
          this.options.log.warning(`${(error as Error).message}; retrying in ${(delayMs / 1000).toFixed(1)} s (attempt ${attempt + 1} of ${this.retry.attempts})`)
      }
    )
  }

  private url(path: string): string {
    return `/repos/${this.owner}/${this.repo}${path}`
  }
}

interface OctokitError {
  message: string
  status?: number
  response?: { status: number; headers: Record<string, string | undefined>; data?: unknown }
}

/** GitHub's answer as one GitHubApiError: its message, the permission to add, how long to wait. */
function toGitHubError(method: string, path: string, error: unknown, permission: string, repository: string, timedOutAfterMs?: number): GitHubApiError {
  const { response, message } = error as OctokitError
  if (!response) {
    const why = timedOutAfterMs === undefined ? message : `no answer within ${timedOutAfterMs / 1000} s`
    return new GitHubApiError(method, path, undefined, `no answer (${why})`)
  }
  const { status, headers } = response
  const data = response.data as { message?: string } | string | undefined
  const text = (typeof data === 'object' && data?.message) || (typeof data === 'string' && data.trim().slice(0, 200)) || 'no message'
  const rateLimited = status === 429 || (status === 403 && (/rate limit/i.test(text) || headers['x-ratelimit-remaining'] === '0'))
  if (rateLimited) return new GitHubApiError(method, path, status, text, undefined, rateLimitWait(headers))
  const hint =
    status === 401
      ? "check the 'github-token' input"
      : status === 403
        ? `the token lacks a permission: add '${permission}' under the job's 'permissions:'`
        : status === 404
          ? `check that the 'github-token' input can see ${repository}`
          : undefined
  return new GitHubApiError(method, path, status, text, hint)
}

/** What GitHub asks: `retry-after` seconds, or until `x-ratelimit-reset` when the budget is spent. */
function rateLimitWait(headers: Record<string, string | undefined>): number {
  const retryAfter = Number(headers['retry-after'])
  if (Number.isFinite(retryAfter) && retryAfter >= 0) return retryAfter * 1000
  const reset = Number(headers['x-ratelimit-reset'])
  if (headers['x-ratelimit-remaining'] === '0' && Number.isFinite(reset)) return Math.max(0, reset * 1000 - Date.now())
  return 0
}
