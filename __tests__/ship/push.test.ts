import { execFileSync } from 'node:child_process'
import * as fs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import { type Emulator, startEmulator } from '../../emulator/index.js'
import { DeployError } from '../../src/errors.js'
import type { StageContext } from '../../src/heroku/context.js'
import { preparePush } from '../../src/prepare/pushable.js'
import { childEnv } from '../../src/util/child-env.js'
import { buildOfInterruptedPush, findPushedRelease, pushEnv, pushToHeroku, releaseOfUnchangedPush, scrubber } from '../../src/ship/push.js'
import type { HerokuBuild, HerokuRelease } from '../../src/heroku/types.js'
import { Deadline } from '../../src/util/time.js'
import { git, makeRepo, type Repo } from '../../scripts/lib/git-repo.js'
import { projectRoot } from '../../scripts/lib/run-action.js'
import { FakeHeroku } from '../fakes/heroku.js'
import { MemoryLog } from '../fakes/log.js'

const KEY = 'HRKU-0123456789abcdef'
const COMMIT = 'c0ffee11'.padEnd(40, 'a')

function context(api = new FakeHeroku(), ms = 10_000): StageContext & { log: MemoryLog; api: FakeHeroku } {
  return { api, log: new MemoryLog(), deadline: new Deadline(ms, 'The build and release of my-app'), pollMs: 5 }
}

const release = (version: number, description: string, extra: Partial<HerokuRelease> = {}): HerokuRelease => ({
  id: `rel-${version}`,
  version,
  status: 'succeeded',
  description,
  current: false,
  slug: { id: `slug-${version}` },
  ...extra
})

describe('credentials', () => {
  test('the scrubber hides the key as is, URL-encoded and in both Basic encodings', () => {
    const scrub = scrubber('k/y+1')
    const basic = Buffer.from('heroku:k/y+1').toString('base64')
    const bare = Buffer.from(':k/y+1').toString('base64')
    expect(scrub(`a k/y+1 b ${encodeURIComponent('k/y+1')} c ${basic} d ${bare}`)).toBe('a *** b *** c *** d ***')
  })

  test('the push environment carries the key only as a header scoped to the remote, after the config the job already passes', () => {
    const remote = 'https://git.heroku.com/my-app.git'
    const base = { PATH: '/bin', GIT_CONFIG_COUNT: '1', GIT_CONFIG_KEY_0: 'core.x', GIT_CONFIG_VALUE_0: 'y', GIT_TRACE_CURL: '1', GIT_CURL_VERBOSE: '1', 'INPUT_API-KEY': KEY }
    const env = childEnv(pushEnv(remote, KEY, base), base)
    expect(env).toMatchObject({
      PATH: '/bin',
      GIT_CONFIG_KEY_0: 'core.x',
      GIT_CONFIG_VALUE_0: 'y',
      GIT_CONFIG_KEY_1: `http.${remote}.extraHeader`,
      GIT_CONFIG_VALUE_1: `Authorization: Basic ${Buffer.from(`heroku:${KEY}`).toString('base64')}`,
      GIT_CONFIG_KEY_2: 'credential.helper',
      GIT_CONFIG_VALUE_2: '',
      GIT_CONFIG_KEY_4: `http.${remote}.extraHeader`,
      GIT_CONFIG_VALUE_4: 'Connection: close',
      GIT_CONFIG_COUNT: '5',
      GIT_TERMINAL_PROMPT: '0',
      GIT_ASKPASS: ''
    })
    expect(env.GIT_TRACE_CURL).toBeUndefined()
    expect(env.GIT_CURL_VERBOSE).toBeUndefined()
    expect(env['INPUT_API-KEY']).toBeUndefined()
    expect(Object.values(env).some((value) => value?.includes(KEY))).toBe(false)
  })
})

describe('preparePush (real git)', () => {
  let repo: Repo
  const dirs: string[] = []
  const clone = (...args: string[]): string => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'git-push-test-'))
    dirs.push(dir)
    execFileSync('git', ['clone', '--quiet', ...args, `file://${repo.dir}`, path.join(dir, 'ws')])
    return path.join(dir, 'ws')
  }
  const prepare = (sourceDir: string, log = new MemoryLog()) => preparePush({ sourceDir, sha: git(repo.dir, 'rev-parse', 'HEAD'), log, deadline: new Deadline(30_000, 'prepare') })

  beforeAll(() => {
    repo = makeRepo(path.join(projectRoot, 'examples', 'hello-app'), 'web')
    repo.write('README.md', '# mono\n')
    repo.commit('one')
    repo.write('README.md', '# mono, again\n')
    repo.commit('two')
  })
  afterAll(() => {
    repo.remove()
    for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true })
  })

  test('a shallow clone gets its history, and the commit itself is pushed', async () => {
    const ws = clone('--depth', '1')
    const log = new MemoryLog()
    const source = await prepare(ws, log)
    expect(source).toEqual({ root: fs.realpathSync(ws), commit: git(repo.dir, 'rev-parse', 'HEAD') })
    expect(git(ws, 'rev-parse', '--is-shallow-repository')).toBe('false')
    expect(log.text()).toMatch(/The clone is shallow .* fetching the history of [0-9a-f]{7} from 'origin'/)
    expect(log.text()).toMatch(/\(2 commits\)/)
  })

  test('a full clone is pushed as it is, without fetching', async () => {
    const log = new MemoryLog()
    await prepare(clone(), log)
    expect(log.text()).toBe('')
  })

  test('a shallow clone without a remote fails with what to do', async () => {
    const ws = clone('--depth', '1')
    git(ws, 'remote', 'remove', 'origin')
    await expect(prepare(ws)).rejects.toThrow(
      "The clone is shallow and has no remote to fetch its history from: Heroku refuses shallow pushes; set 'fetch-depth: 0' on actions/checkout, or deploy with strategy: api."
    )
  })

  test('a source-dir becomes a parentless commit of that folder, the same one every time', async () => {
    const ws = clone('--depth', '1')
    const first = await prepare(path.join(ws, 'web'))
    const again = await prepare(path.join(ws, 'web'))
    expect(again.commit).toBe(first.commit)
    expect(git(ws, 'rev-parse', `${first.commit}^{tree}`)).toBe(git(ws, 'rev-parse', 'HEAD:web'))
    expect(git(ws, 'rev-list', '--parents', '-n', '1', first.commit)).toBe(first.commit)
    expect(git(ws, 'show', '-s', '--format=%an <%ae> %at', first.commit)).toBe(git(ws, 'show', '-s', '--format=%an <%ae> %at', 'HEAD'))
    expect(git(ws, 'rev-parse', '--is-shallow-repository')).toBe('true') // no history was needed
  })
})

describe('finding the release of a push', () => {
  test('the newest release above the one before the push that names the commit', async () => {
    const ctx = context()
    ctx.api.releases = [release(7, 'Set A config vars'), release(6, `Deploy ${COMMIT.slice(0, 8)}`), release(5, `Deploy ${COMMIT.slice(0, 8)}`)]
    expect((await findPushedRelease(ctx, 'my-app', COMMIT, 5)).version).toBe(6)
  })

  test('a release that appears a moment later is waited for', async () => {
    const ctx = context()
    ctx.api.releases = [release(3, 'Deploy 00000000')]
    setTimeout(() => ctx.api.releases.unshift(release(4, `Deploy ${COMMIT.slice(0, 8)}`)), 30)
    expect((await findPushedRelease(ctx, 'my-app', COMMIT, 3)).id).toBe('rel-4')
  })

  test('no release for the commit is a release-stage failure, not a silent success', async () => {
    const ctx = context()
    ctx.api.releases = [release(3, `Deploy ${COMMIT.slice(0, 8)}`)]
    await expect(findPushedRelease(ctx, 'my-app', COMMIT, 3, 200)).rejects.toMatchObject({
      stage: 'release',
      message: `Heroku accepted the push of ${COMMIT.slice(0, 7)} to my-app, but no release of it appeared within 0.2 s.`
    })
  })

  test('when the deploy runs out of time meanwhile, the timeout says so', async () => {
    const ctx = context(new FakeHeroku(), 100)
    await expect(findPushedRelease(ctx, 'my-app', COMMIT, 3)).rejects.toThrow('The build and release of my-app did not finish within 0.1 s')
  })
})

describe('the build of an interrupted push', () => {
  const build = (status: HerokuBuild['status'], version = COMMIT): HerokuBuild => ({
    id: `build-${status}`,
    status,
    source_blob: { version },
    created_at: '2026-01-01T00:00:00Z',
    updated_at: '2026-01-01T00:00:00Z'
  })

  test('is found once Heroku lists it, pending, even a moment after the pusher was gone', async () => {
    const api = new FakeHeroku()
    let reads = 0
    api.recentBuilds = async () => (++reads < 3 ? [build('succeeded', 'an older commit'.padEnd(40, '0'))] : [build('pending')])
    expect(await buildOfInterruptedPush(context(api), 'my-app', COMMIT, 5000)).toMatchObject({ id: 'build-pending' })
    expect(reads).toBe(3)
  })

  test('when none shows in time, it says that a build of the push may still start', async () => {
    const api = new FakeHeroku()
    api.recentBuilds = async () => [build('failed')]
    await expect(buildOfInterruptedPush(context(api), 'my-app', COMMIT, 300)).rejects.toThrow(
      'the push of c0ffee1 was interrupted and no build of it showed on Heroku within 0.3 s; if the push reached Heroku, a build of it may still start'
    )
  })
})

describe('a push that changed nothing', () => {
  test('the app still runs the commit: its current release is the result, nothing is released', async () => {
    const ctx = context()
    ctx.api.releases = [release(9, 'Set A config vars', { current: true, slug: { id: 'slug-8' } }), release(8, `Deploy ${COMMIT.slice(0, 8)}`)]
    expect((await releaseOfUnchangedPush(ctx, 'my-app', COMMIT)).id).toBe('rel-9')
    expect(ctx.api.createdReleases).toEqual([])
  })

  test('after a rollback, the slug of the commit is released again', async () => {
    const ctx = context()
    ctx.api.releases = [release(9, 'Rollback to v7', { current: true, slug: { id: 'slug-7' } }), release(8, `Deploy ${COMMIT.slice(0, 8)}`), release(7, 'Deploy 11111111')]
    expect((await releaseOfUnchangedPush(ctx, 'my-app', COMMIT)).id).toBe('rel-10')
    expect(ctx.api.createdReleases).toEqual([{ slug: 'slug-8', description: `Deploy ${COMMIT.slice(0, 8)}` }])
    expect(ctx.log.text()).toContain(`my-app runs v9, not ${COMMIT.slice(0, 7)}: releasing the slug of v8 again.`)
  })

  test('the release of the commit still in its release phase is waited for, not made twice', async () => {
    const ctx = context()
    ctx.api.releases = [release(8, `Deploy ${COMMIT.slice(0, 8)}`, { status: 'pending' }), release(7, 'Deploy 11111111', { current: true })]
    expect((await releaseOfUnchangedPush(ctx, 'my-app', COMMIT)).id).toBe('rel-8')
    expect(ctx.api.createdReleases).toEqual([])
  })

  test('no release runs the commit: a clear failure', async () => {
    const ctx = context()
    ctx.api.releases = [release(2, 'Deploy 11111111', { current: true })]
    await expect(releaseOfUnchangedPush(ctx, 'my-app', COMMIT)).rejects.toThrow(DeployError)
  })
})

describe('pushToHeroku against the emulator', () => {
  let emulator: Emulator
  let repo: Repo
  beforeAll(async () => {
    emulator = await startEmulator({ apiKey: KEY, apps: ['my-app'] })
    repo = makeRepo(path.join(projectRoot, 'examples', 'hello-app'))
    repo.commit('one')
  })
  afterAll(async () => {
    await emulator.close()
    repo.remove()
  })
  const push = (ctx: StageContext, app: string, apiKey = KEY) =>
    pushToHeroku(ctx, { app, remoteUrl: `${emulator.gitUrl}/${app}.git`, apiKey, source: { root: repo.dir, commit: git(repo.dir, 'rev-parse', 'HEAD') } })

  test('a refused key names the input to fix', async () => {
    await expect(push(context(), 'my-app', 'HRKU-wrong')).rejects.toMatchObject({
      stage: 'push',
      message: `Heroku's git remote ${emulator.gitUrl}/my-app.git refused the credentials: check that the 'api-key' input holds a valid Heroku API key with access to my-app.`
    })
  })

  test('an app without a repository names the input to fix', async () => {
    await expect(push(context(), 'other-app')).rejects.toThrow(
      `Heroku's git remote has no repository ${emulator.gitUrl}/other-app.git: check the 'app' input (and HEROKU_GIT_URL).`
    )
  })

  test('a push streams into a log group; the second push of the same commit is up to date', async () => {
    const ctx = context()
    expect(await push(ctx, 'my-app')).toEqual({ upToDate: false })
    expect(ctx.log.lines[0]).toBe('## Build output (my-app, git push)')
    expect(ctx.log.lines).toContain('remote: -----> Build succeeded!')
    expect(await push(context(), 'my-app')).toEqual({ upToDate: true })
  })
})
