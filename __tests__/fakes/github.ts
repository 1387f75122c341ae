import { CancelledError, GitHubApiError } from '../../src/errors.js'
import type {
  CheckRun,
  CommitPullRequest,
  CommitStatus,
  Comparison,
  Deployment,
  DeploymentStatus,
  GitHubApi,
  MarkedDeployment,
  NewDeployment,
  NewDeploymentStatus,
  PullRequest
} from '../../src/github/api.js'

export interface FakeDeployment {
  id: number
  request: NewDeployment
  createdAt: string
  statuses: (NewDeploymentStatus & { afterCancel: boolean })[]
}

/**
 * An in-memory GitHubApi. The commit's checks move through the states a test scripts, one state
 * per read (the last one repeats); deployments and their statuses are recorded; comparisons (every
 * commit, oldest first, paged as asked) and each commit's pull requests are what the test sets.
 */
export class FakeGitHub implements GitHubApi {
  checkStates: { runs?: CheckRun[]; statuses?: CommitStatus[] }[] = [{}]
  reads = 0
  deployments: FakeDeployment[] = []
  /** Thrown by createDeployment / createDeploymentStatus when set. */
  deploymentError?: Error
  statusError?: Error
  /** Pull requests and whether they are open; one not listed answers 404. */
  pullRequests = new Map<number, PullRequest['state']>()
  /** Runs before a deployment is created: a test can let another run act in between. */
  beforeCreate?: (request: NewDeployment) => Promise<void>
  /** Runs once a deployment was created, before its id is answered: a test can lose the answer (throw) here. */
  afterCreate?: (request: NewDeployment) => Promise<void>
  /** Thrown by findDeployment when set. */
  findError?: Error
  /** findDeployment never answers, as a hung connection. */
  findHangs = false
  /** Every findDeployment call, with whether it was made after a cancel. */
  finds: (MarkedDeployment & { afterCancel: boolean })[] = []
  /** The clock deployments are created by (ISO 8601). */
  now = (): string => new Date().toISOString()

  async checkRuns(): Promise<CheckRun[]> {
    this.reads++
    return this.current().runs ?? []
  }
  async commitStatuses(): Promise<CommitStatus[]> {
    return this.current().statuses ?? []
  }
  async createDeployment(request: NewDeployment): Promise<number> {
    if (this.deploymentError) throw this.deploymentError
    await this.beforeCreate?.(request)
    const id = 100 + this.deployments.length
    this.deployments.push({ id, request, createdAt: this.now(), statuses: [] })
    await this.afterCreate?.(request)
    return id
  }
  async findDeployment(made: MarkedDeployment, options: { afterCancel?: boolean } = {}): Promise<number | undefined> {
    const { sha, environment, requestId } = made
    this.finds.push({ sha, environment, requestId, afterCancel: options.afterCancel ?? false })
    if (this.findError) throw this.findError
    if (this.findHangs) await new Promise(() => undefined)
    return this.deployments.find((d) => d.request.sha === sha && d.request.environment === environment && d.request.requestId === requestId)?.id
  }
  async listDeployments(page: number, perPage: number): Promise<Deployment[]> {
    const newestFirst = [...this.deployments].reverse().slice((page - 1) * perPage, page * perPage)
    return newestFirst.map((d) => ({ id: d.id, sha: d.request.sha, environment: d.request.environment, payload: d.request.payload, created_at: d.createdAt }))
  }
  async latestDeploymentStatus(id: number): Promise<DeploymentStatus | undefined> {
    const status = this.deployments.find((d) => d.id === id)?.statuses.at(-1)
    return status && { state: status.state, description: status.description ?? '' }
  }
  async pullRequest(number: number): Promise<PullRequest> {
    const state = this.pullRequests.get(number)
    if (!state) throw new Error(`GitHub API GET /pulls/${number} answered 404: Not Found`)
    return { number, state }
  }
  async createDeploymentStatus(id: number, status: NewDeploymentStatus, options: { afterCancel?: boolean } = {}): Promise<void> {
    if (this.statusError) throw this.statusError
    const deployment = this.deployments.find((d) => d.id === id)
    if (!deployment) throw new Error(`no deployment ${id}`)
    deployment.statuses.push({ ...status, afterCancel: options.afterCancel ?? false })
  }
  /** By `base...head`; a pair not here answers 404. */
  comparisons = new Map<string, Comparison>()
  pulls = new Map<string, CommitPullRequest[]>()
  /** Thrown by compare / pullRequestsOf when set. */
  compareError?: Error
  pullsError?: Error
  /** compare never answers: it ends only when its signal is aborted, as a hung connection does. */
  compareHangs = false
  /** Every compare and pull-request call, in order: `compare <base>...<head> <page>`, `pulls <sha>`. */
  codeReads: string[] = []
  async compare(base: string, head: string, { page, perPage }: { page: number; perPage: number }, until?: AbortSignal): Promise<Comparison> {
    this.codeReads.push(`compare ${base}...${head} ${page}`)
    if (this.compareError) throw this.compareError
    if (this.compareHangs) await new Promise((_, reject) => until?.addEventListener('abort', () => reject(new CancelledError()), { once: true }))
    const all = this.comparisons.get(`${base}...${head}`)
    if (!all) throw new GitHubApiError('GET', `/repos/o/r/compare/${base}...${head}`, 404, 'Not Found')
    return { ...all, commits: all.commits.slice((page - 1) * perPage, page * perPage) }
  }
  async pullRequestsOf(sha: string): Promise<CommitPullRequest[]> {
    this.codeReads.push(`pulls ${sha}`)
    if (this.pullsError) throw this.pullsError
    return this.pulls.get(sha) ?? []
  }
  private current() {
    return this.checkStates[Math.min(Math.max(0, this.reads - 1), this.checkStates.length - 1)]
  }
}

export function checkRun(name: string, status: string, conclusion: string | null = null, id = 1): CheckRun {
  return { id, name, status, conclusion, html_url: `https://github.com/o/r/runs/${id}`, details_url: null }
}

export function commitStatus(context: string, state: string): CommitStatus {
  return { context, state, target_url: `https://ci.example.com/${context}`, description: null }
}
