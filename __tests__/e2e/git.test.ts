/**
 * strategy: git, end to end: dist/index.js pushes to the emulator's git remote (git http-backend with
 * a pre-receive hook that builds), from shallow clones as actions/checkout leaves them.
 */
import { execFileSync } from 'node:child_process'
import * as fs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import { type Emulator, startEmulator } from '../../emulator/index.js'
import { git, makeRepo, type Repo } from '../../scripts/lib/git-repo.js'
import { projectRoot } from '../../scripts/lib/run-action.js'
import { cancelRun } from './cancel-checks.js'
import { APP, secretForms, startWorld, type World, writtenBytes } from './world.js'

let world: World
let tmp: string
let argvLog: string
let gitEnv: Record<string, string>

beforeAll(async () => {
  world = await startWorld()
  world.repo.write('CHANGELOG.md', '# 1.0.0\n')
  world.sha = world.repo.commit('Add a changelog') // two commits: a depth-1 clone of it is shallow
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'heroku-cd-git-e2e-'))
  // A `git` first on the action's PATH that appends its arguments (and nothing of its environment)
  // to a log, then runs the real git: every git the action starts goes through it.
  const bin = path.join(tmp, 'bin')
  fs.mkdirSync(bin)
  argvLog = path.join(tmp, 'git-argv.log')
  const realGit = execFileSync('sh', ['-c', 'command -v git'], { encoding: 'utf8' }).trim()
  fs.writeFileSync(path.join(bin, 'git'), `#!/bin/sh\nprintf '%s\\n' "$*" >> '${argvLog}'\nexec '${realGit}' "$@"\n`, { mode: 0o755 })
  gitEnv = { HEROKU_GIT_URL: world.emulator.gitUrl, PATH: `${bin}:${process.env.PATH}` }
})
afterAll(async () => {
  await world.close()
  fs.rmSync(tmp, { recursive: true, force: true })
})

/** What actions/checkout leaves by default: a clone of depth 1 with `origin` set. */
function shallowClone(repo: Repo, name: string): string {
  const dir = path.join(tmp, name)
  execFileSync('git', ['clone', '--quiet', '--depth', '1', '--branch', 'main', `file://${repo.dir}`, dir])
  return dir
}

/** A deploy with strategy git; `workspace` stands for the checkout (GITHUB_WORKSPACE), the world's repository by default. */
const deployByGit = (inputs: Record<string, string> = {}, workspace?: string, env: Record<string, string> = {}) =>
  world.deploy({ strategy: 'git', ...inputs }, { ...gitEnv, ...(workspace ? { GITHUB_WORKSPACE: workspace } : {}), ...env })

test('a shallow clone is unshallowed and pushed: main is the commit, the release is waited for, outputs as for api', async () => {
  const workspace = shallowClone(world.repo, 'shallow')
  expect(git(workspace, 'rev-parse', '--is-shallow-repository')).toBe('true')
  fs.writeFileSync(argvLog, '')

  const run = await deployByGit({}, workspace)
  expect(run.stderr).toBe('')
  expect(run.exitCode).toBe(0)

  const app = world.emulator.app(APP)
  const release = app.currentRelease()
  expect(app.gitHead()).toBe(world.sha)
  expect(release).toMatchObject({ status: 'succeeded', description: `Deploy ${world.sha.slice(0, 8)}` })
  expect(run.outputs).toMatchObject({
    status: 'success',
    'app-url': app.webUrl,
    'release-version': String(release?.version),
    'release-id': release?.id,
    'build-id': ''
  })
  expect(JSON.parse(run.outputs.results)).toEqual([
    {
      app: APP,
      status: 'success',
      release_version: release?.version,
      release_id: release?.id,
      build_id: null,
      app_url: app.webUrl,
      deployment_id: world.github.deployments.at(-1)?.id,
      previous_commit: null,
      smoke: []
    }
  ])
  // The dyno runs exactly the pushed commit.
  expect(JSON.parse(await (await fetch(new URL('version', app.webUrl))).text())).toMatchObject({ commit: world.sha, release: `v${release?.version}` })

  // The log says why it fetched, then streams the remote's lines live in a group, then the release phase.
  expect(run.stdout).toContain('The clone is shallow (actions/checkout fetches one commit by default) and Heroku refuses pushes from shallow clones')
  expect(run.stdout).toMatch(/Fetched the history of [0-9a-f]{7} \(2 commits\)/)
  expect(run.stdout).toContain(`::group::Build output (${APP}, git push)`)
  expect(run.stdout).toContain('remote: -----> Build succeeded!')
  expect(run.stdout).toContain('remote: Verifying deploy... done.')
  expect(run.stdout).toMatch(new RegExp(`::group::Release phase of v${release?.version} \\(${APP}\\)`))
  expect(run.stdout).toContain('Running migrations')
  expect(run.summary).toContain(`## ✅ Heroku: ${APP} deployed`)
  expect(run.summary).toContain('| Build | — |')
  expect(run.summary).toMatch(/\| package \| [\d.]+ s \| ✅ \|\n\| push \| [\d.]+ s \| ✅ \|\n\| release \| [\d.]+ s \| ✅ \|/)

  // The remote URL is printed, without credentials.
  const remoteUrl = `${world.emulator.gitUrl}/${APP}.git`
  expect(run.stdout).toContain(`git push --force ${remoteUrl} ${world.sha.slice(0, 7)}:refs/heads/main`)
  expect(run.stdout).not.toMatch(/\/\/[^/\s]*@127\.0\.0\.1/)

  // The key is in no byte written and in no git's arguments.
  const argv = fs.readFileSync(argvLog, 'utf8')
  expect(argv).toContain(`push --porcelain --force ${remoteUrl} ${world.sha}:refs/heads/main`)
  expect(argv).toContain('fetch --unshallow')
  const written = writtenBytes(run, world.apiKey)
  for (const form of secretForms(world.apiKey)) {
    expect(argv).not.toContain(form)
    expect(written).not.toContain(form)
  }
})

test('a re-run of the same commit pushes nothing and reports the release that runs it', async () => {
  const before = world.emulator.app(APP)
  const [builds, current] = [before.builds.length, before.currentRelease()]
  const run = await deployByGit()
  expect(run.exitCode).toBe(0)
  expect(run.stdout).toContain(`${APP} already runs ${world.sha.slice(0, 7)} (v${current?.version}): nothing new to build or release.`)
  expect(run.outputs['release-id']).toBe(current?.id)
  expect(world.emulator.app(APP).builds).toHaveLength(builds)
})

test('a redeploy after a rollback releases the commit again, without a non-fast-forward failure', async () => {
  world.repo.write('server.js', fs.readFileSync(path.join(world.repo.dir, 'server.js'), 'utf8').replace('Hello from', 'Hi again from'))
  world.sha = world.repo.commit('Change the greeting')
  const deployed = await deployByGit()
  expect(deployed.exitCode).toBe(0)
  const app = world.emulator.app(APP)
  const previous = app.releases.at(-2)
  await herokuApi(world.emulator, world.apiKey, 'POST', `/apps/${APP}/releases`, { release: previous?.id })
  await until(async () => (await (await fetch(app.webUrl)).text()).includes('Hello from'))

  const run = await deployByGit()
  expect(run.exitCode).toBe(0)
  expect(run.stdout).toContain(`Heroku's main of ${APP} already is ${world.sha.slice(0, 7)}: nothing to push.`)
  expect(run.stdout).toMatch(/releasing the slug of v\d+ again/)
  expect(Number(run.outputs['release-version'])).toBe(app.currentRelease()?.version)
  expect(await (await fetch(app.webUrl)).text()).toContain('Hi again from')
})

test('a failing build rejects the push: the step fails with the remote reason and main is unchanged', async () => {
  const pkgFile = path.join(world.repo.dir, 'package.json')
  const original = fs.readFileSync(pkgFile, 'utf8')
  const pkg = JSON.parse(original)
  pkg.scripts.build = 'echo "Error: cannot find module left-pad" >&2; exit 3'
  fs.writeFileSync(pkgFile, JSON.stringify(pkg, null, 2))
  const good = world.sha
  const bad = world.repo.commit('Break the build')
  try {
    world.sha = bad
    const current = world.emulator.app(APP).currentRelease()
    const run = await deployByGit()
    expect(run.exitCode).toBe(1)
    expect(run.outputs.status).toBe('failure')
    expect(run.stdout).toContain(`::error::git push of ${bad.slice(0, 7)} to ${APP} was rejected: Build failed: npm run build exited with code 3 (pre-receive hook declined)`)
    expect(run.stdout).toContain('remote:  !     Push rejected, failed to compile Node.js app.')
    expect(run.stdout).toContain(`remote: !\tPush rejected to ${APP}.`)
    expect(run.stdout).toContain(`Last lines of the build output of ${APP}:`)
    expect(run.summary).toContain('Error: cannot find module left-pad')
    expect(world.emulator.app(APP).gitHead()).toBe(good)
    expect(world.emulator.app(APP).currentRelease()?.id).toBe(current?.id)
  } finally {
    fs.writeFileSync(pkgFile, original)
    world.sha = world.repo.commit('Fix the build')
  }
})

test('a key the git remote refuses fails with a clear message and is not printed', async () => {
  // The API accepts the key; a second emulator stands in for a git host that does not.
  const other: Emulator = await startEmulator({ apiKey: 'HRKU-another-account-key', apps: [APP] })
  try {
    const run = await deployByGit({}, undefined, { HEROKU_GIT_URL: other.gitUrl })
    expect(run.exitCode).toBe(1)
    expect(run.outputs.status).toBe('failure')
    expect(run.stdout).toContain(
      `::error::Heroku's git remote ${other.gitUrl}/${APP}.git refused the credentials: check that the 'api-key' input holds a valid Heroku API key with access to ${APP}.`
    )
    expect(other.requests.filter((r) => r.path.startsWith(`/${APP}.git/`)).map((r) => r.status)).toContain(401)
    for (const form of secretForms(world.apiKey)) expect(writtenBytes(run, world.apiKey)).not.toContain(form)
  } finally {
    await other.close()
  }
})

test('a 503 from the git remote before anything was built is retried', async () => {
  world.repo.write('CHANGELOG.md', '# 1.0.1\n')
  world.sha = world.repo.commit('Release 1.0.1')
  world.emulator.faults.failNext(1, 503, { path: new RegExp(`^/${APP}\\.git/info/refs`) })
  const run = await deployByGit()
  expect(run.exitCode).toBe(0)
  expect(run.stdout).toMatch(/::warning::git push to hello-app failed: .*503.*; retrying in/)
  expect(world.emulator.app(APP).gitHead()).toBe(world.sha)
})

test('SIGTERM during the push ends the step quickly with status cancelled, and the build the push started is cancelled', async () => {
  world.repo.write('CHANGELOG.md', '# 1.0.2\n')
  world.sha = world.repo.commit('Release 1.0.2')
  world.emulator.faults.buildDelayMs = 30_000
  try {
    const run = await cancelRun(world, {
      inputs: { strategy: 'git', maintenance: 'true' },
      env: gitEnv,
      when: (running) => running.waitForOutput('remote: Building source:'),
      signal: 'SIGTERM'
    })
    // The build goes on without the pusher on Heroku: found by its commit and cancelled.
    const build = world.emulator.app(APP).builds.at(-1)
    expect(build).toMatchObject({ status: 'failed', source_blob: { version: world.sha } })
    expect(run.stdout).toContain(`Cancelled build ${build?.id} on ${APP}: it will not release.`)
  } finally {
    world.emulator.faults.buildDelayMs = 0
    // Should a test above fail, the next tests still find no build in the way.
    for (const build of world.emulator.app(APP).builds.filter((b) => b.status === 'pending')) {
      await herokuApi(world.emulator, world.apiKey, 'DELETE', `/apps/${APP}/builds/${build.id}`)
    }
  }
})

test('what follows the release is the same as for api: smoke checks and maintenance run after a push', async () => {
  world.repo.write('CHANGELOG.md', '# 1.1.0\n')
  world.sha = world.repo.commit('Release 1.1.0')
  const maintenanceBefore = world.emulator.app(APP).maintenanceHistory.length
  const run = await deployByGit({ 'smoke-checks': '/health 200 ok', 'smoke-timeout': '30', maintenance: 'true' })
  expect(run.stdout).not.toContain('::error::')
  expect(run.exitCode).toBe(0)
  const [result] = JSON.parse(run.outputs.results)
  expect(result.smoke).toEqual([{ check: '/health 200 ok', url: `${world.emulator.app(APP).webUrl}health`, status: 200, passed: true, latency_ms: expect.any(Number) }])
  expect(world.emulator.app(APP).maintenanceHistory.slice(maintenanceBefore)).toEqual([true, false])
  expect(world.emulator.app(APP).gitHead()).toBe(world.sha)
})

describe('source-dir', () => {
  let mono: World
  let monoRepo: Repo

  beforeAll(async () => {
    mono = await startWorld(['web-app'])
    // A monorepo: the app in services/web, and a root package.json whose build would fail if it shipped.
    monoRepo = makeRepo(path.join(projectRoot, 'examples', 'hello-app'), 'services/web')
    monoRepo.write('package.json', JSON.stringify({ name: 'monorepo', private: true, scripts: { build: 'exit 9' } }))
    monoRepo.write('docs/README.md', '# Docs\n')
    monoRepo.commit('Monorepo')
    monoRepo.write('docs/README.md', '# Docs, v2\n')
    mono.sha = monoRepo.commit('More docs')
  })
  afterAll(async () => {
    await mono.close()
    monoRepo.remove()
  })

  test('deploys only that folder, from a shallow clone, as a commit whose tree is the folder', async () => {
    const workspace = shallowClone(monoRepo, 'mono-shallow')
    const run = await mono.deploy({ strategy: 'git', app: 'web-app', 'source-dir': 'services/web' }, { HEROKU_GIT_URL: mono.emulator.gitUrl, GITHUB_WORKSPACE: workspace })
    expect(run.exitCode).toBe(0)
    expect(run.outputs.status).toBe('success')
    // A commit of the folder needs no history: no fetch.
    expect(run.stdout).not.toContain('The clone is shallow')
    const head = mono.emulator.app('web-app').gitHead() as string
    expect(run.stdout).toContain(`source-dir 'services/web': pushing ${head.slice(0, 7)}, a commit of that folder alone`)
    expect(git(workspace, 'rev-parse', `${head}^{tree}`)).toBe(git(workspace, 'rev-parse', `${mono.sha}:services/web`))
    expect(git(workspace, 'rev-list', '--count', head)).toBe('1')
    expect(git(workspace, 'ls-tree', '--name-only', head).split('\n')).not.toContain('docs')
    const web = mono.emulator.app('web-app').webUrl
    expect(await (await fetch(new URL('health', web))).text()).toBe('ok')
  })
})

async function herokuApi(emulator: Emulator, key: string, method: string, pathname: string, body?: unknown): Promise<unknown> {
  const response = await fetch(`${emulator.apiUrl}${pathname}`, {
    method,
    headers: { Accept: 'application/vnd.heroku+json; version=3', Authorization: `Bearer ${key}`, 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body)
  })
  if (!response.ok) throw new Error(`${method} ${pathname} answered ${response.status}: ${await response.text()}`)
  return response.json()
}

async function until(check: () => Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const end = Date.now() + timeoutMs
  while (!(await check())) {
    if (Date.now() > end) throw new Error('timed out')
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
}
