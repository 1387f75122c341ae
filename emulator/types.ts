import type { Build, Release } from '@heroku-cli/schema'

export interface EmulatorOptions {
  /** The only accepted credential (Bearer token, or the password of Basic auth). */
  apiKey: string
  /** Apps that exist from the start: created empty, no release yet (release list empty); on heroku-24 unless a stack is given. */
  apps?: (string | { name: string; stack?: string })[]
  /** API port; 0 = random (default). */
  port?: number
  /** Initial RateLimit-Remaining pool (default 4500); refills ~75/min like Heroku. */
  rateLimit?: number
  /** Where blobs, slugs and dyno dirs live (default: a fresh temp dir, removed on close). */
  workDir?: string
  /** The emulator's own diagnostic log, including dyno output (default: silent). */
  log?: (line: string) => void
}

export interface RecordedRequest {
  method: string
  /** The request target as sent (path and query string). */
  path: string
  /** Lower-cased names; repeated headers joined with ", ". */
  headers: Record<string, string>
  /** The body as text; blob uploads are streamed to disk and recorded as "". */
  body: string
  /** The answered status; 0 while unanswered or when the connection was dropped. */
  status: number
  /** The injected fault this request met, if any: `fail`, `drop`, or an answer fault (`lose`, `delay`, `cut`). */
  fault?: 'fail' | 'drop' | AnswerFault['kind']
  /** When the request arrived (ms since the epoch), to time clients against the emulator's own events. */
  at: number
}

/** What an answer fault does to the answer of a request that was carried out. */
export type AnswerFault = { kind: 'lose' } | { kind: 'delay'; ms: number } | { kind: 'cut' }

export interface Faults {
  /**
   * The next `count` matching requests answer `status`: API calls with Heroku's error body
   * (429 rate_limit, 500 internal_server_error, 503 service_unavailable, ...), blob URLs with an
   * S3-style XML error (503 SlowDown, 500 InternalError), stream URLs with plain text; with a
   * Retry-After header only when `retryAfter` gives its seconds (null or unset: none).
   */
  failNext(count: number, status: number, match?: RequestMatch, options?: { retryAfter?: number | null }): void
  /** The next `count` matching requests (API, blob or stream) lose their connection before anything is done. */
  dropNext(count: number, match?: RequestMatch): void
  /**
   * Heroku acted, then the answer was lost: the next `count` matching requests are carried out in
   * full (a build is created, a release made, an upload stored), and the connection then closes
   * without a byte of the answer.
   */
  loseAnswerNext(count: number, match?: RequestMatch): void
  /** The next `count` matching requests are carried out at once, but their answer is held `ms` before it is sent. */
  delayAnswerNext(count: number, ms: number, match?: RequestMatch): void
  /**
   * The next `count` matching answers stop mid-way: the head and half of the first part of the body
   * arrive, then the connection drops (a JSON body cut in two, an output stream that stops, an
   * upload's answer that never completes). The request itself was carried out.
   */
  cutAnswerNext(count: number, match?: RequestMatch): void
  /** Forgets every fault rule not used up yet (the knobs below keep their values). */
  clear(): void
  /** Output streams answer 404 for the first N GETs of each stream (default 1). */
  streamNotFoundFirst: number
  /** Delay between streamed lines (default 0). */
  streamLineDelayMs: number
  /** A build stays "pending" this long after its output stream closed (default 300). */
  pendingAfterStreamMs: number
  /** Extra delay before a build starts running (default 0). */
  buildDelayMs: number
  /**
   * A release whose release phase still runs this long after it started expires, as Heroku's do
   * (status `expired`): the phase is stopped and the release never goes live (default 0: never).
   */
  releaseExpiresAfterMs: number
  /** Extra time a release phase runs before its command (default 0): a long migration. */
  releasePhaseDelayMs: number
}

/** The faults every emulated service takes, the local GitHub included (the knobs of `Faults` are Heroku's). */
export type RequestFaults = Pick<Faults, 'failNext' | 'dropNext' | 'loseAnswerNext' | 'delayAnswerNext' | 'cutAnswerNext' | 'clear'>

export interface RequestMatch {
  method?: string
  /** Tested against the request target (path and query string). */
  path?: RegExp
}

export interface AppView {
  id: string
  name: string
  /** Stable http://127.0.0.1:<routerPort>/ allocated at app creation. */
  webUrl: string
  stack: string
  /** The app's buildpack installations (URLs or names), in order. */
  buildpacks: string[]
  maintenance: boolean
  configVars: Record<string, string>
  builds: Build[]
  /** When each build started and (once no longer pending) ended, in ms since the epoch: to see builds overlap. */
  buildWindows(): { id: string; started: number; ended?: number }[]
  /** Ascending by version. */
  releases: Release[]
  currentRelease(): Release | undefined
  buildLog(buildId: string): string
  releaseLog(releaseId: string): string
  /** Every maintenance value set, in order. */
  maintenanceHistory: boolean[]
  /** The commit `main` of the app's git remote points at; undefined before the first accepted push. */
  gitHead(): string | undefined
}

export interface Emulator {
  /** What HEROKU_API_URL is set to, e.g. http://127.0.0.1:41234 */
  apiUrl: string
  /** What HEROKU_GIT_URL is set to: the same port; each app's remote is `<gitUrl>/<app>.git`. */
  gitUrl: string
  /** Bytes clients have sent to the port so far (requests and bodies, API and git alike). */
  bytesReceived(): number
  /** Every request to the API port, in order (API calls, blob PUT/GET, stream GETs). */
  requests: RecordedRequest[]
  faults: Faults
  /** Live view of an app's state; throws for an unknown app. */
  app(name: string): AppView
  createApp(name: string, options?: { stack?: string }): Promise<AppView>
  /** A pipeline with these apps in these stages (as POST /pipelines and POST /pipeline-couplings make it). */
  createPipeline(name: string, stages: Partial<Record<'test' | 'review' | 'development' | 'staging' | 'production', string[]>>): { id: string; name: string }
  /** The bare repository behind `<gitUrl>/<app>.git` (made on the app's first git request). */
  gitRepository(name: string): string
  /** Stops every dyno, build and release process, the routers and the server; removes a temp workDir. */
  close(): Promise<void>
}
