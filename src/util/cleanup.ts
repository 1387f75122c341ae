import { formatSeconds, TimeoutError, withTimeout } from './time.js'

/**
 * How long cleaning up after a cancel may take. The runner sends SIGTERM 7.5 s after SIGINT and kills
 * the job 2.5 s later; everything that cleans up (cancel the build, stop a release phase, maintenance
 * off, close the GitHub deployments, notify) shares this one window, side by side, so that together
 * they end before SIGTERM with time left to write the summary and exit.
 */
export const CLEANUP_WINDOW_MS = 5500

/**
 * The window cleanup has once the job is cancelled. Before a cancel it is open-ended (a timeout's
 * cleanup has the calls' own bounds); from the cancel on it closes CLEANUP_WINDOW_MS later, and its
 * `signal` aborts then, stopping whatever cleanup still waits.
 */
export class CleanupWindow {
  private endsAt: number | undefined
  private readonly closing = new AbortController()

  constructor(
    cancel?: AbortSignal,
    readonly windowMs = CLEANUP_WINDOW_MS,
    private readonly now: () => number = Date.now
  ) {
    const open = (): void => {
      this.endsAt = this.now() + windowMs
      setTimeout(() => this.closing.abort(), windowMs).unref()
    }
    if (cancel?.aborted) open()
    else cancel?.addEventListener('abort', open, { once: true })
  }

  /** Whether the job was cancelled, so that cleanup runs against the clock. */
  get started(): boolean {
    return this.endsAt !== undefined
  }

  /** Aborts when the window closes; never before a cancel. */
  get signal(): AbortSignal {
    return this.closing.signal
  }

  /** What is left of the window; Infinity before a cancel. */
  remainingMs(): number {
    return this.endsAt === undefined ? Number.POSITIVE_INFINITY : Math.max(0, this.endsAt - this.now())
  }

  /**
   * After a cancel, `step` must end within what is left of the window, or by the share `by` of it
   * (a step that others wait for leaves them their part); before a cancel, it runs as it is.
   */
  bound<T>(step: Promise<T>, what: string, by = 1): Promise<T> {
    if (this.endsAt === undefined) return step
    const left = this.remainingMs() - (1 - by) * this.windowMs
    if (left <= 0) return Promise.reject(this.closedError(what))
    return withTimeout(step, left, what)
  }

  /** The error of a cleanup step the window closed on. */
  closedError(what: string): TimeoutError {
    return new TimeoutError(`${what} did not finish within the ${formatSeconds(this.windowMs)} a cancelled job has before the runner stops it`)
  }
}
