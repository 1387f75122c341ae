import { APP, startWorld, type World } from './world.js'

let world: World

beforeAll(async () => {
  world = await startWorld()
})
afterAll(() => world.close())

test('a run on another branch is skipped: success, a notice, and not a single request', async () => {
  const run = await world.deploy({ branch: 'release/*' }, { GITHUB_REF: 'refs/heads/main' })
  expect(run.exitCode).toBe(0)
  expect(run.outputs.status).toBe('skipped')
  expect(run.stdout).toContain("::notice::Not deployed: the branch 'main' does not match the 'branch' input 'release/*'.")
  expect(world.emulator.requests).toEqual([])
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
})
