import { APP, startWorld, type World } from './world.js'

let world: World

beforeAll(async () => {
  world = await startWorld()
})
afterAll(() => world.close())

test('the deploy succeeds through 429s, 503s, dropped connections and a slow, late stream', async () => {
  const { faults } = world.emulator
  faults.failNext(2, 429, { path: /^\/apps\/[^/]+$/ })
  faults.failNext(1, 503, { method: 'POST', path: /^\/sources$/ })
  faults.failNext(2, 503, { method: 'GET', path: /\/builds\// })
  faults.dropNext(1, { method: 'GET', path: /\/releases\// })
  faults.failNext(1, 503, { method: 'PUT', path: /^\/blobs\// })
  faults.streamNotFoundFirst = 3
  faults.streamLineDelayMs = 20

  const run = await world.deploy()
  expect(run.stdout).not.toContain('::error::')
  expect(run.exitCode).toBe(0)
  expect(run.outputs.status).toBe('success')
  expect(run.stdout).toContain('answered 429 rate_limit')
  expect(run.stdout).toContain('answered 503 service_unavailable')
  expect(run.stdout).toContain('-----> Build succeeded!')
  expect(await (await fetch(new URL('health', world.emulator.app(APP).webUrl))).text()).toBe('ok')
  // Exactly one build was made: retries never duplicated the deploy.
  expect(world.emulator.app(APP).builds).toHaveLength(1)
})

test('SIGTERM during the build cancels the Heroku build and ends the step quickly with status cancelled', async () => {
  world.emulator.faults.buildDelayMs = 30_000
  try {
    const running = world.start()
    await running.waitForOutput('::group::Build output')
    const sentAt = Date.now()
    running.child.kill('SIGTERM')
    const run = await running.done
    expect(Date.now() - sentAt).toBeLessThan(10_000)
    expect(run.exitCode).toBe(1)
    expect(run.outputs.status).toBe('cancelled')
    expect(run.summary).toContain('cancelled')
    // The build still pending on Heroku was cancelled, with the cancel-build Accept variant.
    const build = world.emulator.app(APP).builds.at(-1)
    expect(build?.status).toBe('failed')
    expect(world.emulator.app(APP).buildLog(build?.id ?? '')).toContain('Build cancelled')
    const cancel = world.emulator.requests.find((r) => r.method === 'DELETE' && r.path === `/apps/${APP}/builds/${build?.id}`)
    expect(cancel?.headers.accept).toBe('application/vnd.heroku+json; version=3.cancel-build')
    expect(run.stdout).toContain(`Cancelled build ${build?.id} on ${APP}: it will not release.`)
  } finally {
    world.emulator.faults.buildDelayMs = 0
  }
})
