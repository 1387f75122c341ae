import { branchMatches, gateReason, resolveTarget } from '../../src/gate/branch.js'

const SHA = 'a'.repeat(40)
const HEAD = 'b'.repeat(40)

test.each(['push', 'workflow_dispatch', 'schedule'])('%s deploys the run\'s own ref and commit', (event) => {
  expect(resolveTarget(event, {}, { GITHUB_SHA: SHA, GITHUB_REF: 'refs/heads/release/2.0' })).toEqual({ sha: SHA, branch: 'release/2.0' })
})

test('a tag is not a branch', () => {
  expect(resolveTarget('push', {}, { GITHUB_SHA: SHA, GITHUB_REF: 'refs/tags/v1' })).toEqual({ sha: SHA, branch: undefined })
})

test('workflow_run deploys the triggering run\'s head commit and branch when it succeeded', () => {
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
