/**
 * The local GitHub API itself: it follows GitHub's REST description for what it accepts and what it
 * answers, and it catches requests and answers that do not.
 */
import * as fs from 'node:fs'
import { type LocalGitHub, startGitHub } from '../../emulator/github/index.js'
import { REST_DESCRIPTION_PATH, RestDescription } from '../../emulator/github/openapi.js'
import { OPERATIONS } from '../../scripts/extract-github-openapi.js'

const TOKEN = 'ghs_local'
const SHA = 'e'.repeat(40)
const REPO = '/repos/octo-org/hello-app'
let github: LocalGitHub

beforeAll(async () => {
  github = await startGitHub({ token: TOKEN })
})
afterAll(() => github.close())

// The answers are JSON of many shapes, read field by field by the assertions (a wrong field fails them).
// eslint-disable-next-line @typescript-eslint/no-explicit-any
async function call(method: string, path: string, body?: unknown, token = TOKEN): Promise<{ status: number; headers: Headers; json: any }> {
  const response = await fetch(`${github.apiUrl}${path}`, {
    method,
    headers: { authorization: `token ${token}`, accept: 'application/vnd.github+json', ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body === undefined ? undefined : JSON.stringify(body)
  })
  return { status: response.status, headers: response.headers, json: await response.json() }
}

function takeViolations(): string[] {
  return github.violations.splice(0)
}

test('the fixture holds exactly the operations the extraction script lists, from the pinned description', () => {
  const fixture = JSON.parse(fs.readFileSync(REST_DESCRIPTION_PATH, 'utf8'))
  expect(fixture.info['x-extracted-from']).toMatch(/^@octokit\/openapi@\d+\.\d+\.\d+$/)
  const listed = Object.entries(fixture.paths as Record<string, object>).flatMap(([path, methods]) => Object.keys(methods).map((method) => [method, path]))
  expect(listed.sort()).toEqual([...OPERATIONS].map(([m, p]) => [m, p]).sort())
  expect(new RestDescription().operations.map((op) => op.id).sort()).toEqual([
    'checks/list-for-ref',
    'pulls/get',
    'repos/compare-commits-with-basehead',
    'repos/create-deployment',
    'repos/create-deployment-status',
    'repos/get-combined-status-for-ref',
    'repos/list-deployment-statuses',
    'repos/list-deployments',
    'repos/list-pull-requests-associated-with-commit'
  ])
})

test('the validator rejects what GitHub would (and so can fail)', () => {
  const rest = new RestDescription()
  const create = rest.find('POST', `${REPO}/deployments`)
  if (!create) throw new Error('no create-deployment operation')
  expect(rest.validateRequest(create.operation, { params: create.params, query: new URLSearchParams(), body: { environment: 'x' } })).toEqual([
    "request body must have required property 'ref'"
  ])
  expect(rest.validateResponse(create.operation, 201, { id: 1 })).toContain("201 body must have required property 'sha'")
  const status = rest.find('POST', `${REPO}/deployments/1/statuses`)
  if (!status) throw new Error('no create-deployment-status operation')
  expect(rest.validateRequest(status.operation, { params: status.params, query: new URLSearchParams(), body: { state: 'done' } })).toEqual([
    'request body /state must be equal to one of the allowed values (error, failure, inactive, in_progress, queued, pending, success)'
  ])
})

test('a request that strays from the description is answered 422 and listed as a violation', async () => {
  const missingRef = await call('POST', `${REPO}/deployments`, { environment: 'production' })
  expect(missingRef.status).toBe(422)
  const misspelt = await call('POST', `${REPO}/deployments`, { ref: SHA, enviroment: 'production' })
  expect(misspelt.status).toBe(422)
  const badQuery = await call('GET', `${REPO}/commits/${SHA}/check-runs?per_page=all`)
  expect(badQuery.status).toBe(422)
  expect(takeViolations()).toEqual([
    `POST ${REPO}/deployments request: request body must have required property 'ref'`,
    `POST ${REPO}/deployments request: request body field 'enviroment' is not in the description`,
    `GET ${REPO}/commits/${SHA}/check-runs request: query parameter 'per_page' must be integer`
  ])
})

test('a wrong token is 401, another repository 404, a missing permission 403', async () => {
  expect((await call('GET', `${REPO}/commits/${SHA}/status`, undefined, 'nope')).json).toEqual({
    message: 'Bad credentials',
    documentation_url: 'https://docs.github.com/rest',
    status: '401'
  })
  expect((await call('GET', `/repos/someone/else/commits/${SHA}/status`)).status).toBe(404)
  github.permissions.statuses = 'none'
  try {
    const denied = await call('GET', `${REPO}/commits/${SHA}/status`)
    expect(denied.status).toBe(403)
    expect(denied.json.message).toBe('Resource not accessible by integration')
  } finally {
    github.permissions.statuses = 'read'
  }
  expect(takeViolations()).toEqual([])
})

test('deployments and their statuses are answered as GitHub does', async () => {
  const created = await call('POST', `${REPO}/deployments`, { ref: SHA, environment: 'staging', auto_merge: false, required_contexts: [], payload: { app: 'web' } })
  expect(created.status).toBe(201)
  expect(created.json).toMatchObject({ sha: SHA, ref: SHA, environment: 'staging', payload: { app: 'web' }, production_environment: false })
  const status = await call('POST', `${REPO}/deployments/${created.json.id}/statuses`, {
    state: 'success',
    log_url: 'https://github.com/octo-org/hello-app/actions/runs/1',
    environment_url: 'https://web.herokuapp.com/'
  })
  expect(status.status).toBe(201)
  expect(status.headers.get('location')).toBe(status.json.url)
  expect(status.json).toMatchObject({ state: 'success', environment_url: 'https://web.herokuapp.com/', target_url: 'https://github.com/octo-org/hello-app/actions/runs/1' })
  expect((await call('POST', `${REPO}/deployments/${created.json.id}/statuses`, { state: 'failure', description: 'x'.repeat(141) })).status).toBe(422)
  expect((await call('POST', `${REPO}/deployments/999999/statuses`, { state: 'failure' })).status).toBe(404)
  expect(takeViolations()).toEqual([])
})

test('deployments are listed newest first, paged and filtered; a deployment lists its statuses newest first', async () => {
  const made: number[] = []
  for (const environment of ['pr-1', 'pr-2', 'pr-1']) {
    const created = await call('POST', `${REPO}/deployments`, {
      ref: SHA,
      environment,
      required_contexts: [],
      transient_environment: true,
      production_environment: false,
      payload: { app: 'node-1' }
    })
    made.push(created.json.id)
  }
  const newest = await call('GET', `${REPO}/deployments?per_page=2&page=1`)
  expect(newest.json.map((d: { id: number }) => d.id)).toEqual([made[2], made[1]])
  expect(newest.json[0]).toMatchObject({ environment: 'pr-1', transient_environment: true, production_environment: false, payload: { app: 'node-1' } })
  expect(newest.headers.get('link')).toContain('rel="next"')
  expect((await call('GET', `${REPO}/deployments?environment=pr-1&per_page=100`)).json.map((d: { id: number }) => d.id)).toEqual([made[2], made[0]])

  await call('POST', `${REPO}/deployments/${made[0]}/statuses`, { state: 'success', environment_url: 'https://node-1.example/' })
  await call('POST', `${REPO}/deployments/${made[0]}/statuses`, { state: 'inactive', description: 'Pull request #1 closed' })
  const statuses = await call('GET', `${REPO}/deployments/${made[0]}/statuses?per_page=1`)
  expect(statuses.json).toEqual([expect.objectContaining({ state: 'inactive', description: 'Pull request #1 closed', environment: 'pr-1' })])
  expect((await call('GET', `${REPO}/deployments/${made[1]}/statuses`)).json).toEqual([])
  expect((await call('GET', `${REPO}/deployments/999999/statuses`)).status).toBe(404)
  expect(takeViolations()).toEqual([])
})

test('a pull request: open or closed, from this repository or a fork; reading it needs pull-requests: read', async () => {
  github.setPullRequest({ number: 12, head: SHA, title: 'Add a search box' })
  github.setPullRequest({ number: 13, head: SHA, fork: 'mallory/hello-app' })
  const open = await call('GET', `${REPO}/pulls/12`)
  expect(open.json).toMatchObject({ number: 12, state: 'open', title: 'Add a search box', head: { sha: SHA, repo: { full_name: 'octo-org/hello-app' } }, merged: false })
  expect((await call('GET', `${REPO}/pulls/13`)).json.head.repo).toMatchObject({ full_name: 'mallory/hello-app', fork: true })
  github.setPullRequest({ number: 12, head: SHA, state: 'merged' })
  expect((await call('GET', `${REPO}/pulls/12`)).json).toMatchObject({ state: 'closed', merged: true })
  expect((await call('GET', `${REPO}/pulls/99`)).status).toBe(404)
  github.permissions.pull_requests = 'none'
  try {
    expect((await call('GET', `${REPO}/pulls/12`)).status).toBe(403)
  } finally {
    github.permissions.pull_requests = 'read'
  }
  expect(takeViolations()).toEqual([])
})

test('without required_contexts, GitHub refuses a commit whose statuses are not all green', async () => {
  const sha = '9'.repeat(40)
  github.setStatus(sha, { context: 'ci/legacy', state: 'failure' })
  expect((await call('POST', `${REPO}/deployments`, { ref: sha })).status).toBe(409)
  expect((await call('POST', `${REPO}/deployments`, { ref: sha, required_contexts: [] })).status).toBe(201)
  expect(takeViolations()).toEqual([])
})

test('check runs: the latest of each name, paged with a Link header', async () => {
  const sha = '7'.repeat(40)
  const first = github.addCheckRun(sha, { name: 'test' })
  first.complete('failure')
  const rerun = github.addCheckRun(sha, { name: 'test', status: 'in_progress' })
  for (let i = 0; i < 4; i++) github.addCheckRun(sha, { name: `lint ${i}`, conclusion: 'success' })
  const page1 = await call('GET', `${REPO}/commits/${sha}/check-runs?per_page=2&page=1`)
  expect(page1.json.total_count).toBe(5)
  expect(page1.json.check_runs.map((r: { name: string }) => r.name)).toEqual(['lint 3', 'lint 2'])
  expect(page1.headers.get('link')).toContain('page=2>; rel="next"')
  expect(page1.headers.get('link')).toContain('page=3>; rel="last"')
  const page3 = await call('GET', `${REPO}/commits/${sha}/check-runs?per_page=2&page=3`)
  expect(page3.json.check_runs).toEqual([expect.objectContaining({ id: rerun.id, name: 'test', status: 'in_progress', conclusion: null, html_url: rerun.htmlUrl })])
  expect(page3.headers.get('link')).not.toContain('rel="next"')
  const all = await call('GET', `${REPO}/commits/${sha}/check-runs?filter=all&per_page=100`)
  expect(all.json.total_count).toBe(6)
  expect(takeViolations()).toEqual([])
})

test('combined status: the latest per context, and the state they make together', async () => {
  const sha = '5'.repeat(40)
  expect((await call('GET', `${REPO}/commits/${sha}/status`)).json).toMatchObject({ state: 'pending', total_count: 0, statuses: [] })
  github.setStatus(sha, { context: 'ci', state: 'pending' })
  github.setStatus(sha, { context: 'ci', state: 'success', target_url: 'https://ci.example.com/1' })
  github.setStatus(sha, { context: 'cov', state: 'success' })
  const green = await call('GET', `${REPO}/commits/${sha}/status`)
  expect(green.json).toMatchObject({ state: 'success', total_count: 2 })
  expect(green.json.statuses.map((s: { context: string; state: string }) => `${s.context}:${s.state}`)).toEqual(['cov:success', 'ci:success'])
  github.setStatus(sha, { context: 'cov', state: 'error' })
  expect((await call('GET', `${REPO}/commits/${sha}/status`)).json.state).toBe('failure')
  expect(takeViolations()).toEqual([])
})

test("an injected 429 asks for a wait with Retry-After (1 s, or as told), or none when told so, as GitHub's limits vary", async () => {
  const status = `${REPO}/commits/${SHA}/status`
  github.faults.failNext(1, 429, { path: /\/status$/ })
  github.faults.failNext(1, 429, { path: /\/status$/ }, { retryAfter: 7 })
  github.faults.failNext(1, 429, { path: /\/status$/ }, { retryAfter: null })
  const answers = [await call('GET', status), await call('GET', status), await call('GET', status), await call('GET', status)]
  expect(answers.map((answer) => [answer.status, answer.headers.get('retry-after')])).toEqual([
    [429, '1'],
    [429, '7'],
    [429, null],
    [200, null]
  ])
  expect(github.requests.slice(-4).map((request) => request.fault)).toEqual(['fail', 'fail', 'fail', undefined])
  expect(takeViolations()).toEqual([])
})
