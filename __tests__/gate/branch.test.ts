import * as fs from 'node:fs'
import * as path from 'node:path'
import { fileURLToPath } from 'node:url'
import { branchMatches, gateReason, resolveTarget } from '../../src/gate/branch.js'

const SHA = 'a'.repeat(40)
const HEAD = 'b'.repeat(40)

test.each(['push', 'workflow_dispatch', 'schedule'])("%s deploys the run's own ref and commit", (event) => {
  expect(resolveTarget(event, {}, { GITHUB_SHA: SHA, GITHUB_REF: 'refs/heads/release/2.0' })).toEqual({ sha: SHA, branch: 'release/2.0' })
})

test('a tag is not a branch', () => {
  expect(resolveTarget('push', {}, { GITHUB_SHA: SHA, GITHUB_REF: 'refs/tags/v1' })).toEqual({ sha: SHA, branch: undefined })
})

test("workflow_run deploys the triggering run's head commit and branch when it succeeded", () => {
  const payload = { workflow_run: { head_sha: HEAD, head_branch: 'main', conclusion: 'success', name: 'CI' } }
  expect(resolveTarget('workflow_run', payload, { GITHUB_SHA: SHA, GITHUB_REF: 'refs/heads/main' })).toEqual({ sha: HEAD, branch: 'main' })
})

test('workflow_run refuses a run that did not succeed, and says which', () => {
  const payload = { workflow_run: { head_sha: HEAD, head_branch: 'main', conclusion: 'failure', name: 'CI', html_url: 'https://github.com/o/r/actions/runs/1' } }
  expect(resolveTarget('workflow_run', payload, {}).refusal).toBe(
    "The workflow run \"CI\" that triggered this one concluded 'failure', not 'success': nothing is deployed. See https://github.com/o/r/actions/runs/1"
  )
})

test.each([
  ['main', 'main', true],
  ['main', 'main2', false],
  ['release/*', 'release/2.0', true],
  ['release/*', 'release/2.0/hotfix', false],
  ['release/**', 'release/2.0/hotfix', true],
  ['feat-*', 'feat-a.b', true],
  ['v1.0', 'v1x0', false]
])('branch %j against %j → %s', (pattern, branch, expected) => {
  expect(branchMatches(pattern, branch)).toBe(expected)
})

test('the gate explains each refusal', () => {
  expect(gateReason({ sha: SHA, branch: 'main' }, '')).toBeUndefined()
  expect(gateReason({ sha: SHA, branch: 'main' }, 'release/*')).toBe("Not deployed: the branch 'main' does not match the 'branch' input 'release/*'.")
  expect(gateReason({ sha: SHA }, 'main')).toBe("Not deployed: the run is not on a branch (input 'branch' is 'main').")
})

/** The part of a workflow_run payload the tests edit. */
interface EventFixture {
  workflow_run: { event: string; head_repository: { full_name: string } }
}

describe('on the webhook payloads GitHub sends (__tests__/fixtures/events)', () => {
  const here = path.dirname(fileURLToPath(import.meta.url))
  const TESTED = '8f2c0e5a1b7d4c3e9f6a0b1c2d3e4f5a6b7c8d9e'
  const event = (name: string, edit: (payload: EventFixture) => void = () => undefined): unknown => {
    const payload: EventFixture = JSON.parse(fs.readFileSync(path.join(here, '..', 'fixtures', 'events', `${name}.json`), 'utf8'))
    edit(payload)
    return payload
  }

  test.each([
    ['push', 'refs/heads/main', 'main'],
    ['push-tag', 'refs/tags/v1.4.0', undefined],
    ['workflow_dispatch', 'refs/heads/release/2.0', 'release/2.0'],
    ['schedule', 'refs/heads/main', 'main']
  ])("%s: the run's own commit and ref", (name, ref, branch) => {
    const eventName = name === 'push-tag' ? 'push' : name
    expect(resolveTarget(eventName, event(name), { GITHUB_SHA: TESTED, GITHUB_REF: ref })).toEqual({ sha: TESTED, branch })
  })

  test('workflow_run: the commit CI tested and its branch, not GITHUB_SHA', () => {
    expect(resolveTarget('workflow_run', event('workflow_run'), { GITHUB_SHA: SHA, GITHUB_REF: 'refs/heads/main' })).toEqual({ sha: TESTED, branch: 'main' })
  })

  test("workflow_run from a fork's pull request is refused, whatever its branch is called", () => {
    const fromFork = event('workflow_run', (p) => {
      p.workflow_run.event = 'pull_request'
      p.workflow_run.head_repository.full_name = 'mallory/hello-app'
    })
    const target = resolveTarget('workflow_run', fromFork, {})
    expect(target).toMatchObject({ sha: TESTED, branch: 'main' })
    expect(gateReason(target, 'main')).toBe('The workflow run "CI" that triggered this one ran on a commit of the fork mallory/hello-app: a fork\'s code is never deployed.')
  })
})

describe('pull_request payloads (__tests__/fixtures/events/pull_request-*.json)', () => {
  const here = path.dirname(fileURLToPath(import.meta.url))
  const event = (name: string): unknown => JSON.parse(fs.readFileSync(path.join(here, '..', 'fixtures', 'events', `pull_request-${name}.json`), 'utf8'))
  const MERGE = 'c'.repeat(40)
  const env = { GITHUB_SHA: MERGE, GITHUB_REF: 'refs/pull/12/merge', GITHUB_HEAD_REF: 'feature/search' }

  test.each([
    ['opened', '3b8d6f1e2a4c5b7d9e0f1a2b3c4d5e6f7a8b9c0d'],
    ['synchronize', '7e4a2c9b1d3f5e7a9c0b2d4f6e8a1c3b5d7f9e0a'],
    ['reopened', '3b8d6f1e2a4c5b7d9e0f1a2b3c4d5e6f7a8b9c0d'],
    ['closed', '3b8d6f1e2a4c5b7d9e0f1a2b3c4d5e6f7a8b9c0d']
  ])('%s: the merge commit is deployed, the pull request and its head are known', (action, head) => {
    const target = resolveTarget('pull_request', event(action), env)
    expect(target).toEqual({
      sha: MERGE,
      branch: 'feature/search',
      pullRequest: { number: 12, action, headSha: head, headRef: 'feature/search', title: 'Add a search box', url: 'https://github.com/octo-org/hello-app/pull/12' }
    })
    expect(gateReason(target, '')).toBeUndefined()
  })

  test("a fork's pull request is refused, naming the fork", () => {
    const target = resolveTarget('pull_request', event('fork'), { ...env, GITHUB_HEAD_REF: 'main' })
    expect(target.pullRequest).toMatchObject({ number: 13, fork: 'the fork mallory/hello-app' })
    expect(gateReason(target, 'main')).toBe(
      "Pull request #13 comes from the fork mallory/hello-app: a fork's code is never deployed (it would run with this repository's Heroku key)."
    )
  })

  test('a fork deleted since (head.repo null) is a fork too', () => {
    const payload = event('fork') as { pull_request: { head: { repo: unknown } } }
    payload.pull_request.head.repo = null
    expect(gateReason(resolveTarget('pull_request', payload, env), '')).toBe(
      "Pull request #13 comes from a fork since deleted: a fork's code is never deployed (it would run with this repository's Heroku key)."
    )
  })
})
