import type { Deadline } from './time.js'

export interface PollOptions {
  deadline: Deadline
  signal?: AbortSignal
  /** First interval; it grows by half each time up to `maxIntervalMs`. */
  intervalMs?: number
  maxIntervalMs?: number
}

/** Reads `read` until `settled` says so; bounded by the deadline (TimeoutError) and the cancel signal. */
export async function pollUntil<T>(read: () => Promise<T>, settled: (value: T) => boolean, options: PollOptions): Promise<T> {
  let interval = options.intervalMs ?? 1000
  const max = options.maxIntervalMs ?? 5000
  for (;;) {
    const value = await read()
    if (settled(value)) return value
    await options.deadline.sleep(interval, options.signal)
    interval = Math.min(max, Math.round(interval * 1.5))
  }
}
