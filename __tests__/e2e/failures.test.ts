import * as fs from 'node:fs'
import { APP, startWorld, type World } from './world.js'

let world: World

beforeAll(async () => {
  world = await startWorld()
  const first = await world.deploy()
  expect(first.exitCode).toBe(0)
})
afterAll(() => world.close())

function editPackage(edit: (pkg: { scripts: Record<string, string> }) => void): void {
  const file = `${world.repo.dir}/package.json`
  const pkg = JSON.parse(fs.readFileSync(file, 'utf8'))
  edit(pkg)
  fs.writeFileSync(file, JSON.stringify(pkg, null, 2))
}

test("a failing build fails the step with Heroku's reason and the last build lines", async () => {
  editPackage((pkg) => (pkg.scripts.build = 'echo "compiling assets"; echo "Error: cannot find module left-pad" >&2; exit 3'))
  world.sha = world.repo.commit('Break the build')
  const before = world.emulator.app(APP).currentRelease()

  const run = await world.deploy()
  const build = world.emulator.app(APP).builds.at(-1)
  expect(run.exitCode).toBe(1)
  expect(run.outputs.status).toBe('failure')
  expect(run.outputs['build-id']).toBe(build?.id)
  expect(run.outputs['release-version']).toBe('')
  expect(run.stdout).toContain(`::error::Build ${build?.id} failed on ${APP}: Build failed: npm run build exited with code 3`)
  expect(run.stdout).toContain(`Last lines of the build output of ${APP}:`)
  expect(run.stdout).toContain('Error: cannot find module left-pad')
  expect(run.summary).toContain(`## ❌ Heroku: ${APP} deploy failed`)
  expect(run.summary).toContain('Error: cannot find module left-pad')
  expect(world.emulator.app(APP).currentRelease()?.id).toBe(before?.id)
})

test('a failing release phase fails the step and the old release keeps serving', async () => {
  editPackage((pkg) => (pkg.scripts.build = 'node build.js'))
  fs.writeFileSync(`${world.repo.dir}/Procfile`, "web: node server.js\nrelease: sh -c 'echo Running migrations...; echo ERROR: relation users already exists; exit 1'\n")
  world.sha = world.repo.commit('Break the migration')
  const before = world.emulator.app(APP).currentRelease()

  const run = await world.deploy()
  const failed = world.emulator.app(APP).releases.at(-1)
  expect(run.exitCode).toBe(1)
  expect(run.outputs.status).toBe('failure')
  expect(failed?.status).toBe('failed')
  expect(run.stdout).toContain(`::error::Release v${failed?.version} failed on ${APP}: the release command failed (ERROR: relation users already exists)`)
  expect(run.summary).toMatch(/<details><summary>Last \d+ lines of the release output<\/summary>/)
  expect(world.emulator.app(APP).currentRelease()?.id).toBe(before?.id)
  expect(await (await fetch(new URL('health', world.emulator.app(APP).webUrl))).text()).toBe('ok')
})

test('an expired release (Heroku expires one that stays pending) fails the step truthfully; the old release keeps serving', async () => {
  fs.writeFileSync(`${world.repo.dir}/Procfile`, "web: node server.js\nrelease: sh -c 'echo Running migrations...; sleep 30'\n")
  world.sha = world.repo.commit('A migration that never ends')
  const before = world.emulator.app(APP).currentRelease()
  world.emulator.faults.releaseExpiresAfterMs = 1500
  try {
    const run = await world.deploy({ timeout: '60' })
    const expired = world.emulator.app(APP).releases.at(-1)
    expect(expired?.status).toBe('expired')
    expect(run.exitCode).toBe(1)
    expect(run.outputs.status).toBe('failure')
    expect(run.outputs['release-version']).toBe('')
    expect(run.stdout).toContain(
      `::error::Release v${expired?.version} failed on ${APP}: the release expired before it finished (Release expired: the release phase was still running after 1500 ms.)`
    )
    expect(run.summary).toContain('Nothing new is live from this run')
    expect(world.emulator.app(APP).currentRelease()?.id).toBe(before?.id)
    expect(await (await fetch(new URL('health', world.emulator.app(APP).webUrl))).text()).toBe('ok')
  } finally {
    world.emulator.faults.releaseExpiresAfterMs = 0
    fs.writeFileSync(`${world.repo.dir}/Procfile`, 'web: node server.js\n')
    world.sha = world.repo.commit('Migrations that end')
  }
})

test("an app the key cannot see fails with Heroku's message before anything is uploaded", async () => {
  const requestsBefore = world.emulator.requests.length
  const run = await world.deploy({ app: 'no-such-app' })
  expect(run.exitCode).toBe(1)
  expect(run.outputs.status).toBe('failure')
  expect(run.stdout).toContain(
    "::error::Heroku API GET /apps/no-such-app answered 404 not_found: Couldn't find that app. (check the 'app' input and that the 'api-key' account can see the app)"
  )
  const made = world.emulator.requests.slice(requestsBefore).map((r) => `${r.method} ${r.path}`)
  expect(made).toEqual(['GET /apps/no-such-app'])
})

test('a build slower than the timeout fails the step with a timeout', async () => {
  world.emulator.faults.buildDelayMs = 5000
  try {
    const run = await world.deploy({ timeout: '2' })
    expect(run.exitCode).toBe(1)
    expect(run.outputs.status).toBe('failure')
    expect(run.stdout).toContain(`::error::The build and release of ${APP} did not finish within 2 s`)
  } finally {
    world.emulator.faults.buildDelayMs = 0
  }
})

test('a wrong key fails at the first call with a message that says which input to fix, and is not printed', async () => {
  const wrongKey = 'HRKU-00000000-wrong-key'
  const requestsBefore = world.emulator.requests.length
  const run = await world.deploy({ 'api-key': wrongKey })
  expect(run.exitCode).toBe(1)
  expect(run.outputs.status).toBe('failure')
  expect(run.stdout).toContain(
    "::error::Heroku API GET /apps/hello-app answered 401 unauthorized: Invalid credentials provided. (check that the 'api-key' input holds a valid Heroku API key)"
  )
  expect(world.emulator.requests.length - requestsBefore).toBe(1)
  expect(
    run.everything
      .split('\n')
      .filter((line) => line !== `::add-mask::${wrongKey}`)
      .join('\n')
  ).not.toContain(wrongKey)
})
