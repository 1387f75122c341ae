/**
 * Branch nodes end to end: several pull_request runs of dist/index.js against one emulator and one
 * local GitHub, as the pull requests of a repository open, get pushed to, close and come from a fork.
 * Who holds which node is only what the runs left in GitHub's deployments.
 */
import * as fs from 'node:fs'
import * as path from 'node:path'
import { fileURLToPath } from 'node:url'
import type { ActionRun, RunningAction } from '../../scripts/lib/run-action.js'
import { cancelMarks, expectCleanCancel } from './cancel-checks.js'
import { startWorld, type World } from './world.js'

const [N1, N2, N3] = ['shop-pr-1', 'shop-pr-2', 'shop-pr-3']
const POOL = `${N1}, ${N2}, ${N3}`
const MUTATING = new Set(['POST', 'PUT', 'PATCH', 'DELETE'])
const FIXTURES = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'events')

let world: World
let touches = 0

beforeAll(async () => {
  world = await startWorld([N1, N2, N3])
})
afterAll(() => world.close())
afterEach(() => {
  world.github.faults.clear()
  expect(world.github.violations).toEqual([])
})

/** The pull_request event GitHub sends (the fixture, renumbered), and the environment of its run. */
function pullRequestEvent(number: number, action: string, head: string, fork?: string) {
  const payload = JSON.parse(fs.readFileSync(path.join(FIXTURES, `pull_request-${fork ? 'fork' : 'opened'}.json`), 'utf8'))
  payload.action = action
  payload.number = number
  Object.assign(payload.pull_request, { number, title: `Feature ${number}`, html_url: `https://github.com/octo-org/hello-app/pull/${number}` })
  Object.assign(payload.pull_request.head, { sha: head, ref: `feature-${number}` })
  if (action === 'closed') Object.assign(payload.pull_request, { state: 'closed', merged: true })
  return { payload, env: { GITHUB_REF: `refs/pull/${number}/merge`, GITHUB_REF_NAME: `${number}/merge`, GITHUB_HEAD_REF: `feature-${number}`, GITHUB_BASE_REF: 'main' } }
}

interface PullRequestRun {
  run: ActionRun
  head: string
  /** What the job checked out: the merge commit GitHub makes for the pull request. */
  merge: string
  heroku: number
}

/**
 * A pull_request run: for every action but `closed`, a new commit on the branch and the merge commit
 * actions/checkout checks out by default (GITHUB_SHA).
 */
async function pullRequest(number: number, action: string, inputs: Record<string, string> = {}, fork?: string): Promise<PullRequestRun> {
  const started = startPullRequest(number, action, inputs, fork)
  return { ...started, run: await started.running.done }
}

function startPullRequest(number: number, action: string, inputs: Record<string, string> = {}, fork?: string): Omit<PullRequestRun, 'run'> & { running: RunningAction } {
  let head = world.github.deployments.findLast((d) => d.environment === `pr-${number}`)?.sha ?? ''
  if (action !== 'closed') {
    world.repo.write('feature.txt', `pull request ${number}, ${action} (${Date.now()})\n`)
    head = world.repo.commit(`#${number}: ${action}`)
    world.sha = world.repo.commit(`Merge ${head.slice(0, 7)} into main`)
  }
  world.github.setPullRequest({ number, head, state: action === 'closed' ? 'merged' : 'open', fork })
  const heroku = world.emulator.requests.length
  const event = pullRequestEvent(number, action, head, fork)
  // Every run also goes through the world's secrets check.
  const running = world.start({ app: POOL, 'branch-nodes': 'true', 'smoke-checks': '/health 200 ok', ...inputs }, event.env, 'pull_request', event.payload)
  return { running, head, merge: world.sha, heroku }
}

async function until(check: () => boolean, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!check()) {
    if (Date.now() > deadline) throw new Error('timed out waiting')
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
}

/** Releases and builds of every node: what changes when a node is deployed to. */
function snapshot(): Record<string, { releases: number; builds: number; maintenance: number }> {
  return Object.fromEntries(
    [N1, N2, N3].map((node) => {
      const app = world.emulator.app(node)
      return [node, { releases: app.releases.length, builds: app.builds.length, maintenance: app.maintenanceHistory.length }]
    })
  )
}

/** Mutating Heroku API calls since `from`, per app they touched. */
function writesTo(from: number): string[] {
  return world.emulator.requests
    .slice(from)
    .filter((r) => MUTATING.has(r.method) && r.path.startsWith('/apps/'))
    .map((r) => r.path.split('/')[2])
}

/**
 * A release on `node` (a config var change: on Heroku it makes one) in a second of its own, since
 * `released_at` counts whole seconds: this is how a node comes to look recently used.
 */
async function touch(node: string): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, 1005 - (Date.now() % 1000)))
  const app = world.emulator.app(node)
  const version = app.releases.length + 1
  const response = await fetch(`${world.emulator.apiUrl}/apps/${node}/config-vars`, {
    method: 'PATCH',
    headers: { Authorization: `Bearer ${world.apiKey}`, Accept: 'application/vnd.heroku+json; version=3', 'Content-Type': 'application/json' },
    body: JSON.stringify({ TOUCHED: String(++touches) })
  })
  expect(response.status).toBe(200)
  while (app.currentRelease()?.version !== version) await new Promise((resolve) => setTimeout(resolve, 20))
}

async function servedCommit(node: string): Promise<string> {
  const version = (await (await fetch(new URL('version', world.emulator.app(node).webUrl))).json()) as { commit: string }
  return version.commit
}

function results(run: ActionRun): { app: string; status: string; app_url: string; deployment_id: number }[] {
  return JSON.parse(run.outputs.results)
}

test('a pool of nodes serves the pull requests, as they open, get pushed to, close and come from a fork', async () => {
  // Every node has a release; shop-pr-2 has the oldest.
  for (const node of [N2, N1, N3]) await touch(node)

  // 1. The first pull request gets the node released longest ago, and only that node changes.
  let before = snapshot()
  const first = await pullRequest(1, 'opened')
  expect(first.run.exitCode).toBe(0)
  expect(first.run.outputs.status).toBe('success')
  expect(results(first.run)).toEqual([expect.objectContaining({ app: N2, status: 'success', app_url: world.emulator.app(N2).webUrl })])
  expect(first.run.outputs['app-url']).toBe(world.emulator.app(N2).webUrl)
  expect(snapshot()[N1]).toEqual(before[N1])
  expect(snapshot()[N3]).toEqual(before[N3])
  expect(new Set(writesTo(first.heroku))).toEqual(new Set([N2]))
  expect(first.run.stdout).toContain(`Branch node: #1 gets ${N2}, the free node released longest ago.`)
  // The node runs the merge commit the job checked out; the deployment is on the pull request's head.
  expect(await servedCommit(N2)).toBe(first.merge)
  const deployment = world.github.deployments.find((d) => d.id === Number(first.run.outputs['deployment-id']))
  expect(deployment).toMatchObject({ sha: first.head, environment: 'pr-1', request: { transient_environment: true, production_environment: false }, payload: { app: N2 } })
  expect(deployment?.statuses.map((s) => s.state)).toEqual(['in_progress', 'success'])
  expect(deployment?.statuses.at(-1)?.environment_url).toBe(world.emulator.app(N2).webUrl)
  expect(first.run.summary).toContain('## ✅ Heroku: #1 on shop-pr-2 deployed')
  expect(first.run.summary).toContain('**Pull request** [#1 Feature 1](https://github.com/octo-org/hello-app/pull/1) · GitHub environment `pr-1`')

  // 2. The second skips the node the first holds, although that one now looks least recently used.
  await touch(N1)
  await touch(N3)
  before = snapshot()
  const second = await pullRequest(2, 'opened')
  expect(second.run.outputs.status).toBe('success')
  expect(results(second.run).map((r) => r.app)).toEqual([N1])
  expect(snapshot()[N2]).toEqual(before[N2])
  expect(new Set(writesTo(second.heroku))).toEqual(new Set([N1]))

  // 3. Pushed again, the second gets its node again, although shop-pr-3 is now less recently used.
  const pushed = await pullRequest(2, 'synchronize')
  expect(pushed.run.outputs.status).toBe('success')
  expect(results(pushed.run).map((r) => r.app)).toEqual([N1])
  expect(pushed.run.stdout).toContain(`Branch node: #2 gets ${N1}, the node it already holds.`)
  expect(await servedCommit(N1)).toBe(pushed.merge)

  // 4. Closing it builds nothing and frees its node (here into maintenance mode), which the next pull request gets.
  before = snapshot()
  const closed = await pullRequest(2, 'closed', { 'branch-nodes-idle': 'maintenance' })
  expect(closed.run.exitCode).toBe(0)
  expect(closed.run.outputs.status).toBe('skipped')
  expect(world.emulator.requests.slice(closed.heroku).map((r) => `${r.method} ${r.path}`)).toEqual([`PATCH /apps/${N1}`])
  expect(snapshot()[N1]).toMatchObject({ releases: before[N1].releases, builds: before[N1].builds })
  expect(world.emulator.app(N1).maintenance).toBe(true)
  const closedDeployment = world.github.deployments.find((d) => d.id === Number(pushed.run.outputs['deployment-id']))
  expect(closedDeployment?.statuses.at(-1)).toMatchObject({ state: 'inactive', description: `Pull request #2 closed: ${N1} is free for the next one.` })
  expect(closed.run.summary).toContain(`Pull request #2 closed: ${N1} is free for the next pull request.`)
  await touch(N3)
  const third = await pullRequest(3, 'opened')
  expect(third.run.outputs.status).toBe('success')
  expect(results(third.run).map((r) => r.app)).toEqual([N1])
  expect(world.emulator.app(N1).maintenance).toBe(false)
  expect(JSON.parse(third.run.outputs.results)[0].smoke[0]).toMatchObject({ passed: true })

  // 5. Every node held: the one deployed longest ago is taken (#1's, although shop-pr-2 was just released), and that is said.
  const fourth = await pullRequest(4, 'opened')
  expect(results(fourth.run).map((r) => r.app)).toEqual([N3])
  await touch(N2)
  const fifth = await pullRequest(5, 'opened')
  expect(fifth.run.outputs.status).toBe('success')
  expect(results(fifth.run).map((r) => r.app)).toEqual([N2])
  expect(fifth.run.stdout).toMatch(/::warning::Every branch node was in use: #1, deployed longest ago \(.+\), loses shop-pr-2 to #5\./)
  expect(fifth.run.summary).toContain(`Pull request #5 got ${N2}, taken from #1: every node was in use, and its deploy there`)
  expect(fifth.run.summary).toContain(`> #1 was evicted from ${N2}, and its deployment marked inactive. It gets a node again on its next push.`)
  expect(deployment?.statuses.at(-1)).toMatchObject({ state: 'inactive', description: `Evicted from ${N2} by #5: every node was in use. Push again to get a node.` })

  // 6. A fork's pull request (its run gets no secrets) is never deployed, and asks Heroku nothing.
  const requests = { heroku: world.emulator.requests.length, github: world.github.requests.length }
  const fork = await pullRequest(6, 'opened', { 'api-key': '' }, 'mallory/hello-app')
  expect(fork.run.exitCode).toBe(0)
  expect(fork.run.outputs.status).toBe('skipped')
  expect(fork.run.stdout).toContain("::notice::Pull request #6 comes from the fork mallory/hello-app: a fork's code is never deployed")
  expect({ heroku: world.emulator.requests.length, github: world.github.requests.length }).toEqual(requests)
}, 300_000)

test('a missing permission fails the step with the line to add, and deploys nothing', async () => {
  await pullRequest(31, 'opened', { 'smoke-checks': '' }) // some node is now held by an open pull request
  const before = snapshot()
  world.github.permissions.pull_requests = 'none'
  try {
    const { run } = await pullRequest(32, 'opened')
    expect(run.exitCode).toBe(1)
    expect(run.stdout).toMatch(
      /::error::Branch nodes: GitHub API GET \/repos\/octo-org\/hello-app\/pulls\/\d+ answered 403: .*add 'pull-requests: read' under the job's 'permissions:'/
    )
  } finally {
    world.github.permissions.pull_requests = 'read'
  }
  world.github.permissions.deployments = 'read'
  try {
    const { run } = await pullRequest(32, 'opened')
    expect(run.exitCode).toBe(1)
    expect(run.stdout).toMatch(/::error::Branch nodes: GitHub API POST \/repos\/octo-org\/hello-app\/deployments answered 403: .*add 'deployments: write'/)
  } finally {
    world.github.permissions.deployments = 'write'
  }
  expect(snapshot()).toEqual(before)
})

test('a node whose holder is still deploying is never taken: with a pool of one, the other pull request fails naming both', async () => {
  const claimOf = (number: number) => world.github.deployments.findLast((d) => d.environment === `pr-${number}`)
  // #51's build takes far longer than #52's run, however slow the machine: its deploy on shop-pr-3 is running while #52 chooses (and is cancelled after).
  world.emulator.faults.buildDelayMs = 300_000
  try {
    const deploying = startPullRequest(51, 'opened', { app: N3 })
    await until(() => claimOf(51)?.statuses.at(-1)?.state === 'in_progress' && world.emulator.app(N3).builds.at(-1)?.status === 'pending', 60_000)
    const deployments = world.github.deployments.length
    const refused = await pullRequest(52, 'opened', { app: N3 })
    expect(refused.run.exitCode).toBe(1)
    expect(refused.run.outputs.status).toBe('failure')
    expect(refused.run.stdout).toMatch(
      /::error::Branch nodes: every node is being deployed by another pull request: shop-pr-3 \(#51, since [^)]+\)\. Taking one would have two runs deploy it at once; run the job again once one of them ends, or add a node to the pool\./
    )
    // Nothing claimed, nobody evicted, nothing written to the node.
    expect(world.github.deployments).toHaveLength(deployments)
    expect(claimOf(51)?.statuses.map((s) => s.state)).toEqual(['in_progress'])
    expect(writesTo(refused.heroku)).toEqual([])

    // Once #51's deploy has ended (here cancelled: its claim ends in error), the node can be taken from it.
    deploying.running.child.kill('SIGINT')
    expect((await deploying.running.done).outputs.status).toBe('cancelled')
    expect(claimOf(51)?.statuses.at(-1)?.state).toBe('error')
  } finally {
    world.emulator.faults.buildDelayMs = 0
  }
  const taken = await pullRequest(52, 'synchronize', { app: N3 })
  expect(taken.run.outputs.status).toBe('success')
  expect(taken.run.stdout).toContain(`Branch node: #52 gets ${N3}, taken from #51`)
  expect(claimOf(51)?.statuses.at(-1)).toMatchObject({ state: 'inactive', description: `Evicted from ${N3} by #52: every node was in use. Push again to get a node.` })
}, 240_000)

describe('a cancel while the node is chosen is a cancel', () => {
  const LIST = { method: 'GET', path: /\/deployments(\?|$)/ }

  test('while reading who holds what: nothing is claimed, nothing changes on Heroku', async () => {
    const deployments = world.github.deployments.length
    world.github.faults.delayAnswerNext(1, 30_000, LIST)
    const from = world.github.requests.length
    const { running, heroku } = startPullRequest(41, 'opened')
    await until(() => world.github.requests.slice(from).some((r) => r.fault === 'delay'))
    running.child.kill('SIGINT')
    const run = await running.done
    expect(run.exitCode).not.toBe(0)
    expect(run.outputs.status).toBe('cancelled')
    expect(world.github.deployments).toHaveLength(deployments)
    expect(writesTo(heroku)).toEqual([])
  })

  test('after claiming: the claim ends in error (the pull request keeps the node), nothing changes on Heroku', async () => {
    const deployments = world.github.deployments.length
    // The read answers at once; the re-check after the claim hangs.
    world.github.faults.delayAnswerNext(1, 1, LIST)
    world.github.faults.delayAnswerNext(1, 30_000, LIST)
    const from = world.github.requests.length
    const { running, heroku } = startPullRequest(42, 'opened')
    await until(() => world.github.requests.slice(from).filter((r) => r.fault === 'delay').length === 2)
    running.child.kill('SIGINT')
    const run = await running.done
    expect(run.outputs.status).toBe('cancelled')
    const claim = world.github.deployments.slice(deployments)
    expect(claim).toHaveLength(1)
    expect(claim[0]).toMatchObject({ environment: 'pr-42', statuses: [expect.objectContaining({ state: 'error', description: 'Cancelled before anything was deployed.' })] })
    expect(writesTo(heroku)).toEqual([])
  })

  const CLAIM = { method: 'POST', path: /\/deployments$/ }
  /** A run of `number` whose claim GitHub makes but whose answer it holds; SIGINT once the claim exists. */
  async function cancelledWhileClaiming(number: number) {
    const marks = cancelMarks(world, [N1, N2, N3])
    world.github.faults.delayAnswerNext(1, 30_000, CLAIM)
    const { running, heroku } = startPullRequest(number, 'opened')
    await until(() => world.github.deployments.some((d) => d.environment === `pr-${number}`))
    marks.sentAt = Date.now()
    running.child.kill('SIGINT')
    const run = await running.done
    expectCleanCancel(world, run, marks)
    const claims = world.github.deployments.slice(marks.deployments)
    expect(claims.map((d) => d.environment)).toEqual([`pr-${number}`])
    expect(writesTo(heroku)).toEqual([])
    return { run, claim: claims[0] }
  }

  test('while the claim is sent: the claim, found by its mark within the cleanup window, ends in error', async () => {
    const { run, claim } = await cancelledWhileClaiming(43)
    expect(claim.statuses).toEqual([expect.objectContaining({ state: 'error', description: 'Cancelled before anything was deployed.' })])
    expect(run.stdout).toContain(`got no answer, but GitHub had made it (deployment ${claim.id}): it is closed.`)
    expect(run.summary).not.toContain('may have been made')
  })

  // Last in the file: its claim is left with no status, the truth when it cannot be found.
  test('while the claim is sent, and the look-up gets no answer in the window: the report says the claim may hold the node', async () => {
    world.github.faults.delayAnswerNext(1, 30_000, { method: 'GET', path: /\/deployments\?(.*&)?environment=/ })
    const { run, claim } = await cancelledWhileClaiming(44)
    const node = (claim.payload as { app: string }).app
    expect(claim.statuses).toEqual([])
    const said = `one may have been made, and then it holds ${node} for #44, with no final state, until the pull request's next run or its close.`
    expect(run.stdout).toMatch(
      new RegExp(
        `::error::The job was cancelled while choosing a branch node\\. The claim of ${node} for #44 got no answer from GitHub, and it could not be looked for \\(.+\\): ${said.replace(/[.#()]/g, '\\$&')}`
      )
    )
    expect(run.summary).toContain(said)
    // Its next run finds the node held by that claim, and deploys there.
    const next = await pullRequest(44, 'synchronize')
    expect(next.run.outputs.status).toBe('success')
    expect(next.run.stdout).toContain(`Branch node: #44 gets ${node}, the node it already holds.`)
  })
})
