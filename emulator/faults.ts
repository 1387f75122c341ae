import type { ServerResponse } from 'node:http'
import type { AnswerFault, Faults, RequestMatch } from './types.js'

interface Rule {
  remaining: number
  match: RequestMatch
  status: number
  /** Seconds for a Retry-After header; null: no header, even where the server would send one. */
  retryAfter?: number | null
}

interface AnswerRule {
  remaining: number
  match: RequestMatch
  fault: AnswerFault
}

/** The knobs tests turn to make the emulator misbehave the way Heroku sometimes does. */
export class FaultInjector implements Faults {
  streamNotFoundFirst = 1
  streamLineDelayMs = 0
  pendingAfterStreamMs = 300
  buildDelayMs = 0
  releaseExpiresAfterMs = 0
  releasePhaseDelayMs = 0
  private readonly failures: Rule[] = []
  private readonly drops: Rule[] = []
  private readonly answers: AnswerRule[] = []

  failNext(count: number, status: number, match: RequestMatch = {}, options: { retryAfter?: number | null } = {}): void {
    if (!Number.isInteger(status) || status < 400 || status > 599) throw new Error(`failNext: status must be 4xx or 5xx, got ${status}`)
    this.failures.push({ remaining: checkedCount(count), match, status, retryAfter: options.retryAfter })
  }

  dropNext(count: number, match: RequestMatch = {}): void {
    this.drops.push({ remaining: checkedCount(count), match, status: 0 })
  }

  loseAnswerNext(count: number, match: RequestMatch = {}): void {
    this.answers.push({ remaining: checkedCount(count), match, fault: { kind: 'lose' } })
  }

  delayAnswerNext(count: number, ms: number, match: RequestMatch = {}): void {
    if (!(ms >= 0)) throw new Error(`delayAnswerNext: ms must be 0 or more, got ${ms}`)
    this.answers.push({ remaining: checkedCount(count), match, fault: { kind: 'delay', ms } })
  }

  cutAnswerNext(count: number, match: RequestMatch = {}): void {
    this.answers.push({ remaining: checkedCount(count), match, fault: { kind: 'cut' } })
  }

  /** Forgets every pending fault rule (the knobs keep their values). */
  clear(): void {
    this.failures.length = 0
    this.drops.length = 0
    this.answers.length = 0
  }

  /** The status (and Retry-After) an API request must fail with, consuming one use of the oldest matching rule. */
  takeFailure(method: string, path: string): { status: number; retryAfter?: number | null } | undefined {
    const rule = take(this.failures, method, path)
    return rule && { status: rule.status, retryAfter: rule.retryAfter }
  }

  /** Whether this request's connection must be dropped. */
  takeDrop(method: string, path: string): boolean {
    return take(this.drops, method, path) !== undefined
  }

  /** What must happen to this request's answer once the request has been carried out. */
  takeAnswerFault(method: string, path: string): AnswerFault | undefined {
    return take(this.answers, method, path)?.fault
  }
}

function checkedCount(count: number): number {
  if (!Number.isInteger(count) || count < 1) throw new Error(`fault count must be a positive integer, got ${count}`)
  return count
}

function take<R extends { remaining: number; match: RequestMatch }>(rules: R[], method: string, path: string): R | undefined {
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

type Write = (chunk?: unknown, encoding?: unknown, callback?: unknown) => unknown

/**
 * Applies an answer fault to a response its handler writes as usual: the request is carried out in
 * full (Heroku acted), and only what reaches the client changes.
 *   lose:  nothing is sent; once the handler has finished its answer, the connection is closed.
 *   delay: the answer (head and body) is held for `ms`, then sent as it was written.
 *   cut:   the head and half of the first part of the body are sent, then the connection drops
 *          (an empty body is announced as one byte that never comes).
 */
export function applyAnswerFault(res: ServerResponse, fault: AnswerFault): void {
  const socket = res.socket
  const original = { writeHead: res.writeHead, write: res.write as unknown as Write, end: res.end as unknown as Write, flushHeaders: res.flushHeaders }
  const drop = (): void => void socket?.destroy()
  const callbackOf = (...args: unknown[]) => args.find((arg): arg is () => void => typeof arg === 'function')
  const bytesOf = (chunk: unknown, encoding: unknown): Buffer =>
    typeof chunk === 'string'
      ? Buffer.from(chunk, typeof encoding === 'string' ? (encoding as BufferEncoding) : 'utf8')
      : chunk
        ? Buffer.from(chunk as Uint8Array)
        : Buffer.alloc(0)

  if (fault.kind === 'lose') {
    res.writeHead = function (this: ServerResponse, ...args: unknown[]) {
      this.statusCode = typeof args[0] === 'number' ? args[0] : this.statusCode
      return this
    }
    res.flushHeaders = () => undefined
    res.write = ((_chunk: unknown, ...rest: unknown[]) => {
      callbackOf(...rest)?.()
      return true
    }) as ServerResponse['write']
    res.end = ((...args: unknown[]) => {
      callbackOf(...args)?.()
      drop()
      return res
    }) as ServerResponse['end']
    return
  }

  if (fault.kind === 'delay') {
    const queue: (() => void)[] = []
    let open = false
    const later =
      (fn: (...args: unknown[]) => unknown) =>
      (...args: unknown[]) => {
        if (open) return fn.apply(res, args)
        queue.push(() => fn.apply(res, args))
        return fn === original.write ? true : res
      }
    res.writeHead = later(original.writeHead as (...args: unknown[]) => unknown) as ServerResponse['writeHead']
    res.flushHeaders = later(original.flushHeaders)
    res.write = later(original.write) as ServerResponse['write']
    res.end = later(original.end) as ServerResponse['end']
    const timer = setTimeout(() => {
      open = true
      Object.assign(res, original)
      for (const step of queue.splice(0)) step()
    }, fault.ms)
    res.on('close', () => clearTimeout(timer))
    return
  }

  // cut
  let head: unknown[] | undefined
  let done = false
  const cut = (body: Buffer): void => {
    if (done) return
    done = true
    const [status, ...rest] = head ?? [res.statusCode]
    const headers = { ...res.getHeaders(), ...(rest.find((arg) => typeof arg === 'object' && arg !== null) as Record<string, unknown> | undefined) }
    if (body.length === 0) headers['content-length'] = 1
    ;(original.writeHead as (...args: unknown[]) => unknown).call(res, status, headers)
    if (body.length > 1) original.write.call(res, body.subarray(0, Math.floor(body.length / 2)))
    // Let what was written reach the client before the connection goes.
    setTimeout(drop, 20)
  }
  res.writeHead = function (this: ServerResponse, ...args: unknown[]) {
    head = args
    return this
  }
  res.flushHeaders = () => undefined
  res.write = ((chunk: unknown, encoding?: unknown, callback?: unknown) => {
    const body = bytesOf(chunk, encoding)
    if (body.length > 0) cut(body)
    callbackOf(encoding, callback)?.()
    return true
  }) as ServerResponse['write']
  res.end = ((chunk?: unknown, encoding?: unknown, callback?: unknown) => {
    cut(typeof chunk === 'function' ? Buffer.alloc(0) : bytesOf(chunk, encoding))
    callbackOf(chunk, encoding, callback)?.()
    return res
  }) as ServerResponse['end']
}
