/**
 * What a range of commits brings, read through the GitHubApi interface (an in-memory fake): which
 * commits are listed, which pull requests are looked up and how many calls that takes, and what is
 * said when GitHub refuses or does not answer.
 */
import { createHash } from 'node:crypto'
import { ChangesReader, landingCommits, MAX_LISTED, MAX_PULL_LOOKUPS } from '../../src/changes/changes.js'
import { GitHubApiError } from '../../src/errors.js'
import type { ComparedCommit, CommitPullRequest } from '../../src/github/api.js'
import { FakeGitHub } from '../fakes/github.js'
import { MemoryLog } from '../fakes/log.js'

const WEB = 'https://github.com/octo/app'
const s = (name: string) => createHash('sha1').update(name).digest('hex')
const commit = (name: string, parents: string[], login: string | null = 'alice'): ComparedCommit => ({
  sha: s(name),
  parents: parents.map(s),
  message: `${name}\n\nbody of ${name}`,
  login,
  name: login ? `${login} the dev` : 'Octo Cat'
})
const pr = (number: number, login: string, merged = true): CommitPullRequest => ({ number, title: `PR ${number}`, login, url: `${WEB}/pull/${number}`, merged })

// base ← w1 ← w2 (a branch), merged by m1 (#7); f squashed onto it (#8); d pushed directly (no pull request).
const history = [commit('w1', ['base']), commit('w2', ['w1']), commit('m1', ['base', 'w2'], null), commit('f', ['m1'], 'bob'), commit('d', ['f'], null)]

function reader(github = new FakeGitHub()) {
  const log = new MemoryLog()
  return { github, log, changes: new ChangesReader(github, WEB, log) }
}

test('a merge brings its branch: the merge lands it, and only commits on the first-parent line are looked up', () => {
  const landing = landingCommits(history, s('d'))
  expect(['w1', 'w2', 'm1', 'f', 'd'].map((name) => landing.get(s(name)))).toEqual([s('m1'), s('m1'), s('m1'), s('f'), s('d')])
  // A branch merged twice: its first commit came with the first merge.
  const twice = [commit('a1', ['base']), commit('n1', ['base', 'a1']), commit('a2', ['a1']), commit('n2', ['n1', 'a2'])]
  const again = landingCommits(twice, s('n2'))
  expect(['a1', 'a2'].map((name) => again.get(s(name)))).toEqual([s('n1'), s('n2')])
})

test('the commits after the base, newest first, with their pull requests and authors; one look-up per landing commit', async () => {
  const { github, changes } = reader()
  github.comparisons.set(`${s('base')}...${s('d')}`, { status: 'ahead', aheadBy: 5, behindBy: 0, commits: history })
  github.pulls.set(s('m1'), [pr(7, 'alice')])
  github.pulls.set(s('f'), [pr(9, 'carol', false), { ...pr(8, 'bob'), title: 'PR 8\n::error::not a command' }])
  const outcome = await changes.between(s('base'), s('d'))
  if (!('changes' in outcome)) throw new Error(outcome.unlisted)
  const { commits, pullRequests, compareUrl, status } = outcome.changes
  expect(status).toBe('ahead')
  expect(commits.map((c) => [c.title, c.login ?? c.name, c.pullRequest])).toEqual([
    ['d', 'Octo Cat', null],
    ['f', 'bob', 8],
    ['m1', 'Octo Cat', 7],
    ['w2', 'alice', 7],
    ['w1', 'alice', 7]
  ])
  // The merged pull request, not an open one that also holds the commit.
  expect(pullRequests).toEqual([
    { number: 8, title: 'PR 8 ::error::not a command', author: 'bob', url: `${WEB}/pull/8` },
    { number: 7, title: 'PR 7', author: 'alice', url: `${WEB}/pull/7` }
  ])
  expect(compareUrl).toBe(`${WEB}/compare/${s('base')}...${s('d')}`)
  expect(github.codeReads.filter((read) => read.startsWith('pulls')).sort()).toEqual([`pulls ${s('d')}`, `pulls ${s('f')}`, `pulls ${s('m1')}`].sort())
  expect(github.codeReads.filter((read) => read.startsWith('compare'))).toHaveLength(1)
})

test(`a long range: the newest ${MAX_LISTED} are listed (from the last compare pages), at most ${MAX_PULL_LOOKUPS} pull-request look-ups`, async () => {
  const { github, changes } = reader()
  const linear = Array.from({ length: 120 }, (_, i) => commit(`c${i}`, [i === 0 ? 'base' : `c${i - 1}`]))
  github.comparisons.set(`${s('base')}...${s('c119')}`, { status: 'ahead', aheadBy: 120, behindBy: 0, commits: linear })
  const outcome = await changes.between(s('base'), s('c119'))
  if (!('changes' in outcome)) throw new Error(outcome.unlisted)
  expect(outcome.changes.commits).toHaveLength(MAX_LISTED)
  expect(outcome.changes.commits[0].title).toBe('c119')
  expect(outcome.changes.commits.at(-1)?.title).toBe('c70')
  expect(outcome.changes.aheadBy).toBe(120)
  const reads = github.codeReads
  expect(reads.filter((read) => read.startsWith('compare')).map((read) => read.split(' ')[2])).toEqual(['1', '3', '2'])
  expect(reads.filter((read) => read.startsWith('pulls'))).toHaveLength(MAX_PULL_LOOKUPS)
  expect(outcome.changes.pullRequestsMissing).toBe(`pull requests were looked up for the newest ${MAX_PULL_LOOKUPS} of the ${MAX_LISTED} commits that landed on the branch`)
})

test('a step back: nothing new, the count of commits left out, and the compare of what goes away', async () => {
  const { github, changes } = reader()
  github.comparisons.set(`${s('d')}...${s('m1')}`, { status: 'behind', aheadBy: 0, behindBy: 2, commits: [] })
  const outcome = await changes.between(s('d'), s('m1'))
  expect(outcome).toEqual({
    changes: expect.objectContaining({ status: 'behind', behindBy: 2, commits: [], pullRequests: [], compareUrl: `${WEB}/compare/${s('m1')}...${s('d')}` })
  })
  expect(github.codeReads).toEqual([`compare ${s('d')}...${s('m1')} 1`])
})

test('each range is read once a run, however many apps share it', async () => {
  const { github, changes } = reader()
  github.comparisons.set(`${s('base')}...${s('d')}`, { status: 'ahead', aheadBy: 5, behindBy: 0, commits: history })
  await Promise.all([changes.between(s('base'), s('d')), changes.between(s('base'), s('d'))])
  expect(github.codeReads.filter((read) => read.startsWith('compare'))).toHaveLength(1)
})

test("without 'contents: read': not listed, one warning naming the permission however many ranges", async () => {
  const { github, log, changes } = reader()
  github.compareError = new GitHubApiError(
    'GET',
    '/repos/octo/app/compare/x...y',
    403,
    'Resource not accessible by integration',
    "the token lacks a permission: add 'contents: read' under the job's 'permissions:'"
  )
  expect(await changes.between(s('a'), s('b'))).toEqual({ unlisted: "GitHub refused (the token lacks a permission: add 'contents: read' under the job's 'permissions:')" })
  await changes.between(s('c'), s('b'))
  expect(log.lines.filter((line) => line.startsWith('warning:'))).toEqual([
    "warning: Could not list the changes of this deploy: GitHub API GET /repos/octo/app/compare/x...y answered 403: Resource not accessible by integration (the token lacks a permission: add 'contents: read' under the job's 'permissions:'). The deploy goes on without them."
  ])
})

test("without 'pull-requests: read': the commits are listed without pull requests, with a warning naming the permission", async () => {
  const { github, log, changes } = reader()
  github.comparisons.set(`${s('base')}...${s('d')}`, { status: 'ahead', aheadBy: 5, behindBy: 0, commits: history })
  github.pullsError = new GitHubApiError(
    'GET',
    '/repos/octo/app/commits/x/pulls',
    403,
    'Resource not accessible by integration',
    "the token lacks a permission: add 'pull-requests: read' under the job's 'permissions:'"
  )
  const outcome = await changes.between(s('base'), s('d'))
  if (!('changes' in outcome)) throw new Error(outcome.unlisted)
  expect(outcome.changes.commits).toHaveLength(5)
  expect(outcome.changes.pullRequests).toEqual([])
  expect(outcome.changes.pullRequestsMissing).toBe(
    "the pull requests are not listed: GitHub refused (the token lacks a permission: add 'pull-requests: read' under the job's 'permissions:')"
  )
  expect(log.lines.filter((line) => line.startsWith('warning:'))).toEqual([expect.stringContaining("add 'pull-requests: read'")])
})

test('a commit GitHub does not know is said plainly (no warning); a hung GitHub ends with the time limit', async () => {
  const { github, log, changes } = reader()
  expect(await changes.between(s('elsewhere'), s('d'))).toEqual({
    unlisted: `GitHub does not know commit ${s('elsewhere').slice(0, 7)} in this repository, or cannot compare it with the deployed one (it may come from another repository or a rewritten history)`
  })
  expect(log.lines).toEqual([])
  github.compareHangs = true
  expect(await changes.between(s('base'), s('d'), AbortSignal.timeout(50))).toEqual({ unlisted: 'GitHub did not answer in time' })
})
