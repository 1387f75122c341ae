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
