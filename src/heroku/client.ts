/**
 * heroku-client, with one decision of its own taken away.
 *
 * heroku-client 3.1.4 retries a request whose connection failed (reset, timeout, refused) up to 4
 * times, whatever the method, and has no option to turn that off. For a POST that Heroku carried out
 * before the connection dropped, that resends the create unseen: a second build, a second release.
 * Its socket timeout even aborts the request and then retries it in the background after the promise
 * already failed. So here every request is sent exactly once (`isRetryAllowed` answers no), and
 * whether to try again is decided in one place, api.ts, which knows which calls are writes and looks
 * for what a lost create may have made before it sends it again.
 *
 * This subclass also lets the cancel signal abort a request in flight, fails a request whose answer
 * stops mid-way (heroku-client would wait for the end forever), and keeps the answer's `Retry-After`.
 */
import HerokuRequest, { type RequestOptions } from 'heroku-client/lib/request.js'
import type { IncomingMessage, ClientRequest } from 'node:http'

export interface ClientOptions {
  token: string
  host: string
  userAgent: string
  middleware?: (response: IncomingMessage, next: () => void) => void
}

/** What a failed request rejects with: heroku-client's error, plus what we read from the answer. */
export interface ClientError extends Error {
  statusCode?: number
  body?: unknown
  code?: string
  /** Seconds the answer's Retry-After asked for. */
  retryAfter?: number
}

/** Sends one request through heroku-client (auth, Accept, JSON, Range) exactly once; `signal` aborts it. */
export function sendOnce<T>(client: ClientOptions, options: RequestOptions, signal?: AbortSignal): Promise<T> {
  const request = new OnceRequest({ ...client, ...options, headers: { ...options.headers } }, signal)
  return request.request() as Promise<T>
}

class OnceRequest extends HerokuRequest {
  constructor(
    options: RequestOptions & ClientOptions,
    private readonly signal?: AbortSignal
  ) {
    super(options)
  }

  /** Never: our retry in api.ts decides, knowing which calls are writes. */
  override isRetryAllowed(): boolean {
    return false
  }

  /** heroku-client's idle timeout, and the cancel signal: either aborts the request in flight. */
  override setRequestTimeout(req: ClientRequest): void {
    super.setRequestTimeout(req)
    const signal = this.signal
    if (!signal) return
    const abort = (): void => void req.destroy(Object.assign(new Error('the request was aborted'), { code: 'ABORT_ERR' }))
    if (signal.aborted) return abort()
    signal.addEventListener('abort', abort, { once: true })
    req.once('close', () => signal.removeEventListener('abort', abort))
  }

  /** An answer that stops mid-way fails the request, instead of waiting for an end that never comes. */
  override handleResponse(res: IncomingMessage): void {
    const cut = (): void => this.reject(Object.assign(new Error('the answer stopped before its end'), { code: 'ECONNRESET' }))
    res.on('aborted', cut)
    res.on('error', cut)
    super.handleResponse(res)
  }

  /** heroku-client's failure, with the answer's Retry-After kept for our retry. */
  override handleFailure(res: IncomingMessage, buffer: string): void {
    const error: ClientError = new Error(`Expected response to be successful, got ${res.statusCode}`)
    error.statusCode = res.statusCode
    try {
      error.body = JSON.parse(buffer || '{}')
    } catch {
      error.body = buffer
    }
    const retryAfter = Number(res.headers['retry-after'])
    if (res.headers['retry-after'] !== undefined && Number.isFinite(retryAfter) && retryAfter >= 0) error.retryAfter = retryAfter
    this.reject(error)
  }
}
