import { GitHubApiError } from '../../src/errors.js'
import { finalStatus, GitHubDeployments } from '../../src/report/deployment.js'
import { type DeployResult, newResult } from '../../src/result.js'
import type { Settings } from '../../src/settings.js'
import { addSecret } from '../../src/util/secrets.js'
import { FakeGitHub } from '../fakes/github.js'
import { MemoryLog } from '../fakes/log.js'
import { deployedChanges } from '../fakes/runs.js'

const SHA = '0123456789abcdef0123456789abcdef01234567'
const RUN = 'https://github.com/octo/app/actions/runs/99'

function settings(overrides: Partial<Settings> = {}): Settings {
  return {
    sha: SHA,
    apiKey: 'HRKU-key',
    githubToken: 'ghs-token',
    environment: undefined,
    environments: {},
    configVars: { DATABASE_URL: 'postgres://u:secret-pass@db/x' },
    github: { repository: 'octo/app', serverUrl: 'https://github.com', runId: '99', actor: 'octocat', ref: 'refs/heads/main' },
    ...overrides
  } as Settings
}

function succeeded(app: string): DeployResult {
  return { ...newResult(app), status: 'success', appUrl: `https://${app}.herokuapp.com/`, releaseVersion: 12 }
}

test('each app gets a deployment of the commit, in_progress with the run as its log, then success with its URL', async () => {
  const github = new FakeGitHub()
  const log = new MemoryLog()
  const deployments = new GitHubDeployments(github, settings(), log)
  const results = [newResult('web-app'), newResult('worker-app')]
  await deployments.open(results)
  expect(results.map((r) => r.deploymentId)).toEqual([100, 101])
  expect(github.deployments.map((d) => d.request)).toEqual([
    { sha: SHA, environment: 'web-app', description: 'heroku-cd: 0123456 to the Heroku app web-app', payload: { app: 'web-app' }, requestId: expect.any(String) },
    { sha: SHA, environment: 'worker-app', description: 'heroku-cd: 0123456 to the Heroku app worker-app', payload: { app: 'worker-app' }, requestId: expect.any(String) }
  ])

  results[0] = { ...succeeded('web-app'), deploymentId: 100 }
  results[1] = { ...results[1], status: 'failure', reason: 'Build b-1 failed on worker-app: Build failed: npm run build exited with code 3' }
  await deployments.close(results, false)
  expect(github.deployments[0].statuses).toEqual([
    { state: 'in_progress', description: 'Deploying 0123456 to web-app', log_url: RUN, afterCancel: false },
    { state: 'success', description: 'Released v12 on web-app', environment_url: 'https://web-app.herokuapp.com/', log_url: RUN, afterCancel: false }
  ])
  expect(github.deployments[1].statuses.at(-1)).toEqual({
    state: 'failure',
    description: 'Build b-1 failed on worker-app: Build failed: npm run build exited with code 3',
    log_url: RUN,
    afterCancel: false
  })
  expect(log.text()).toContain("GitHub deployment 100 of 0123456 to the environment 'web-app' is in progress.")
})

test("the environment input names every deployment's environment", async () => {
  const github = new FakeGitHub()
  await new GitHubDeployments(github, settings({ environment: 'production' }), new MemoryLog()).open([newResult('web-app')])
  expect(github.deployments[0].request.environment).toBe('production')
})

test('a cancelled deploy ends in error, as a clean-up that the cancel does not cut short', async () => {
  const github = new FakeGitHub()
  const deployments = new GitHubDeployments(github, settings(), new MemoryLog())
  const results = [newResult('web-app')]
  await deployments.open(results)
  results[0].status = 'cancelled'
  await deployments.close(results, true)
  expect(github.deployments[0].statuses.at(-1)).toEqual({
    state: 'error',
    description: 'Cancelled: the job was cancelled before the deploy finished.',
    log_url: RUN,
    afterCancel: true
  })
})

test('a refused deployment is one warning naming the permission, and the deploy goes on', async () => {
  const github = new FakeGitHub()
  github.deploymentError = new GitHubApiError(
    'POST',
    '/repos/octo/app/deployments',
    403,
    'Resource not accessible by integration',
    "the token lacks a permission: add 'deployments: write' under the job's 'permissions:'"
  )
  const log = new MemoryLog()
  const results = [newResult('web-app'), newResult('worker-app')]
  await expect(new GitHubDeployments(github, settings(), log).open(results)).resolves.toBeUndefined()
  expect(results.map((r) => r.deploymentId)).toEqual([undefined, undefined])
  expect(log.lines).toEqual([
    "warning: Could not record the GitHub deployment of web-app: GitHub API POST /repos/octo/app/deployments answered 403: Resource not accessible by integration (the token lacks a permission: add 'deployments: write' under the job's 'permissions:'). The deploy goes on without it."
  ])
})

test('a final status that cannot be written is a warning, never an error', async () => {
  const github = new FakeGitHub()
  const log = new MemoryLog()
  const deployments = new GitHubDeployments(github, settings(), log)
  const results = [newResult('web-app')]
  await deployments.open(results)
  github.statusError = new GitHubApiError('POST', '/repos/octo/app/deployments/100/statuses', 502, 'Server Error')
  results[0] = { ...succeeded('web-app'), deploymentId: results[0].deploymentId }
  await expect(deployments.close(results, false)).resolves.toBeUndefined()
  expect(log.lines.at(-1)).toBe(
    'warning: Could not set the GitHub deployment 100 of web-app to success: GitHub API POST /repos/octo/app/deployments/100/statuses answered 502: Server Error'
  )
})

test("descriptions stay within GitHub's 140 characters and carry no secret", async () => {
  // readSettings registers every secret it reads; these are the fixture's.
  for (const secret of [settings().apiKey, ...Object.values(settings().configVars)]) addSecret(secret)
  const github = new FakeGitHub()
  const deployments = new GitHubDeployments(github, settings(), new MemoryLog())
  const results = [newResult('web-app')]
  await deployments.open(results)
  results[0].status = 'failure'
  results[0].reason = `Release v3 failed on web-app: the release command failed (token HRKU-key and postgres://u:secret-pass@db/x printed by a script ${'x'.repeat(200)})`
  await deployments.close(results, false)
  const description = github.deployments[0].statuses.at(-1)?.description ?? ''
  expect(description).toHaveLength(140)
  expect(description).not.toContain('HRKU-key')
  expect(description).not.toContain('secret-pass')
  expect(description).toContain('token *** and *** printed')
})

test('finalStatus maps every result', () => {
  expect(finalStatus({ ...newResult('a'), status: 'rolled-back', reason: 'Smoke check failed' })).toEqual({ state: 'failure', description: 'Smoke check failed' })
  expect(finalStatus({ ...newResult('a'), status: 'success' })).toEqual({ state: 'success', description: 'Released on a' })
  expect(finalStatus(newResult('a'))).toEqual({ state: 'error', description: 'Not deployed (skipped).' })
})

test("a success's description says what it brought when that fits GitHub's 140 characters", () => {
  const app = deployedChanges().apps[0]
  expect(finalStatus(app).description).toBe('Released v12 on hello-app: 3 commits, 2 pull requests since v11')
  const back = { ...app, changes: { ...app.changes!, status: 'behind' as const, aheadBy: 0, behindBy: 2, commits: [], pullRequests: [] } }
  expect(finalStatus(back).description).toBe('Released v12 on hello-app: goes back 2 commits from v11')
  // A diverged range on an app with a 30-character name does not fit: the description is the release alone.
  const app30 = 'shop-production-eu-west-canary'
  const diverged = { ...app, app: app30, releaseVersion: 12345, changes: { ...app.changes!, status: 'diverged' as const, aheadBy: 1234, behindBy: 789 } }
  expect(finalStatus(diverged).description).toBe(`Released v12345 on ${app30}`)
})
