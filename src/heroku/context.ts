import type { Log } from '../log.js'
import type { Deadline } from '../util/time.js'
import type { HerokuApi } from './api.js'

/** What a Heroku stage needs: the API, the log, the cancel signal and the deadline it runs under. */
export interface StageContext {
  api: HerokuApi
  log: Log
  deadline: Deadline
  signal?: AbortSignal
  /** First poll interval (ms); tests shorten it. */
  pollMs?: number
}
