/**
 * SIGINT at the stages the other cancel tests do not reach: the required-checks wait (the gate), the
 * release phase and the promotion. Each ends as every cancel must (cancel-checks.ts). The other stages:
 * packaging (`git archive`), the upload, a smoke request and several apps in defects.test.ts, the
 * build in deployment.test.ts and fleet.test.ts, the push in git.test.ts.
 */
import * as fs from 'node:fs'
import { cancelRun } from './cancel-checks.js'
import { APP, startWorld, type World } from './world.js'

let world: World
const STAGING = 'shop-staging'
const PROD = 'shop-prod'

beforeAll(async () => {
  world = await startWorld([APP, STAGING, PROD])
  world.emulator.createPipeline('shop', { staging: [STAGING], production: [PROD] })
  expect((await world.deploy()).outputs.status).toBe('success')
})
afterAll(() => world.close())

test('SIGINT while waiting for the required checks: cancelled, nothing asked of Heroku but the look-up, no deployment opened', async () => {
  world.repo.write('CHANGELOG.md', 'waits for its checks\n')
  world.sha = world.repo.commit('Waits for its checks, then is cancelled')
  world.github.addCheckRun(world.sha, { name: 'test', status: 'in_progress' })
  const from = { heroku: world.emulator.requests.length, deployments: world.github.deployments.length }
  const run = await cancelRun(world, {
    inputs: { 'required-checks': 'test', 'checks-timeout': '600', maintenance: 'true' },
    when: (running) => running.waitForOutput(`Required checks on ${world.sha.slice(0, 7)}: … test (in_progress)`)
  })
  expect(world.emulator.requests.slice(from.heroku).map((r) => `${r.method} ${r.path}`)).toEqual([`GET /apps/${APP}`])
  expect(world.github.deployments.length).toBe(from.deployments)
  expect(run.summary).toContain('deploy cancelled')
})

describe("SIGINT while the deployment's create has no answer yet (GitHub made it)", () => {
  const CREATE = { method: 'POST', path: /\/deployments$/ }
  const LOOK_UP = { method: 'GET', path: /\/deployments\?(.*&)?environment=/ }

  async function cancelledWhileCreating(message: string) {
    world.repo.write('CHANGELOG.md', `${message}\n`)
    world.sha = world.repo.commit(message)
    const before = world.github.deployments.length
    const builds = world.emulator.app(APP).builds.length
    world.github.faults.delayAnswerNext(1, 30_000, CREATE)
    try {
      const run = await cancelRun(world, {
        inputs: { maintenance: 'true' },
        when: async () => {
          while (world.github.deployments.length === before) await new Promise((resolve) => setTimeout(resolve, 20))
        }
      })
      const made = world.github.deployments.slice(before)
      expect(made.map((d) => [d.environment, d.sha])).toEqual([[APP, world.sha]])
      // Nothing shipped: the cancel came before the build.
      expect(world.emulator.app(APP).builds).toHaveLength(builds)
      return { run, deployment: made[0] }
    } finally {
      world.github.faults.clear()
    }
  }

  test('the deployment, found by its mark within the cleanup window, ends in error', async () => {
    const { run, deployment } = await cancelledWhileCreating('Cancelled while its deployment is made')
    expect(deployment.statuses.map((s) => [s.state, s.description])).toEqual([['error', 'Cancelled: the job was cancelled before the deploy finished.']])
    expect(run.stdout).toContain(`got no answer, but GitHub had made it (deployment ${deployment.id}): it records this deploy, and is closed with the others.`)
    expect(run.stdout).toContain(`GitHub deployment ${deployment.id} of ${APP}: error.`)
    expect(run.summary).not.toContain('may have been made')
  })

  test('and the look-up gets no answer in the window either: the report says a deployment may show no final state', async () => {
    world.github.faults.delayAnswerNext(1, 30_000, LOOK_UP)
    const { run, deployment } = await cancelledWhileCreating('Cancelled while its deployment is made, and not found')
    // The truth: it could not be found, so it could not be closed, and the report says so.
    expect(deployment.statuses).toEqual([])
    const said = `The GitHub deployment of ${APP} to the environment '${APP}' got no answer from GitHub, and it could not be looked for`
    expect(run.stdout).toContain(`::error::The job was cancelled before the deploy finished. ${said}`)
    expect(run.stdout).toContain('one may have been made, and then it shows no final state on GitHub.')
    expect(run.summary).toContain(said)
    expect(run.summary).toContain('one may have been made, and then it shows no final state on GitHub.')
  })
})

test('SIGINT during the release phase: its dyno is stopped, the release never goes live, maintenance goes off, the deployment ends in error', async () => {
  const procfile = `${world.repo.dir}/Procfile`
  const original = fs.readFileSync(procfile, 'utf8')
  fs.writeFileSync(procfile, "web: node server.js\nrelease: sh -c 'echo Running a long migration...; sleep 60'\n")
  world.sha = world.repo.commit('A long migration, cancelled')
  try {
    const before = world.emulator.app(APP).currentRelease()
    const run = await cancelRun(world, { inputs: { maintenance: 'true' }, when: (running) => running.waitForOutput('Running a long migration...') })
    const stopped = world.emulator.app(APP).releases.at(-1)
    expect(stopped?.status).toBe('failed')
    expect(run.stdout).toContain(`Stopped the release phase of v${stopped?.version} on ${APP}: it will not go live.`)
    expect(world.emulator.app(APP).currentRelease()?.id).toBe(before?.id)
    expect(world.github.deployments.at(-1)?.statuses.map((s) => s.state)).toEqual(['in_progress', 'error'])
    expect(run.summary).not.toContain('may still go live')
  } finally {
    fs.writeFileSync(procfile, original)
    world.sha = world.repo.commit('Migrations back to normal')
  }
})

test('SIGINT while production runs the release phase of a promotion: that phase is stopped, production keeps what it ran, staging stays deployed', async () => {
  const procfile = `${world.repo.dir}/Procfile`
  const original = fs.readFileSync(procfile, 'utf8')
  // The same slug everywhere; production alone (its config) migrates for a minute.
  fs.writeFileSync(procfile, `web: node server.js\nrelease: sh -c 'if [ -n "$SLOW_RELEASE" ]; then echo Migrating production...; sleep 60; fi; node release.js'\n`)
  world.sha = world.repo.commit('A migration that is long on production')
  await world.setConfig(PROD, { SLOW_RELEASE: '1' })
  try {
    const before = world.emulator.app(PROD).currentRelease()
    const run = await cancelRun(world, {
      inputs: { app: STAGING, 'promote-to': PROD, maintenance: 'true', 'smoke-checks': '/health 200 ok' },
      apps: [STAGING, PROD],
      when: (running) => running.waitForOutput(`[${PROD}] Migrating production...`)
    })
    const results = JSON.parse(run.outputs.results) as { app: string; status: string }[]
    expect(results.map((r) => [r.app, r.status])).toEqual([
      [STAGING, 'success'],
      [PROD, 'cancelled']
    ])
    const stopped = world.emulator.app(PROD).releases.at(-1)
    expect(stopped?.description).toMatch(new RegExp(`^Promote ${STAGING} v\\d+$`))
    expect(stopped?.status).toBe('failed')
    expect(run.stdout).toContain(`Stopped the release phase of v${stopped?.version} on ${PROD}: it will not go live.`)
    expect(world.emulator.app(PROD).currentRelease()?.id).toBe(before?.id)
    expect(run.summary).not.toContain('may still go live')
    // Staging was deployed and verified before the cancel; production's deployment ends in error.
    expect(world.github.deployments.slice(-2).map((d) => [d.environment, d.statuses.at(-1)?.state])).toEqual([
      [STAGING, 'success'],
      [PROD, 'error']
    ])
  } finally {
    await world.setConfig(PROD, { SLOW_RELEASE: null })
    fs.writeFileSync(procfile, original)
    world.sha = world.repo.commit('Migrations back to normal')
  }
})

test('SIGINT while the promotion request has no answer yet: cancelled, and the report says production may still get the release', async () => {
  world.repo.write('CHANGELOG.md', 'promoted, then cancelled\n')
  world.sha = world.repo.commit('Promoted while the answer is slow')
  world.emulator.faults.delayAnswerNext(1, 30_000, { method: 'POST', path: /^\/pipeline-promotions$/ })
  try {
    const run = await cancelRun(world, {
      inputs: { app: STAGING, 'promote-to': PROD },
      apps: [STAGING, PROD],
      when: async () => {
        while (!world.emulator.requests.some((r) => r.path === '/pipeline-promotions' && r.fault === 'delay')) await new Promise((resolve) => setTimeout(resolve, 50))
      }
    })
    const prod = (JSON.parse(run.outputs.results) as { app: string; status: string; reason: string }[])[1]
    expect(prod).toMatchObject({ app: PROD, status: 'cancelled' })
    expect(prod.reason).toContain(`Heroku may have carried it out and may still release it on ${PROD}`)
    expect(run.summary).toContain(`may still go live on ${PROD}`)
  } finally {
    world.emulator.faults.clear()
  }
})
