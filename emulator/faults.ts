import type { Faults, RequestMatch } from './types.js'

interface Rule {
  remaining: number
  match: RequestMatch
  status: number
}

/** The knobs tests turn to make the emulator misbehave the way Heroku sometimes does. */
export class FaultInjector implements Faults {
  streamNotFoundFirst = 1
  streamLineDelayMs = 0
  pendingAfterStreamMs = 300
  buildDelayMs = 0
  private readonly failures: Rule[] = []
  private readonly drops: Rule[] = []

  failNext(count: number, status: number, match: RequestMatch = {}): void {
    if (!Number.isInteger(status) || status < 400 || status > 599) throw new Error(`failNext: status must be 4xx or 5xx, got ${status}`)
    this.failures.push({ remaining: checkedCount(count), match, status })
  }

  dropNext(count: number, match: RequestMatch = {}): void {
    this.drops.push({ remaining: checkedCount(count), match, status: 0 })
  }

  /** The status an API request must fail with, consuming one use of the oldest matching rule. */
  takeFailure(method: string, path: string): number | undefined {
    return take(this.failures, method, path)?.status
  }

  /** Whether this request's connection must be dropped. */
  takeDrop(method: string, path: string): boolean {
    return take(this.drops, method, path) !== undefined
  }
}

function checkedCount(count: number): number {
  if (!Number.isInteger(count) || count < 1) throw new Error(`fault count must be a positive integer, got ${count}`)
  return count
}

function take(rules: Rule[], method: string, path: string): Rule | undefined {
  const rule = rules.find((candidate) => matches(candidate.match, method, path))
  if (!rule) return undefined
  if (--rule.remaining === 0) rules.splice(rules.indexOf(rule), 1)
  return rule
}

function matches(match: RequestMatch, method: string, path: string): boolean {
  if (match.method && match.method.toUpperCase() !== method) return false
  if (match.path) {
    match.path.lastIndex = 0 // a /g or /y regex keeps state between test() calls
    if (!match.path.test(path)) return false
  }
  return true
}
