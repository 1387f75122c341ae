import { describe, expect, test } from '@jest/globals'
import { condition, evaluate, ExpressionError, interpolate, type Scope } from '../../scripts/lib/workflow-expressions.js'

const scope = (failed = false, cancelled = false): Scope => ({
  contexts: {
    github: { sha: 'abc123', event: { release: { tag_name: 'v1.2.3' } } },
    env: { APP: 'hello-app', EMPTY: '' },
    steps: { deploy: { outputs: { 'release-version': '7', status: 'success' }, outcome: 'failure', conclusion: 'success' } },
    runner: { temp: '/tmp/runner' }
  },
  status: { failed, cancelled }
})

describe('evaluate', () => {
  test('reads contexts by dotted path, hyphens and brackets included; a missing property is null', () => {
    expect(evaluate('steps.deploy.outputs.release-version', scope())).toBe('7')
    expect(evaluate("github['sha']", scope())).toBe('abc123')
    expect(evaluate('GitHub.Event.release.TAG_NAME', scope())).toBe('v1.2.3')
    expect(evaluate('steps.nope.outputs.status', scope())).toBeNull()
  })

  test('compares as GitHub does: strings without case, other types through numbers', () => {
    expect(evaluate("steps.deploy.outcome == 'FAILURE'", scope())).toBe(true)
    expect(evaluate('steps.deploy.outputs.release-version == 7', scope())).toBe(true)
    expect(evaluate("steps.deploy.outputs.release-version != '7'", scope())).toBe(false)
    expect(evaluate('1 < 2 && 2 >= 2', scope())).toBe(true)
    expect(evaluate("'it''s' == 'IT''S'", scope())).toBe(true)
  })

  test('&& and || yield an operand, ! negates, parentheses group', () => {
    expect(evaluate("env.EMPTY || 'fallback'", scope())).toBe('fallback')
    expect(evaluate("github.event.release.tag_name || 'ref'", scope())).toBe('v1.2.3')
    expect(evaluate("env.APP && 'yes'", scope())).toBe('yes')
    expect(evaluate("!(env.APP == 'hello-app')", scope())).toBe(false)
  })

  test('functions', () => {
    expect(evaluate("contains(env.APP, 'HELLO')", scope())).toBe(true)
    expect(evaluate("startsWith(github.event.release.tag_name, 'v1.')", scope())).toBe(true)
    expect(evaluate("endsWith(env.APP, 'app')", scope())).toBe(true)
    expect(evaluate("format('{0} v{1} {{x}}', env.APP, steps.deploy.outputs.release-version)", scope())).toBe('hello-app v7 {x}')
    expect(evaluate("fromJSON('[1,2]')[1]", scope())).toBe(2)
    expect(evaluate('toJSON(steps.deploy.outputs)', scope())).toBe(JSON.stringify({ 'release-version': '7', status: 'success' }, null, 2))
  })

  test('refuses what it does not implement rather than guessing', () => {
    expect(() => evaluate('secrets.HEROKU_API_KEY', scope())).toThrow(ExpressionError)
    expect(() => evaluate("hashFiles('**/package-lock.json')", scope())).toThrow(/hashfiles\(\)' is not supported/)
    expect(() => evaluate('env.APP ==', scope())).toThrow(ExpressionError)
    expect(() => evaluate("'open", scope())).toThrow(/unterminated/)
  })
})

describe('interpolate', () => {
  test('replaces every ${{ }} by its value as text', () => {
    expect(interpolate('${{ env.APP }} v${{ steps.deploy.outputs.release-version }} at ${{ runner.temp }}${{ steps.none.outputs.x }}', scope())).toBe('hello-app v7 at /tmp/runner')
    expect(interpolate('${{ 1 == 1 }}', scope())).toBe('true')
  })
})

describe('condition (a step if:)', () => {
  test('without a status function it runs only while the job succeeds', () => {
    expect(condition(undefined, scope())).toBe(true)
    expect(condition(undefined, scope(true))).toBe(false)
    expect(condition("env.APP == 'hello-app'", scope())).toBe(true)
    expect(condition("${{ env.APP == 'hello-app' }}", scope(true))).toBe(false)
  })

  test('always(), failure() and cancelled() decide for themselves', () => {
    expect(condition('always()', scope(true))).toBe(true)
    expect(condition('${{ always() }}', scope(false, true))).toBe(true)
    expect(condition('failure()', scope())).toBe(false)
    expect(condition("failure() && steps.deploy.outcome == 'failure'", scope(true))).toBe(true)
    expect(condition('cancelled()', scope(false, true))).toBe(true)
    expect(condition('success()', scope(false, true))).toBe(false)
  })
})
