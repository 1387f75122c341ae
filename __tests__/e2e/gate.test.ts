/**
 * The gates, end to end over dist/index.js: the branch and the triggering run are read from the event
 * (no request when they say no), and required checks are read from the local GitHub API before
 * anything ships.
 */
import { APP, startWorld, type World } from './world.js'

let world: World

beforeAll(async () => {
  world = await startWorld()
})
afterAll(() => world.close())
afterEach(() => expect(world.github.violations).toEqual([]))

test('a run on another branch is skipped: success, a notice, and not a single request', async () => {
  const run = await world.deploy({ branch: 'release/*', 'required-checks': 'test' }, { GITHUB_REF: 'refs/heads/main' })
  expect(run.exitCode).toBe(0)
  expect(run.outputs.status).toBe('skipped')
  expect(run.stdout).toContain("::notice::Not deployed: the branch 'main' does not match the 'branch' input 'release/*'.")
  expect(world.emulator.requests).toEqual([])
  expect(world.github.requests).toEqual([])
  expect(run.summary).toContain('## ⏭️ Heroku: hello-app not deployed')
  expect(run.summary).toContain('Nothing was deployed.')
})

test('a workflow_run whose CI failed deploys nothing', async () => {
  const event = { workflow_run: { head_sha: world.sha, head_branch: 'main', conclusion: 'failure', name: 'CI', html_url: 'https://github.com/octo-org/hello-app/actions/runs/41' } }
  const run = await world.deploy({ branch: 'main' }, {}, 'workflow_run', event)
  expect(run.exitCode).toBe(0)
  expect(run.outputs.status).toBe('skipped')
  expect(run.stdout).toContain("::notice::The workflow run \"CI\" that triggered this one concluded 'failure', not 'success': nothing is deployed.")
  expect(world.emulator.requests).toEqual([])
  expect(world.github.requests).toEqual([])
})

test('a successful workflow_run deploys its head commit, not GITHUB_SHA, when the branch matches the glob', async () => {
  const headSha = world.sha
  world.repo.write('later.txt', 'a later commit on the default branch\n')
  const later = world.repo.commit('A later commit')
  const event = { workflow_run: { head_sha: headSha, head_branch: 'main', conclusion: 'success', name: 'CI' } }
  const run = await world.deploy({ branch: 'ma*' }, { GITHUB_SHA: later }, 'workflow_run', event)
  expect(run.exitCode).toBe(0)
  expect(run.outputs.status).toBe('success')
  expect(world.emulator.app(APP).builds.at(-1)?.source_blob).toMatchObject({ version: headSha })
  expect(world.github.deployments.at(-1)).toMatchObject({ sha: headSha, ref: headSha })
})

function counts() {
  return { heroku: world.emulator.requests.length, github: world.github.requests.length, builds: world.emulator.app(APP).builds.length }
}

test('a required check still running is waited for, and the deploy follows once it passed', async () => {
  const check = world.github.addCheckRun(world.sha, { name: 'test', status: 'in_progress' })
  world.github.setStatus(world.sha, { context: 'ci/legacy', state: 'success' })
  const before = counts()
  const running = world.start({ 'required-checks': 'test\nci/legacy' })
  await running.waitForOutput(`Required checks on ${world.sha.slice(0, 7)}: … test (in_progress), ✓ ci/legacy (success)`)
  expect(world.emulator.app(APP).builds.length).toBe(before.builds)
  expect(world.emulator.requests.slice(before.heroku).some((r) => r.path === '/sources')).toBe(false)
  check.complete('success')
  const run = await running.done
  expect(run.exitCode).toBe(0)
  expect(run.outputs.status).toBe('success')
  expect(run.stdout).toContain(`All required checks passed on ${world.sha.slice(0, 7)}.`)
  expect(world.emulator.app(APP).builds.length).toBe(before.builds + 1)
  expect(run.summary).toMatch(/\| checks \| [\d.]+ s \| ✅ \|\n\| package \|/)
})

test('a failed required check stops the deploy before any upload, naming and linking it', async () => {
  world.repo.write('NEWS.md', 'a commit whose tests fail\n')
  world.sha = world.repo.commit('Break a test')
  const check = world.github.addCheckRun(world.sha, { name: 'test', conclusion: 'failure' })
  const before = counts()
  const run = await world.deploy({ 'required-checks': 'test' })
  expect(run.exitCode).toBe(1)
  expect(run.outputs.status).toBe('failure')
  expect(run.stdout).toContain(`::error::Required check failed on ${world.sha.slice(0, 7)}: 'test' concluded failure (${check.htmlUrl}).`)
  const made = world.emulator.requests.slice(before.heroku).map((r) => `${r.method} ${r.path}`)
  expect(made).toEqual([`GET /apps/${APP}`])
  expect(world.github.deployments.filter((d) => d.sha === world.sha)).toEqual([])
})

test('a required check that never shows up is reported missing at checks-timeout, and nothing is uploaded', async () => {
  world.github.addCheckRun(world.sha, { name: 'lint', conclusion: 'success' })
  const before = counts()
  const run = await world.deploy({ 'required-checks': 'lint, e2e', 'checks-timeout': '3' })
  expect(run.exitCode).toBe(1)
  expect(run.outputs.status).toBe('failure')
  expect(run.stdout).toContain(
    `::error::Required checks did not pass within 3 s on ${world.sha.slice(0, 7)}: 'e2e' is missing: no check run or commit status on ${world.sha.slice(0, 7)} has that name.`
  )
  expect(world.emulator.requests.slice(before.heroku).map((r) => r.path)).toEqual([`/apps/${APP}`])
})

test('a token without checks: read fails the gate with the permissions: line to add', async () => {
  world.github.permissions.checks = 'none'
  try {
    const run = await world.deploy({ 'required-checks': 'lint' })
    expect(run.exitCode).toBe(1)
    expect(run.stdout).toContain("answered 403: Resource not accessible by integration (the token lacks a permission: add 'checks: read' under the job's 'permissions:')")
  } finally {
    world.github.permissions.checks = 'read'
  }
})
