/**
 * The GitHub client over real HTTP against the local GitHub API, which validates every request and
 * answer against GitHub's official REST description.
 */
import { type LocalGitHub, startGitHub } from '../../emulator/github/index.js'
import { CancelledError, GitHubApiError } from '../../src/errors.js'
import { createGitHubApi, type GitHubApi } from '../../src/github/api.js'
import { githubUser, makeRepo, type Repo } from '../../scripts/lib/git-repo.js'
import type { RetryPolicy } from '../../src/util/retry.js'
import { MemoryLog } from '../fakes/log.js'

const TOKEN = 'ghs_test-token'
const SHA = '1234567890abcdef1234567890abcdef12345678'
let github: LocalGitHub
// A repository with history, for compare and pull requests: initial ← web (alice, #7) ← bump (no account).
let repo: Repo
const commits: Record<string, string> = {}

beforeAll(async () => {
  repo = makeRepo()
  commits.initial = repo.commit('Initial commit')
  commits.web = repo.commit('Web front end\n\nWith a body.', githubUser('alice', 'Alice'))
  commits.bump = repo.commit('Bump the version')
  github = await startGitHub({ token: TOKEN, gitDir: repo.dir })
  github.setPullRequest({ number: 7, title: 'Web front end', user: 'alice', head: commits.web, mergeCommit: commits.web })
})
afterAll(async () => {
  await github.close()
  repo.remove()
})
afterEach(() => {
  expect(github.violations).toEqual([])
  github.permissions.deployments = 'write'
  github.permissions.checks = 'read'
  github.permissions.contents = 'read'
  github.permissions.pull_requests = 'read'
})

function client(options: { token?: string; signal?: AbortSignal; retry?: RetryPolicy } = {}): { api: GitHubApi; log: MemoryLog } {
  const log = new MemoryLog()
  const api = createGitHubApi({
    token: options.token ?? TOKEN,
    baseUrl: github.apiUrl,
    repository: github.repository,
    log,
    signal: options.signal,
    retry: options.retry ?? { attempts: 4, baseDelayMs: 10, maxDelayMs: 50 }
  })
  return { api, log }
}

function requestsSince(index: number): string[] {
  return github.requests.slice(index).map((r) => `${r.method} ${r.path} → ${r.status}`)
}

test('check runs and commit statuses: every page is read', async () => {
  const sha = 'a'.repeat(40)
  for (let i = 0; i < 250; i++) github.addCheckRun(sha, { name: `job ${i}`, conclusion: 'success' })
  for (let i = 0; i < 130; i++) github.setStatus(sha, { context: `ci/${i}`, state: 'success' })
  const before = github.requests.length
  const { api } = client()
  const [runs, statuses] = await Promise.all([api.checkRuns(sha), api.commitStatuses(sha)])
  expect(runs).toHaveLength(250)
  expect(runs.map((r) => r.name)).toContain('job 0')
  expect(statuses).toHaveLength(130)
  expect(requestsSince(before).sort()).toEqual([
    `GET /repos/octo-org/hello-app/commits/${sha}/check-runs?per_page=100&page=1 → 200`,
    `GET /repos/octo-org/hello-app/commits/${sha}/check-runs?per_page=100&page=2 → 200`,
    `GET /repos/octo-org/hello-app/commits/${sha}/check-runs?per_page=100&page=3 → 200`,
    `GET /repos/octo-org/hello-app/commits/${sha}/status?per_page=100&page=1 → 200`,
    `GET /repos/octo-org/hello-app/commits/${sha}/status?per_page=100&page=2 → 200`
  ])
})

test("a deployment is created for exactly the commit, without auto-merge or GitHub's own context checks", async () => {
  const { api } = client()
  const id = await api.createDeployment({ sha: SHA, environment: 'production', description: 'heroku-cd: 1234567', payload: { app: 'web-app' } })
  await api.createDeploymentStatus(id, { state: 'in_progress', log_url: 'https://github.com/octo-org/hello-app/actions/runs/1' })
  const deployment = github.deployments.find((d) => d.id === id)
  expect(deployment).toMatchObject({ sha: SHA, ref: SHA, environment: 'production', payload: { app: 'web-app' } })
  expect(deployment?.request).toMatchObject({ auto_merge: false, required_contexts: [] })
  expect(deployment?.statuses).toEqual([
    {
      state: 'in_progress',
      description: '',
      log_url: 'https://github.com/octo-org/hello-app/actions/runs/1',
      target_url: 'https://github.com/octo-org/hello-app/actions/runs/1',
      environment_url: ''
    }
  ])
})

test('5xx, a secondary rate limit and a dropped connection are retried; one deployment is made', async () => {
  const before = github.deployments.length
  // A drop is taken before a failure (as in the Heroku emulator): drop, then 502, then the rate limit.
  github.faults.dropNext(1, { method: 'POST' })
  github.faults.failNext(1, 502, { method: 'POST' })
  github.faults.failNext(1, 403, { method: 'POST' })
  const { api, log } = client()
  const id = await api.createDeployment({ sha: SHA, environment: 'staging', description: 'd', payload: {} })
  expect(github.deployments.length).toBe(before + 1)
  expect(github.deployments.at(-1)?.id).toBe(id)
  expect(log.lines).toEqual([
    expect.stringMatching(/^warning: GitHub API POST \/repos\/octo-org\/hello-app\/deployments failed: no answer \(.+\); retrying in/),
    expect.stringMatching(/^warning: GitHub API POST \/repos\/octo-org\/hello-app\/deployments answered 502: Server Error; retrying in/),
    expect.stringMatching(/^warning: GitHub API POST \/repos\/octo-org\/hello-app\/deployments answered 403: You have exceeded a secondary rate limit.*; retrying in 1\.0 s/)
  ])
})

test("a create cancelled while its answer is on the way: what it made is found by the caller's mark, also after the cancel", async () => {
  const cancel = new AbortController()
  const { api } = client({ signal: cancel.signal })
  const made = { sha: SHA, environment: 'pr-9', requestId: 'mark-of-this-create' }
  github.faults.delayAnswerNext(1, 30_000, { method: 'POST', path: /\/deployments$/ })
  const creating = api.createDeployment({ ...made, description: 'd', payload: { app: 'node-1' } })
  while (!github.deployments.some((d) => d.environment === 'pr-9')) await new Promise((resolve) => setTimeout(resolve, 5))
  cancel.abort()
  await expect(creating).rejects.toBeInstanceOf(CancelledError)
  const deployment = github.deployments.find((d) => d.environment === 'pr-9')
  expect(deployment?.payload).toEqual({ app: 'node-1', request_id: 'mark-of-this-create' })
  expect(await api.findDeployment(made, { afterCancel: true })).toBe(deployment?.id)
  expect(await api.findDeployment({ ...made, requestId: 'another-create' }, { afterCancel: true })).toBeUndefined()
  await expect(api.findDeployment(made)).rejects.toBeInstanceOf(CancelledError)
})

test('a missing permission fails at once and names the permissions: line to add', async () => {
  github.permissions.deployments = 'read'
  github.permissions.checks = 'none'
  const { api } = client()
  const before = github.requests.length
  await expect(api.createDeployment({ sha: SHA, environment: 'production', description: 'd', payload: {} })).rejects.toThrow(
    "GitHub API POST /repos/octo-org/hello-app/deployments answered 403: Resource not accessible by integration (the token lacks a permission: add 'deployments: write' under the job's 'permissions:')"
  )
  await expect(api.checkRuns(SHA)).rejects.toThrow("(the token lacks a permission: add 'checks: read' under the job's 'permissions:')")
  expect(github.requests.length - before).toBe(2)
})

test('a bad token says which input to check', async () => {
  const { api } = client({ token: 'ghs_wrong' })
  await expect(api.commitStatuses(SHA)).rejects.toMatchObject({ status: 401, hint: "check the 'github-token' input" })
})

test('a cancel ends a call with CancelledError; the clean-up after a cancel still goes through', async () => {
  const cancel = new AbortController()
  const { api } = client({ signal: cancel.signal })
  const id = await api.createDeployment({ sha: SHA, environment: 'production', description: 'd', payload: {} })
  const unlucky = 'd'.repeat(40) // only this commit's reads fail, so no rule outlives the test
  github.faults.failNext(5, 503, { method: 'GET', path: new RegExp(unlucky) })
  const reading = api.checkRuns(unlucky)
  setTimeout(() => cancel.abort(), 5)
  await expect(reading).rejects.toBeInstanceOf(CancelledError)
  await api.createDeploymentStatus(id, { state: 'error', description: 'Cancelled' }, { afterCancel: true })
  expect(github.deployments.find((d) => d.id === id)?.statuses.map((s) => s.state)).toEqual(['error'])
})

test('the clean-up after a cancel makes one attempt only', async () => {
  const { api } = client()
  const id = await api.createDeployment({ sha: SHA, environment: 'production', description: 'd', payload: {} })
  github.faults.failNext(1, 502, { method: 'POST' })
  await expect(api.createDeploymentStatus(id, { state: 'error' }, { afterCancel: true })).rejects.toBeInstanceOf(GitHubApiError)
  expect(github.deployments.find((d) => d.id === id)?.statuses).toEqual([])
})

test('compare: one page of the commits, mapped; the pull requests of a commit', async () => {
  const { api } = client()
  const before = github.requests.length
  const page = await api.compare(commits.initial, commits.bump, { page: 1, perPage: 50 })
  expect(page).toEqual({
    status: 'ahead',
    aheadBy: 2,
    behindBy: 0,
    commits: [
      { sha: commits.web, parents: [commits.initial], message: 'Web front end\n\nWith a body.', login: 'alice', name: 'Alice' },
      { sha: commits.bump, parents: [commits.web], message: 'Bump the version', login: null, name: 'Octo Cat' }
    ]
  })
  expect(await api.pullRequestsOf(commits.web)).toEqual([{ number: 7, title: 'Web front end', login: 'alice', url: 'https://github.com/octo-org/hello-app/pull/7', merged: true }])
  expect(requestsSince(before)).toEqual([
    `GET /repos/octo-org/hello-app/compare/${commits.initial}...${commits.bump}?page=1&per_page=50 → 200`,
    `GET /repos/octo-org/hello-app/commits/${commits.web}/pulls → 200`
  ])
})

test("compare and pull requests name the permission they need: 'contents: read', 'pull-requests: read'", async () => {
  github.permissions.pull_requests = 'none'
  const { api } = client()
  await expect(api.pullRequestsOf(commits.web)).rejects.toThrow("(the token lacks a permission: add 'pull-requests: read' under the job's 'permissions:')")
  github.permissions.contents = 'none'
  await expect(api.compare(commits.initial, commits.bump, { page: 1, perPage: 50 })).rejects.toThrow(
    "answered 403: Resource not accessible by integration (the token lacks a permission: add 'contents: read' under the job's 'permissions:')"
  )
})

test("a caller's own limit ends a call while it waits to retry", async () => {
  // The retry would come seconds later: the limit ends the wait.
  const { api } = client({ retry: { attempts: 3, baseDelayMs: 10_000, maxDelayMs: 10_000 } })
  github.faults.failNext(1, 503, { method: 'GET', path: /\/compare\// })
  const limit = new AbortController()
  const started = Date.now()
  const reading = api.compare(commits.bump, commits.web, { page: 1, perPage: 50 }, limit.signal)
  setTimeout(() => limit.abort(), 50)
  await expect(reading).rejects.toBeInstanceOf(CancelledError)
  expect(Date.now() - started).toBeLessThan(5000)
})
