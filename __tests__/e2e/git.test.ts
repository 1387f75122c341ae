import { execFileSync } from 'node:child_process'
import * as fs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import { startEmulator } from '../../emulator/index.js'
import { git, makeRepo } from '../../scripts/lib/git-repo.js'
import { projectRoot } from '../../scripts/lib/run-action.js'
import { APP, secretForms, startWorld, type World, writtenBytes } from './world.js'

let world: World
let temp: string
let argvLog: string
let gitEnv: Record<string, string>

beforeAll(async () => {
  world = await startWorld()
  temp = fs.mkdtempSync(path.join(os.tmpdir(), 'git-e2e-'))
  // A `git` first on PATH that records the arguments of every git process the action starts.
  const bin = path.join(temp, 'bin')
  fs.mkdirSync(bin)
  argvLog = path.join(temp, 'argv.log')
  const realGit = execFileSync('sh', ['-c', 'command -v git'], { encoding: 'utf8' }).trim()
  fs.writeFileSync(path.join(bin, 'git'), `#!/bin/sh\nprintf '%s\\n' "$*" >> '${argvLog}'\nexec '${realGit}' "$@"\n`, { mode: 0o755 })
  gitEnv = { HEROKU_GIT_URL: world.emulator.apiUrl, PATH: `${bin}:${process.env.PATH}` }
})
afterAll(async () => {
  await world.close()
  fs.rmSync(temp, { recursive: true, force: true })
})

const remoteMain = (app = APP) => git(world.emulator.gitRepository(app), 'rev-parse', 'main')

test('a deploy from a shallow clone unshallows, pushes, and waits for the release', async () => {
  world.repo.write('CHANGELOG.md', 'second commit\n')
  world.repo.commit('Second commit')
  const clone = path.join(temp, 'shallow')
  git(temp, 'clone', '-q', '--depth', '1', `file://${world.repo.dir}`, clone)
  expect(git(clone, 'rev-parse', '--is-shallow-repository')).toBe('true')
  const sha = git(clone, 'rev-parse', 'HEAD')

  const run = await world.deploy({ strategy: 'git' }, { ...gitEnv, GITHUB_WORKSPACE: clone, GITHUB_SHA: sha })
  expect(run.stdout).not.toContain('::error::')
  expect(run.exitCode).toBe(0)
  expect(remoteMain()).toBe(sha)
  expect(run.stdout).toContain('The clone is shallow')
  expect(run.stdout).toContain(`::group::git push (${APP})`)
  expect(run.stdout).toContain('remote: -----> Build succeeded!')
  const release = world.emulator.app(APP).currentRelease()
  expect(run.outputs).toMatchObject({ status: 'success', 'build-id': '', 'release-version': String(release?.version), 'release-id': release?.id })
  expect(await (await fetch(new URL('health', world.emulator.app(APP).webUrl))).text()).toBe('ok')
  expect(run.summary).toContain(`## ✅ Heroku: ${APP} deployed`)

  // The key is in no byte written, and in no child process's arguments.
  const written = writtenBytes(run)
  const argv = fs.readFileSync(argvLog, 'utf8')
  expect(argv).toContain(`push --force ${world.emulator.apiUrl}/${APP}.git ${sha}:refs/heads/main`)
  for (const form of secretForms(world.apiKey)) {
    expect(written).not.toContain(form)
    expect(argv).not.toContain(form)
  }
})

test('a push of a failing build fails with the remote\'s reason', async () => {
  const file = `${world.repo.dir}/package.json`
  const pkg = JSON.parse(fs.readFileSync(file, 'utf8'))
  fs.writeFileSync(file, JSON.stringify({ ...pkg, scripts: { ...pkg.scripts, build: 'echo "Error: missing module" >&2; exit 3' } }))
  world.sha = world.repo.commit('Break the build')
  const before = remoteMain()
  const run = await world.deploy({ strategy: 'git' }, gitEnv)
  expect(run.exitCode).toBe(1)
  expect(run.outputs.status).toBe('failure')
  expect(run.stdout).toContain(`::error::Push to ${APP} rejected: Build failed: npm run build exited with code 3 (pre-receive hook declined)`)
  expect(run.stdout).toMatch(/^remote: {8}Error: missing module$/m)
  expect(remoteMain()).toBe(before)
  fs.writeFileSync(file, JSON.stringify(pkg))
  world.sha = world.repo.commit('Fix the build')
})

test('a key the git endpoint refuses fails with a clear message and is not printed', async () => {
  const other = await startEmulator({ apiKey: 'HRKU-a-different-account', apps: [APP] })
  try {
    const run = await world.deploy({ strategy: 'git' }, { ...gitEnv, HEROKU_GIT_URL: other.apiUrl })
    expect(run.exitCode).toBe(1)
    expect(run.outputs.status).toBe('failure')
    expect(run.stdout).toContain(
      `::error::Heroku's git endpoint refused the credentials for ${other.apiUrl}/${APP}.git (check that the 'api-key' input holds a valid Heroku API key).`
    )
    for (const form of secretForms(world.apiKey)) expect(writtenBytes(run)).not.toContain(form)
  } finally {
    await other.close()
  }
})

test('with source-dir only that folder is pushed and deployed', async () => {
  const mono = makeRepo(path.join(projectRoot, 'examples', 'hello-app'), 'services/web')
  mono.write('README.md', 'monorepo\n')
  mono.write('services/api/secret-notes.txt', 'not for Heroku\n')
  const sha = mono.commit('Monorepo')
  try {
    const run = await world.deploy({ strategy: 'git', 'source-dir': 'services/web' }, { ...gitEnv, GITHUB_WORKSPACE: mono.dir, GITHUB_SHA: sha })
    expect(run.exitCode).toBe(0)
    const pushed = git(world.emulator.gitRepository(APP), 'ls-tree', '--name-only', 'main').split('\n').sort()
    expect(pushed).toEqual(fs.readdirSync(path.join(projectRoot, 'examples', 'hello-app')).sort())
    expect(git(world.emulator.gitRepository(APP), 'rev-parse', 'main^{tree}')).toBe(git(mono.dir, 'rev-parse', `${sha}:services/web`))
    expect(await (await fetch(new URL('health', world.emulator.app(APP).webUrl))).text()).toBe('ok')
  } finally {
    mono.remove()
  }
})
