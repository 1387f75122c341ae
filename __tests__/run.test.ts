/**
 * The pipeline's order and its promises, with in-memory Heroku and GitHub, a real git repository and
 * a real local HTTP server taking the upload: the required checks run before anything ships, and the
 * GitHub deployment ends in a final state on every path.
 */
import { makeRepo, type Repo } from '../scripts/lib/git-repo.js'
import { CancelledError, GitHubApiError, HerokuApiError } from '../src/errors.js'
import { renderSummary } from '../src/report/summary.js'
import { runDeploy } from '../src/run.js'
import { readSettings, type Settings } from '../src/settings.js'
import { CleanupWindow } from '../src/util/cleanup.js'
import { checkRun, FakeGitHub } from './fakes/github.js'
import { FakeHeroku } from './fakes/heroku.js'
import { scriptedServer } from './fakes/http.js'
import { MemoryLog } from './fakes/log.js'

let repo: Repo
let sha: string
let blobs: Awaited<ReturnType<typeof scriptedServer>>

beforeAll(async () => {
  repo = makeRepo()
  repo.write('Procfile', 'web: node server.js\n')
  sha = repo.commit('first')
  blobs = await scriptedServer((_req, res) => res.writeHead(200).end())
})
afterAll(async () => {
  repo.remove()
  await blobs.close()
})

function settings(inputs: Record<string, string> = {}, env: Record<string, string> = {}): Settings {
  const all: Record<string, string> = { 'api-key': 'HRKU-k', app: 'web-app', 'github-token': 'ghs-t', ...inputs }
  return readSettings(
    (name) => all[name] ?? '',
    { GITHUB_WORKSPACE: repo.dir, GITHUB_SHA: sha, GITHUB_REF: 'refs/heads/main', GITHUB_REPOSITORY: 'octo/app', GITHUB_RUN_ID: '7', RUNNER_TEMP: repo.dir, ...env },
    () => undefined
  )
}

function world() {
  const api = new FakeHeroku()
  api.createSource = async () => ({ source_blob: { get_url: `${blobs.url}/get`, put_url: `${blobs.url}/put` } })
  return { api, github: new FakeGitHub(), log: new MemoryLog() }
}

test('a failed required check stops the deploy before any upload and opens no deployment', async () => {
  const deps = world()
  deps.github.checkStates = [{ runs: [checkRun('test', 'completed', 'failure', 3)] }]
  const uploads = blobs.received.length
  const run = await runDeploy(settings({ 'required-checks': 'test' }), { ...deps, checksPollMs: 1 })
  expect(run.status).toBe('failure')
  expect(run.apps[0].reason).toBe(`Required check failed on ${sha.slice(0, 7)}: 'test' concluded failure (https://github.com/o/r/runs/3).`)
  expect(run.apps[0].stages).toEqual([{ stage: 'checks', ms: expect.any(Number), ok: false }])
  expect(blobs.received.length).toBe(uploads)
  expect(deps.api.createdBuilds).toEqual([])
  expect(deps.github.deployments).toEqual([])
})

test('a deploy after passing checks: deployment in_progress, then success with the app URL', async () => {
  const deps = world()
  deps.github.checkStates = [{ runs: [checkRun('test', 'in_progress')] }, { runs: [checkRun('test', 'completed', 'success')] }]
  const run = await runDeploy(settings({ 'required-checks': 'test' }), { ...deps, checksPollMs: 1, pollMs: 1 })
  expect(run.status).toBe('success')
  expect(run.apps[0].deploymentId).toBe(100)
  expect(deps.github.deployments[0].statuses.map((s) => [s.state, s.environment_url])).toEqual([
    ['in_progress', undefined],
    ['success', 'https://web-app.example/']
  ])
  expect(run.apps[0].stages.map((s) => s.stage)).toEqual(['checks', 'package', 'upload', 'build', 'release'])
})

test('a failed build closes the deployment as a failure with the reason', async () => {
  const deps = world()
  deps.api.buildStates = [{ status: 'pending' }, { status: 'failed' }]
  const run = await runDeploy(settings(), { ...deps, pollMs: 1 })
  expect(run.status).toBe('failure')
  expect(deps.github.deployments[0].statuses.at(-1)).toMatchObject({ state: 'failure', description: 'Build build-1 failed on web-app: no reason given' })
})

test('a failure before the build (the commit is not there) still closes the deployment', async () => {
  const deps = world()
  const run = await runDeploy(settings({}, { GITHUB_SHA: 'f'.repeat(40) }), { ...deps, pollMs: 1 })
  expect(run.status).toBe('failure')
  expect(deps.github.deployments[0].statuses.map((s) => s.state)).toEqual(['in_progress', 'failure'])
  expect(deps.github.deployments[0].statuses[1].description).toContain(`The commit ${'f'.repeat(40)} is not in the repository`)
})

test('a cancel during the build cancels the build on Heroku and ends the deployment in error', async () => {
  const deps = world()
  deps.api.buildStates = [{ status: 'pending' }]
  const cancel = new AbortController()
  const running = runDeploy(settings(), { ...deps, pollMs: 5, signal: cancel.signal })
  while (deps.api.createdBuilds.length === 0) await new Promise((resolve) => setTimeout(resolve, 5))
  cancel.abort()
  const run = await running
  expect(run.status).toBe('cancelled')
  expect(run.apps[0].reason).toBe('The job was cancelled while deploying web-app.')
  expect(deps.api.cancelled).toEqual(['build-1'])
  expect(deps.github.deployments[0].statuses.at(-1)).toMatchObject({ state: 'error', afterCancel: true })
  expect(deps.log.text()).toContain('Cancelled build build-1 on web-app: it will not release.')
})

describe('a deployment whose create got no answer (issue 12: none left without a final state)', () => {
  /** A run cancelled while GitHub makes the deployment of `environment`, before its answer comes back. */
  async function cancelledWhileCreating(deps: ReturnType<typeof world>, inputs: Record<string, string> = {}, environment = 'web-app', windowMs = 5500) {
    const cancel = new AbortController()
    deps.github.afterCreate = async (request) => {
      if (request.environment !== environment) return
      cancel.abort()
      throw new CancelledError()
    }
    return runDeploy(settings(inputs), { ...deps, pollMs: 1, signal: cancel.signal, cleanup: new CleanupWindow(cancel.signal, windowMs) })
  }

  test('a cancel while it is sent: found by its mark after the cancel, closed in error; nothing shipped', async () => {
    const deps = world()
    const run = await cancelledWhileCreating(deps)
    expect(run.status).toBe('cancelled')
    const [made] = deps.github.deployments
    expect(deps.github.finds).toEqual([{ sha, environment: 'web-app', requestId: made.request.requestId, afterCancel: true }])
    expect(made.request.requestId).toEqual(expect.any(String))
    expect(made.statuses).toEqual([expect.objectContaining({ state: 'error', description: 'Cancelled: the job was cancelled before the deploy finished.', afterCancel: true })])
    expect(run.apps[0]).toMatchObject({ deploymentId: made.id, reason: 'The job was cancelled before the deploy finished.' })
    expect(run.apps[0].deploymentUnsettled).toBeUndefined()
    expect(deps.log.text()).toContain(`The GitHub deployment of web-app to the environment 'web-app' got no answer, but GitHub had made it (deployment ${made.id})`)
    expect(deps.api.createdBuilds).toEqual([])
  })

  test('a cancel while it is sent, and the look-up outlasts the cleanup window: the reason and the summary say one may show no final state', async () => {
    const deps = world()
    deps.github.findHangs = true
    const run = await cancelledWhileCreating(deps, {}, 'web-app', 300)
    expect(run.status).toBe('cancelled')
    expect(deps.github.deployments[0].statuses).toEqual([])
    const said =
      /^The GitHub deployment of web-app to the environment 'web-app' got no answer from GitHub, and it could not be looked for \(Looking for the GitHub deployment of web-app .* whose answer never came got no answer within .+\): one may have been made, and then it shows no final state on GitHub\.$/
    expect(run.apps[0].deploymentUnsettled).toMatch(said)
    expect(run.apps[0].reason).toBe(`The job was cancelled before the deploy finished. ${run.apps[0].deploymentUnsettled}`)
    expect(renderSummary(run)).toContain('one may have been made, and then it shows no final state on GitHub.')
    expect(deps.log.text()).toContain("warning: The GitHub deployment of web-app to the environment 'web-app' got no answer from GitHub")
  })

  test("a promotion target's: cancelled while it is sent, found and closed in error; the source keeps its success", async () => {
    const deps = world()
    deps.api.stages = { 'web-app': 'staging', 'web-prod': 'production' }
    const run = await cancelledWhileCreating(deps, { 'promote-to': 'web-prod' }, 'web-prod')
    expect(run.apps.map((a) => [a.app, a.status])).toEqual([
      ['web-app', 'success'],
      ['web-prod', 'cancelled']
    ])
    expect(deps.github.deployments.map((d) => [d.request.environment, d.statuses.at(-1)?.state])).toEqual([
      ['web-app', 'success'],
      ['web-prod', 'error']
    ])
    expect(deps.github.finds.map((find) => [find.environment, find.afterCancel])).toEqual([['web-prod', true]])
    expect(deps.api.promotions).toEqual([])
  })

  test('an answer lost after every attempt, without a cancel: found, and the deploy goes on recording through it', async () => {
    const deps = world()
    deps.github.afterCreate = async () => {
      throw new GitHubApiError('POST', '/repos/octo/app/deployments', undefined, 'no answer (socket hang up)')
    }
    const run = await runDeploy(settings(), { ...deps, pollMs: 1 })
    expect(run.status).toBe('success')
    expect(deps.github.finds.map((find) => find.afterCancel)).toEqual([false])
    expect(deps.github.deployments.map((d) => d.statuses.map((s) => s.state))).toEqual([['in_progress', 'success']])
    expect(run.apps[0].deploymentId).toBe(deps.github.deployments[0].id)
  })

  test('GitHub said no: nothing was made, nothing is looked for', async () => {
    const deps = world()
    deps.github.deploymentError = new GitHubApiError('POST', '/repos/octo/app/deployments', 422, 'Validation Failed')
    const run = await runDeploy(settings(), { ...deps, pollMs: 1 })
    expect(run.status).toBe('success')
    expect(deps.github.finds).toEqual([])
    expect(run.apps[0].deploymentUnsettled).toBeUndefined()
  })
})

test('github-deployment: false makes no deployment', async () => {
  const deps = world()
  const run = await runDeploy(settings({ 'github-deployment': 'false' }), { ...deps, pollMs: 1 })
  expect(run.status).toBe('success')
  expect(deps.github.deployments).toEqual([])
  expect(run.apps[0].deploymentId).toBeUndefined()
})

test('build-once: the first build failing leaves every other app unreleased, with the reason, and no slug release', async () => {
  const deps = world()
  deps.api.buildStates = [{ status: 'pending' }, { status: 'failed' }]
  const run = await runDeploy(settings({ app: 'web-app, web-eu', 'build-once': 'true', 'github-deployment': 'false' }), { ...deps, pollMs: 1 })
  expect(run.status).toBe('failure')
  expect(run.apps[1]).toMatchObject({ app: 'web-eu', status: 'failure' })
  expect(run.apps[1].reason).toBe('Not released: build-once builds on web-app, and that build did not finish (Build build-1 failed on web-app: no reason given).')
  expect(deps.api.createdBuilds).toHaveLength(1)
  expect(deps.api.createdReleases).toEqual([])
})

test('build-once: the other apps release the slug the first build made, with config vars set first on each', async () => {
  const deps = world()
  const run = await runDeploy(settings({ app: 'web-app, web-eu, web-us', 'build-once': 'true', 'github-deployment': 'false', 'config-vars': 'REGION=any' }), { ...deps, pollMs: 1 })
  expect(run.status).toBe('success')
  expect(deps.api.createdBuilds).toHaveLength(1)
  expect(deps.api.createdReleases.map((r) => r.slug)).toEqual(['slug-1', 'slug-1'])
  expect(run.apps.map((a) => a.builtOn)).toEqual([undefined, 'web-app', 'web-app'])
  expect(deps.api.configUpdates.map((u) => u.app).sort()).toEqual(['web-app', 'web-eu', 'web-us'])
  expect(run.apps[1].stages.map((s) => s.stage)).toEqual(['package', 'upload', 'config', 'slug', 'release'])
})

describe('promote-to', () => {
  const SHOP = { 'web-app': 'staging', 'web-prod': 'production', 'web-eu': 'production' } as const

  function pipelineWorld() {
    const deps = world()
    deps.api.stages = { ...SHOP }
    return deps
  }

  test('the verified release, and no other, is promoted once every target is in maintenance; each target is verified as an app', async () => {
    const deps = pipelineWorld()
    const events: string[] = []
    const setMaintenance = deps.api.setMaintenance.bind(deps.api)
    deps.api.setMaintenance = async (app, on) => {
      events.push(`${app} maintenance ${on ? 'on' : 'off'}`)
      return setMaintenance(app, on)
    }
    const createPromotion = deps.api.createPromotion.bind(deps.api)
    deps.api.createPromotion = async (body) => {
      events.push(`promote to ${body.targets.map((t) => t.app.id).join(' ')}`)
      return createPromotion(body)
    }
    const run = await runDeploy(settings({ 'promote-to': 'web-prod, web-eu', maintenance: 'true', environment: 'web-app=staging' }), { ...deps, pollMs: 1 })

    expect(run.status).toBe('success')
    expect(deps.api.promotions).toEqual([
      { pipeline: { id: 'pipeline-1' }, source: { app: { id: 'id-web-app' }, release: { id: 'rel-1' } }, targets: [{ app: { id: 'id-web-prod' } }, { app: { id: 'id-web-eu' } }] }
    ])
    expect(events.slice(0, 2)).toEqual(['web-app maintenance on', 'web-app maintenance off'])
    // Both targets were in maintenance before the one request; each came out after its own release.
    expect(events.slice(2, 5).sort()).toEqual(['promote to id-web-prod id-web-eu', 'web-eu maintenance on', 'web-prod maintenance on'].sort())
    expect(events[4]).toBe('promote to id-web-prod id-web-eu')
    expect(events.slice(5).sort()).toEqual(['web-eu maintenance off', 'web-prod maintenance off'])

    const [, prod, eu] = run.apps
    expect(prod).toMatchObject({ status: 'success', releaseId: 'promoted-to-id-web-prod', promotedFrom: { app: 'web-app', releaseId: 'rel-1', releaseVersion: 5, commit: sha } })
    expect(eu).toMatchObject({ status: 'success', releaseId: 'promoted-to-id-web-eu' })
    expect(prod.stages.map((s) => s.stage)).toEqual(['promote', 'release'])
    expect(deps.api.createdBuilds).toHaveLength(1)
    expect(deps.github.deployments.map((d) => [d.request.environment, d.request.sha, d.statuses.at(-1)?.state])).toEqual([
      ['staging', sha, 'success'],
      ['web-prod', sha, 'success'],
      ['web-eu', sha, 'success']
    ])
    expect(deps.github.deployments[1].request.description).toBe(`heroku-cd: promoting web-app v5 (${sha.slice(0, 7)}) to the Heroku app web-prod`)
  })

  test('an app that did not pass is not promoted: no request, and each target says why', async () => {
    const deps = pipelineWorld()
    deps.api.buildStates = [{ status: 'pending' }, { status: 'failed' }]
    const run = await runDeploy(settings({ 'promote-to': 'web-prod' }), { ...deps, pollMs: 1 })
    expect(run.status).toBe('failure')
    expect(deps.api.promotions).toEqual([])
    expect(run.apps[1]).toMatchObject({ status: 'skipped', reason: 'Not promoted: web-app did not deploy and pass its checks, so nothing was promoted from it.' })
    expect(deps.github.deployments.map((d) => d.request.environment)).toEqual(['web-app'])
  })

  test("a target Heroku fails ends with Heroku's error_message", async () => {
    const deps = pipelineWorld()
    deps.api.promotionTargetStates = [{ status: 'pending' }, { status: 'failed', error_message: 'User does not have access to that app' }]
    const run = await runDeploy(settings({ 'promote-to': 'web-prod', 'github-deployment': 'false' }), { ...deps, pollMs: 1 })
    expect(run.status).toBe('failure')
    expect(run.apps[1]).toMatchObject({ status: 'failure', reason: 'The promotion of web-app v5 to web-prod failed: User does not have access to that app' })
    expect(run.apps[1].stages).toEqual([{ stage: 'promote', ms: expect.any(Number), ok: false }])
  })

  test('a target that fails before its release (maintenance cannot go on) leaves: the promotion goes to the other alone', async () => {
    const deps = pipelineWorld()
    const setMaintenance = deps.api.setMaintenance.bind(deps.api)
    deps.api.setMaintenance = async (app, on) => {
      if (app === 'web-eu' && on) throw new Error('maintenance refused')
      return setMaintenance(app, on)
    }
    const run = await runDeploy(settings({ 'promote-to': 'web-prod, web-eu', maintenance: 'true', 'github-deployment': 'false' }), { ...deps, pollMs: 1 })
    expect(deps.api.promotions.map((p) => p.targets)).toEqual([[{ app: { id: 'id-web-prod' } }]])
    expect(run.apps.map((a) => [a.app, a.status])).toEqual([
      ['web-app', 'success'],
      ['web-prod', 'success'],
      ['web-eu', 'failure']
    ])
    expect(run.apps[2].reason).toBe('maintenance refused')
  })

  test('a cancel while the promotion is followed is a cancel: the target says so and its deployment ends in error', async () => {
    const deps = pipelineWorld()
    deps.api.promotionTargetStates = [{ status: 'pending' }]
    const cancel = new AbortController()
    const running = runDeploy(settings({ 'promote-to': 'web-prod' }), { ...deps, pollMs: 5, signal: cancel.signal })
    while (deps.api.promotions.length === 0) await new Promise((resolve) => setTimeout(resolve, 5))
    cancel.abort()
    const run = await running
    expect(run.status).toBe('cancelled')
    expect(run.apps[0].status).toBe('success')
    expect(run.apps[1]).toMatchObject({
      status: 'cancelled',
      reason: 'The job was cancelled while promoting to web-prod. The promotion of web-app v5 to web-prod was requested and had not finished: Heroku may still release it there.'
    })
    expect(deps.github.deployments[1].statuses.at(-1)).toMatchObject({ state: 'error', afterCancel: true })
  })

  test('a promotion still pending at the timeout fails, saying that Heroku may still complete it', async () => {
    const deps = pipelineWorld()
    deps.api.promotionTargetStates = [{ status: 'pending' }]
    const run = await runDeploy(settings({ 'promote-to': 'web-prod', 'github-deployment': 'false', timeout: '1' }), { ...deps, pollMs: 1 })
    expect(run.status).toBe('failure')
    expect(run.apps[1].reason).toBe(
      'The promotion of web-app v5 did not finish within 1 s; the promotion of web-app v5 to web-prod was requested and had not finished: Heroku may still release it there'
    )
  })

  test('a promotion request whose answer was lost is never sent again, and the report says it may still release', async () => {
    const deps = pipelineWorld()
    let sent = 0
    deps.api.createPromotion = async () => {
      sent++
      throw new HerokuApiError('POST', '/pipeline-promotions', undefined, 'ECONNRESET', 'no answer (ECONNRESET)', 'req-1', undefined, true)
    }
    const run = await runDeploy(settings({ 'promote-to': 'web-prod', 'github-deployment': 'false' }), { ...deps, pollMs: 1 })
    expect(sent).toBe(1)
    expect(run.apps[1]).toMatchObject({ status: 'failure' })
    expect(run.apps[1].reason).toBe(
      'The promotion of web-app v5 to web-prod failed: Heroku API POST /pipeline-promotions failed: no answer (ECONNRESET); the promotion request of web-app v5 got no clear answer: Heroku may have carried it out and may still release it on web-prod'
    )
  })

  test('a promotion Heroku refuses (4xx) did not happen: no "may still release"', async () => {
    const deps = pipelineWorld()
    deps.api.createPromotion = async () => {
      throw new HerokuApiError('POST', '/pipeline-promotions', 422, 'invalid_params', 'Pipeline promotions are not allowed for this pipeline.')
    }
    const run = await runDeploy(settings({ 'promote-to': 'web-prod', 'github-deployment': 'false' }), { ...deps, pollMs: 1 })
    expect(run.apps[1].reason).toBe(
      'The promotion of web-app v5 to web-prod failed: Heroku API POST /pipeline-promotions answered 422 invalid_params: Pipeline promotions are not allowed for this pipeline.'
    )
    expect(run.apps[1].mayGoLive).toBeUndefined()
  })

  test('promote-release: nothing packaged or built; the release named is promoted, and the deployment records its commit', async () => {
    const deps = pipelineWorld()
    deps.api.releaseStates = [{ status: 'succeeded', id: 'rel-older', version: 3, slug: { id: 'slug-3' } }, { status: 'succeeded' }]
    deps.api.getSlug = async (_app, id) => ({ id, commit: 'c'.repeat(40) })
    deps.api.createSource = () => Promise.reject(new Error('nothing may be uploaded'))
    const run = await runDeploy(settings({ 'promote-to': 'web-prod', 'promote-release': 'v3', environment: 'production' }), { ...deps, pollMs: 1 })
    expect(run.status).toBe('success')
    expect(run.apps.map((a) => a.app)).toEqual(['web-prod'])
    expect(deps.api.createdBuilds).toEqual([])
    expect(deps.api.promotions[0].source).toEqual({ app: { id: 'id-web-app' }, release: { id: 'rel-older' } })
    expect(run.apps[0].promotedFrom).toEqual({ app: 'web-app', releaseId: 'rel-older', releaseVersion: 3, commit: 'c'.repeat(40) })
    expect(deps.github.deployments.map((d) => [d.request.environment, d.request.sha])).toEqual([['production', 'c'.repeat(40)]])
  })
})
