import { CancelledError, Deadline, sleep, TimeoutError } from './time.js'

export interface RetryPolicy {
  /** Attempts in all, the first included. */
  attempts: number
  /** Delay before the first retry; it doubles each time, up to `maxDelayMs`. */
  baseDelayMs: number
  maxDelayMs: number
}

export interface RetryOptions extends RetryPolicy {
  /** The delay to use before retrying after `error`, or undefined when it must not be retried. */
  retryDelay: (error: unknown, attempt: number) => number | undefined
  onRetry?: (error: unknown, attempt: number, delayMs: number) => void
  signal?: AbortSignal
  deadline?: Deadline
}

/**
 * Exponential backoff with "equal jitter": half the step is fixed, half random, so that many
 * clients retrying together spread out but no retry comes too soon.
 */
export function backoffDelay(policy: RetryPolicy, attempt: number, random: () => number = Math.random): number {
  const step = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1))
  return Math.round(step / 2 + random() * (step / 2))
}

/** Runs `fn` until it succeeds, the error is not retryable, attempts run out, or the wait is cancelled. */
export async function withRetry<T>(fn: (attempt: number) => Promise<T>, options: RetryOptions): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn(attempt)
    } catch (error) {
      if (error instanceof CancelledError || error instanceof TimeoutError || options.signal?.aborted) throw error
      const delay = attempt < options.attempts ? options.retryDelay(error, attempt) : undefined
      if (delay === undefined) throw error
      options.onRetry?.(error, attempt, delay)
      if (options.deadline) await options.deadline.sleep(delay, options.signal)
      else await sleep(delay, options.signal)
    }
  }
}
