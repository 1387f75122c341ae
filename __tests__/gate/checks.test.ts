import { awaitRequiredChecks, evaluateChecks } from '../../src/gate/checks.js'
import { CancelledError } from '../../src/errors.js'
import { Deadline } from '../../src/util/time.js'
import { checkRun, commitStatus, FakeGitHub } from '../fakes/github.js'
import { MemoryLog } from '../fakes/log.js'

const SHA = 'abcdef1234567890abcdef1234567890abcdef12'

describe('evaluateChecks', () => {
  test('success, neutral and skipped pass, as in branch protection; other conclusions fail', () => {
    const runs = [
      checkRun('test', 'completed', 'success', 1),
      checkRun('docs', 'completed', 'neutral', 2),
      checkRun('e2e', 'completed', 'skipped', 3),
      checkRun('lint', 'completed', 'timed_out', 4),
      checkRun('build', 'in_progress', null, 5)
    ]
    const report = evaluateChecks(['test', 'docs', 'e2e', 'lint', 'build'], runs, [])
    expect(report.checks.map((c) => [c.name, c.outcome, c.state])).toEqual([
      ['test', 'passed', 'success'],
      ['docs', 'passed', 'neutral'],
      ['e2e', 'passed', 'skipped'],
      ['lint', 'failed', 'timed_out'],
      ['build', 'pending', 'in_progress']
    ])
    expect(report.missing).toEqual([])
  })

  test('commit statuses count too: success passes, pending waits, failure and error fail', () => {
    const statuses = [commitStatus('ci/jenkins', 'success'), commitStatus('ci/circle', 'pending'), commitStatus('coverage', 'error')]
    const report = evaluateChecks(['ci/*', 'coverage'], [], statuses)
    expect(report.checks.map((c) => [c.name, c.kind, c.outcome, c.url])).toEqual([
      ['ci/jenkins', 'commit status', 'passed', 'https://ci.example.com/ci/jenkins'],
      ['ci/circle', 'commit status', 'pending', 'https://ci.example.com/ci/circle'],
      ['coverage', 'commit status', 'failed', 'https://ci.example.com/coverage']
    ])
  })

  test('a name that matches nothing is missing, not passed', () => {
    const report = evaluateChecks(['test', 'Test'], [checkRun('test', 'completed', 'success')], [])
    expect(report.missing).toEqual(['Test'])
  })

  test('of several runs with one name (a re-run), the latest decides', () => {
    const report = evaluateChecks(['test'], [checkRun('test', 'completed', 'failure', 7), checkRun('test', 'completed', 'success', 9)], [])
    expect(report.checks).toEqual([expect.objectContaining({ name: 'test', outcome: 'passed' })])
  })

  test('a glob requires every check it matches (a matrix)', () => {
    const runs = [checkRun('test (20)', 'completed', 'success', 1), checkRun('test (22)', 'completed', 'failure', 2), checkRun('lint', 'completed', 'failure', 3)]
    const report = evaluateChecks(['test (*)'], runs, [])
    expect(report.checks.map((c) => [c.name, c.outcome])).toEqual([
      ['test (20)', 'passed'],
      ['test (22)', 'failed']
    ])
  })
})

describe('awaitRequiredChecks', () => {
  const wait = (ms = 5000) => ({ deadline: new Deadline(ms, 'The required checks'), log: new MemoryLog(), pollMs: 1 })

  test('waits for a pending check and returns once it passed, logging each change once', async () => {
    const github = new FakeGitHub()
    github.checkStates = [
      { runs: [checkRun('test', 'queued')] },
      { runs: [checkRun('test', 'in_progress')] },
      { runs: [checkRun('test', 'in_progress')] },
      { runs: [checkRun('test', 'completed', 'success')], statuses: [commitStatus('ci/legacy', 'success')] }
    ]
    const options = wait()
    const report = await awaitRequiredChecks(github, SHA, ['test', 'ci/legacy'], options)
    expect(report.checks.every((c) => c.outcome === 'passed')).toBe(true)
    expect(github.reads).toBe(4)
    expect(options.log.lines).toEqual([
      'Required checks on abcdef1: … test (queued), ? ci/legacy (not reported yet)',
      'Required checks on abcdef1: … test (in_progress), ? ci/legacy (not reported yet)',
      'Required checks on abcdef1: ✓ test (success), ✓ ci/legacy (success)',
      'All required checks passed on abcdef1.'
    ])
  })

  test('a failed check stops at once, naming and linking it, without waiting for the others', async () => {
    const github = new FakeGitHub()
    github.checkStates = [{ runs: [checkRun('test', 'completed', 'failure', 41), checkRun('e2e', 'in_progress', null, 42)] }]
    await expect(awaitRequiredChecks(github, SHA, ['test', 'e2e'], wait())).rejects.toMatchObject({
      stage: 'checks',
      message: "Required check failed on abcdef1: 'test' concluded failure (https://github.com/o/r/runs/41)."
    })
    expect(github.reads).toBe(1)
  })

  test('at the timeout, names what is still pending and what is missing', async () => {
    const github = new FakeGitHub()
    github.checkStates = [{ runs: [checkRun('test', 'in_progress', null, 5)] }]
    // A clock that reaches the 30 ms deadline after the second read, however slow the machine: the wait
    // polls more than once, and the test does not depend on how many reads fit in 30 real milliseconds.
    const deadline = new Deadline(30, 'The required checks', () => (github.reads >= 2 ? 30 : 0))
    await expect(awaitRequiredChecks(github, SHA, ['test', 'deploy-preview'], { ...wait(), deadline })).rejects.toMatchObject({
      stage: 'checks',
      message:
        "Required checks did not pass within 0.0 s on abcdef1: 'test' is still in_progress (https://github.com/o/r/runs/5); 'deploy-preview' is missing: no check run or commit status on abcdef1 has that name."
    })
    expect(github.reads).toBe(2)
  })

  test('a cancel stops the wait', async () => {
    const github = new FakeGitHub()
    github.checkStates = [{ runs: [checkRun('test', 'queued')] }]
    const cancel = new AbortController()
    const waiting = awaitRequiredChecks(github, SHA, ['test'], { ...wait(), pollMs: 50, signal: cancel.signal })
    setTimeout(() => cancel.abort(), 20)
    await expect(waiting).rejects.toBeInstanceOf(CancelledError)
  })
})
