/**
 * The GitHub deployment, end to end over dist/index.js against the emulator and the local GitHub API:
 * it tells the truth on success, on failure, when GitHub refuses, and when the job is cancelled.
 */
import * as fs from 'node:fs'
import { cancelRun } from './cancel-checks.js'
import { APP, startWorld, type World } from './world.js'

const RUN_URL = 'https://github.com/octo-org/hello-app/actions/runs/4242'
let world: World

beforeAll(async () => {
  world = await startWorld()
})
afterAll(() => world.close())
afterEach(() => expect(world.github.violations).toEqual([]))

test('a deploy is recorded: in_progress with the run as its log, then success with the app URL', async () => {
  const run = await world.deploy({ environment: 'production' })
  expect(run.exitCode).toBe(0)
  const deployment = world.github.deployments.at(-1)
  expect(deployment).toMatchObject({ sha: world.sha, ref: world.sha, environment: 'production', payload: { app: APP } })
  expect(deployment?.request).toMatchObject({ auto_merge: false, required_contexts: [] })
  expect(deployment?.statuses).toEqual([
    expect.objectContaining({ state: 'in_progress', log_url: RUN_URL }),
    expect.objectContaining({
      state: 'success',
      log_url: RUN_URL,
      environment_url: world.emulator.app(APP).webUrl,
      description: `Released v${run.outputs['release-version']} on ${APP}`
    })
  ])
  expect(run.outputs['deployment-id']).toBe(String(deployment?.id))
  // The deployment was in progress before anything shipped.
  const opened = run.stdout.indexOf(`GitHub deployment ${deployment?.id} of ${world.sha.slice(0, 7)} to the environment 'production' is in progress.`)
  expect(opened).toBeGreaterThan(0)
  expect(opened).toBeLessThan(run.stdout.indexOf(`Packaged ${world.sha.slice(0, 7)}`))
})

test('a failed build ends the deployment as a failure with the reason', async () => {
  const file = `${world.repo.dir}/package.json`
  const pkg = JSON.parse(fs.readFileSync(file, 'utf8'))
  const original = pkg.scripts.build
  pkg.scripts.build = 'echo "Error: cannot find module left-pad" >&2; exit 3'
  fs.writeFileSync(file, JSON.stringify(pkg, null, 2))
  world.sha = world.repo.commit('Break the build')
  try {
    const run = await world.deploy()
    expect(run.exitCode).toBe(1)
    const deployment = world.github.deployments.at(-1)
    expect(deployment?.environment).toBe(APP) // the app's name when no environment is given
    expect(deployment?.statuses.map((s) => s.state)).toEqual(['in_progress', 'failure'])
    expect(deployment?.statuses[1]).toMatchObject({
      description: expect.stringMatching(/^Build [0-9a-f-]+ failed on hello-app: Build failed: npm run build exited with code 3$/),
      log_url: RUN_URL,
      environment_url: ''
    })
  } finally {
    pkg.scripts.build = original
    fs.writeFileSync(file, JSON.stringify(pkg, null, 2))
    world.sha = world.repo.commit('Fix the build')
  }
})

test('a token that may not write deployments: a warning naming the permission, and the deploy goes on', async () => {
  world.github.permissions.deployments = 'read'
  try {
    const before = world.github.deployments.length
    const run = await world.deploy()
    expect(run.exitCode).toBe(0)
    expect(run.outputs.status).toBe('success')
    expect(run.outputs['deployment-id']).toBe('')
    expect(run.stdout).toContain(
      `::warning::Could not record the GitHub deployment of ${APP}: GitHub API POST /repos/octo-org/hello-app/deployments answered 403: Resource not accessible by integration (the token lacks a permission: add 'deployments: write' under the job's 'permissions:'). The deploy goes on without it.`
    )
    expect(world.github.deployments.length).toBe(before)
  } finally {
    world.github.permissions.deployments = 'write'
  }
})

test('SIGINT during the build: the build is cancelled on Heroku, the deployment ends in error, the step exits within 10 s', async () => {
  world.emulator.faults.buildDelayMs = 30_000
  try {
    const requestsBefore = world.emulator.requests.length
    const run = await cancelRun(world, { inputs: { maintenance: 'true' }, when: (running) => running.waitForOutput('::group::Build output') })

    const build = world.emulator.app(APP).builds.at(-1)
    expect(build?.status).toBe('failed')
    expect(world.emulator.app(APP).buildLog(build?.id ?? '')).toContain('Build cancelled')
    const cancel = world.emulator.requests.slice(requestsBefore).find((r) => r.method === 'DELETE')
    expect(cancel).toMatchObject({ path: `/apps/${APP}/builds/${build?.id}`, status: 200 })
    expect(cancel?.headers.accept).toBe('application/vnd.heroku+json; version=3.cancel-build')
    expect(run.stdout).toContain(`Cancelled build ${build?.id} on ${APP}: it will not release.`)

    const deployment = world.github.deployments.at(-1)
    expect(deployment?.statuses.map((s) => s.state)).toEqual(['in_progress', 'error'])
    expect(deployment?.statuses[1].description).toMatch(/cancelled/i)
    expect(run.summary).toContain('deploy cancelled')
  } finally {
    world.emulator.faults.buildDelayMs = 0
  }
})

test('no deployment is ever left in_progress', () => {
  expect(world.github.deployments.length).toBeGreaterThan(0)
  for (const deployment of world.github.deployments) expect(deployment.statuses.at(-1)?.state).not.toBe('in_progress')
})
