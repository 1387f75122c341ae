/**
 * What the fault-matrix tests (fault-matrix*.test.ts) share: putting a fault on a scenario's endpoints
 * (each on the server that answers it: the Heroku emulator or the local GitHub), and checking that every
 * one of them met it. The rows are in reliability/fault-matrix.ts.
 */
import type { LocalGitHub } from '../../emulator/github/index.js'
import type { Emulator, RecordedRequest, RequestMatch } from '../../emulator/index.js'
import { type Endpoint, endpointsOf, type FaultKind, RECORDED, type Scenario } from '../reliability/fault-matrix.js'

/** The two servers a deploy calls (a World has both): where each endpoint's faults go and its requests are recorded. */
export interface Servers {
  emulator: Pick<Emulator, 'faults' | 'requests'>
  github: Pick<LocalGitHub, 'faults' | 'requests'>
}

/** The request timeout every matrix run uses: "slower than the request timeout" holds answers 2.5 s. */
export const MATRIX_ENV = { HEROKU_CD_REQUEST_TIMEOUT: '1' }
export const SLOW_MS = 2500

/** An app per fault, so that a scenario's rows run side by side on one emulator. */
export const appFor = (prefix: string, kind: FaultKind): string => `${prefix}-${kind}`

/** Puts `kind` once on each of the scenario's endpoints for `app`. */
export function inject(servers: Servers, scenario: Scenario, kind: FaultKind, app: string): void {
  for (const endpoint of endpointsOf(scenario)) injectOne(servers[serverOf(endpoint)].faults, kind, endpoint.match(app))
}

const serverOf = (endpoint: Endpoint): keyof Servers => (endpoint.service === 'github' ? 'github' : 'emulator')

/** The fault calls both servers take (the emulator's have more knobs). */
type FaultCalls = LocalGitHub['faults']

function injectOne(faults: FaultCalls, kind: FaultKind, match: RequestMatch): void {
  if (kind === 'retry-after') faults.failNext(1, 429, match, { retryAfter: 1 })
  // A 429 without Retry-After (the local GitHub sends one unless told not to).
  else if (kind === '429') faults.failNext(1, 429, match, { retryAfter: null })
  else if (kind === 'reset') faults.dropNext(1, match)
  else if (kind === 'lost') faults.loseAnswerNext(1, match)
  else if (kind === 'slow') faults.delayAnswerNext(1, SLOW_MS, match)
  else if (kind === 'cut') faults.cutAnswerNext(1, match)
  else faults.failNext(1, Number(kind), match)
}

/** The scenario's endpoints whose fault for `app` no request met (empty when every cell was exercised). */
export function unmet(servers: Servers, scenario: Scenario, kind: FaultKind, app: string): string[] {
  const met = (endpoint: Endpoint) => {
    const { method, path } = endpoint.match(app)
    return servers[serverOf(endpoint)].requests.some((r) => r.fault === RECORDED[kind] && r.method === method && (path as RegExp).test(r.path))
  }
  return endpointsOf(scenario)
    .filter((endpoint) => !met(endpoint))
    .map((endpoint) => endpoint.name)
}

/** Requests to one endpoint of the scenario for `app`. */
export function requestsTo(requests: readonly RecordedRequest[], endpoint: Endpoint, app: string): RecordedRequest[] {
  const { method, path } = endpoint.match(app)
  return requests.filter((r) => r.method === method && (path as RegExp).test(r.path))
}
