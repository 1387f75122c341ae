import * as fs from 'node:fs'
import { APP, startWorld, type World } from './world.js'

let world: World
const server = () => `${world.repo.dir}/server.js`
const procfile = () => `${world.repo.dir}/Procfile`
let goodServer: string
let goodProcfile: string

beforeAll(async () => {
  world = await startWorld()
  goodServer = fs.readFileSync(server(), 'utf8')
  goodProcfile = fs.readFileSync(procfile(), 'utf8')
})
afterAll(() => world.close())

/** Commits the sample app with /health answering 500: a release that builds and starts, but does not work. */
function commitBrokenHealth(): void {
  fs.writeFileSync(server(), goodServer.replace("send(res, 200, 'text/plain', 'ok')", "send(res, 500, 'text/plain', 'database unreachable')"))
  world.sha = world.repo.commit('Break /health')
}

function commitGood(message: string): void {
  fs.writeFileSync(server(), goodServer.replace('Hello from', `Hello (${message}) from`))
  fs.writeFileSync(procfile(), goodProcfile)
  world.sha = world.repo.commit(message)
}

const health = async () => {
  const response = await fetch(new URL('health', world.emulator.app(APP).webUrl))
  return `${response.status} ${await response.text()}`
}

test('a good deploy passes its smoke checks against the live dyno', async () => {
  commitGood('first good')
  const run = await world.deploy({ 'smoke-checks': '/health 200 ok\n/ Hello', 'smoke-timeout': '30' })
  expect(run.stdout).not.toContain('::error::')
  expect(run.exitCode).toBe(0)
  expect(run.outputs.status).toBe('success')
  const [result] = JSON.parse(run.outputs.results)
  const base = world.emulator.app(APP).webUrl
  expect(result.smoke).toEqual([
    { check: '/health 200 ok', url: `${base}health`, status: 200, passed: true, latency_ms: expect.any(Number) },
    { check: '/ Hello', url: base, status: 200, passed: true, latency_ms: expect.any(Number) }
  ])
  expect(run.stdout).toContain('::group::Smoke checks of v')
  expect(run.stdout).toMatch(/✓ \/health 200 ok → 200 in \d+ ms/)
  expect(run.summary).toContain(`| \`/health 200 ok\` | [${base}health](${base}health) | 200 |`)
  expect(run.summary).toMatch(/\| `\/health 200 ok` \| \S+ \| 200 \| \d+ ms \| ✅ \|/)
})

test('a broken commit is rolled back and the earlier version answers again', async () => {
  const good = world.emulator.app(APP).currentRelease()
  commitBrokenHealth()
  const run = await world.deploy({ 'smoke-checks': '/health 200 ok', 'smoke-timeout': '4' })
  const releases = world.emulator.app(APP).releases
  const broken = releases.at(-2)
  const rollback = releases.at(-1)
  expect(run.exitCode).toBe(1)
  expect(run.outputs.status).toBe('rolled-back')
  expect(rollback?.description).toBe(`Rollback to v${good?.version}`)
  expect(world.emulator.app(APP).currentRelease()?.id).toBe(rollback?.id)
  // The earlier code answers again, over real HTTP.
  expect(await health()).toBe('200 ok')
  expect(run.stdout).toMatch(
    new RegExp(
      `::error::Smoke checks failed on ${APP} v${broken?.version}: /health 200 ok → 500 in \\d+ ms \\(.*\\): expected 200; rolled back to v${good?.version} \\(now v${rollback?.version}\\), which passes its smoke checks`
    )
  )
  const [result] = JSON.parse(run.outputs.results)
  expect(result).toMatchObject({
    status: 'rolled-back',
    release_version: broken?.version,
    rolled_back_to: good?.version,
    rollback_release_version: rollback?.version,
    healthy_after_rollback: true
  })
  expect(result.smoke[0]).toMatchObject({ status: 500, passed: false })
  expect(run.summary).toContain(`## ↩️ Heroku: ${APP} rolled back`)
  expect(run.summary).toContain(`**Rolled back** to v${good?.version} (now v${rollback?.version}): ✅ healthy.`)
  // The timeline: the first verify failed, the rollback and the re-check passed.
  expect(run.summary).toMatch(/\| verify \| [\d.]+ s \| ❌ \|\n\| rollback \| [\d.]+ s \| ✅ \|\n\| verify \| [\d.]+ s \| ✅ \|/)
})

test('with rollback-on-failure: false no rollback request is made and the step fails', async () => {
  const before = world.emulator.requests.length
  const run = await world.deploy({ 'smoke-checks': '/health 200', 'smoke-timeout': '3', 'rollback-on-failure': 'false' })
  expect(run.exitCode).toBe(1)
  expect(run.outputs.status).toBe('failure')
  expect(run.stdout).toContain('(rollback-on-failure is off: v')
  const made = world.emulator.requests.slice(before)
  expect(made.filter((r) => r.method === 'POST' && /\/releases$/.test(r.path))).toEqual([])
  expect(await health()).toBe('500 database unreachable')
})

test('SIGTERM during the smoke checks reports cancelled, not success', async () => {
  commitBrokenHealth()
  const running = world.start({ 'smoke-checks': '/health 200', 'smoke-timeout': '60', 'rollback-on-failure': 'false' })
  await running.waitForOutput('::group::Smoke checks of v')
  await running.waitForOutput('smoke checks failing; trying again')
  running.child.kill('SIGTERM')
  const run = await running.done
  expect(run.exitCode).toBe(1)
  expect(run.outputs.status).toBe('cancelled')
  expect(JSON.parse(run.outputs.results)[0]).toMatchObject({ status: 'cancelled' })
})

test('maintenance is on during the release and off after it, also when the release fails', async () => {
  commitGood('with maintenance')
  const app = world.emulator.app(APP)
  const history = app.maintenanceHistory.length
  const before = world.emulator.requests.length
  const run = await world.deploy({ maintenance: 'true' })
  expect(run.exitCode).toBe(0)
  expect(app.maintenanceHistory.slice(history)).toEqual([true, false])
  expect(app.maintenance).toBe(false)
  const made = world.emulator.requests.slice(before).map((r) => `${r.method} ${r.path}${r.method === 'PATCH' ? ` ${r.body}` : ''}`)
  const on = made.indexOf(`PATCH /apps/${APP} {"maintenance":true}`)
  const off = made.indexOf(`PATCH /apps/${APP} {"maintenance":false}`)
  const build = made.findIndex((line) => line.startsWith(`POST /apps/${APP}/builds`))
  const lastReleaseRead = made.findLastIndex((line) => line.startsWith(`GET /apps/${APP}/releases/`))
  expect(on).toBeGreaterThanOrEqual(0)
  expect(on).toBeLessThan(build)
  expect(off).toBeGreaterThan(lastReleaseRead)

  fs.writeFileSync(procfile(), "web: node server.js\nrelease: sh -c 'echo migrating; exit 1'\n")
  world.sha = world.repo.commit('Failing migration')
  const failed = await world.deploy({ maintenance: 'true' })
  expect(failed.exitCode).toBe(1)
  expect(failed.outputs.status).toBe('failure')
  expect(app.maintenanceHistory.slice(history)).toEqual([true, false, true, false])
  expect(app.maintenance).toBe(false)
  expect(await health()).toBe('200 ok')
})

/** Each request the emulator received since `before`, as `METHOD path` (with the body of a PATCH). */
const requestsSince = (before: number) => world.emulator.requests.slice(before).map((r) => `${r.method} ${r.path}${r.method === 'PATCH' ? ` ${r.body}` : ''}`)

test('with maintenance, the rollback release is in maintenance mode too, and the app ends out of it', async () => {
  commitGood('good before a broken one')
  expect((await world.deploy()).exitCode).toBe(0)
  const app = world.emulator.app(APP)
  const history = app.maintenanceHistory.length
  const before = world.emulator.requests.length
  commitBrokenHealth()
  const run = await world.deploy({ 'smoke-checks': '/health 200 ok', 'smoke-timeout': '3', maintenance: 'true' })
  expect(run.exitCode).toBe(1)
  expect(run.outputs.status).toBe('rolled-back')
  expect(app.maintenanceHistory.slice(history)).toEqual([true, false, true, false])
  expect(app.maintenance).toBe(false)
  expect(await health()).toBe('200 ok')
  // The second on/off pair surrounds the rollback request, and the checks ran with maintenance off.
  const made = requestsSince(before)
  const rollback = made.indexOf(`POST /apps/${APP}/releases`)
  const ons = made.flatMap((line, i) => (line === `PATCH /apps/${APP} {"maintenance":true}` ? [i] : []))
  const offs = made.flatMap((line, i) => (line === `PATCH /apps/${APP} {"maintenance":false}` ? [i] : []))
  expect(ons[1]).toBeLessThan(rollback)
  expect(offs[1]).toBeGreaterThan(rollback)
  expect(run.stdout).toContain(`Maintenance mode is on for ${APP} during the rollback.`)
  expect(JSON.parse(run.outputs.results)[0]).toMatchObject({ healthy_after_rollback: true })
})

test('SIGTERM during the build turns maintenance off again', async () => {
  commitGood('cancelled in maintenance')
  const app = world.emulator.app(APP)
  const history = app.maintenanceHistory.length
  world.emulator.faults.buildDelayMs = 30_000
  try {
    const running = world.start({ maintenance: 'true' })
    await running.waitForOutput('::group::Build output')
    running.child.kill('SIGTERM')
    const run = await running.done
    expect(run.exitCode).toBe(1)
    expect(run.outputs.status).toBe('cancelled')
    expect(app.maintenanceHistory.slice(history)).toEqual([true, false])
    expect(app.maintenance).toBe(false)
  } finally {
    world.emulator.faults.buildDelayMs = 0
  }
})

test('a failure to turn maintenance off fails the step loudly, in the log and the summary', async () => {
  commitGood('maintenance stuck on')
  const app = world.emulator.app(APP)
  world.emulator.faults.buildDelayMs = 1500
  try {
    const running = world.start({ maintenance: 'true' })
    await running.waitForOutput(`Maintenance mode is on for ${APP}`)
    // The next PATCH, the one that turns maintenance off, is refused.
    world.emulator.faults.failNext(1, 403, { method: 'PATCH', path: new RegExp(`^/apps/${APP}$`) })
    const run = await running.done
    expect(run.exitCode).toBe(1)
    expect(run.outputs.status).toBe('failure')
    expect(app.maintenance).toBe(true)
    expect(run.stdout).toMatch(
      new RegExp(`::error::Maintenance mode could not be turned off on ${APP}, which still shows the maintenance page: Heroku API PATCH /apps/${APP} answered 403`)
    )
    expect(run.summary).toContain('> [!CAUTION]')
    expect(run.summary).toMatch(/> Maintenance mode could not be turned off on hello-app.*Turn it off by hand\./)
  } finally {
    world.emulator.faults.buildDelayMs = 0
    await fetch(`${world.emulator.apiUrl}/apps/${APP}`, {
      method: 'PATCH',
      headers: { Accept: 'application/vnd.heroku+json; version=3', Authorization: `Bearer ${world.apiKey}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ maintenance: false })
    })
  }
  expect(app.maintenance).toBe(false)
})
