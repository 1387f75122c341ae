/**
 * Several apps in one step, end to end over dist/index.js: builds in parallel, one failing app that
 * does not stop the other, build-once, config vars, buildpacks and a dry run.
 */
import { execFileSync } from 'node:child_process'
import * as fs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import type { RecordedRequest } from '../../emulator/index.js'
import { cancelRun } from './cancel-checks.js'
import { startWorld, type World, writtenBytes } from './world.js'

const EU = 'shop-eu'
const US = 'shop-us'
const BOTH = `${EU}, ${US}`
const MUTATING = new Set(['POST', 'PUT', 'PATCH', 'DELETE'])

let world: World

beforeAll(async () => {
  world = await startWorld([EU, US])
})
afterAll(() => world.close())
afterEach(() => {
  world.emulator.faults.buildDelayMs = 0
})

/** Heroku API calls (not blob or stream URLs) the emulator received since `from`. */
function apiCalls(from: number): RecordedRequest[] {
  return world.emulator.requests.slice(from).filter((r) => !r.path.startsWith('/blobs/') && !r.path.startsWith('/streams/'))
}

test('two apps build side by side from one upload; every live line names its app', async () => {
  world.emulator.faults.buildDelayMs = 2500
  const from = world.emulator.requests.length
  const run = await world.deploy({ app: BOTH, 'smoke-checks': '/health 200 ok' })

  expect(run.exitCode).toBe(0)
  expect(run.outputs.status).toBe('success')
  const results = JSON.parse(run.outputs.results) as { app: string; status: string }[]
  expect(results.map((r) => [r.app, r.status])).toEqual([
    [EU, 'success'],
    [US, 'success']
  ])
  // One upload served both builds.
  expect(world.emulator.requests.slice(from).filter((r) => r.method === 'PUT' && r.path.startsWith('/blobs/'))).toHaveLength(1)
  // The builds overlapped: each started before the other ended.
  const [eu, us] = [EU, US].map((app) => world.emulator.app(app).buildWindows().at(-1))
  expect(eu?.ended).toBeDefined()
  expect(us?.ended).toBeDefined()
  expect(Math.max(eu!.started, us!.started)).toBeLessThan(Math.min(eu!.ended!, us!.ended!))
  expect(run.stdout).toMatch(new RegExp(`^\\[${EU}\\] -----> Building on the Heroku-24 stack`, 'm'))
  expect(run.stdout).toMatch(new RegExp(`^\\[${US}\\] ✓ /health`, 'm'))
  expect(run.summary).toContain(`### ${EU}`)
  expect(run.summary).toContain(`### ${US}`)
})

test('one app failing never stops the other: it finishes, reports success, and the run is a failure', async () => {
  // A build script that fails where the app says so: the same source, one broken app.
  const pkgFile = path.join(world.repo.dir, 'package.json')
  const pkg = JSON.parse(fs.readFileSync(pkgFile, 'utf8'))
  pkg.scripts.build = `node build.js && if [ "$BREAK_BUILD" = "1" ]; then echo "Error: this app's build is broken" >&2; exit 4; fi`
  fs.writeFileSync(pkgFile, JSON.stringify(pkg, null, 2))
  world.sha = world.repo.commit('A build that one app breaks')
  await world.setConfig(US, { BREAK_BUILD: '1' })
  try {
    const run = await world.deploy({ app: BOTH })
    expect(run.exitCode).toBe(1)
    expect(run.outputs.status).toBe('failure')
    const results = JSON.parse(run.outputs.results) as { app: string; status: string; reason?: string; release_version: number | null }[]
    expect(results[0]).toMatchObject({ app: EU, status: 'success' })
    expect(results[0].release_version).toBe(world.emulator.app(EU).currentRelease()?.version)
    expect(results[1]).toMatchObject({ app: US, status: 'failure', release_version: null })
    expect(results[1].reason).toContain(`failed on ${US}: Build failed: npm run build exited with code 4`)
    expect(run.stdout).toMatch(new RegExp(`^\\[${US}\\] +Error: this app's build is broken`, 'm'))
  } finally {
    await world.setConfig(US, { BREAK_BUILD: null })
  }
})

test('build-once: one build; the other app releases that slug and passes its own smoke checks', async () => {
  const from = world.emulator.requests.length
  const buildsBefore = world.emulator.app(US).builds.length
  const run = await world.deploy({ app: BOTH, 'build-once': 'true', 'smoke-checks': '/health 200 ok' })

  expect(run.exitCode).toBe(0)
  expect(run.outputs.status).toBe('success')
  const builds = apiCalls(from).filter((r) => r.method === 'POST' && r.path.endsWith('/builds'))
  expect(builds.map((r) => r.path)).toEqual([`/apps/${EU}/builds`])
  expect(world.emulator.app(US).builds).toHaveLength(buildsBefore)
  const euSlug = world.emulator.app(EU).currentRelease()?.slug?.id
  expect(euSlug).toBeDefined()
  expect(world.emulator.app(US).currentRelease()?.slug?.id).toBe(euSlug)
  const results = JSON.parse(run.outputs.results) as { app: string; built_on?: string; smoke: { passed: boolean }[] }[]
  expect(results[1]).toMatchObject({ app: US, built_on: EU })
  expect(results.every((r) => r.smoke.length === 1 && r.smoke[0].passed)).toBe(true)
  expect(run.stdout).toContain(`build-once: building on ${EU} only; ${US} release that build's slug. Build-time config (config vars the build reads) is ${EU}'s for every app.`)
  expect(await (await fetch(new URL('version', world.emulator.app(US).webUrl))).json()).toMatchObject({ commit: world.sha })
})

test('build-once across two stacks fails before anything is uploaded, naming each app and its stack', async () => {
  const old = 'shop-old'
  await world.emulator.createApp(old, { stack: 'heroku-22' })
  const from = world.emulator.requests.length
  const run = await world.deploy({ app: `${EU}, ${old}`, 'build-once': 'true', 'github-deployment': 'false' })

  expect(run.exitCode).toBe(1)
  expect(run.outputs.status).toBe('failure')
  expect(run.stdout).toContain(
    `::error::Input 'build-once' releases one build on every app, so every app must be on the same stack: ${EU} is on heroku-24 (cedar), ${old} is on heroku-22 (cedar).`
  )
  expect(
    apiCalls(from)
      .map((r) => `${r.method} ${r.path}`)
      .sort()
  ).toEqual([`GET /apps/${EU}`, `GET /apps/${old}`].sort())
  expect(world.emulator.requests.slice(from).some((r) => r.method === 'PUT' || r.path === '/sources')).toBe(false)
})

test('config-vars: one PATCH per app before its build, exact values, and the values in no byte the action wrote or passed to a child', async () => {
  const canary = `canary-${Math.random().toString(36).slice(2)}=with spaces`
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'heroku-cd-children-'))
  // Every git child writes down its arguments and its whole environment.
  const log = path.join(tmp, 'children.log')
  const realGit = execFileSync('sh', ['-c', 'command -v git'], { encoding: 'utf8' }).trim()
  fs.writeFileSync(path.join(tmp, 'git'), `#!/bin/sh\n{ printf 'argv: %s\\n' "$*"; env; } >> '${log}'\nexec '${realGit}' "$@"\n`, { mode: 0o755 })
  const from = world.emulator.requests.length
  try {
    const run = await world.deploy(
      { app: BOTH, 'config-vars': `DATABASE_URL=postgres://u:${canary}@db/x\nFEATURE_FLAGS=a=1,b=2`, strategy: 'git' },
      { HEROKU_GIT_URL: world.emulator.gitUrl, PATH: `${tmp}:${process.env.PATH}` }
    )
    expect(run.exitCode).toBe(0)
    for (const app of [EU, US]) {
      expect(world.emulator.app(app).configVars).toMatchObject({ DATABASE_URL: `postgres://u:${canary}@db/x`, FEATURE_FLAGS: 'a=1,b=2' })
      const requests = world.emulator.requests.slice(from)
      const patches = requests.filter((r) => r.method === 'PATCH' && r.path === `/apps/${app}/config-vars`)
      expect(patches).toHaveLength(1)
      // Before the push that builds on that app.
      const push = requests.findIndex((r) => r.method === 'POST' && r.path === `/${app}.git/git-receive-pack`)
      expect(push).toBeGreaterThan(requests.indexOf(patches[0]))
    }
    expect(writtenBytes(run)).not.toContain(canary)
    expect(fs.readFileSync(log, 'utf8')).toContain('argv: push --porcelain --force')
    expect(fs.readFileSync(log, 'utf8')).not.toContain(canary)
    expect(fs.readFileSync(log, 'utf8')).not.toMatch(/^INPUT_/m)
    expect(run.summary).toContain('`DATABASE_URL`, `FEATURE_FLAGS`')
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true })
  }
})

test('buildpacks: the build request carries them, in order', async () => {
  const from = world.emulator.requests.length
  const run = await world.deploy({ app: EU, buildpacks: 'heroku/nodejs\nhttps://github.com/heroku/heroku-buildpack-static' })
  expect(run.exitCode).toBe(0)
  const build = apiCalls(from).find((r) => r.method === 'POST' && r.path === `/apps/${EU}/builds`)
  expect(JSON.parse(build?.body ?? '{}').buildpacks).toEqual([{ url: 'heroku/nodejs' }, { url: 'https://github.com/heroku/heroku-buildpack-static' }])
  expect(
    world.emulator
      .app(EU)
      .builds.at(-1)
      ?.buildpacks?.map((b) => b.url)
  ).toEqual(['heroku/nodejs', 'https://github.com/heroku/heroku-buildpack-static'])
})

test('dry-run: every check, the plan, and not one write to Heroku or GitHub', async () => {
  const from = { heroku: world.emulator.requests.length, github: world.github.requests.length }
  const releases = world.emulator.app(EU).releases.length
  const run = await world.deploy({ app: BOTH, 'dry-run': 'true', 'config-vars': 'SECRET_TOKEN=dry-run-canary', 'smoke-checks': '/health 200', 'build-once': 'true' })

  expect(run.exitCode).toBe(0)
  expect(run.outputs.status).toBe('dry-run')
  const heroku = world.emulator.requests.slice(from.heroku)
  expect(heroku.filter((r) => MUTATING.has(r.method))).toEqual([])
  expect(heroku.map((r) => `${r.method} ${r.path}`).sort()).toEqual([`GET /apps/${EU}`, `GET /apps/${US}`])
  expect(world.github.requests.slice(from.github)).toEqual([])
  expect(world.emulator.app(EU).releases).toHaveLength(releases)
  expect(run.stdout).toMatch(/Would upload [\d.]+ (B|KiB|MiB) \(the tarball of [0-9a-f]{7}\) once, then build it on the first app and release its slug on the others\./)
  expect(run.stdout).toContain('Config vars set on each app before its build: SECRET_TOKEN (values masked)')
  expect(writtenBytes(run)).not.toContain('dry-run-canary')
  expect(run.summary).toContain('**Plan**')
})

test('a cancel stops every app at once: both builds cancelled on Heroku, both deployments closed as error', async () => {
  world.emulator.faults.buildDelayMs = 30_000
  const from = world.emulator.requests.length
  const deploymentsBefore = world.github.deployments.length
  const run = await cancelRun(world, {
    inputs: { app: BOTH },
    apps: [EU, US],
    when: async (running) => {
      await running.waitForOutput(`[${EU}] Build `)
      await running.waitForOutput(`[${US}] Build `)
    }
  })
  const results = JSON.parse(run.outputs.results) as { app: string; status: string }[]
  expect(results.map((r) => r.status)).toEqual(['cancelled', 'cancelled'])
  for (const app of [EU, US]) {
    const build = world.emulator.app(app).builds.at(-1)
    expect(build?.status).toBe('failed')
    expect(world.emulator.requests.slice(from).some((r) => r.method === 'DELETE' && r.path === `/apps/${app}/builds/${build?.id}`)).toBe(true)
  }
  const deployments = world.github.deployments.slice(deploymentsBefore)
  expect(deployments.map((d) => d.statuses.map((s) => s.state))).toEqual([
    ['in_progress', 'error'],
    ['in_progress', 'error']
  ])
})

test('max-parallel 1: one app after the other; a cancel leaves no app unreported and no deployment in progress', async () => {
  world.emulator.faults.buildDelayMs = 30_000
  const deploymentsBefore = world.github.deployments.length
  const run = await cancelRun(world, { inputs: { app: BOTH, 'max-parallel': '1' }, apps: [EU, US], when: (running) => running.waitForOutput(`[${EU}] Build `) })
  // The second app never started: no build was asked of it.
  expect(run.stdout).not.toContain(`[${US}] Build `)
  const results = JSON.parse(run.outputs.results) as { app: string; status: string; reason: string }[]
  expect(results[1]).toMatchObject({ app: US, status: 'cancelled', reason: 'The job was cancelled before the deploy finished.' })
  expect(world.github.deployments.slice(deploymentsBefore).map((d) => d.statuses.at(-1)?.state)).toEqual(['error', 'error'])
})
