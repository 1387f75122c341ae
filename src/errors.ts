import { CancelledError, TimeoutError } from './util/time.js'
import type { StageName } from './stage.js'

/** A deploy failed for a reason a person can act on; `reason` is one line. */
export class DeployError extends Error {
  readonly stage: StageName
  readonly logTail: string[]

  constructor(stage: StageName, reason: string, logTail: string[] = []) {
    super(reason)
    this.name = 'DeployError'
    this.stage = stage
    this.logTail = logTail
  }
}

// What a person can do about the answers that are about the inputs rather than about Heroku.
const HINTS: Record<number, string> = {
  401: "check that the 'api-key' input holds a valid Heroku API key",
  403: "the 'api-key' account has no access to this app",
  404: "check the 'app' input and that the 'api-key' account can see the app"
}

/** A Platform API answer that is not a success, with Heroku's own `id` and `message`. */
export class HerokuApiError extends Error {
  constructor(
    readonly method: string,
    readonly path: string,
    readonly status: number | undefined,
    readonly id: string | undefined,
    readonly herokuMessage: string,
    readonly requestId?: string,
    /** What the answer's Retry-After asked for (ms). */
    readonly retryAfterMs?: number,
    /** Heroku may have carried the request out: no answer came, or a 5xx did. */
    readonly mayHaveActed = false
  ) {
    const what = status === undefined ? 'failed' : `answered ${status}${id ? ` ${id}` : ''}`
    const hint = status === undefined ? undefined : HINTS[status]
    super(`Heroku API ${method} ${path} ${what}: ${herokuMessage}${hint ? ` (${hint})` : ''}`)
    this.name = 'HerokuApiError'
  }
}

/** A GitHub REST answer that is not a success, with GitHub's own message and what to do about it. */
export class GitHubApiError extends Error {
  constructor(
    readonly method: string,
    readonly path: string,
    /** undefined: no answer (dropped connection, timeout). */
    readonly status: number | undefined,
    readonly githubMessage: string,
    readonly hint?: string,
    /** Set for rate-limit answers: how long GitHub asks us to wait (ms). */
    readonly retryAfterMs?: number
  ) {
    const what = status === undefined ? 'failed' : `answered ${status}`
    super(`GitHub API ${method} ${path} ${what}: ${githubMessage}${hint ? ` (${hint})` : ''}`)
    this.name = 'GitHubApiError'
  }

  /** 5xx, rate limits and no answer at all are worth another try. */
  get transient(): boolean {
    return this.status === undefined || this.status >= 500 || this.retryAfterMs !== undefined
  }
}

/** One line for the log and `setFailed`, whatever was thrown. */
export function oneLine(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error)
  return text.replace(/\s*\n\s*/g, ' ').trim()
}

/** A sentence made of a clause ("the claim of shop-pr-2" → "The claim of shop-pr-2"). */
export function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1)
}

export { CancelledError, TimeoutError }
