import type { IncomingMessage } from 'node:http'
import * as http from 'node:http'
import * as https from 'node:https'
import { USER_AGENT } from '../constants.js'
import { CancelledError, type Deadline, sleep } from '../util/time.js'

export interface FollowOptions {
  /** Called with each complete line as it arrives. */
  onLine: (line: string) => void
  /** Told when the stream cannot be followed; the status poll still decides the outcome. */
  onTrouble: (message: string) => void
  deadline: Deadline
  signal?: AbortSignal
  /** How often a 404 (the stream has not started yet) is tried again. */
  notFoundRetryMs?: number
  /** How many failed connections (drops, 5xx) in a row before we stop following. */
  maxFailures?: number
}

const NOT_FOUND_PATIENCE_MS = 120_000

/**
 * First interval of the status poll that follows a stream. The stream carries the wait; once it closes,
 * the status turns within a second or so (a build's slug is stored, a release's dyno boots), so the poll
 * looks early and then backs off: a few calls, and the outcome is seen within a fraction of a second.
 */
export const CONFIRM_POLL_MS = 250

/**
 * Follows a build or release `output_stream_url` until Heroku closes it: retries the 404 it gives
 * before the stream starts, and resumes with `Range: bytes=N-` after a dropped connection.
 * Following is best effort: it never fails the deploy, the poll that comes after does.
 */
export async function followOutputStream(url: string, options: FollowOptions): Promise<void> {
  const { deadline, signal } = options
  const retryMs = options.notFoundRetryMs ?? 1000
  const maxFailures = options.maxFailures ?? 5
  const decoder = new TextDecoder()
  let offset = 0
  let partial = ''
  let failures = 0
  let notFound = 0
  const notFoundUntil = Date.now() + NOT_FOUND_PATIENCE_MS

  const emit = (text: string): void => {
    const lines = (partial + text).split(/\r?\n/)
    partial = lines.pop() ?? ''
    for (const line of lines) options.onLine(line)
  }

  while (deadline.remainingMs() > 0) {
    let response: IncomingMessage
    try {
      response = await get(url, offset, combine(signal, deadline.remainingMs()))
    } catch (error) {
      if (signal?.aborted) throw new CancelledError()
      if (deadline.remainingMs() <= 0) break
      if (++failures >= maxFailures) return options.onTrouble(`the output stream could not be reached (${describe(error)})`)
      await deadline.sleep(retryMs * failures, signal)
      continue
    }
    const status = response.statusCode ?? 0

    if (status === 404 && offset === 0) {
      response.resume()
      if (Date.now() > notFoundUntil) return options.onTrouble('the output stream never started')
      // Most streams start within a second: look again soon, then settle at `retryMs`.
      await deadline.sleep(Math.min(retryMs, (retryMs / 4) * ++notFound), signal)
      continue
    }
    if (status === 416) {
      response.resume()
      return flush()
    }
    if (status < 200 || status > 299) {
      response.resume()
      if (++failures >= maxFailures) return options.onTrouble(`the output stream answered ${status}`)
      await deadline.sleep(retryMs * failures, signal)
      continue
    }

    // A server that ignores Range replays from the start: skip what we already printed.
    let skip = status === 206 ? 0 : offset
    try {
      for await (const chunk of response as AsyncIterable<Buffer>) {
        failures = 0
        let bytes = chunk
        if (skip > 0) {
          const dropped = Math.min(skip, bytes.length)
          bytes = bytes.subarray(dropped)
          skip -= dropped
        }
        offset += bytes.length
        emit(decoder.decode(bytes, { stream: true }))
      }
      // A connection cut mid-body ends the body early rather than with an error: only a complete one is the end.
      if (!response.complete) throw new Error('the connection closed before the end of the stream')
      return flush()
    } catch (error) {
      if (signal?.aborted) throw new CancelledError()
      if (deadline.remainingMs() <= 0) break
      if (++failures >= maxFailures) return options.onTrouble(`the output stream kept dropping (${describe(error)})`)
      await sleep(Math.min(retryMs, deadline.remainingMs()), signal)
    }
  }
  flush()

  function flush(): void {
    emit(decoder.decode())
    if (partial) options.onLine(partial)
    partial = ''
  }
}

/**
 * One GET of the stream, from byte `offset` on. Plain http/https rather than fetch: fetch brings its own
 * HTTP stack (undici) into memory on first use, ~16 MB and ~45 ms, for what a GET with a Range header does.
 */
function get(url: string, offset: number, signal: AbortSignal): Promise<IncomingMessage> {
  const target = new URL(url)
  const transport = target.protocol === 'https:' ? https : http
  return new Promise((resolve, reject) => {
    const request = transport.get(target, {
      headers: { 'User-Agent': USER_AGENT, ...(offset > 0 ? { Range: `bytes=${offset}-` } : {}) },
      signal
    })
    request.on('response', resolve)
    request.on('error', reject)
  })
}

function combine(signal: AbortSignal | undefined, ms: number): AbortSignal {
  const timeout = AbortSignal.timeout(Math.max(1, ms))
  return signal ? AbortSignal.any([signal, timeout]) : timeout
}

function describe(error: unknown): string {
  const { code, message } = error as { code?: string; message?: string }
  return code ?? message ?? String(error)
}
