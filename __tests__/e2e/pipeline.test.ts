/**
 * Pipelines end to end over dist/index.js: deploy staging and promote exactly that release to
 * production in one step; a target outside the pipeline or upstream stopped before anything ships; a
 * target Heroku fails; `promote-release` of an older release (nothing built); a scheduled run whose
 * required checks failed; a manual run of a tag.
 */
import type { RecordedRequest } from '../../emulator/index.js'
import { startWorld, type World } from './world.js'

const STAGING = 'shop-staging'
const PROD = 'shop-prod'
const LEGACY = 'shop-legacy'
const OTHER = 'shop-other'
const SMOKE = '/health 200 ok'
const MUTATING = new Set(['POST', 'PUT', 'PATCH', 'DELETE'])

let world: World

interface Result {
  app: string
  status: string
  release_id: string | null
  release_version: number | null
  reason?: string
  deployment_id: number | null
  smoke: { passed: boolean }[]
  promoted_from?: { app: string; release_id: string; release_version: number; commit: string | null }
  previous_commit?: string | null
}

beforeAll(async () => {
  world = await startWorld([STAGING, PROD, OTHER])
  await world.emulator.createApp(LEGACY, { stack: 'heroku-22' })
  world.emulator.createPipeline('shop', { staging: [STAGING], production: [PROD, LEGACY] })
})
afterAll(() => world.close())
afterEach(() => expect(world.github.violations).toEqual([]))

/** Heroku API calls (not blob or stream URLs) the emulator received since `from`. */
function apiCalls(from: number): RecordedRequest[] {
  return world.emulator.requests.slice(from).filter((r) => !r.path.startsWith('/blobs/') && !r.path.startsWith('/streams/'))
}

function promotions(from: number): { source: { app: { id: string }; release: { id: string } }; targets: { app: { id: string } }[] }[] {
  return apiCalls(from)
    .filter((r) => r.method === 'POST' && r.path === '/pipeline-promotions')
    .map((r) => JSON.parse(r.body))
}

async function commitOn(app: string): Promise<string> {
  const answer = await fetch(new URL('version', world.emulator.app(app).webUrl))
  return ((await answer.json()) as { commit: string }).commit
}

let promoted: { releaseId: string; releaseVersion: number; sha: string }

test('deploy staging, then promote exactly that release to production in the same step; each verified, each with its deployment', async () => {
  const from = world.emulator.requests.length
  const run = await world.deploy({ app: STAGING, 'promote-to': PROD, 'smoke-checks': SMOKE, environment: `${STAGING}=staging\n${PROD}=production` })

  expect(run.exitCode).toBe(0)
  expect(run.outputs.status).toBe('success')
  const [staging, prod] = JSON.parse(run.outputs.results) as Result[]
  expect(staging).toMatchObject({ app: STAGING, status: 'success' })
  expect(prod).toMatchObject({
    app: PROD,
    status: 'success',
    promoted_from: { app: STAGING, release_id: staging.release_id, release_version: staging.release_version, commit: world.sha }
  })
  expect(run.outputs['release-id']).toBe(staging.release_id)

  // One request, naming the release this run made and verified, and the target by id.
  const stagingRelease = world.emulator.app(STAGING).currentRelease()
  expect(stagingRelease?.id).toBe(staging.release_id)
  expect(promotions(from)).toEqual([
    expect.objectContaining({
      source: { app: { id: world.emulator.app(STAGING).id }, release: { id: staging.release_id } },
      targets: [{ app: { id: world.emulator.app(PROD).id } }]
    })
  ])
  // Only after staging passed its smoke checks.
  expect(run.stdout.indexOf(`[${STAGING}] ✓ /health`)).toBeGreaterThan(-1)
  expect(run.stdout.indexOf(`[${STAGING}] ✓ /health`)).toBeLessThan(run.stdout.indexOf(`Promoting ${STAGING} v${staging.release_version}`))

  // Production runs that very slug, ran its release phase, and answers its smoke checks.
  const prodRelease = world.emulator.app(PROD).currentRelease()
  expect(prodRelease).toMatchObject({ id: prod.release_id, version: prod.release_version, description: `Promote ${STAGING} v${staging.release_version}` })
  expect(prodRelease?.slug?.id).toBe(stagingRelease?.slug?.id)
  expect(await commitOn(PROD)).toBe(world.sha)
  expect(run.stdout).toContain(`[${PROD}] Release phase for v${prod.release_version}`)
  expect(prod.smoke).toEqual([expect.objectContaining({ passed: true })])
  expect(world.emulator.app(PROD).builds).toEqual([])

  // Its own GitHub deployment, in its own environment; the summary has both apps.
  const deployments = world.github.deployments.slice(-2)
  expect(deployments.map((d) => [d.environment, d.sha, d.statuses.at(-1)?.state])).toEqual([
    ['staging', world.sha, 'success'],
    ['production', world.sha, 'success']
  ])
  expect(deployments[1].statuses.at(-1)?.environment_url).toBe(world.emulator.app(PROD).webUrl)
  expect(run.summary).toContain(`### ${STAGING}`)
  expect(run.summary).toContain(`### ${PROD}`)
  expect(run.summary).toContain(`| Promoted from | ${STAGING} v${staging.release_version} (\`${staging.release_id}\`) |`)
  expect(run.summary).toMatch(/\| promote \| [\d.]+ s \| ✅ \|/)
  promoted = { releaseId: staging.release_id as string, releaseVersion: staging.release_version as number, sha: world.sha }
})

test('a target that fails its smoke checks is rolled back alone; the app promoted from keeps its release', async () => {
  // The page names the release: a check for staging's next version passes there and fails on production,
  // whose release numbers a config change has moved ahead.
  const next = (world.emulator.app(STAGING).currentRelease()?.version ?? 0) + 1
  await world.setConfig(PROD, { REGION: 'eu' })
  const prodBefore = world.emulator.app(PROD).releases.at(-1)
  // That release is the rollback point once it is live.
  while (world.emulator.app(PROD).currentRelease()?.id !== prodBefore?.id) await new Promise((resolve) => setTimeout(resolve, 50))
  expect((prodBefore?.version ?? 0) + 1).not.toBe(next)
  const run = await world.deploy({ app: STAGING, 'promote-to': PROD, 'smoke-checks': `/ Release v${next}\n`, 'smoke-timeout': '3', 'github-deployment': 'false' })

  expect(run.exitCode).toBe(1)
  expect(run.outputs.status).toBe('rolled-back')
  const [staging, prod] = JSON.parse(run.outputs.results) as (Result & { rolled_back_to?: number; healthy_after_rollback?: boolean })[]
  expect(staging).toMatchObject({ status: 'success', release_version: next })
  expect(prod).toMatchObject({ status: 'rolled-back', rolled_back_to: prodBefore?.version })
  expect(prod.reason).toContain(`Smoke checks failed on ${PROD} v${prod.release_version}`)
  expect(world.emulator.app(STAGING).currentRelease()?.version).toBe(next)
  const after = world.emulator.app(PROD).currentRelease()
  expect(after).toMatchObject({ description: `Rollback to v${prodBefore?.version}` })
  expect(after?.slug?.id).toBe(prodBefore?.slug?.id)
})

test.each([
  ['outside the pipeline', STAGING, OTHER, `${OTHER} is not an app of the pipeline 'shop' (where ${STAGING} is in the staging stage)`],
  ['upstream', PROD, STAGING, `${STAGING} is in the staging stage of the pipeline 'shop' (where ${PROD} is in the production stage), not a later one`]
])('a target %s fails before anything is uploaded, naming it and the stages allowed', async (_what, app, target, message) => {
  const from = world.emulator.requests.length
  const github = world.github.requests.length
  const run = await world.deploy({ app, 'promote-to': target })
  expect(run.exitCode).toBe(1)
  expect(run.outputs.status).toBe('failure')
  expect(run.stdout).toContain(`::error::Input 'promote-to': ${message}. Nothing was deployed (`)
  expect(world.emulator.requests.slice(from).filter((r) => MUTATING.has(r.method) || r.path.startsWith('/blobs/'))).toEqual([])
  expect(world.github.requests.slice(github).filter((r) => r.method !== 'GET')).toEqual([])
})

test("a target Heroku fails: the step fails with Heroku's error_message, its deployment is a failure, the other target still succeeds", async () => {
  const from = world.emulator.requests.length
  const run = await world.deploy({ app: STAGING, 'promote-to': `${PROD}, ${LEGACY}`, 'smoke-checks': SMOKE, environment: `${STAGING}=staging` })
  expect(run.exitCode).toBe(1)
  expect(run.outputs.status).toBe('failure')
  const results = JSON.parse(run.outputs.results) as Result[]
  expect(results.map((r) => [r.app, r.status])).toEqual([
    [STAGING, 'success'],
    [PROD, 'success'],
    [LEGACY, 'failure']
  ])
  const heroku = `Cannot promote to ${LEGACY}: the slug was built for heroku-24, but ${LEGACY} is on heroku-22.`
  expect(results[2].reason).toBe(`The promotion of ${STAGING} v${results[0].release_version} to ${LEGACY} failed: ${heroku}`)
  expect(run.stdout).toContain(`::error::The promotion of ${STAGING} v${results[0].release_version} to ${LEGACY} failed: ${heroku}`)
  // One promotion for both targets.
  expect(promotions(from)).toHaveLength(1)
  expect(promotions(from)[0].targets).toHaveLength(2)
  const legacy = world.github.deployments.find((d) => d.id === results[2].deployment_id)
  expect(legacy?.environment).toBe(LEGACY)
  expect(legacy?.statuses.map((s) => s.state)).toEqual(['in_progress', 'failure'])
  expect(legacy?.statuses.at(-1)?.description).toContain(`to ${LEGACY} failed: Cannot promote to ${LEGACY}`)
  expect(world.github.deployments.find((d) => d.id === results[1].deployment_id)?.statuses.at(-1)?.state).toBe('success')
})

test("faults on the promotion's calls: the reads and a 429 on the request are retried, and one promotion is made", async () => {
  const { faults } = world.emulator
  faults.failNext(1, 500, { method: 'GET', path: /^\/apps\/[^/]+\/pipeline-couplings$/ })
  faults.failNext(1, 503, { method: 'GET', path: /^\/pipelines\/[^/]+\/pipeline-couplings$/ })
  faults.dropNext(1, { method: 'GET', path: /^\/pipeline-promotions\/[^/]+\/promotion-targets$/ })
  faults.failNext(1, 429, { method: 'POST', path: /^\/pipeline-promotions$/ }, { retryAfter: 1 })
  const from = world.emulator.requests.length
  try {
    const run = await world.deploy({ app: STAGING, 'promote-to': PROD, 'github-deployment': 'false' })
    expect(run.outputs.status).toBe('success')
    const posts = world.emulator.requests.slice(from).filter((r) => r.method === 'POST' && r.path === '/pipeline-promotions')
    expect(posts.map((r) => r.status)).toEqual([429, 201])
    expect(world.emulator.requests.slice(from).filter((r) => r.fault).length).toBe(4)
  } finally {
    faults.clear()
  }
})

test('a promotion request whose answer is lost is never sent again, and the step says production may still get the release', async () => {
  const releases = world.emulator.app(PROD).releases.length
  world.emulator.faults.loseAnswerNext(1, { method: 'POST', path: /^\/pipeline-promotions$/ })
  const from = world.emulator.requests.length
  try {
    const run = await world.deploy({ app: STAGING, 'promote-to': PROD, 'github-deployment': 'false' })
    expect(run.exitCode).toBe(1)
    const [staging, prod] = JSON.parse(run.outputs.results) as Result[]
    expect(staging.status).toBe('success')
    expect(prod.status).toBe('failure')
    expect(prod.reason).toContain(`got no clear answer: Heroku may have carried it out and may still release it on ${PROD}`)
    expect(world.emulator.requests.slice(from).filter((r) => r.method === 'POST' && r.path === '/pipeline-promotions')).toHaveLength(1)
    expect(run.summary).toContain(`may still go live on ${PROD}`)
    // And Heroku had indeed carried it out: production got the release the report warned of.
    while (world.emulator.app(PROD).releases.length === releases) await new Promise((resolve) => setTimeout(resolve, 50))
    expect(world.emulator.app(PROD).releases.at(-1)?.description).toBe(`Promote ${STAGING} v${staging.release_version}`)
  } finally {
    world.emulator.faults.clear()
  }
})

test('promote-release of an older release: no upload, no build; production ends on exactly that slug, its deployment on that commit', async () => {
  // Staging moves on to a newer commit: the release promoted below is no longer its current one.
  world.repo.write('NEWS.md', 'a newer commit on staging\n')
  world.sha = world.repo.commit('Newer')
  const newer = await world.deploy({ app: STAGING, 'github-deployment': 'false' })
  expect(newer.outputs.status).toBe('success')
  expect(world.emulator.app(STAGING).currentRelease()?.id).not.toBe(promoted.releaseId)
  await world.deploy({ app: STAGING, 'promote-to': PROD, 'github-deployment': 'false' }) // production runs the newer one too

  const from = world.emulator.requests.length
  const builds = world.emulator.app(STAGING).builds.length
  const run = await world.deploy({ app: STAGING, 'promote-release': `v${promoted.releaseVersion}`, 'promote-to': PROD, 'smoke-checks': SMOKE, environment: 'production' })

  expect(run.exitCode).toBe(0)
  expect(run.outputs.status).toBe('success')
  const requests = world.emulator.requests.slice(from)
  expect(requests.filter((r) => r.path === '/sources' || r.path.startsWith('/blobs/') || r.path.endsWith('/builds'))).toEqual([])
  expect(world.emulator.app(STAGING).builds).toHaveLength(builds)
  expect(promotions(from)).toEqual([expect.objectContaining({ source: { app: { id: world.emulator.app(STAGING).id }, release: { id: promoted.releaseId } } })])
  const olderSlug = world.emulator.app(STAGING).releases.find((r) => r.id === promoted.releaseId)?.slug?.id
  expect(world.emulator.app(PROD).currentRelease()?.slug?.id).toBe(olderSlug)
  expect(await commitOn(PROD)).toBe(promoted.sha)

  const [prod] = JSON.parse(run.outputs.results) as Result[]
  expect(prod).toMatchObject({ app: PROD, status: 'success', promoted_from: { app: STAGING, release_id: promoted.releaseId, commit: promoted.sha } })
  expect(run.outputs['release-id']).toBe(world.emulator.app(PROD).currentRelease()?.id)
  const deployment = world.github.deployments.at(-1)
  expect(deployment).toMatchObject({ environment: 'production', sha: promoted.sha })
  expect(deployment?.statuses.at(-1)?.state).toBe('success')
  expect(run.summary).toContain(`### ${PROD}`)
  expect(run.summary).not.toContain(`### ${STAGING}`)

  // What the promotion brings to production: from the newer commit it ran, back to the one promoted (not the run's commit).
  const back = Number(world.repo.git('rev-list', '--count', `${promoted.sha}..${world.sha}`))
  expect(back).toBeGreaterThan(0)
  expect(prod).toMatchObject({ previous_commit: world.sha })
  expect(run.summary).toContain(`**Changes:** goes back ${back} commit${back === 1 ? '' : 's'} from v`)
  expect(run.summary).toContain(`(https://github.com/octo-org/hello-app/compare/${promoted.sha}...${world.sha})`)
})

test('promote-release of an id that is not a release of the app fails before any change, naming the input', async () => {
  const from = world.emulator.requests.length
  const run = await world.deploy({ app: STAGING, 'promote-release': '0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d', 'promote-to': PROD })
  expect(run.exitCode).toBe(1)
  expect(run.stdout).toContain(
    `::error::Input 'promote-release' is 0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d, which is not a release of ${STAGING} (Heroku: Couldn't find that release.)`
  )
  expect(world.emulator.requests.slice(from).filter((r) => MUTATING.has(r.method))).toEqual([])
})

test('dry run: the pipeline is checked and the promotion planned, with not one write', async () => {
  const from = world.emulator.requests.length
  const github = world.github.requests.length
  const run = await world.deploy({ app: STAGING, 'promote-to': PROD, 'dry-run': 'true', environment: `${PROD}=production` })
  expect(run.exitCode).toBe(0)
  expect(run.outputs.status).toBe('dry-run')
  expect(run.stdout).toContain(`Then, once it passes, promote the release made on ${STAGING} [staging] to ${PROD} [production] along the pipeline 'shop'`)
  expect(apiCalls(from).map((r) => `${r.method} ${r.path.replace(/[0-9a-f-]{36}/, ':id')}`)).toEqual(
    expect.arrayContaining([`GET /apps/${STAGING}/pipeline-couplings`, 'GET /pipelines/:id/pipeline-couplings'])
  )
  expect(world.emulator.requests.slice(from).filter((r) => MUTATING.has(r.method))).toEqual([])
  expect(world.github.requests.length).toBe(github)

  const release = await world.deploy({ app: STAGING, 'promote-to': PROD, 'promote-release': '1', 'dry-run': 'true' })
  expect(release.outputs.status).toBe('dry-run')
  const v1 = world.emulator.app(STAGING).releases[0]
  expect(release.stdout).toContain(`Would promote v1 of ${STAGING} (release ${v1.id}) to ${PROD} [production] along the pipeline 'shop': nothing is packaged, uploaded or built.`)
  expect(world.emulator.requests.slice(from).filter((r) => MUTATING.has(r.method))).toEqual([])

  const refused = await world.deploy({ app: STAGING, 'promote-to': OTHER, 'dry-run': 'true' })
  expect(refused.exitCode).toBe(1)
  expect(refused.stdout).toContain(`Dry run: Input 'promote-to': ${OTHER} is not an app of the pipeline 'shop'`)
})

test('a scheduled run whose required check failed deploys nothing and names the check; once it passes, the head of the branch goes out', async () => {
  world.repo.write('NEWS.md', 'the head of main, for the hourly deploy\n')
  world.sha = world.repo.commit('Head of main')
  const check = world.github.addCheckRun(world.sha, { name: 'test', conclusion: 'failure' })
  const event = { schedule: '0 * * * *', repository: { full_name: 'octo-org/hello-app', default_branch: 'main' } }
  const inputs = { app: `${STAGING}, ${OTHER}`, branch: 'main', 'required-checks': 'test' }
  const from = world.emulator.requests.length
  const run = await world.deploy(inputs, { GITHUB_REF: 'refs/heads/main' }, 'schedule', event)
  expect(run.exitCode).toBe(1)
  expect(run.outputs.status).toBe('failure')
  expect(run.stdout).toContain(`::error::Required check failed on ${world.sha.slice(0, 7)}: 'test' concluded failure (${check.htmlUrl}).`)
  expect(apiCalls(from).map((r) => `${r.method} ${r.path}`)).toEqual(expect.arrayContaining([`GET /apps/${STAGING}`, `GET /apps/${OTHER}`]))
  expect(world.emulator.requests.slice(from).filter((r) => MUTATING.has(r.method))).toEqual([])
  expect(world.github.deployments.filter((d) => d.sha === world.sha)).toEqual([])

  world.github.addCheckRun(world.sha, { name: 'test', conclusion: 'success' })
  const next = await world.deploy(inputs, { GITHUB_REF: 'refs/heads/main' }, 'schedule', event)
  expect(next.outputs.status).toBe('success')
  expect(await commitOn(STAGING)).toBe(world.sha)
  expect(await commitOn(OTHER)).toBe(world.sha)
})

test('a scheduled run on another branch than the one named says where scheduled runs run', async () => {
  const run = await world.deploy({ app: STAGING, branch: 'develop' }, { GITHUB_REF: 'refs/heads/main' }, 'schedule', { schedule: '0 * * * *' })
  expect(run.outputs.status).toBe('skipped')
  expect(run.stdout).toContain("::notice::Not deployed: the branch 'main' does not match the 'branch' input 'develop'. A scheduled run runs on the repository's default branch")
})

test('a manual run deploys the tag it was started on to the app picked', async () => {
  const tagged = world.sha
  world.repo.write('NEWS.md', 'after the tag\n')
  world.sha = world.repo.commit('After the tag')
  const event = { inputs: { app: OTHER }, ref: 'refs/tags/v1.0.0', repository: { full_name: 'octo-org/hello-app', default_branch: 'main' } }
  const run = await world.deploy({ app: OTHER }, { GITHUB_REF: 'refs/tags/v1.0.0', GITHUB_SHA: tagged }, 'workflow_dispatch', event)
  expect(run.exitCode).toBe(0)
  expect(run.outputs.status).toBe('success')
  expect(await commitOn(OTHER)).toBe(tagged)
  expect(world.github.deployments.at(-1)).toMatchObject({ sha: tagged, environment: OTHER })
})
