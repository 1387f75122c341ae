// heroku-client ships no types; this is the part of its API we use (lib/index.js, lib/request.js).
declare module 'heroku-client' {
  import type { IncomingMessage } from 'node:http'

  interface RequestOptions {
    method?: string
    path: string
    body?: unknown
    headers?: Record<string, string>
    /** Do not follow Next-Range; return the first page only. */
    partial?: boolean
    /** Socket idle timeout in ms. */
    timeout?: number
  }

  interface HerokuOptions {
    token: string
    host?: string
    userAgent?: string
    headers?: Record<string, string>
    middleware?: (response: IncomingMessage, next: () => void) => void
  }

  export default class Heroku {
    constructor(options: HerokuOptions)
    request<T>(options: RequestOptions): Promise<T>
  }
}

// One request of heroku-client (lib/request.js), subclassed in src/heroku/client.ts.
declare module 'heroku-client/lib/request.js' {
  import type { ClientRequest, IncomingMessage } from 'node:http'

  export interface RequestOptions {
    method?: string
    path: string
    body?: unknown
    headers?: Record<string, string>
    partial?: boolean
    timeout?: number
  }

  export default class Request {
    constructor(options: RequestOptions & object)
    request(): Promise<unknown>
    isRetryAllowed(error: Error): boolean
    setRequestTimeout(req: ClientRequest): void
    handleResponse(res: IncomingMessage): void
    handleFailure(res: IncomingMessage, buffer: string): void
    reject(error: unknown): void
  }
}
