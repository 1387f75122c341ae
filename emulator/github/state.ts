/**
 * What the local GitHub knows about its one repository: deployments with their statuses, and the
 * check runs and commit statuses of each commit. Handlers answer the REST operations the action calls
 * with GitHub's semantics (latest check run per name, latest status per context, lists newest first,
 * pagination).
 */
import {
  actionsApp,
  type CheckConclusion,
  type CheckRunStatus,
  type CommitState,
  type DeploymentState,
  minimalRepository,
  nodeId,
  simpleUser,
  timestamp,
  WEB
} from './resources.js'

export interface Answer {
  status: number
  body: unknown
  headers?: Record<string, string>
}

export interface CheckRunSpec {
  name: string
  status?: CheckRunStatus
  conclusion?: CheckConclusion | null
  details_url?: string
}

export interface CheckRunHandle {
  readonly id: number
  /** The run's page, where the action's messages link. */
  readonly htmlUrl: string
  update(changes: Partial<Omit<CheckRunSpec, 'name'>>): void
  /** Marks the run completed with this conclusion. */
  complete(conclusion: CheckConclusion): void
}

export interface CommitStatusSpec {
  context: string
  state: CommitState
  target_url?: string | null
  description?: string | null
}

export interface DeploymentStatusView {
  state: DeploymentState
  description: string
  log_url: string
  environment_url: string
  target_url: string
}

export interface DeploymentView {
  id: number
  sha: string
  ref: string
  environment: string
  task: string
  payload: unknown
  description: string | null
  /** The body of the request that created it, as sent (auto_merge, required_contexts…). */
  request: Record<string, unknown>
  createdAt: string
  statuses: DeploymentStatusView[]
}

interface CheckRunRecord {
  id: number
  sha: string
  spec: Required<Pick<CheckRunSpec, 'name' | 'status'>> & { conclusion: CheckConclusion | null; details_url: string | null }
  startedAt: string
  completedAt: string | null
}

interface CommitStatusRecord extends CommitStatusSpec {
  id: number
  sha: string
  createdAt: string
}

export const DOCS = 'https://docs.github.com/rest'
export const REPOSITORY_ID = 123456789
const DEFAULT_PER_PAGE = 30
const MAX_PER_PAGE = 100

export class RepositoryState {
  readonly deployments: DeploymentView[] = []
  /** Each status's id and time, kept beside the view the tests compare. */
  private readonly statusRecords = new WeakMap<DeploymentStatusView, { id: number; createdAt: string }>()
  private readonly checkRuns: CheckRunRecord[] = []
  private readonly commitStatuses: CommitStatusRecord[] = []
  private nextId = 1000
  private readonly repositoryId = REPOSITORY_ID

  constructor(
    readonly apiUrl: string,
    readonly fullName: string
  ) {}

  private get repoUrl(): string {
    return `${this.apiUrl}/repos/${this.fullName}`
  }

  addCheckRun(sha: string, spec: CheckRunSpec): CheckRunHandle {
    const record: CheckRunRecord = {
      id: this.nextId++,
      sha: sha.toLowerCase(),
      spec: { name: spec.name, status: spec.status ?? 'queued', conclusion: spec.conclusion ?? null, details_url: spec.details_url ?? null },
      startedAt: timestamp(),
      completedAt: null
    }
    if (spec.conclusion) record.spec.status = 'completed'
    if (record.spec.status === 'completed') record.completedAt = timestamp()
    this.checkRuns.push(record)
    const htmlUrl = `${WEB}/${this.fullName}/runs/${record.id}`
    return {
      id: record.id,
      htmlUrl,
      update: (changes) => {
        Object.assign(record.spec, changes)
        if (changes.conclusion) record.spec.status = 'completed'
        record.completedAt = record.spec.status === 'completed' ? timestamp() : null
      },
      complete: (conclusion) => {
        Object.assign(record.spec, { status: 'completed', conclusion })
        record.completedAt = timestamp()
      }
    }
  }

  setStatus(sha: string, spec: CommitStatusSpec): void {
    this.commitStatuses.push({ ...spec, sha: sha.toLowerCase(), id: this.nextId++, createdAt: timestamp() })
  }

  /** POST /repos/{owner}/{repo}/deployments */
  createDeployment(body: Record<string, unknown>): Answer {
    const ref = String(body.ref)
    if (!/^[0-9a-f]{40}$/i.test(ref)) return validationFailed(`No ref found for: ${ref}`)
    const sha = ref.toLowerCase()
    // Without required_contexts, GitHub refuses to deploy a commit whose statuses are not all success.
    if (body.required_contexts === undefined) {
      const failing = this.latestStatuses(sha).filter((status) => status.state !== 'success')
      if (failing.length > 0) {
        return { status: 409, body: { message: `Conflict: Commit status checks failed for ${ref}.`, documentation_url: `${DOCS}/deployments/deployments#create-a-deployment` } }
      }
    }
    const deployment: DeploymentView = {
      id: this.nextId++,
      sha,
      ref,
      environment: typeof body.environment === 'string' ? body.environment : 'production',
      task: typeof body.task === 'string' ? body.task : 'deploy',
      payload: body.payload ?? {},
      description: typeof body.description === 'string' ? body.description : null,
      request: body,
      createdAt: timestamp(),
      statuses: []
    }
    this.deployments.push(deployment)
    return { status: 201, body: this.deploymentResource(deployment) }
  }

  /** GET /repos/{owner}/{repo}/deployments/{deployment_id}/statuses: newest first. */
  listDeploymentStatuses(deploymentId: number, query: URLSearchParams): Answer {
    const deployment = this.deployments.find((candidate) => candidate.id === deploymentId)
    if (!deployment) return notFound()
    const { items, headers } = this.page(`/deployments/${deploymentId}/statuses`, query, [...deployment.statuses].reverse())
    return { status: 200, headers, body: items.map((status) => this.statusResource(deployment, status)) }
  }

  /** GET /repos/{owner}/{repo}/deployments: newest first, filtered by sha, ref, task and environment. */
  listDeployments(query: URLSearchParams): Answer {
    let found = [...this.deployments].reverse()
    const sha = query.get('sha')
    if (sha) found = found.filter((deployment) => deployment.sha === sha.toLowerCase())
    const ref = query.get('ref')
    if (ref) found = found.filter((deployment) => deployment.ref === ref)
    const task = query.get('task')
    if (task) found = found.filter((deployment) => deployment.task === task)
    const environment = query.get('environment')
    if (environment) found = found.filter((deployment) => deployment.environment === environment)
    const { items, headers } = this.page('/deployments', query, found)
    return { status: 200, headers, body: items.map((deployment) => this.deploymentResource(deployment)) }
  }

  /** POST /repos/{owner}/{repo}/deployments/{deployment_id}/statuses */
  createDeploymentStatus(deploymentId: number, body: Record<string, unknown>): Answer {
    const deployment = this.deployments.find((candidate) => candidate.id === deploymentId)
    if (!deployment) return notFound()
    const text = (name: string): string => (typeof body[name] === 'string' ? body[name] : '')
    if (text('description').length > 140) return validationFailed('description is too long (maximum is 140 characters)', 'DeploymentStatus', 'description')
    if (typeof body.environment === 'string') deployment.environment = body.environment
    const logUrl = text('log_url') || text('target_url')
    const status: DeploymentStatusView = {
      state: body.state as DeploymentState,
      description: text('description'),
      log_url: logUrl,
      target_url: text('target_url') || logUrl,
      environment_url: text('environment_url')
    }
    deployment.statuses.push(status)
    this.statusRecords.set(status, { id: this.nextId++, createdAt: timestamp() })
    const resource = this.statusResource(deployment, status)
    return { status: 201, headers: { Location: resource.url }, body: resource }
  }

  private statusResource(deployment: DeploymentView, status: DeploymentStatusView) {
    const { id, createdAt } = this.statusRecords.get(status) ?? { id: 0, createdAt: deployment.createdAt }
    const deploymentUrl = `${this.repoUrl}/deployments/${deployment.id}`
    return {
      url: `${deploymentUrl}/statuses/${id}`,
      id,
      node_id: nodeId('DeploymentStatus', id),
      state: status.state,
      creator: simpleUser(this.apiUrl, 'github-actions[bot]', 41898282, 'Bot'),
      description: status.description,
      environment: deployment.environment,
      target_url: status.target_url,
      created_at: createdAt,
      updated_at: createdAt,
      deployment_url: deploymentUrl,
      repository_url: this.repoUrl,
      ...(status.environment_url ? { environment_url: status.environment_url } : {}),
      ...(status.log_url ? { log_url: status.log_url } : {}),
      performed_via_github_app: actionsApp(this.apiUrl)
    }
  }

  /** GET /repos/{owner}/{repo}/commits/{ref}/check-runs */
  listCheckRuns(ref: string, query: URLSearchParams): Answer {
    let runs = this.checkRuns.filter((run) => run.sha === ref.toLowerCase())
    // filter=latest (the default): the most recent run of each name, as GitHub shows after a re-run.
    if (query.get('filter') !== 'all') runs = runs.filter((run) => !runs.some((other) => other.spec.name === run.spec.name && other.id > run.id))
    const name = query.get('check_name')
    if (name) runs = runs.filter((run) => run.spec.name === name)
    const status = query.get('status')
    if (status) runs = runs.filter((run) => run.spec.status === status)
    runs.sort((a, b) => b.id - a.id)
    const { items, headers } = this.page(`/commits/${ref}/check-runs`, query, runs)
    return { status: 200, headers, body: { total_count: runs.length, check_runs: items.map((run) => this.checkRunResource(run)) } }
  }

  /** GET /repos/{owner}/{repo}/commits/{ref}/status */
  combinedStatus(ref: string, query: URLSearchParams): Answer {
    const sha = ref.toLowerCase()
    const statuses = this.latestStatuses(sha)
    const states = statuses.map((status) => status.state)
    const state = states.some((s) => s === 'failure' || s === 'error') ? 'failure' : states.length === 0 || states.includes('pending') ? 'pending' : 'success'
    const { items, headers } = this.page(`/commits/${ref}/status`, query, statuses)
    return {
      status: 200,
      headers,
      body: {
        state,
        statuses: items.map((status) => ({
          url: `${this.repoUrl}/statuses/${sha}`,
          avatar_url: null,
          id: status.id,
          node_id: nodeId('StatusContext', status.id),
          state: status.state,
          description: status.description ?? null,
          target_url: status.target_url ?? null,
          context: status.context,
          created_at: status.createdAt,
          updated_at: status.createdAt
        })),
        sha,
        total_count: statuses.length,
        repository: minimalRepository(this.apiUrl, this.fullName, this.repositoryId),
        commit_url: `${this.repoUrl}/commits/${sha}`,
        url: `${this.repoUrl}/commits/${sha}/status`
      }
    }
  }

  private latestStatuses(sha: string): CommitStatusRecord[] {
    const latest = new Map<string, CommitStatusRecord>()
    for (const status of this.commitStatuses.filter((s) => s.sha === sha)) latest.set(status.context, status)
    return [...latest.values()].sort((a, b) => b.id - a.id)
  }

  /** One page of `all` as `per_page`/`page` ask, with GitHub's Link header. */
  private page<T>(path: string, query: URLSearchParams, all: T[]): { items: T[]; headers: Record<string, string> } {
    const perPage = Math.min(MAX_PER_PAGE, Math.max(1, Number(query.get('per_page') ?? DEFAULT_PER_PAGE) || DEFAULT_PER_PAGE))
    const page = Math.max(1, Number(query.get('page') ?? 1) || 1)
    return { items: all.slice((page - 1) * perPage, page * perPage), headers: pageLinks(`${this.repoUrl}${path}`, query, page, perPage, all.length) }
  }

  private deploymentResource(deployment: DeploymentView) {
    const body = deployment.request
    const url = `${this.repoUrl}/deployments/${deployment.id}`
    return {
      url,
      id: deployment.id,
      node_id: nodeId('Deployment', deployment.id),
      sha: deployment.sha,
      ref: deployment.ref,
      task: deployment.task,
      payload: deployment.payload,
      original_environment: deployment.environment,
      environment: deployment.environment,
      description: deployment.description,
      creator: simpleUser(this.apiUrl, 'github-actions[bot]', 41898282, 'Bot'),
      created_at: deployment.createdAt,
      updated_at: deployment.createdAt,
      statuses_url: `${url}/statuses`,
      repository_url: this.repoUrl,
      transient_environment: body.transient_environment === true,
      production_environment: typeof body.production_environment === 'boolean' ? body.production_environment : deployment.environment === 'production',
      performed_via_github_app: actionsApp(this.apiUrl)
    }
  }

  private checkRunResource(run: CheckRunRecord) {
    const url = `${this.repoUrl}/check-runs/${run.id}`
    return {
      id: run.id,
      name: run.spec.name,
      node_id: nodeId('CheckRun', run.id),
      head_sha: run.sha,
      external_id: String(run.id),
      url,
      html_url: `${WEB}/${this.fullName}/runs/${run.id}`,
      details_url: run.spec.details_url ?? `${WEB}/${this.fullName}/runs/${run.id}`,
      status: run.spec.status,
      conclusion: run.spec.status === 'completed' ? run.spec.conclusion : null,
      started_at: run.startedAt,
      completed_at: run.spec.status === 'completed' ? (run.completedAt ?? run.startedAt) : null,
      output: { title: null, summary: null, text: null, annotations_count: 0, annotations_url: `${url}/annotations` },
      check_suite: { id: 9000 + run.id },
      app: actionsApp(this.apiUrl),
      pull_requests: []
    }
  }
}

/** GitHub's Link header for page `page` of `total` items, `perPage` a page (none when there is one page). */
export function pageLinks(url: string, query: URLSearchParams, page: number, perPage: number, total: number): Record<string, string> {
  const last = Math.max(1, Math.ceil(total / perPage))
  const link = (n: number, rel: string): string => {
    const params = new URLSearchParams(query)
    params.set('per_page', String(perPage))
    params.set('page', String(n))
    return `<${url}?${params}>; rel="${rel}"`
  }
  const links = [page < last && link(page + 1, 'next'), page < last && link(last, 'last'), page > 1 && link(1, 'first'), page > 1 && link(page - 1, 'prev')]
  const header = links.filter(Boolean).join(', ')
  return header ? { Link: header } : {}
}

export function notFound(): Answer {
  return { status: 404, body: { message: 'Not Found', documentation_url: DOCS, status: '404' } }
}

export function validationFailed(message: string, resource?: string, field?: string): Answer {
  return {
    status: 422,
    body: {
      message: resource ? 'Validation Failed' : message,
      documentation_url: DOCS,
      ...(resource ? { errors: [{ resource, field, code: 'custom', message }] } : {})
    }
  }
}
