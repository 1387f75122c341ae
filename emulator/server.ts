import { randomUUID } from 'node:crypto'
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http'
import type { ApiResponse, PlatformApi } from './api.js'
import { checkApiRequest } from './auth.js'
import type { BlobStore } from './blobs.js'
import { ApiError, errorForStatus } from './errors.js'
import { applyAnswerFault, type FaultInjector } from './faults.js'
import { failGit, type GitRemote } from './git.js'
import type { RateLimiter } from './rate-limit.js'
import { failStream, type OutputStreams } from './streams.js'
import type { RecordedRequest } from './types.js'

export interface ServerParts {
  apiKey: string
  api: PlatformApi
  blobs: BlobStore
  streams: OutputStreams
  git: GitRemote
  faults: FaultInjector
  rateLimiter: RateLimiter
  requests: RecordedRequest[]
  log: (line: string) => void
}

// JSON request bodies are small; anything bigger is not a Platform API call.
const MAX_API_BODY = 1024 * 1024

/**
 * The API port's request handler. Every request is recorded and may meet an injected fault first.
 * Blob URLs and output streams are served without API checks (they stand in for S3 and
 * build-output.heroku.com), `/<app>.git/...` is the app's git remote (git.heroku.com, Basic auth of its
 * own); everything else is a Platform API call: Accept (406), credentials (401),
 * rate limit (429), then the route.
 */
export function requestHandler(parts: ServerParts): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    const method = req.method ?? 'GET'
    const target = req.url ?? '/'
    const record: RecordedRequest = { method, path: target, headers: flatten(req.headers), body: '', status: 0, at: Date.now() }
    parts.requests.push(record)
    recordStatus(res, record)

    if (parts.faults.takeDrop(method, target)) {
      parts.log(`fault: dropped ${method} ${target}`)
      record.fault = 'drop'
      return void req.socket.destroy()
    }
    const failure = parts.faults.takeFailure(method, target)
    const injected = failure?.status
    if (failure) {
      parts.log(`fault: ${method} ${target} answered ${failure.status}`)
      record.fault = 'fail'
      if (typeof failure.retryAfter === 'number') res.setHeader('Retry-After', String(failure.retryAfter))
    } else {
      const answerFault = parts.faults.takeAnswerFault(method, target)
      if (answerFault) {
        parts.log(`fault: ${method} ${target}: answer ${answerFault.kind}`)
        record.fault = answerFault.kind
        applyAnswerFault(res, answerFault)
      }
    }
    const url = new URL(target, 'http://127.0.0.1')
    let served: Promise<void> | void
    if (parts.blobs.handles(url.pathname)) {
      served = injected ? parts.blobs.fail(req, res, injected) : parts.blobs.serve(req, res, url)
    } else if (parts.streams.handles(url.pathname)) {
      served = injected ? failStream(res, injected) : parts.streams.serve(req, res, url.pathname)
    } else if (parts.git.handles(url.pathname)) {
      served = injected ? failGit(req, res, injected) : parts.git.serve(req, res, url)
    } else {
      served = serveApi(parts, req, res, record, url.pathname, injected)
    }
    Promise.resolve(served).catch((error: unknown) => {
      parts.log(`error serving ${method} ${target}: ${error instanceof Error ? error.message : String(error)}`)
      if (!res.headersSent) sendJson(res, 500, errorForStatus(500).body(), {})
      else res.destroy()
    })
  }
}

async function serveApi(parts: ServerParts, req: IncomingMessage, res: ServerResponse, record: RecordedRequest, pathname: string, injected: number | undefined): Promise<void> {
  const method = record.method
  const headers: Record<string, string> = { 'Request-Id': headerText(req.headers['request-id']) || randomUUID() }
  let response: ApiResponse
  try {
    record.body = await readBody(req)
    if (injected !== undefined) throw errorForStatus(injected)
    checkApiRequest(req.headers, parts.apiKey)
    if (!parts.api.isFree(method, pathname) && !parts.rateLimiter.take()) throw errorForStatus(429)
    response = parts.api.dispatch(method, pathname, { body: parseJson(record.body), headers: req.headers })
  } catch (error) {
    if (!(error instanceof ApiError)) parts.log(`internal error on ${method} ${pathname}: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`)
    const apiError = error instanceof ApiError ? error : errorForStatus(500)
    response = { status: apiError.status, body: apiError.body() }
  }
  headers['RateLimit-Remaining'] = String(response.status === 429 ? 0 : parts.rateLimiter.remaining())
  parts.log(`api: ${method} ${record.path} → ${response.status}`)
  sendJson(res, response.status, response.body, { ...headers, ...response.headers })
}

/** Fills in the status as soon as the head is sent: streams stay open long after that. */
function recordStatus(res: ServerResponse, record: RecordedRequest): void {
  const writeHead = res.writeHead
  res.writeHead = function (this: ServerResponse, ...args: unknown[]) {
    const result = (writeHead as (...a: unknown[]) => ServerResponse).apply(this, args)
    record.status = this.statusCode
    return result
  }
}

function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string>): void {
  const text = body === undefined ? '' : JSON.stringify(body)
  res.writeHead(status, { ...headers, 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) })
  res.end(text)
}

export function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    let size = 0
    req.on('data', (chunk: Buffer) => {
      size += chunk.length
      if (size > MAX_API_BODY) {
        req.destroy()
        reject(errorForStatus(413, 'Request body too large.'))
      } else chunks.push(chunk)
    })
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')))
    req.on('error', reject)
  })
}

function parseJson(text: string): unknown {
  if (!text.trim()) return undefined
  try {
    return JSON.parse(text)
  } catch {
    throw new ApiError(400, 'bad_request', 'Request body is not valid JSON.')
  }
}

export function flatten(headers: IncomingHttpHeaders): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).map(([name, value]) => [name, headerText(value)]))
}

function headerText(value: string | string[] | undefined): string {
  return Array.isArray(value) ? value.join(', ') : (value ?? '')
}
