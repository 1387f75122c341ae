/** Thrown when the job is cancelled (SIGINT/SIGTERM) while we wait. */
export class CancelledError extends Error {
  constructor(message = 'the job was cancelled') {
    super(message)
    this.name = 'CancelledError'
  }
}

/** Thrown when a bounded wait runs out. */
export class TimeoutError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'TimeoutError'
  }
}

export function throwIfCancelled(signal?: AbortSignal): void {
  if (signal?.aborted) throw new CancelledError()
}

/**
 * How long one clean-up request may take once the job is cancelled (cancel the build, close the
 * GitHub deployment): the runner sends SIGTERM 7.5 s after SIGINT, and the step must have reported by then.
 */
export const AFTER_CANCEL_MS = 3000

/** Resolves with `promise`, or rejects with CancelledError as soon as the job is cancelled. */
export function abortable<T>(promise: Promise<T>, signal?: AbortSignal): Promise<T> {
  if (!signal) return promise
  throwIfCancelled(signal)
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(new CancelledError())
    signal.addEventListener('abort', onAbort, { once: true })
    void promise.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort))
  })
}

/** A sleep that a cancel cuts short (rejecting with CancelledError). */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  throwIfCancelled(signal)
  return new Promise((resolve, reject) => {
    const onAbort = (): void => {
      clearTimeout(timer)
      reject(new CancelledError())
    }
    const timer = setTimeout(
      () => {
        signal?.removeEventListener('abort', onAbort)
        resolve()
      },
      Math.max(0, ms)
    )
    signal?.addEventListener('abort', onAbort, { once: true })
  })
}

/** A point in time that a whole stage must finish by; `what` words the timeout message. */
export class Deadline {
  private readonly endsAt: number

  constructor(
    readonly totalMs: number,
    private readonly what: string,
    private readonly now: () => number = Date.now
  ) {
    this.endsAt = now() + totalMs
  }

  remainingMs(): number {
    return Math.max(0, this.endsAt - this.now())
  }

  check(): void {
    if (this.remainingMs() <= 0) {
      throw new TimeoutError(`${this.what} did not finish within ${formatSeconds(this.totalMs)}`)
    }
  }

  /** Sleeps `ms`, but never past the deadline; throws TimeoutError once it has passed. */
  async sleep(ms: number, signal?: AbortSignal): Promise<void> {
    this.check()
    await sleep(Math.min(ms, this.remainingMs()), signal)
    this.check()
  }
}

export function formatSeconds(ms: number): string {
  const s = ms / 1000
  return s >= 10 || Number.isInteger(s) ? `${Math.round(s)} s` : `${s.toFixed(1)} s`
}

/** Resolves with `promise`, or rejects with TimeoutError after `ms` (the promise is left to settle unobserved). */
export async function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new TimeoutError(`${what} got no answer within ${formatSeconds(ms)}`)), ms)
  })
  try {
    return await Promise.race([promise, timeout])
  } finally {
    clearTimeout(timer)
  }
}
