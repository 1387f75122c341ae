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
