/**
 * Issue 12's six defects, each end to end over dist/index.js: every test here failed on the action
 * as it was before the fix and passes now. Each was run alone against that action's dist/ (with these
 * tests and today's emulator): at 8430b43 for defects 1, 2, 5 and 6, at d80a480 for 3, 4 and the
 * rollback target read before the checks wait (fixed by the restructure after it). The README's
 * Reliability section says how to see them fail.
 */
import { execFileSync } from 'node:child_process'
import * as fs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import { scriptedServer } from '../fakes/http.js'
import { cancelMarks, expectCleanCancel } from './cancel-checks.js'
import { APP, startWorld, type World } from './world.js'

let world: World
let tmp: string
const server = () => `${world.repo.dir}/server.js`
const procfile = () => `${world.repo.dir}/Procfile`
let goodServer: string
let goodProcfile: string

beforeAll(async () => {
  world = await startWorld()
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'heroku-cd-defects-'))
  goodServer = fs.readFileSync(server(), 'utf8')
  goodProcfile = fs.readFileSync(procfile(), 'utf8')
  expect((await world.deploy()).exitCode).toBe(0)
})
afterAll(async () => {
  await world.close()
  fs.rmSync(tmp, { recursive: true, force: true })
})

function commit(message: string, edit: { server?: string; procfile?: string } = {}): void {
  fs.writeFileSync(server(), edit.server ?? goodServer.replace('Hello from', `Hello (${message}) from`))
  fs.writeFileSync(procfile(), edit.procfile ?? goodProcfile)
  world.sha = world.repo.commit(message)
}

const brokenHealth = () => goodServer.replace("send(res, 200, 'text/plain', 'ok')", "send(res, 500, 'text/plain', 'down')")
const posts = (before: number, pattern: RegExp) => world.emulator.requests.slice(before).filter((r) => r.method === 'POST' && pattern.test(r.path))

describe('1. a lost answer never duplicates a write', () => {
  test('POST /builds carried out, answer lost: the build is found, not made twice', async () => {
    commit('lost build answer')
    const before = world.emulator.requests.length
    const builds = world.emulator.app(APP).builds.length
    world.emulator.faults.loseAnswerNext(1, { method: 'POST', path: /\/builds$/ })
    const run = await world.deploy()
    expect(run.outputs.status).toBe('success')
    expect(world.emulator.app(APP).builds.length - builds).toBe(1)
    expect(posts(before, /\/builds$/)).toHaveLength(1)
    expect(run.outputs['build-id']).toBe(world.emulator.app(APP).builds.at(-1)?.id)
    expect(run.stdout).toMatch(/POST \/apps\/hello-app\/builds got no clear answer, but Heroku had carried it out: found a build of [0-9a-f]{40} on hello-app; not sent again\./)
  })

  test('the rollback (POST /releases) carried out, answer lost: one rollback release, not two', async () => {
    const good = world.emulator.app(APP).currentRelease()
    commit('broken, rolled back once', { server: brokenHealth() })
    const before = world.emulator.requests.length
    world.emulator.faults.loseAnswerNext(1, { method: 'POST', path: /\/releases$/ })
    const run = await world.deploy({ 'smoke-checks': '/health 200', 'smoke-timeout': '3' })
    expect(run.outputs.status).toBe('rolled-back')
    expect(posts(before, /\/releases$/)).toHaveLength(1)
    const rollbacks = world.emulator
      .app(APP)
      .releases.slice(-3)
      .filter((r) => r.description === `Rollback to v${good?.version}`)
    expect(rollbacks).toHaveLength(1)
    expect(world.emulator.app(APP).currentRelease()?.id).toBe(rollbacks[0].id)
  })

  test('the GitHub deployment carried out, answer lost: one deployment, found by its mark', async () => {
    commit('lost deployment answer')
    const deployments = world.github.deployments.length
    world.github.faults.loseAnswerNext(1, { method: 'POST', path: /\/deployments$/ })
    const run = await world.deploy()
    expect(run.outputs.status).toBe('success')
    expect(world.github.deployments.length - deployments).toBe(1)
    expect(world.github.deployments.at(-1)?.statuses.map((s) => s.state)).toEqual(['in_progress', 'success'])
    expect(run.outputs['deployment-id']).toBe(String(world.github.deployments.at(-1)?.id))
  })
})

describe('2. a timeout stops what runs on Heroku, and the report says what may still go live', () => {
  test('a build slower than the timeout is cancelled before maintenance goes off; no release comes of it', async () => {
    commit('too slow to build')
    const app = world.emulator.app(APP)
    const releases = app.releases.length
    const before = world.emulator.requests.length
    world.emulator.faults.buildDelayMs = 4000
    try {
      const run = await world.deploy({ timeout: '2', maintenance: 'true' })
      expect(run.outputs.status).toBe('failure')
      expect(run.stdout).toContain(`::error::The build and release of ${APP} did not finish within 2 s`)
      const build = app.builds.at(-1)
      expect(build?.status).toBe('failed')
      expect(app.buildLog(build?.id ?? '')).toContain('Build cancelled')
      const made = world.emulator.requests.slice(before).map((r) => `${r.method} ${r.path}${r.method === 'PATCH' ? ` ${r.body}` : ''}`)
      expect(made.indexOf(`DELETE /apps/${APP}/builds/${build?.id}`)).toBeLessThan(made.indexOf(`PATCH /apps/${APP} {"maintenance":false}`))
      expect(app.maintenance).toBe(false)
      // Long after the build would have finished, nothing of it was released.
      await new Promise((resolve) => setTimeout(resolve, 3000))
      expect(app.releases.length).toBe(releases)
      expect(run.summary).toContain('Nothing new is live from this run')
    } finally {
      world.emulator.faults.buildDelayMs = 0
    }
  })

  test('a release phase that outlasts the timeout is stopped (its dyno): the release fails and never goes live', async () => {
    const before = world.emulator.app(APP).currentRelease()
    commit('slow migration, stopped', { procfile: "web: node server.js\nrelease: sh -c 'echo migrating; sleep 8; echo done'\n" })
    const run = await world.deploy({ timeout: '4' })
    expect(run.outputs.status).toBe('failure')
    const stopped = world.emulator.app(APP).releases.at(-1)
    expect(run.stdout).toContain(`Stopped the release phase of v${stopped?.version} on ${APP}: it will not go live.`)
    expect(stopped?.status).toBe('failed')
    expect(world.emulator.app(APP).currentRelease()?.id).toBe(before?.id)
    expect(run.summary).toContain('Nothing new is live from this run')
  })

  test('a release phase that cannot be stopped: the report says the release may still go live, never that nothing is', async () => {
    commit('slow migration, unstoppable', { procfile: "web: node server.js\nrelease: sh -c 'echo migrating; sleep 7; echo done'\n" })
    world.emulator.faults.failNext(1, 403, { method: 'POST', path: /\/actions\/stop$/ })
    const run = await world.deploy({ timeout: '4' })
    expect(run.outputs.status).toBe('failure')
    const pending = world.emulator.app(APP).releases.at(-1)
    expect(run.stdout).toMatch(
      new RegExp(
        `::error::The build and release of hello-app did not finish within 4 s; the release phase of v${pending?.version} on hello-app could not be stopped: v${pending?.version} may still go live`
      )
    )
    expect(run.summary).toContain(`A release of this run may still go live on ${APP}`)
    expect(run.summary).not.toContain('Nothing new is live')
    const [hook] = world.receiver.received.filter((r) => r.url.startsWith('/hooks/')).slice(-1)
    expect(JSON.parse(hook.body.toString()).apps[0].may_go_live).toContain(`v${pending?.version} may still go live`)
    // And it does go live: the report was right not to say otherwise.
    await until(() => world.emulator.app(APP).currentRelease()?.id === pending?.id, 15_000)
  })
})

describe('3. a cancel is a cancel wherever it lands', () => {
  test('during a smoke request: cancelled, the deployment ends in error', async () => {
    commit('cancelled mid smoke request')
    const hanging = await scriptedServer(() => undefined)
    try {
      const marks = cancelMarks(world)
      const running = world.start({ 'smoke-checks': `${hanging.url}/slow 200`, 'smoke-timeout': '60' })
      await running.waitForOutput('::group::Smoke checks of v')
      await until(() => hanging.received.length > 0)
      marks.sentAt = Date.now()
      running.child.kill('SIGINT')
      const run = await running.done
      expect(run.outputs.status).toBe('cancelled')
      expect(run.stdout).not.toContain('This operation was aborted')
      expect(world.github.deployments.at(-1)?.statuses.map((s) => s.state)).toEqual(['in_progress', 'error'])
      expectCleanCancel(world, run, marks)
    } finally {
      await hanging.close()
    }
  })

  test('during the upload: cancelled, not a failed upload', async () => {
    commit('cancelled mid upload')
    world.emulator.faults.delayAnswerNext(1, 30_000, { method: 'PUT', path: /^\/blobs\// })
    const marks = cancelMarks(world)
    const running = world.start()
    await until(() => world.emulator.requests.some((r) => r.method === 'PUT' && r.fault === 'delay' && r.status === 0))
    marks.sentAt = Date.now()
    running.child.kill('SIGINT')
    const run = await running.done
    expect(run.outputs.status).toBe('cancelled')
    expect(run.stdout).not.toMatch(/::error::.*upload/)
    expect(world.github.deployments.at(-1)?.statuses.map((s) => s.state)).toEqual(['in_progress', 'error'])
    expectCleanCancel(world, run, marks)
  })

  test('during git archive: cancelled, and the half-written tarball is removed', async () => {
    commit('cancelled mid archive')
    const bin = path.join(tmp, 'slow-archive')
    fs.mkdirSync(bin, { recursive: true })
    const realGit = execFileSync('sh', ['-c', 'command -v git'], { encoding: 'utf8' }).trim()
    fs.writeFileSync(path.join(bin, 'git'), `#!/bin/sh\nif [ "$1" = archive ]; then sleep 20; fi\nexec '${realGit}' "$@"\n`, { mode: 0o755 })
    const marks = cancelMarks(world)
    const running = world.start({}, { PATH: `${bin}:${process.env.PATH}` })
    await until(() => fs.readFileSync(world.gitLog, 'utf8').includes(`argv: archive --format=tar ${world.sha}`))
    marks.sentAt = Date.now()
    running.child.kill('SIGINT')
    const run = await running.done
    expect(run.outputs.status).toBe('cancelled')
    expect(fs.readdirSync(run.runnerTemp).filter((name) => name.startsWith('heroku-cd-source-'))).toEqual([])
    expectCleanCancel(world, run, marks)
  })

  test('with several apps one after the other, a cancel during the first one’s smoke request starts no other', async () => {
    await world.emulator.createApp('second-app')
    commit('cancelled before the second app')
    const hanging = await scriptedServer(() => undefined)
    try {
      const marks = cancelMarks(world, [APP, 'second-app'])
      const running = world.start({ app: `${APP}, second-app`, 'max-parallel': '1', 'smoke-checks': `${hanging.url}/slow 200`, 'smoke-timeout': '60' })
      await until(() => hanging.received.length > 0)
      const mark = world.emulator.requests.length
      marks.sentAt = Date.now()
      running.child.kill('SIGINT')
      const run = await running.done
      // Not a single request for the second app after the cancel (it was looked up before).
      const second = world.emulator.requests.slice(mark).filter((r) => r.path.startsWith('/apps/second-app'))
      expect(second.map((r) => `${r.method} ${r.path}`)).toEqual([])
      expect(run.outputs.status).toBe('cancelled')
      expect(JSON.parse(run.outputs.results).map((r: { status: string }) => r.status)).toEqual(['cancelled', 'cancelled'])
      expect(world.emulator.app('second-app').builds).toEqual([])
      expectCleanCancel(world, run, marks)
    } finally {
      await hanging.close()
    }
  })
})

test('4. no git child gets an INPUT_ variable or a secret (the key, config values) in its arguments or environment', async () => {
  commit('children scrubbed')
  const mark = fs.statSync(world.gitLog).size
  const canary = `canary-config-value-${Date.now()}`
  const run = await world.deploy({ strategy: 'git', 'config-vars': `CANARY=${canary}` }, { HEROKU_GIT_URL: world.emulator.gitUrl })
  expect(run.outputs.status).toBe('success')
  const children = fs.readFileSync(world.gitLog, 'utf8').slice(mark)
  expect(children).toContain('argv: push --porcelain --force')
  expect(children).toContain('argv: rev-parse --is-shallow-repository') // every git the action runs goes through the recorder
  expect(children).not.toMatch(/^INPUT_/m)
  expect(children).not.toContain(world.apiKey)
  expect(children).not.toContain(canary)
})

test('5. after SIGINT, every cleanup step shares one window: the step reports and exits before the runner’s SIGTERM at 7.5 s', async () => {
  commit('cleanup that hangs')
  const hanging = await scriptedServer(() => undefined) // the webhook receivers never answer
  const { faults } = world.emulator
  faults.buildDelayMs = 30_000
  try {
    const running = world.start({ maintenance: 'true', 'slack-webhook': `${hanging.url}/slack-hang`, 'webhook-url': `${hanging.url}/hook-hang` })
    await running.waitForOutput('::group::Build output')
    // From now on Heroku and GitHub hang on every cleanup call: cancel the build, maintenance off, close the deployment.
    faults.delayAnswerNext(5, 30_000, { method: 'DELETE' })
    faults.delayAnswerNext(5, 30_000, { method: 'PATCH', path: new RegExp(`^/apps/${APP}$`) })
    world.github.faults.delayAnswerNext(1, 30_000, { method: 'POST', path: /\/statuses$/ })
    const sentAt = Date.now()
    running.child.kill('SIGINT')
    const run = await running.done
    expect(Date.now() - sentAt).toBeLessThan(7500)
    expect(run.outputs.status).toBe('cancelled')
    expect(run.summary).toContain('deploy cancelled')
    expect(run.stdout).toMatch(/Maintenance mode could not be turned off on hello-app/)
    // The notifications were still sent (and timed out), side by side with closing the deployment.
    expect(hanging.received.map((r) => r.url).sort()).toEqual(['/hook-hang', '/slack-hang'])
  } finally {
    faults.buildDelayMs = 0
    faults.clear()
    world.github.faults.clear()
    await hanging.close()
    await new Promise((resolve) => setTimeout(resolve, 100))
    await fetch(`${world.emulator.apiUrl}/apps/${APP}`, {
      method: 'PATCH',
      headers: { Accept: 'application/vnd.heroku+json; version=3', Authorization: `Bearer ${world.apiKey}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ maintenance: false })
    })
    for (const build of world.emulator.app(APP).builds.filter((b) => b.status === 'pending')) {
      await fetch(`${world.emulator.apiUrl}/apps/${APP}/builds/${build.id}`, {
        method: 'DELETE',
        headers: { Accept: 'application/vnd.heroku+json; version=3', Authorization: `Bearer ${world.apiKey}` }
      })
    }
  }
})

describe('6. the smaller ones', () => {
  test('a release that is not eligible for rollback is not rolled back to', async () => {
    const fresh = await world.emulator.createApp('config-only-app')
    // Its only release is a config change: current, but it never ran code.
    await heroku('PATCH', '/apps/config-only-app/config-vars', { GREETING: 'hello there' })
    await until(() => fresh.currentRelease()?.status === 'succeeded')
    commit('broken on a config-only app', { server: brokenHealth() })
    const before = world.emulator.requests.length
    const run = await world.deploy({ app: 'config-only-app', 'smoke-checks': '/health 200', 'smoke-timeout': '3' })
    expect(run.outputs.status).toBe('failure')
    expect(run.stdout).toContain('not rolled back: the current release v1 is not eligible for rollback on Heroku')
    expect(posts(before, /\/releases$/)).toEqual([])
  })

  test("Slack and webhook payloads carry the build output's tail scrubbed of config values", async () => {
    const canary = `sk-live-${Date.now()}-canary`
    const pkgFile = `${world.repo.dir}/package.json`
    const original = fs.readFileSync(pkgFile, 'utf8')
    const pkg = JSON.parse(original)
    pkg.scripts.build = 'echo "connecting with $DB_PASSWORD"; exit 2'
    fs.writeFileSync(pkgFile, JSON.stringify(pkg))
    world.sha = world.repo.commit('A build that prints a secret')
    try {
      const received = world.receiver.received.length
      const run = await world.deploy({ 'config-vars': `DB_PASSWORD=${canary}` })
      expect(run.outputs.status).toBe('failure')
      const sent = world.receiver.received.slice(received)
      expect(sent).toHaveLength(2)
      const slack = sent.find((r) => r.url.startsWith('/services/'))
      expect(slack?.body.toString()).toContain('connecting with ***')
      for (const body of sent.map((r) => r.body.toString())) expect(body).not.toContain(canary)
      expect(run.summary).toContain('connecting with ***')
    } finally {
      fs.writeFileSync(pkgFile, original)
      world.sha = world.repo.commit('Fix the build')
    }
  })

  test("a required-checks glob crosses '/': *travis* matches continuous-integration/travis-ci/push", async () => {
    commit('checked by travis')
    world.github.setStatus(world.sha, { context: 'continuous-integration/travis-ci/push', state: 'success' })
    const run = await world.deploy({ 'required-checks': '*travis*', 'checks-timeout': '5' })
    expect(run.outputs.status).toBe('success')
    expect(run.stdout).toContain('All required checks passed')
  })

  test('the rollback target is the release current after the required-checks wait, not before it', async () => {
    commit('waits for its checks, then breaks')
    fs.writeFileSync(server(), brokenHealth())
    world.sha = world.repo.commit('broken after a wait')
    const check = world.github.addCheckRun(world.sha, { name: 'test', status: 'in_progress' })
    const running = world.start({ 'required-checks': 'test', 'checks-timeout': '60', 'smoke-checks': '/health 200', 'smoke-timeout': '3' })
    await running.waitForOutput('Required checks on')
    // Someone else releases while this run waits for its checks.
    await heroku('PATCH', `/apps/${APP}/config-vars`, { DURING_THE_WAIT: String(Date.now()) })
    const during = world.emulator.app(APP).releases.at(-1)
    await until(() => world.emulator.app(APP).currentRelease()?.id === during?.id)
    check.complete('success')
    const run = await running.done
    expect(run.outputs.status).toBe('rolled-back')
    expect(JSON.parse(run.outputs.results)[0].rolled_back_to).toBe(during?.version)
  })
})

async function heroku(method: string, pathname: string, body?: unknown): Promise<void> {
  const response = await fetch(`${world.emulator.apiUrl}${pathname}`, {
    method,
    headers: { Accept: 'application/vnd.heroku+json; version=3', Authorization: `Bearer ${world.apiKey}`, 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body)
  })
  if (!response.ok) throw new Error(`${method} ${pathname} answered ${response.status}: ${await response.text()}`)
}

async function until(check: () => boolean, timeoutMs = 20_000): Promise<void> {
  const end = Date.now() + timeoutMs
  while (!check()) {
    if (Date.now() > end) throw new Error('timed out waiting')
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}
