/**
 * A local GitHub REST API for the end-to-end tests and the demo: the operations the action calls
 * (create and list deployments, create and list deployment statuses, list check runs for a ref, the
 * combined status of a ref, get a pull request, compare two commits, the pull requests of a commit) for
 * one repository, on 127.0.0.1. Compare and a commit's pull requests come from the repository's real
 * history (`gitDir`). Every request is recorded, checked for the token and the permission it needs, and
 * validated against GitHub's official REST description (rest-description.json); so is every answer.
 * Anything that strays is listed in `violations`. Never bundled into dist/.
 */
import { randomUUID } from 'node:crypto'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import { applyAnswerFault, FaultInjector } from '../faults.js'
import { flatten, readBody } from '../server.js'
import type { RecordedRequest, RequestFaults } from '../types.js'
import { RepositoryCode } from './code.js'
import { GitHistory } from './history.js'
import { type Operation, RestDescription } from './openapi.js'
import { PullRequests, type PullRequestSpec } from './pulls.js'
import { type Answer, type CheckRunHandle, type CheckRunSpec, type CommitStatusSpec, DOCS, type DeploymentView, notFound, REPOSITORY_ID, RepositoryState } from './state.js'

export type { CheckRunHandle, CheckRunSpec, CommitStatusSpec, DeploymentStatusView, DeploymentView } from './state.js'
export type { PullRequestSpec } from './pulls.js'

export type Permission = 'none' | 'read' | 'write'

/** What the token may do, as a job's `permissions:` block grants it. */
export interface Permissions {
  deployments: Permission
  checks: Permission
  statuses: Permission
  contents: Permission
  pull_requests: Permission
}

export interface LocalGitHubOptions {
  /** The only accepted token (`Authorization: token …` or `Bearer …`). */
  token: string
  /** owner/name of the one repository (default octo-org/hello-app). */
  repository?: string
  /** A clone of the repository (a work tree or a bare one): compare and commit look-ups read its history. */
  gitDir?: string
  log?: (line: string) => void
}

export interface LocalGitHub {
  /** What GITHUB_API_URL is set to. */
  apiUrl: string
  repository: string
  /** Every request, in order. */
  requests: RecordedRequest[]
  /** Requests and answers that do not match GitHub's REST description; the tests expect none. */
  violations: string[]
  /** Change to answer 403 "Resource not accessible by integration", as a missing `permissions:` line does. */
  permissions: Permissions
  /**
   * `failNext(n, status)`: 5xx answers GitHub's server error; 403 and 429 answer the secondary rate
   * limit with `retry-after: 1` (or `retryAfter` seconds; null: without the header); others GitHub's
   * basic error. `dropNext(n)` closes the connection; the answer faults act as the Heroku emulator's
   * (GitHub made the deployment or status, then the answer is lost, held or cut).
   */
  faults: RequestFaults
  /** Deployments in creation order, each with its statuses. */
  deployments: DeploymentView[]
  /** A check run on `sha` (queued unless told otherwise); the handle moves it along. */
  addCheckRun(sha: string, spec: CheckRunSpec): CheckRunHandle
  /** A commit status on `sha`; a newer one with the same context replaces it. */
  setStatus(sha: string, spec: CommitStatusSpec): void
  /** Adds or changes a pull request (pushed to, closed, reopened, merged with its `mergeCommit`). */
  setPullRequest(spec: PullRequestSpec): void
  close(): Promise<void>
}

// The permissions each operation needs; GitHub answers 403 without them.
const NEEDS: Record<string, [keyof Permissions, Permission][]> = {
  'repos/create-deployment': [['deployments', 'write']],
  'repos/list-deployments': [['deployments', 'read']],
  'repos/create-deployment-status': [['deployments', 'write']],
  'repos/list-deployment-statuses': [['deployments', 'read']],
  'checks/list-for-ref': [['checks', 'read']],
  'repos/get-combined-status-for-ref': [['statuses', 'read']],
  'pulls/get': [['pull_requests', 'read']],
  'repos/compare-commits-with-basehead': [['contents', 'read']],
  'repos/list-pull-requests-associated-with-commit': [
    ['contents', 'read'],
    ['pull_requests', 'read']
  ]
}

let description: RestDescription | undefined

export async function startGitHub(options: LocalGitHubOptions): Promise<LocalGitHub> {
  if (!options.token) throw new Error('startGitHub: token is required')
  const log = options.log ?? (() => undefined)
  const rest = (description ??= new RestDescription())
  const server = createServer()
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(0, '127.0.0.1', resolve))
  const apiUrl = `http://127.0.0.1:${(server.address() as { port: number }).port}`
  const repository = options.repository ?? 'octo-org/hello-app'
  const state = new RepositoryState(apiUrl, repository)
  const pulls = new PullRequests(apiUrl, repository, REPOSITORY_ID)
  const code = new RepositoryCode(apiUrl, repository, options.gitDir ? new GitHistory(options.gitDir) : undefined, pulls)
  const faults = new FaultInjector()
  const requests: RecordedRequest[] = []
  const violations: string[] = []
  const permissions: Permissions = { deployments: 'write', checks: 'read', statuses: 'read', contents: 'read', pull_requests: 'read' }
  let remaining = 5000

  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    void (async () => {
      const method = req.method ?? 'GET'
      const target = req.url ?? '/'
      const record: RecordedRequest = { method, path: target, headers: flatten(req.headers), body: '', status: 0, at: Date.now() }
      requests.push(record)
      record.body = await readBody(req)
      if (faults.takeDrop(method, target)) {
        record.fault = 'drop'
        return void req.socket.destroy()
      }
      const answerFault = faults.takeAnswerFault(method, target)
      if (answerFault) {
        record.fault = answerFault.kind
        applyAnswerFault(res, answerFault)
      }

      const url = new URL(target, apiUrl)
      const found = rest.find(method, url.pathname)
      const answer = await respond(record, url, found?.operation, found?.params ?? {})
      if (found) {
        const where = `${method} ${url.pathname}`
        violations.push(...rest.validateResponse(found.operation, answer.status, answer.body).map((problem) => `${where} answer: ${problem}`))
      }
      remaining = Math.max(0, remaining - 1)
      const text = JSON.stringify(answer.body)
      res.writeHead(answer.status, {
        'Content-Type': 'application/json; charset=utf-8',
        'Content-Length': Buffer.byteLength(text),
        'X-GitHub-Request-Id': randomUUID().toUpperCase(),
        'X-GitHub-Api-Version-Selected': '2022-11-28',
        'X-RateLimit-Limit': '5000',
        'X-RateLimit-Remaining': String(remaining),
        'X-RateLimit-Reset': String(Math.floor(Date.now() / 1000) + 3600),
        'X-RateLimit-Resource': 'core',
        ...answer.headers
      })
      res.end(text)
      record.status = answer.status
      log(`github: ${method} ${target} → ${answer.status}`)
    })().catch((error: unknown) => {
      log(`github: error serving ${req.method} ${req.url}: ${error instanceof Error ? error.stack : String(error)}`)
      if (!res.headersSent) res.writeHead(500).end()
    })
  })

  async function respond(record: RecordedRequest, url: URL, operation: Operation | undefined, params: Record<string, string>): Promise<Answer> {
    const injected = faults.takeFailure(record.method, record.path)
    if (injected !== undefined) {
      record.fault = 'fail'
      return injectedFailure(injected.status, injected.retryAfter)
    }
    if (!authorized(record.headers.authorization, options.token)) {
      return { status: 401, body: { message: 'Bad credentials', documentation_url: DOCS, status: '401' } }
    }
    if (!operation) return notFound()
    let body: unknown
    try {
      body = record.body.trim() ? JSON.parse(record.body) : undefined
    } catch {
      violations.push(`${record.method} ${url.pathname}: the body is not JSON`)
      return { status: 400, body: { message: 'Problems parsing JSON', documentation_url: DOCS, status: '400' } }
    }
    const problems = rest.validateRequest(operation, { params, query: url.searchParams, body })
    if (problems.length > 0) {
      violations.push(...problems.map((problem) => `${record.method} ${url.pathname} request: ${problem}`))
      return { status: 422, body: { message: `Invalid request.\n\n${problems.join('\n')}`, documentation_url: DOCS, status: '422' } }
    }
    if (`${params.owner}/${params.repo}`.toLowerCase() !== repository.toLowerCase()) return notFound()
    const granted = ([scope, level]: [keyof Permissions, Permission]) => permissions[scope] !== 'none' && (level === 'read' || permissions[scope] === 'write')
    if (!NEEDS[operation.id].every(granted)) {
      return { status: 403, body: { message: 'Resource not accessible by integration', documentation_url: DOCS, status: '403' } }
    }
    const fields = (body ?? {}) as Record<string, unknown>
    switch (operation.id) {
      case 'repos/create-deployment':
        return state.createDeployment(fields)
      case 'repos/list-deployments':
        return state.listDeployments(url.searchParams)
      case 'repos/create-deployment-status':
        return state.createDeploymentStatus(Number(params.deployment_id), fields)
      case 'repos/list-deployment-statuses':
        return state.listDeploymentStatuses(Number(params.deployment_id), url.searchParams)
      case 'pulls/get':
        return pulls.get(Number(params.pull_number))
      case 'checks/list-for-ref':
        return state.listCheckRuns(params.ref, url.searchParams)
      case 'repos/compare-commits-with-basehead':
        return code.compare(params.basehead, url.searchParams)
      case 'repos/list-pull-requests-associated-with-commit':
        return code.pullsOf(params.commit_sha)
      default:
        return state.combinedStatus(params.ref, url.searchParams)
    }
  }

  return {
    apiUrl,
    repository,
    requests,
    violations,
    permissions,
    faults: {
      failNext: (count, status, match, failOptions) => faults.failNext(count, status, match, failOptions),
      dropNext: (count, match) => faults.dropNext(count, match),
      loseAnswerNext: (count, match) => faults.loseAnswerNext(count, match),
      delayAnswerNext: (count, ms, match) => faults.delayAnswerNext(count, ms, match),
      cutAnswerNext: (count, match) => faults.cutAnswerNext(count, match),
      clear: () => faults.clear()
    },
    deployments: state.deployments,
    addCheckRun: (sha, spec) => state.addCheckRun(sha, spec),
    setStatus: (sha, spec) => state.setStatus(sha, spec),
    setPullRequest: (spec) => pulls.set(spec),
    close: async () => {
      server.closeAllConnections()
      await new Promise((resolve) => server.close(resolve))
    }
  }
}

function injectedFailure(status: number, retryAfter: number | null = 1): Answer {
  if (status === 403 || status === 429) {
    return {
      status,
      headers: retryAfter === null ? {} : { 'Retry-After': String(retryAfter) },
      body: { message: 'You have exceeded a secondary rate limit. Please wait a few minutes before you try again.', documentation_url: DOCS, status: String(status) }
    }
  }
  return { status, body: { message: status >= 500 ? 'Server Error' : 'Error', documentation_url: DOCS, status: String(status) } }
}

function authorized(header: string | undefined, token: string): boolean {
  const match = /^(?:token|bearer)\s+(.+)$/i.exec(header ?? '')
  return match?.[1] === token
}
