/**
 * The branch-node gate with in-memory Heroku and GitHub: which node a pull request gets, who holds
 * what as the deployments say, two runs claiming at the same moment, and a closed pull request.
 */
import * as fs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import { CancelledError, GitHubApiError } from '../../src/errors.js'
import { branchNodeGate, chooseNode, deployBoundMs, type TakenNode } from '../../src/gate/nodes.js'
import { type Claim, claimPayload, isDeploying, type Ledger, readLedger } from '../../src/gate/node-ledger.js'
import type { HerokuApp } from '../../src/heroku/types.js'
import type { RunResult } from '../../src/result.js'
import { readSettings, type Settings } from '../../src/settings.js'
import { CleanupWindow } from '../../src/util/cleanup.js'
import { FakeGitHub } from '../fakes/github.js'
import { FakeHeroku } from '../fakes/heroku.js'
import { MemoryLog } from '../fakes/log.js'

const POOL = ['shop-pr-1', 'shop-pr-2', 'shop-pr-3']
const HEAD = 'b'.repeat(40)
let dir: string

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nodes-'))
})
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }))

function settings(pullRequest: number, action = 'synchronize', inputs: Record<string, string> = {}): Settings {
  const event = path.join(dir, `event-${pullRequest}-${action}.json`)
  const repo = { full_name: 'octo/app' }
  fs.writeFileSync(
    event,
    JSON.stringify({
      action,
      number: pullRequest,
      pull_request: { number: pullRequest, title: `PR ${pullRequest}`, head: { sha: HEAD, ref: `f-${pullRequest}`, repo }, base: { repo } }
    })
  )
  const all: Record<string, string> = { 'api-key': 'HRKU-k', app: POOL.join(','), 'github-token': 'ghs-t', 'branch-nodes': 'true', ...inputs }
  return readSettings(
    (name) => all[name] ?? '',
    {
      GITHUB_WORKSPACE: dir,
      GITHUB_SHA: 'a'.repeat(40),
      GITHUB_EVENT_NAME: 'pull_request',
      GITHUB_EVENT_PATH: event,
      GITHUB_REPOSITORY: 'octo/app',
      GITHUB_HEAD_REF: `f-${pullRequest}`
    },
    () => undefined
  )
}

function app(name: string, releasedAt: string | null): HerokuApp {
  return { id: name, name, web_url: `https://${name}.example/`, released_at: releasedAt }
}

function claim(node: string, pullRequest: number, id: number, createdAt = '2026-01-01T00:00:00Z', state: Claim['state'] = 'success'): Claim {
  return { id, node, pullRequest, createdAt, state }
}

function ledger(...claims: Claim[]): Ledger {
  return { holders: new Map(claims.map((c) => [c.node, c])), seenUpTo: 0 }
}

/** A world of one pool: Heroku with release times, GitHub with the pull requests that are open. */
function world(open: number[] = []) {
  const api = new FakeHeroku()
  api.apps = { 'shop-pr-1': { released_at: '2026-01-03T00:00:00Z' }, 'shop-pr-2': { released_at: '2026-01-01T00:00:00Z' }, 'shop-pr-3': { released_at: '2026-01-02T00:00:00Z' } }
  const github = new FakeGitHub()
  for (const number of open) github.pullRequests.set(number, 'open')
  return { api, github, log: new MemoryLog() }
}

/** A deploy of `pullRequest` that already happened: its claim, ending in `state`. */
async function deployed(
  github: FakeGitHub,
  node: string,
  pullRequest: number,
  /** null: no status yet (the claim was just made). */
  state: 'success' | 'failure' | 'inactive' | 'in_progress' | null = 'success',
  description = ''
): Promise<number> {
  const id = await github.createDeployment({ sha: HEAD, environment: `pr-${pullRequest}`, description: '', payload: claimPayload(node, pullRequest), transient: true })
  if (state) await github.createDeploymentStatus(id, { state, description })
  return id
}

function taken(result: TakenNode | { done: RunResult }): TakenNode {
  if ('done' in result) throw new Error(`the gate ended the run: ${result.done.reason}`)
  return result
}

describe('chooseNode', () => {
  const pool = [app('shop-pr-1', '2026-01-03T00:00:00Z'), app('shop-pr-2', '2026-01-01T00:00:00Z'), app('shop-pr-3', null)]

  test('the node the pull request already holds, even when another is older', () => {
    expect(chooseNode(pool, ledger(claim('shop-pr-1', 7, 10)), 7)).toEqual({ node: 'shop-pr-1', choice: 'held' })
  })

  test('else the free node released longest ago; never released is the oldest', () => {
    expect(chooseNode(pool, ledger(), 7)).toEqual({ node: 'shop-pr-3', choice: 'free' })
    expect(chooseNode(pool, ledger(claim('shop-pr-3', 5, 10)), 7)).toEqual({ node: 'shop-pr-2', choice: 'free' })
  })

  test('every node held: the one whose holder was deployed longest ago, ties by the older claim', () => {
    const held = ledger(claim('shop-pr-1', 4, 30, '2026-01-05T00:00:00Z'), claim('shop-pr-2', 5, 21, '2026-01-02T00:00:00Z'), claim('shop-pr-3', 6, 20, '2026-01-02T00:00:00Z'))
    expect(chooseNode(pool, held, 7)).toEqual({ node: 'shop-pr-3', choice: 'evicted', evicted: claim('shop-pr-3', 6, 20, '2026-01-02T00:00:00Z') })
  })

  test('every node held: a node whose holder is still deploying there is never taken, however old its claim', () => {
    const held = ledger(
      claim('shop-pr-1', 4, 30, '2026-01-05T00:00:00Z'),
      claim('shop-pr-2', 5, 10, '2026-01-01T00:00:00Z', 'in_progress'),
      claim('shop-pr-3', 6, 20, '2026-01-02T00:00:00Z')
    )
    const deploying = (c: Claim) => c.state === 'in_progress'
    expect(chooseNode(pool, held, 7, deploying)).toMatchObject({ node: 'shop-pr-3', choice: 'evicted', evicted: { pullRequest: 6 } })
  })

  test('every node held and every holder deploying: no node is taken, and the error names each node and pull request', () => {
    const held = ledger(
      claim('shop-pr-1', 4, 30, '2026-01-05T00:00:00Z', 'in_progress'),
      claim('shop-pr-2', 5, 10, '2026-01-01T00:00:00Z', undefined),
      claim('shop-pr-3', 6, 20, '2026-01-02T00:00:00Z', 'queued')
    )
    expect(() => chooseNode(pool, held, 7, () => true)).toThrow(
      'every node is being deployed by another pull request: shop-pr-1 (#4, since 2026-01-05T00:00:00Z), shop-pr-2 (#5, since 2026-01-01T00:00:00Z), shop-pr-3 (#6, since 2026-01-02T00:00:00Z).'
    )
  })
})

describe('isDeploying', () => {
  const now = Date.parse('2026-01-01T01:00:00Z')
  const hour = 3_600_000
  test('a claim with no final state yet, made within the bound, is a deploy still running', () => {
    for (const state of [undefined, 'queued', 'pending', 'in_progress'] as const) expect(isDeploying({ ...claim('n', 1, 1, '2026-01-01T00:30:00Z'), state }, now, hour)).toBe(true)
  })
  test('a final state, or an open claim older than the bound (its runner was stopped), is not', () => {
    for (const state of ['success', 'failure', 'error', 'inactive'] as const) expect(isDeploying(claim('n', 1, 1, '2026-01-01T00:30:00Z', state), now, hour)).toBe(false)
    expect(isDeploying(claim('n', 1, 1, '2025-12-31T23:59:59Z', 'in_progress'), now, hour)).toBe(false)
  })
  test("the bound is what a deploy with the run's settings can take, and 5 minutes more", () => {
    expect(deployBoundMs(settings(1))).toBe((600 + 1800 + 2 * 120 + 300) * 1000)
  })
})

describe('readLedger', () => {
  test('a node is held by an open pull request whose newest claim is there and not inactive', async () => {
    const { github } = world([4, 5])
    await deployed(github, 'shop-pr-1', 4, 'failure') // a failed deploy still holds its node
    await deployed(github, 'shop-pr-2', 5)
    await deployed(github, 'shop-pr-3', 6) // #6 is closed (never asked to close the node)
    const read = await readLedger(github, POOL, { isOpen: async (n) => github.pullRequests.get(n) === 'open' })
    expect([...read.holders.entries()].map(([node, c]) => [node, c.pullRequest, c.state]).sort()).toEqual([
      ['shop-pr-1', 4, 'failure'],
      ['shop-pr-2', 5, 'success']
    ])
  })

  test("freed and evicted claims free the node; a claim that lost a race and a pull request's older claim are passed over", async () => {
    const { github } = world([4, 5, 8])
    await deployed(github, 'shop-pr-1', 4) // #4 held shop-pr-1…
    await deployed(github, 'shop-pr-2', 4) // …then moved to shop-pr-2 (an older claim is left behind)
    await deployed(github, 'shop-pr-3', 5)
    await deployed(github, 'shop-pr-3', 8, 'inactive', 'Lost the race for shop-pr-3 (#5 claimed it first): deployed elsewhere.')
    const read = await readLedger(github, POOL, { isOpen: async () => true })
    expect(read.holders.get('shop-pr-1')).toBeUndefined()
    expect(read.holders.get('shop-pr-2')?.pullRequest).toBe(4)
    expect(read.holders.get('shop-pr-3')?.pullRequest).toBe(5)
    await deployed(github, 'shop-pr-3', 9, 'inactive', 'Pull request #9 closed: shop-pr-3 is free for the next one.')
    expect((await readLedger(github, POOL, { isOpen: async () => true })).holders.get('shop-pr-3')).toBeUndefined()
  })
})

describe('branchNodeGate', () => {
  test('a new pull request claims the free node released longest ago: transient, in its environment, on its head', async () => {
    const deps = world()
    const gate = taken(await branchNodeGate(settings(12), deps))
    expect(gate.settings.apps).toEqual(['shop-pr-2'])
    expect(gate.report).toMatchObject({ pullRequest: { number: 12, title: 'PR 12' }, environment: 'pr-12', node: 'shop-pr-2', choice: 'free' })
    expect(deps.github.deployments).toHaveLength(1)
    expect(deps.github.deployments[0]).toMatchObject({
      id: gate.deploymentId,
      request: { sha: HEAD, environment: 'pr-12', transient: true, payload: { app: 'shop-pr-2', pull_request: 12 } }
    })
    expect(deps.log.text()).toContain('Branch node: #12 gets shop-pr-2, the free node released longest ago.')
  })

  test("with 'environment', the pull request's environment is named after both, so that two pools stay apart", async () => {
    const deps = world()
    const gate = taken(await branchNodeGate(settings(12, 'opened', { environment: 'web' }), deps))
    expect(gate.report.environment).toBe('web-pr-12')
    expect(deps.github.deployments[0].request.environment).toBe('web-pr-12')
  })

  test('every node held: the oldest deploy is evicted, and its deployment says so', async () => {
    const deps = world([4, 5, 6])
    const oldest = await deployed(deps.github, 'shop-pr-3', 4)
    await deployed(deps.github, 'shop-pr-2', 5)
    await deployed(deps.github, 'shop-pr-1', 6)
    const gate = taken(await branchNodeGate(settings(12), deps))
    expect(gate.settings.apps).toEqual(['shop-pr-3'])
    expect(gate.report).toMatchObject({ choice: 'evicted', evicted: { pullRequest: 4 } })
    expect(deps.github.deployments.find((d) => d.id === oldest)?.statuses.at(-1)).toMatchObject({
      state: 'inactive',
      description: 'Evicted from shop-pr-3 by #12: every node was in use. Push again to get a node.'
    })
    expect(deps.log.text()).toContain('warning: Every branch node was in use: #4, deployed longest ago')
  })

  test('two runs choosing at the same moment: the first claim wins the node, the other chooses again', async () => {
    const deps = world([21, 22])
    // Both runs read who holds what before either claims: each sees shop-pr-2 free and oldest.
    let waiting: (() => void)[] = []
    deps.github.beforeCreate = () =>
      new Promise<void>((resolve) => {
        waiting.push(resolve)
        if (waiting.length === 2) {
          const [first, second] = waiting
          waiting = []
          deps.github.beforeCreate = undefined
          first()
          setTimeout(second, 5)
        }
      })
    const [a, b] = await Promise.all([branchNodeGate(settings(21), deps), branchNodeGate(settings(22), deps)])
    const nodes = [taken(a).settings.apps[0], taken(b).settings.apps[0]]
    expect(new Set(nodes).size).toBe(2)
    expect(nodes).toContain('shop-pr-2')
    const lost = deps.github.deployments.filter((d) => d.statuses.some((s) => s.state === 'inactive'))
    expect(lost).toHaveLength(1)
    expect(lost[0].request.payload).toMatchObject({ app: 'shop-pr-2' })
    expect(lost[0].statuses.at(-1)?.description).toMatch(/^Lost the race for shop-pr-2 \(#2[12] claimed it first\): deployed elsewhere\.$/)
  })

  test('a dry run chooses the node and says so, but claims nothing', async () => {
    const deps = world([4])
    await deployed(deps.github, 'shop-pr-2', 4)
    const before = deps.github.deployments.length
    const gate = taken(await branchNodeGate(settings(12, 'opened', { 'dry-run': 'true' }), deps))
    expect(gate).toMatchObject({ settings: { apps: ['shop-pr-3'] }, report: { node: 'shop-pr-3', choice: 'free' } })
    expect(gate.deploymentId).toBeUndefined()
    expect(deps.github.deployments).toHaveLength(before)
    expect(deps.github.deployments.flatMap((d) => d.statuses)).toHaveLength(1)
    expect(deps.log.text()).toContain('Dry run: #12 would get shop-pr-3, the free node released longest ago.')
  })

  test('a node idle in maintenance mode is deployed with maintenance on through the release', async () => {
    const deps = world()
    deps.api.apps['shop-pr-2'] = { ...deps.api.apps['shop-pr-2'], maintenance: true }
    const gate = taken(await branchNodeGate(settings(12), deps))
    expect(gate.settings).toMatchObject({ apps: ['shop-pr-2'], maintenance: true })
  })

  test('closed: nothing is claimed; the node is freed and, with branch-nodes-idle: maintenance, put in maintenance', async () => {
    const deps = world([12])
    const held = await deployed(deps.github, 'shop-pr-1', 12)
    const gate = await branchNodeGate(settings(12, 'closed', { 'branch-nodes-idle': 'maintenance' }), deps)
    if (!('done' in gate)) throw new Error('a closed pull request must end the run')
    expect(gate.done).toMatchObject({ status: 'skipped', apps: [{ app: 'shop-pr-1', status: 'skipped' }], branchNode: { node: 'shop-pr-1', freed: true } })
    expect(deps.github.deployments).toHaveLength(1)
    expect(deps.github.deployments[0].id).toBe(held)
    expect(deps.github.deployments[0].statuses.at(-1)).toMatchObject({ state: 'inactive', description: 'Pull request #12 closed: shop-pr-1 is free for the next one.' })
    expect(deps.api.maintenance).toEqual([true])
    expect((await readLedger(deps.github, POOL, { isOpen: async () => true })).holders.size).toBe(0)
  })

  test('a GitHub refusal ends the run as a failure that names the permission, before any deploy', async () => {
    const deps = world()
    deps.github.deploymentError = new GitHubApiError(
      'POST',
      '/repos/octo/app/deployments',
      403,
      'Resource not accessible by integration',
      "the token lacks a permission: add 'deployments: write' under the job's 'permissions:'"
    )
    const gate = await branchNodeGate(settings(12), deps)
    if (!('done' in gate)) throw new Error('expected the run to end')
    expect(gate.done.status).toBe('failure')
    expect(gate.done.reason).toContain("add 'deployments: write'")
    // GitHub answered no: nothing to look for, and nothing to say about a claim that may exist.
    expect(deps.github.finds).toEqual([])
    expect(gate.done.reason).not.toContain('may have been made')
    expect(deps.api.createdBuilds).toEqual([])
  })
})

describe('a holder still deploying keeps its node', () => {
  test('a pool of one whose holder is deploying: the run fails naming the node and the pull request, claims nothing, evicts nobody', async () => {
    const deps = world([4])
    deps.api.apps = { 'shop-pr-1': { released_at: '2026-01-01T00:00:00Z' } }
    const running = await deployed(deps.github, 'shop-pr-1', 4, 'in_progress')
    const gate = await branchNodeGate(settings(12, 'opened', { app: 'shop-pr-1' }), deps)
    if (!('done' in gate)) throw new Error('expected the run to end')
    expect(gate.done.status).toBe('failure')
    expect(gate.done.reason).toMatch(
      /^Branch nodes: every node is being deployed by another pull request: shop-pr-1 \(#4, since .+\)\. Taking one would have two runs deploy it at once/
    )
    expect(deps.github.deployments).toHaveLength(1)
    expect(deps.github.deployments.find((d) => d.id === running)?.statuses.map((s) => s.state)).toEqual(['in_progress'])
    expect(deps.api.createdBuilds).toEqual([])
  })

  test('a claim just made (no status yet) is a deploy starting: the node whose holder is done is evicted instead', async () => {
    const deps = world([4, 5, 6])
    await deployed(deps.github, 'shop-pr-3', 4, null) // the oldest claim, its deploy starting
    const done = await deployed(deps.github, 'shop-pr-2', 5)
    await deployed(deps.github, 'shop-pr-1', 6, 'in_progress')
    const gate = taken(await branchNodeGate(settings(12), deps))
    expect(gate.settings.apps).toEqual(['shop-pr-2'])
    expect(gate.report).toMatchObject({ choice: 'evicted', evicted: { pullRequest: 5 } })
    expect(deps.github.deployments.find((d) => d.id === done)?.statuses.at(-1)?.state).toBe('inactive')
  })

  test('a claim left in_progress longer than a deploy can take (its runner was stopped) is evicted', async () => {
    const deps = world([4])
    deps.api.apps = { 'shop-pr-1': { released_at: '2026-01-01T00:00:00Z' } }
    deps.github.now = () => new Date(Date.now() - deployBoundMs(settings(12)) - 1000).toISOString()
    const stale = await deployed(deps.github, 'shop-pr-1', 4, 'in_progress')
    deps.github.now = () => new Date().toISOString()
    const gate = taken(await branchNodeGate(settings(12, 'opened', { app: 'shop-pr-1' }), deps))
    expect(gate.report).toMatchObject({ node: 'shop-pr-1', choice: 'evicted', evicted: { pullRequest: 4 } })
    expect(deps.github.deployments.find((d) => d.id === stale)?.statuses.at(-1)?.state).toBe('inactive')
  })
})

describe('a claim whose answer never came', () => {
  /** A gate run whose claim GitHub makes, but whose answer `lose` replaces. */
  async function unanswered(lose: (cancel: AbortController) => Error, prepare: (github: FakeGitHub) => void = () => undefined, windowMs = 5500) {
    const deps = world()
    const cancel = new AbortController()
    deps.github.afterCreate = async () => {
      throw lose(cancel)
    }
    prepare(deps.github)
    const gate = await branchNodeGate(settings(12), { ...deps, signal: cancel.signal, cleanup: new CleanupWindow(cancel.signal, windowMs) })
    if (!('done' in gate)) throw new Error('expected the run to end')
    return { ...deps, done: gate.done }
  }
  const cancelled = (cancel: AbortController) => {
    cancel.abort()
    return new CancelledError()
  }

  test('cancelled while the claim is sent: the claim, found by its mark after the cancel, ends in error and keeps the node', async () => {
    const { github, done, log } = await unanswered(cancelled)
    expect(done.status).toBe('cancelled')
    expect(github.deployments).toHaveLength(1)
    const [claimed] = github.deployments
    expect(github.finds).toEqual([{ sha: HEAD, environment: 'pr-12', requestId: claimed.request.requestId, afterCancel: true }])
    expect(claimed.statuses).toEqual([{ state: 'error', description: 'Cancelled before anything was deployed.', afterCancel: true }])
    expect(done.reason).toBe('The job was cancelled while choosing a branch node.')
    expect(log.text()).toContain(`The claim of shop-pr-2 for #12 got no answer, but GitHub had made it (deployment ${claimed.id}): it is closed.`)
    expect((await readLedger(github, POOL, { isOpen: async () => true })).holders.get('shop-pr-2')).toMatchObject({ pullRequest: 12, state: 'error' })
  })

  test('no answer after every attempt (a dropped connection): found and closed in error with the reason', async () => {
    const { github, done } = await unanswered(() => new GitHubApiError('POST', '/repos/octo/app/deployments', undefined, 'no answer (socket hang up)'))
    expect(done.status).toBe('failure')
    expect(github.finds).toHaveLength(1)
    expect(github.finds[0].afterCancel).toBe(false)
    expect(github.deployments[0].statuses).toEqual([
      { state: 'error', description: 'Not deployed: GitHub API POST /repos/octo/app/deployments failed: no answer (socket hang up)', afterCancel: false }
    ])
  })

  test('the look-up does not answer within the cleanup window: the report says a claim may hold the node', async () => {
    const started = Date.now()
    const { github, done, log } = await unanswered(cancelled, (fake) => (fake.findHangs = true), 300)
    expect(Date.now() - started).toBeLessThan(300)
    expect(done.status).toBe('cancelled')
    expect(github.deployments[0].statuses).toEqual([])
    expect(done.reason).toMatch(
      /^The job was cancelled while choosing a branch node\. The claim of shop-pr-2 for #12 got no answer from GitHub, and it could not be looked for \(Looking for the claim of shop-pr-2 for #12 whose answer never came got no answer within .*\): one may have been made, and then it holds shop-pr-2 for #12, with no final state, until the pull request's next run or its close\.$/
    )
    expect(log.text()).toContain('warning: The claim of shop-pr-2 for #12 got no answer from GitHub')
  })

  test('the create never reached GitHub: not found, and the report says so plainly', async () => {
    const deps = world()
    const cancel = new AbortController()
    deps.github.beforeCreate = async () => {
      throw cancelled(cancel)
    }
    const gate = await branchNodeGate(settings(12), { ...deps, signal: cancel.signal, cleanup: new CleanupWindow(cancel.signal) })
    if (!('done' in gate)) throw new Error('expected the run to end')
    expect(deps.github.deployments).toEqual([])
    expect(deps.github.finds).toHaveLength(1)
    expect(gate.done.reason).toContain('The claim of shop-pr-2 for #12 got no answer from GitHub, and it was not found: one may have been made')
  })
})
