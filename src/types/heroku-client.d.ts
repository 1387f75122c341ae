// heroku-client ships no types; the project uses one request of it (lib/request.js), subclassed in
// src/heroku/client.ts.
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
