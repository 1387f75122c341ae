/**
 * One app's changes, found beside its deploy (deployApp over in-memory Heroku and GitHub): from the
 * release live before anything shipped, never failing or changing the deploy.
 */
import * as os from 'node:os'
import { commitOfRelease } from '../../src/changes/live.js'
import { ChangesReader } from '../../src/changes/changes.js'
import { deployApp } from '../../src/deploy-app.js'
import { HerokuApiError } from '../../src/errors.js'
import { finalStatus } from '../../src/report/deployment.js'
import { newResult } from '../../src/result.js'
import { readSettings, type Settings } from '../../src/settings.js'
import type { Shipper } from '../../src/ship/shipper.js'
import { FakeGitHub } from '../fakes/github.js'
import { FakeHeroku } from '../fakes/heroku.js'
import { MemoryLog } from '../fakes/log.js'

const LIVE = 'a'.repeat(40)
const HEAD = 'b'.repeat(40)
const WEB = 'https://github.com/octo/app'

function settings(inputs: Record<string, string> = {}): Settings {
  const all: Record<string, string> = { 'api-key': 'HRKU-k', app: 'web-app', 'github-token': 'ghs-t', ...inputs }
  return readSettings(
    (name) => all[name] ?? '',
    { GITHUB_WORKSPACE: os.tmpdir(), GITHUB_SHA: HEAD, GITHUB_REPOSITORY: 'octo/app' },
    () => undefined
  )
}

/** Heroku runs v7 of LIVE; shipping makes v8, current at once (so a late read would see the new commit). */
function world() {
  const api = new FakeHeroku()
  api.releases = [{ id: 'rel-7', version: 7, status: 'succeeded', current: true, slug: { id: 'slug-7' } }]
  api.slugCommits = { 'slug-7': LIVE, 'slug-8': HEAD }
  api.releaseStates = [{ status: 'succeeded', version: 8 }]
  const shipper: Shipper = {
    ship: async () => {
      api.releases = [
        { id: 'rel-8', version: 8, status: 'pending', current: true, slug: { id: 'slug-8' } },
        { ...api.releases[0], current: false }
      ]
      return { releaseId: 'rel-8', slugId: 'slug-8' }
    }
  }
  const github = new FakeGitHub()
  github.comparisons.set(`${LIVE}...${HEAD}`, {
    status: 'ahead',
    aheadBy: 1,
    behindBy: 0,
    commits: [{ sha: HEAD, parents: [LIVE], message: 'Web front end (#7)', login: 'alice', name: 'Alice' }]
  })
  github.pulls.set(HEAD, [{ number: 7, title: 'Web front end', login: 'alice', url: `${WEB}/pull/7`, merged: true }])
  const log = new MemoryLog()
  return { api, shipper, github, log, changes: new ChangesReader(github, WEB, log) }
}

test('the changes since the release live before the deploy: in the result, the log and the deployment description', async () => {
  const { api, shipper, log, changes } = world()
  const result = newResult('web-app')
  await deployApp(settings(), { api, log, changes, pollMs: 1 }, result, shipper)
  expect(result.status).toBe('success')
  expect(result.previousRelease).toEqual({ id: 'rel-7', version: 7 })
  expect(result.previousCommit).toBe(LIVE)
  expect(result.changes?.commits.map((c) => [c.sha, c.pullRequest])).toEqual([[HEAD, 7]])
  expect(log.text()).toContain(`Changes on web-app: 1 commit, 1 pull request since v7: #7 Web front end (@alice). ${WEB}/compare/${LIVE}...${HEAD}`)
  expect(finalStatus(result).description).toBe('Released v8 on web-app: 1 commit, 1 pull request since v7')
})

test("a promotion target: the range ends at the promoted release's commit, not the run's; without one, it says why", async () => {
  const PROMOTED = 'c'.repeat(40)
  const { api, shipper, github, log, changes } = world()
  github.comparisons.set(`${LIVE}...${PROMOTED}`, {
    status: 'behind',
    aheadBy: 0,
    behindBy: 2,
    commits: []
  })
  const target = newResult('web-app')
  target.promotedFrom = { app: 'web-staging', releaseId: 'rel-3', releaseVersion: 3, commit: PROMOTED }
  await deployApp(settings(), { api, log, changes, pollMs: 1 }, target, shipper)
  expect(target.status).toBe('success')
  expect(github.codeReads).toEqual([`compare ${LIVE}...${PROMOTED} 1`])
  expect(target.changes).toMatchObject({ base: LIVE, head: PROMOTED, status: 'behind', behindBy: 2 })
  expect(finalStatus(target).description).toBe('Released v8 on web-app (promoted from web-staging v3): goes back 2 commits from v7')

  const other = world()
  const unknown = newResult('web-app')
  unknown.promotedFrom = { app: 'web-staging', releaseId: 'rel-3', releaseVersion: 3, commit: undefined }
  await deployApp(settings(), { api: other.api, log: other.log, changes: other.changes, pollMs: 1 }, unknown, other.shipper)
  expect(unknown.status).toBe('success')
  expect(unknown.previousCommit).toBe(LIVE)
  expect(unknown.changesUnlisted).toBe('the release promoted here (web-staging v3) names no commit SHA, so there is no range to compare')
  expect(other.github.codeReads).toEqual([])
})

test('without a GitHub token the previous commit is still read; the changes say why they are not listed', async () => {
  const { api, shipper, log } = world()
  const result = newResult('web-app')
  await deployApp(settings(), { api, log, pollMs: 1 }, result, shipper)
  expect(result.status).toBe('success')
  expect(result.previousCommit).toBe(LIVE)
  expect(result.changes).toBeUndefined()
  expect(log.text()).toContain("The changes on web-app cannot be listed: they are read from GitHub, and this run has no 'github-token' (or no GITHUB_REPOSITORY).")
})

test('a live release whose commit is unknown, or no release at all: the deploy succeeds and says so', async () => {
  const unknown = world()
  unknown.api.slugCommits['slug-7'] = null
  const result = newResult('web-app')
  await deployApp(settings(), { ...unknown, pollMs: 1 }, result, unknown.shipper)
  expect(result.status).toBe('success')
  expect(result.previousCommit).toBeUndefined()
  expect(result.changesUnlisted).toBe('the slug of the live release v7 names no commit (it was built without a version)')
  expect(unknown.github.codeReads).toEqual([])

  const first = world()
  first.api.releases = []
  const firstResult = newResult('web-app')
  await deployApp(settings(), { ...first, pollMs: 1 }, firstResult, first.shipper)
  expect(firstResult.status).toBe('success')
  expect(firstResult.changesUnlisted).toBe('web-app had no release before this one')
})

test('the release list cannot be read: without smoke checks the deploy goes on; with a rollback to prepare, it fails as before', async () => {
  const failing = () => {
    const w = world()
    w.api.latestReleases = async () => {
      throw new HerokuApiError('GET', '/apps/web-app/releases', 500, 'internal_server_error', 'boom')
    }
    return w
  }
  const plain = failing()
  const result = newResult('web-app')
  await deployApp(settings(), { ...plain, pollMs: 1 }, result, plain.shipper)
  expect(result.status).toBe('success')
  expect(result.changesUnlisted).toBe('the live release could not be read: Heroku API GET /apps/web-app/releases answered 500 internal_server_error: boom')

  const guarded = failing()
  const guardedResult = newResult('web-app')
  await deployApp(settings({ 'smoke-checks': '/health' }), { ...guarded, pollMs: 1 }, guardedResult, guarded.shipper)
  expect(guardedResult.status).toBe('failure')
})

test('a cancel while the live release is read ends the app as cancelled at once', async () => {
  const { api, shipper, log, changes } = world()
  api.latestReleases = () => new Promise(() => undefined) // never answers
  const cancel = new AbortController()
  const result = newResult('web-app')
  const running = deployApp(settings(), { api, log, changes, pollMs: 1, signal: cancel.signal }, result, shipper)
  setTimeout(() => cancel.abort(), 20)
  await expect(running).rejects.toThrow('the job was cancelled')
  expect(result.status).toBe('cancelled')
})

test('a cancel while the changes are looked up: the app ends cancelled at once, without waiting for them', async () => {
  const { api, github, log, changes } = world()
  // GitHub never answers compare (this fake ends it only at the 30 s budget): waiting for it would hold the cancel.
  github.compareHangs = true
  let compareEnded = false
  const compare = github.compare.bind(github)
  github.compare = (...args) => compare(...args).finally(() => (compareEnded = true))
  const cancel = new AbortController()
  const shipper: Shipper = {
    ship: () =>
      new Promise((_, reject) => {
        cancel.signal.addEventListener('abort', () => reject(new Error('This operation was aborted')), { once: true })
        setTimeout(() => cancel.abort(), 20)
      })
  }
  const result = newResult('web-app')
  await expect(deployApp(settings(), { api, log, changes, pollMs: 1, signal: cancel.signal }, result, shipper)).rejects.toThrow('the job was cancelled')
  expect(result.status).toBe('cancelled')
  // The app ended while its look-up still waited on GitHub.
  expect(github.codeReads).toEqual([`compare ${LIVE}...${HEAD} 1`])
  expect(compareEnded).toBe(false)
})

test('the commit of a release: only a full SHA from its slug counts', async () => {
  const api = new FakeHeroku()
  api.slugCommits = { sha: LIVE.toUpperCase(), label: 'v1.2.3', none: null }
  expect(await commitOfRelease(api, 'web-app', { version: 3, slugId: 'sha' })).toEqual({ sha: LIVE })
  expect(await commitOfRelease(api, 'web-app', { version: 3, slugId: 'label' })).toEqual({
    unknown: "the live release v3 was built from 'v1.2.3', a version label rather than a commit SHA"
  })
  expect(await commitOfRelease(api, 'web-app', { version: 3 })).toEqual({ unknown: 'the live release v3 has no slug, so Heroku does not say which commit it runs' })
})
