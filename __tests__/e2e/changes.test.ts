/**
 * What a deploy brings, end to end over dist/index.js: the emulator's slugs name the commit the app
 * runs, the local GitHub compares it with the deployed one from the test repository's real history
 * and names each commit's pull request; the summary, Slack, the webhook, the GitHub deployment and the
 * `previous-commit` output all say it. Never a guess, never a change of the deploy's result.
 */
import { type Received, scriptedServer } from '../fakes/http.js'
import { githubUser, mergeBranch } from '../../scripts/lib/git-repo.js'
import { APP, startWorld, type World } from './world.js'

let world: World
let receivers: Awaited<ReturnType<typeof scriptedServer>>
const slackUrl = () => `${receivers.url}/services/T000/B000/changes-slack`
const hookUrl = () => `${receivers.url}/hooks/changes`
const last = (prefix: string): Received => receivers.received.filter((r) => r.url.startsWith(prefix)).at(-1) as Received
const short = (sha: string) => sha.slice(0, 7)

beforeAll(async () => {
  world = await startWorld()
  receivers = await scriptedServer((_req, res) => void res.writeHead(200).end('ok'))
})
afterAll(async () => {
  await world.close()
  await receivers.close()
})
afterEach(() => expect(world.github.violations).toEqual([]))

/** The short SHAs the summary lists as the deploy's commits (the folded list), in order. */
function listedCommits(summary: string): string[] {
  const block = /<details><summary>[^<]*commits?<\/summary>\n\n([\s\S]*?)\n\n<\/details>/.exec(summary)?.[1] ?? ''
  return block.split('\n').map((line) => /^- \[`([0-9a-f]{7})`\]/.exec(line)?.[1] ?? `not a commit line: ${line}`)
}

/** New history on main: a branch of alice's merged as #7, bob's fix squashed as #8, then a commit of Octo Cat's (no account). */
function landFeatures(): Record<string, string> {
  const { repo } = world
  const c: Record<string, string> = {}
  c.merge = mergeBranch(repo, 'web', 'Merge pull request #7 from octo-org/web', () => {
    repo.write('public/pricing.html', '<h1>Pricing</h1>\n')
    c.web1 = repo.commit('Add the pricing page', githubUser('alice', 'Alice Liddell'))
    repo.write('public/pricing.html', '<h1>Pricing</h1>\n<p>Plans</p>\n')
    c.web2 = repo.commit('List the plans', githubUser('alice', 'Alice Liddell'))
  })
  repo.write('login.txt', 'fixed\n')
  c.fix = repo.commit('Fix the login (#8)', githubUser('bob', 'Bob'))
  repo.write('VERSION', '2\n')
  c.bump = repo.commit('Bump the version')
  world.github.setPullRequest({ number: 7, title: 'Web front end', user: 'alice', head: c.web2, commits: [c.web1, c.web2], mergeCommit: c.merge })
  world.github.setPullRequest({ number: 8, title: 'Fix the login', user: 'bob', head: c.fix, mergeCommit: c.fix })
  world.sha = c.bump
  return c
}

let live: string
let features: Record<string, string>

test('the first deploy: nothing ran before, so there is nothing to list', async () => {
  const run = await world.deploy()
  expect(run.exitCode).toBe(0)
  expect(run.outputs['previous-commit']).toBe('')
  expect(run.summary).toContain(`**Changes:** cannot be listed: ${APP} had no release before this one.`)
  live = world.sha
})

test('with the app on an earlier commit: exactly the commits after it, their pull requests and authors, everywhere', async () => {
  features = landFeatures()
  const githubBefore = world.github.requests.length
  const run = await world.deploy({ 'slack-webhook': slackUrl(), 'webhook-url': hookUrl() })
  expect(run.exitCode).toBe(0)
  expect(run.outputs.status).toBe('success')
  expect(run.outputs['previous-commit']).toBe(live)

  // The summary: the five commits since the live one (not the live one), newest first, and both pull requests with their authors.
  const { web1, web2, merge, fix, bump } = features
  expect(listedCommits(run.summary)).toEqual([bump, fix, merge, web2, web1].map(short))
  const previous = Number(run.outputs['release-version']) - 1
  expect(run.summary).toContain(
    `**Changes:** 5 commits, 2 pull requests since v${previous}: [#8](https://github.com/octo-org/hello-app/pull/8) Fix the login (@bob), [#7](https://github.com/octo-org/hello-app/pull/7) Web front end (@alice) · [compare](https://github.com/octo-org/hello-app/compare/${live}...${bump})`
  )
  expect(run.summary).toContain(`Add the pricing page — @alice · #7`)
  expect(run.summary).toContain(`Bump the version — Octo Cat\n`)

  // Slack names the pull requests' authors; the webhook has every new commit's SHA.
  const slack = JSON.stringify(JSON.parse(last('/services/').body.toString()).blocks)
  expect(slack).toContain('Fix the login (@bob)')
  expect(slack).toContain('Web front end (@alice)')
  const hook = JSON.parse(last('/hooks/').body.toString())
  const changes = hook.apps[0].changes
  expect(changes).toMatchObject({ base: live, head: bump, status: 'ahead', ahead_by: 5, behind_by: 0, commits_not_listed: 0 })
  expect(changes.commits.map((c: { sha: string }) => c.sha)).toEqual([bump, fix, merge, web2, web1])
  expect(changes.commits[1]).toEqual({
    sha: fix,
    title: 'Fix the login (#8)',
    author: 'bob',
    author_login: 'bob',
    pull_request: { number: 8, title: 'Fix the login', author: 'bob', url: 'https://github.com/octo-org/hello-app/pull/8' }
  })
  expect(hook.apps[0].previous_commit).toBe(live)

  // The GitHub deployment says it too; and it took one compare and one look-up per commit that landed on main.
  expect(world.github.deployments.at(-1)?.statuses.at(-1)?.description).toBe(`Released v${previous + 1} on ${APP}: 5 commits, 2 pull requests since v${previous}`)
  const reads = world.github.requests.slice(githubBefore).filter((r) => r.method === 'GET')
  expect(reads.map((r) => r.path.replace(/\?.*/, '').split('/').slice(4, 5)[0])).toEqual(['compare', 'commits', 'commits', 'commits'])
  expect(run.stdout).toContain(`Changes on ${APP}: 5 commits, 2 pull requests since v${previous}: #8 Fix the login (@bob), #7 Web front end (@alice).`)
})

test('a deploy of an older commit than the live one says how far it goes back', async () => {
  world.sha = features.merge
  const run = await world.deploy()
  expect(run.exitCode).toBe(0)
  expect(run.outputs['previous-commit']).toBe(features.bump)
  const previous = Number(run.outputs['release-version']) - 1
  expect(run.summary).toContain(
    `**Changes:** goes back 2 commits from v${previous} · [compare](https://github.com/octo-org/hello-app/compare/${features.merge}...${features.bump})`
  )
  expect(world.github.deployments.at(-1)?.statuses.at(-1)?.description).toBe(`Released v${previous + 1} on ${APP}: goes back 2 commits from v${previous}`)
})

test('a live release whose commit is unknown: the deploy succeeds and says the changes cannot be listed', async () => {
  // A build labelled with a version that is no commit: its slug names the label, not a SHA.
  const labelled = await world.deploy({ version: 'release-2024.1' })
  expect(labelled.exitCode).toBe(0)
  const githubBefore = world.github.requests.length
  world.sha = features.bump
  const run = await world.deploy()
  expect(run.exitCode).toBe(0)
  expect(run.outputs.status).toBe('success')
  expect(run.outputs['previous-commit']).toBe('')
  expect(run.summary).toContain(
    `**Changes:** cannot be listed: the live release v${labelled.outputs['release-version']} was built from 'release-2024.1', a version label rather than a commit SHA.`
  )
  expect(run.stdout).not.toContain('::warning::')
  // Nothing guessed: GitHub was not asked to compare anything.
  expect(world.github.requests.slice(githubBefore).filter((r) => r.path.includes('/compare/'))).toEqual([])
})

test('without the GitHub permissions: a warning names the missing one, and the deploy is as it would be', async () => {
  world.github.permissions.pull_requests = 'none'
  const tweak = (world.sha = world.repo.commit('Tweak the copy', githubUser('carol')))
  try {
    const run = await world.deploy()
    expect(run.exitCode).toBe(0)
    expect(run.outputs.status).toBe('success')
    expect(run.stdout).toMatch(
      /::warning::Could not list the pull requests of this deploy: .*add 'pull-requests: read' under the job's 'permissions:'\)\. The deploy goes on without them\./
    )
    // The commits are still listed: compare needs only contents: read.
    expect(listedCommits(run.summary)).toEqual([short(tweak)])
    expect(run.outputs['previous-commit']).toBe(features.bump)
  } finally {
    world.github.permissions.pull_requests = 'read'
  }
  world.github.permissions.contents = 'none'
  world.sha = world.repo.commit('Tweak the copy again', githubUser('carol'))
  try {
    const run = await world.deploy()
    expect(run.exitCode).toBe(0)
    expect(run.outputs.status).toBe('success')
    expect(run.stdout).toMatch(/::warning::Could not list the changes of this deploy: .*add 'contents: read' under the job's 'permissions:'\)\. The deploy goes on without them\./)
    expect(run.summary).toContain("**Changes:** cannot be listed: GitHub refused (the token lacks a permission: add 'contents: read' under the job's 'permissions:').")
    expect(run.outputs['previous-commit']).toBe(tweak)
    expect(world.github.deployments.at(-1)?.statuses.at(-1)?.state).toBe('success')
  } finally {
    world.github.permissions.contents = 'read'
  }
})

test("a git push's slug names the pushed commit: the next deploy starts its changes there", async () => {
  const pushed = world.sha
  const run = await world.deploy({ strategy: 'git' }, { HEROKU_GIT_URL: world.emulator.gitUrl })
  expect(run.exitCode).toBe(0)
  world.sha = world.repo.commit('Say hello louder', githubUser('dave'))
  const next = await world.deploy()
  expect(next.exitCode).toBe(0)
  expect(next.outputs['previous-commit']).toBe(pushed)
  expect(listedCommits(next.summary)).toEqual([short(world.sha)])
  expect(next.summary).toContain('Say hello louder — @dave')
})

test('several apps: each gets its own range; apps on the same live commit share one look-up', async () => {
  await world.emulator.createApp('shop-app')
  const was = world.sha
  world.sha = world.repo.commit('Open the shop', githubUser('erin'))
  const first = await world.deploy({ app: `${APP}, shop-app` })
  expect(first.exitCode).toBe(0)
  const [hello, shop] = JSON.parse(first.outputs.results)
  expect([hello.previous_commit, shop.previous_commit]).toEqual([was, null])
  expect(first.summary).toContain('**Changes:** cannot be listed: shop-app had no release before this one.')
  expect(first.summary).toContain('Open the shop — @erin')

  world.sha = world.repo.commit('Stock the shelves', githubUser('erin'))
  const githubBefore = world.github.requests.length
  const both = await world.deploy({ app: `${APP}, shop-app` })
  expect(both.exitCode).toBe(0)
  const opened = world.repo.git('rev-parse', 'HEAD~1')
  expect(JSON.parse(both.outputs.results).map((r: { previous_commit: string }) => r.previous_commit)).toEqual([opened, opened])
  expect(both.summary.split('Stock the shelves — @erin').length - 1).toBe(2)
  expect(world.github.requests.slice(githubBefore).filter((r) => r.path.includes('/compare/'))).toHaveLength(1)
})

test('a secret in a commit or pull-request title (a config value pasted by mistake) is scrubbed wherever the changes are shown', async () => {
  // world.ts searches every byte of the run (log, outputs, summary, notifications, requests, children) for the config value.
  const canary = `sk-changes-${Date.now().toString(36)}-canary`
  world.sha = world.repo.commit(`Rotate the token to ${canary}`, githubUser('frank'))
  world.github.setPullRequest({ number: 9, title: `Use ${canary} on staging`, user: 'frank', head: world.sha, mergeCommit: world.sha })
  const run = await world.deploy({ 'config-vars': `API_TOKEN=${canary}`, 'slack-webhook': slackUrl(), 'webhook-url': hookUrl() })
  expect(run.exitCode).toBe(0)
  expect(run.summary).toContain('[#9](https://github.com/octo-org/hello-app/pull/9) Use *** on staging (@frank)')
  expect(run.summary).toContain('Rotate the token to *** — @frank · #9')
  expect(run.stdout).toContain(`Changes on ${APP}: 1 commit, 1 pull request since v`)
  expect(run.stdout).toContain('#9 Use *** on staging (@frank)')
  expect(JSON.stringify(JSON.parse(last('/services/').body.toString()).blocks)).toContain('Use *** on staging (@frank)')
  const changes = JSON.parse(last('/hooks/').body.toString()).apps[0].changes
  expect(changes.commits[0]).toMatchObject({ title: 'Rotate the token to ***', pull_request: { number: 9, title: 'Use *** on staging' } })
})
