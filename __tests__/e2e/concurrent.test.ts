/**
 * Two runs of the step on one app at once (two pushes in quick succession, a re-run beside a run),
 * end to end over dist/index.js: each ends truthful (success, or a failure that says why in Heroku's
 * words) and the app ends on one of the two releases, never on neither, never half of one.
 */
import * as fs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import type { ActionRun } from '../../scripts/lib/run-action.js'
import { APP, startWorld, type World } from './world.js'

let world: World
let tmp: string
let goodServer: string
let goodPackage: string
const serverFile = () => `${world.repo.dir}/server.js`
const packageFile = () => `${world.repo.dir}/package.json`
const gitEnv = () => ({ HEROKU_GIT_URL: world.emulator.gitUrl })

beforeAll(async () => {
  world = await startWorld()
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'heroku-cd-concurrent-'))
  goodServer = fs.readFileSync(serverFile(), 'utf8')
  goodPackage = fs.readFileSync(packageFile(), 'utf8')
  expect((await world.deploy()).outputs.status).toBe('success')
})
afterAll(async () => {
  await world.close()
  fs.rmSync(tmp, { recursive: true, force: true })
})

/**
 * A new commit; world.sha then is it, for the next run started. `broken`: its /health answers 500.
 * `heldUntil`: its build does not end before that file exists (a build as slow as the test needs,
 * whatever the machine's speed).
 */
function commit(message: string, { broken = false, heldUntil }: { broken?: boolean; heldUntil?: string } = {}): string {
  const server = goodServer.replace('Hello from', `Hello (${message}) from`)
  fs.writeFileSync(serverFile(), broken ? server.replace("send(res, 200, 'text/plain', 'ok')", "send(res, 500, 'text/plain', 'down')") : server)
  const pkg = JSON.parse(goodPackage) as { scripts: Record<string, string> }
  if (heldUntil) pkg.scripts.build = `${pkg.scripts.build} && echo 'waiting for the other run' && while [ ! -e '${heldUntil}' ]; do sleep 0.1; done`
  fs.writeFileSync(packageFile(), heldUntil ? JSON.stringify(pkg, null, 2) : goodPackage)
  world.sha = world.repo.commit(message)
  return world.sha
}

/** A file whose creation lets a held build end. */
function hold(): { file: string; release: () => void } {
  const file = path.join(tmp, `release-${Date.now()}-${Math.random().toString(36).slice(2)}`)
  return { file, release: () => fs.writeFileSync(file, '') }
}

/** What the app serves now: the release and the commit of the web dyno that answers. */
async function live(): Promise<{ release: string; commit: string }> {
  return (await fetch(new URL('version', world.emulator.app(APP).webUrl))).json() as Promise<{ release: string; commit: string }>
}

/** The app ends on `run`'s release: current on Heroku, serving its commit, maintenance off, nothing pending. */
async function endsOn(run: ActionRun, sha: string): Promise<void> {
  const app = world.emulator.app(APP)
  expect(app.currentRelease()?.version).toBe(Number(run.outputs['release-version']))
  expect(await live()).toMatchObject({ release: `v${run.outputs['release-version']}`, commit: sha })
  expect(app.maintenance).toBe(false)
  expect(app.builds.filter((build) => build.status === 'pending')).toEqual([])
  expect(app.releases.filter((release) => release.status === 'pending')).toEqual([])
}

function deploymentStates(from: number): string[] {
  return world.github.deployments.slice(from).map((deployment) => `${deployment.sha.slice(0, 7)} ${deployment.statuses.at(-1)?.state}`)
}

test('api and api, builds overlapping: Heroku refuses the second build (409) and that run says so; the app ends on the first', async () => {
  const deployments = world.github.deployments.length
  const held = hold()
  const first = commit('first of two api runs', { heldUntil: held.file })
  const a = world.start({ maintenance: 'true' })
  await a.waitForOutput('waiting for the other run')
  const second = commit('second of two api runs')
  let b: ActionRun
  try {
    b = await world.deploy({ maintenance: 'true' })
  } finally {
    held.release()
  }
  expect(b.outputs.status).toBe('failure')
  expect(b.stdout).toContain(`::error::Heroku API POST /apps/${APP}/builds answered 409 conflict: A build is already in progress for this app. Wait for it to finish or cancel it.`)
  expect(b.outputs['release-version']).toBe('')
  expect(b.summary).toContain('Nothing new is live from this run')
  const aRun = await a.done
  expect(aRun.outputs.status).toBe('success')
  await endsOn(aRun, first)
  expect(world.emulator.app(APP).builds.filter((build) => build.source_blob?.version === second)).toEqual([])
  expect(deploymentStates(deployments)).toEqual([`${first.slice(0, 7)} success`, `${second.slice(0, 7)} failure`])
})

test('git and git, pushes overlapping: the second push is rejected with the remote’s reason; the app ends on the first', async () => {
  const deployments = world.github.deployments.length
  const held = hold()
  const first = commit('first of two pushes', { heldUntil: held.file })
  const a = world.start({ strategy: 'git' }, gitEnv())
  await a.waitForOutput('waiting for the other run')
  const second = commit('second of two pushes')
  let b: ActionRun
  try {
    b = await world.deploy({ strategy: 'git' }, gitEnv())
  } finally {
    held.release()
  }
  expect(b.outputs.status).toBe('failure')
  expect(b.stdout).toContain(
    `::error::git push of ${second.slice(0, 7)} to ${APP} was rejected: A build is already in progress for this app. Wait for it to finish or cancel it. (pre-receive hook declined)`
  )
  const aRun = await a.done
  expect(aRun.outputs.status).toBe('success')
  await endsOn(aRun, first)
  expect(world.emulator.app(APP).gitHead()).toBe(first)
  expect(deploymentStates(deployments)).toEqual([`${first.slice(0, 7)} success`, `${second.slice(0, 7)} failure`])
})

test('a broken release superseded during its smoke checks (api, then git): its run does not claim the checks the other release passed', async () => {
  const deployments = world.github.deployments.length
  const broken = commit('broken, soon superseded', { broken: true })
  const a = world.start({ 'smoke-checks': '/health 200', 'smoke-timeout': '120' })
  await a.waitForOutput('1 of 1 smoke checks failing')
  const good = commit('the fix, pushed while the broken one is checked')
  const b = await world.deploy({ strategy: 'git', 'smoke-checks': '/health 200 ok', 'smoke-timeout': '30' }, gitEnv())
  expect(b.outputs.status).toBe('success')
  // The broken release's checks now reach the fix's dyno, and pass: that proves nothing about the broken one.
  const aRun = await a.done
  const [result] = JSON.parse(aRun.outputs.results) as { release_version: number; status: string }[]
  expect(aRun.outputs.status).toBe('failure')
  expect(aRun.stdout).toContain(
    `::error::v${result.release_version} on ${APP} was superseded by v${b.outputs['release-version']} (Deploy ${good.slice(0, 8)}) while its smoke checks ran: they may have checked v${b.outputs['release-version']}, so v${result.release_version} is not proven`
  )
  // And it did not roll back what the other run released.
  expect(world.emulator.app(APP).releases.filter((release) => (release.version ?? 0) > Number(b.outputs['release-version']))).toEqual([])
  await endsOn(b, good)
  expect(deploymentStates(deployments)).toEqual([`${broken.slice(0, 7)} failure`, `${good.slice(0, 7)} success`])
})

test('failing smoke checks never roll back over a release another run made since: the app stays on it', async () => {
  const deployments = world.github.deployments.length
  const before = world.emulator.app(APP).currentRelease()
  const broken = commit('broken, rolled back unless superseded', { broken: true })
  // The checks fail on both releases: a path neither serves.
  const a = world.start({ 'smoke-checks': '/not-served 200', 'smoke-timeout': '6' })
  await a.waitForOutput('1 of 1 smoke checks failing')
  // Hold the first run still (as a slow runner would be) while the second deploys from start to end.
  a.child.kill('SIGSTOP')
  let b: ActionRun
  const good = commit('another run’s release')
  try {
    b = await world.deploy()
  } finally {
    a.child.kill('SIGCONT')
  }
  expect(b.outputs.status).toBe('success')
  const aRun = await a.done
  const [result] = JSON.parse(aRun.outputs.results) as { release_version: number }[]
  expect(aRun.outputs.status).toBe('failure')
  expect(aRun.stdout).toMatch(
    new RegExp(
      `::error::Smoke checks failed on ${APP} v${result.release_version}: .*; not rolled back: v${b.outputs['release-version']} \\(Deploy ${good.slice(0, 8)}\\) was released on ${APP} since, and a rollback to v${before?.version} would undo it`
    )
  )
  expect(world.emulator.app(APP).releases.filter((release) => release.description?.startsWith('Rollback'))).toEqual([])
  await endsOn(b, good)
  expect(deploymentStates(deployments)).toEqual([`${broken.slice(0, 7)} failure`, `${good.slice(0, 7)} success`])
})
