/**
 * SIGINT at the stages the other cancel tests do not reach: the required-checks wait (the gate) and
 * the release phase. Each ends as every cancel must (cancel-checks.ts). The other stages:
 * packaging (`git archive`), the upload, a smoke request and several apps in defects.test.ts, the
 * build in deployment.test.ts and fleet.test.ts, the push in git.test.ts.
 */
import * as fs from 'node:fs'
import { cancelRun } from './cancel-checks.js'
import { APP, startWorld, type World } from './world.js'

let world: World

beforeAll(async () => {
  world = await startWorld()
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
