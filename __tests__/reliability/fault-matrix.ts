/**
 * The fault matrix: every Heroku endpoint a deploy calls, and the GitHub look-ups of what it brings,
 * × every way a call can go wrong. Each kind of deploy (a scenario: the plain api deploy (api), git, a
 * rollback, build-once, a timeout) calls some of the endpoints; the e2e suite (e2e/fault-matrix*.test.ts)
 * runs one deploy of it per fault, with that fault on each of its endpoints at once, and checks how it
 * ends. The README's tables are rendered from these same rows (npm run reliability-tables), and a test
 * checks that the README shows exactly that.
 */
import type { RequestMatch } from '../../emulator/index.js'

export type FaultKind = 'retry-after' | '429' | '500' | '503' | 'reset' | 'lost' | 'slow' | 'cut'

export const FAULTS: { kind: FaultKind; title: string }[] = [
  { kind: 'retry-after', title: '429 + Retry-After' },
  { kind: '429', title: '429' },
  { kind: '500', title: '500' },
  { kind: '503', title: '503' },
  { kind: 'reset', title: 'reset before the answer' },
  { kind: 'lost', title: 'acted, answer lost' },
  { kind: 'slow', title: 'slower than the request timeout' },
  { kind: 'cut', title: 'answer stops mid-way' }
]

/** What the emulator and the local GitHub record on a request that met each fault (`RecordedRequest.fault`). */
export const RECORDED: Record<FaultKind, string> = { 'retry-after': 'fail', '429': 'fail', '500': 'fail', '503': 'fail', reset: 'drop', lost: 'lose', slow: 'delay', cut: 'cut' }

/** The kinds of deploy the matrix runs, each with the endpoints only it calls, and how each of its runs must end. */
export type Scenario = 'api' | 'git' | 'rollback' | 'build-once' | 'timeout'

export const SCENARIOS: { scenario: Scenario; deploy: string; ends: string; test: string }[] = [
  {
    scenario: 'api',
    deploy: 'api, from a live release, with maintenance, config vars and a smoke check',
    ends: '`success`, exactly one build, maintenance off, the app answering, its changes listed',
    test: 'fault-matrix.test.ts'
  },
  {
    scenario: 'git',
    deploy: 'git, with buildpacks',
    ends: '`success`, exactly one build and one release, the commit on Heroku’s main',
    test: 'fault-matrix-git.test.ts'
  },
  {
    scenario: 'rollback',
    deploy: 'api, a smoke check that fails',
    ends: '`rolled-back`, exactly one rollback release, the earlier code answering',
    test: 'fault-matrix-rollback.test.ts'
  },
  {
    scenario: 'build-once',
    deploy: 'api, two apps, build-once',
    ends: '`success`, one build on the first app, exactly one release of its slug on the second',
    test: 'fault-matrix-build-once.test.ts'
  },
  {
    scenario: 'timeout',
    deploy: 'api, with maintenance, a build slower than `timeout`',
    ends: '`failure` with "The build and release of ‹app› did not finish within 8 s", the build cancelled, no release, maintenance off',
    test: 'fault-matrix-timeout.test.ts'
  }
]

/**
 * How the action may repeat a call (src/heroku/api.ts, src/ship/push.ts), which decides what each fault
 * leads to; `lookUp` is a GitHub read of what a deploy brings (src/github/api.ts): retried, and optional,
 * so that whatever happens to it never changes the deploy's result.
 */
export type CallKind = 'read' | 'idempotent' | 'harmless' | 'lookFirst' | 'upload' | 'stream' | 'cancel' | 'git-refs' | 'git-push' | 'lookUp'

/** Which server answers a call: the Heroku emulator or the local GitHub. */
export type Service = 'heroku' | 'github'

export interface Endpoint {
  name: string
  scenario: Scenario
  service: Service
  kind: CallKind
  /** The requests to this endpoint for `app` (blob and stream URLs and GitHub's name no app: one deploy per emulator and local GitHub). */
  match(app: string): RequestMatch
}

const at = (app: string): string => app.replace(/[^a-z0-9-]/g, '')
const api =
  (method: string, tail: string) =>
  (app: string): RequestMatch => ({ method, path: new RegExp(`^/apps/${at(app)}${tail}$`) })
const ID = '[^/?]+'

export const ENDPOINTS: Endpoint[] = [
  { name: 'GET /apps/{app}', scenario: 'api', service: 'heroku', kind: 'read', match: api('GET', '') },
  { name: 'GET /apps/{app}/releases (the live release: rollback target, start of the changes)', scenario: 'api', service: 'heroku', kind: 'read', match: api('GET', '/releases') },
  { name: 'GET /apps/{app}/slugs/{id} (the live commit)', scenario: 'api', service: 'heroku', kind: 'read', match: api('GET', `/slugs/${ID}`) },
  { name: 'POST /sources', scenario: 'api', service: 'heroku', kind: 'harmless', match: () => ({ method: 'POST', path: /^\/sources$/ }) },
  { name: 'PUT the upload (presigned URL)', scenario: 'api', service: 'heroku', kind: 'upload', match: () => ({ method: 'PUT', path: /^\/blobs\// }) },
  { name: 'PATCH /apps/{app} (maintenance on)', scenario: 'api', service: 'heroku', kind: 'idempotent', match: api('PATCH', '') },
  { name: 'PATCH /apps/{app}/config-vars', scenario: 'api', service: 'heroku', kind: 'idempotent', match: api('PATCH', '/config-vars') },
  { name: 'POST /apps/{app}/builds', scenario: 'api', service: 'heroku', kind: 'lookFirst', match: api('POST', '/builds') },
  { name: 'GET the build output stream', scenario: 'api', service: 'heroku', kind: 'stream', match: () => ({ method: 'GET', path: /^\/streams\/builds\// }) },
  { name: 'GET /apps/{app}/builds/{id}', scenario: 'api', service: 'heroku', kind: 'read', match: api('GET', `/builds/${ID}`) },
  { name: 'GET /apps/{app}/releases/{id}', scenario: 'api', service: 'heroku', kind: 'read', match: api('GET', `/releases/${ID}`) },
  { name: 'GET the release-phase output stream', scenario: 'api', service: 'heroku', kind: 'stream', match: () => ({ method: 'GET', path: /^\/streams\/releases\// }) },
  {
    name: 'GitHub GET /repos/{owner}/{repo}/compare/{basehead}',
    scenario: 'api',
    service: 'github',
    kind: 'lookUp',
    match: () => ({ method: 'GET', path: /^\/repos\/[^/]+\/[^/]+\/compare\// })
  },
  {
    name: 'GitHub GET /repos/{owner}/{repo}/commits/{sha}/pulls',
    scenario: 'api',
    service: 'github',
    kind: 'lookUp',
    match: () => ({ method: 'GET', path: /^\/repos\/[^/]+\/[^/]+\/commits\/[0-9a-f]{40}\/pulls/ })
  },
  { name: 'PUT /apps/{app}/buildpack-installations', scenario: 'git', service: 'heroku', kind: 'idempotent', match: api('PUT', '/buildpack-installations') },
  {
    name: 'GET {app}.git/info/refs (git: the refs)',
    scenario: 'git',
    service: 'heroku',
    kind: 'git-refs',
    match: (app) => ({ method: 'GET', path: new RegExp(`^/${at(app)}\\.git/info/refs\\?service=git-receive-pack$`) })
  },
  {
    name: 'POST {app}.git/git-receive-pack (git: the push)',
    scenario: 'git',
    service: 'heroku',
    kind: 'git-push',
    match: (app) => ({ method: 'POST', path: new RegExp(`^/${at(app)}\\.git/git-receive-pack$`) })
  },
  { name: 'POST /apps/{app}/releases {release} (the rollback)', scenario: 'rollback', service: 'heroku', kind: 'lookFirst', match: api('POST', '/releases') },
  { name: 'POST /apps/{app}/releases {slug} (build-once, on the second app)', scenario: 'build-once', service: 'heroku', kind: 'lookFirst', match: api('POST', '/releases') },
  { name: 'DELETE /apps/{app}/builds/{id} (cancel the build)', scenario: 'timeout', service: 'heroku', kind: 'cancel', match: api('DELETE', `/builds/${ID}`) }
]

export function endpointsOf(scenario: Scenario): Endpoint[] {
  return ENDPOINTS.filter((endpoint) => endpoint.scenario === scenario)
}

/** What the action does, per kind of call and fault: the words in the README's cells. */
export function cell(kind: CallKind, fault: FaultKind): string {
  if (kind === 'git-refs') return fault === 'slow' ? 'waited for' : 'pushed again'
  if (kind === 'git-push') {
    if (fault === 'slow') return 'waited for'
    return fault === 'lost' || fault === 'cut' ? 'found, not pushed again' : 'looked for, then pushed again'
  }
  // The test's delay (2.5 s) is over HEROKU_CD_REQUEST_TIMEOUT (1 s), which is Heroku's; GitHub's is 30 s.
  if (kind === 'lookUp' && fault === 'slow') return "waited (GitHub's request timeout is 30 s)"
  if (fault === 'retry-after') return kind === 'stream' || kind === 'upload' ? 'retried' : 'waited as asked, retried'
  if (fault === '429' || fault === '503' || fault === '500' || fault === 'reset') {
    if (kind === 'lookFirst' && fault !== '429') return 'looked for, then sent again'
    return kind === 'stream' ? 'followed again' : 'retried'
  }
  // Heroku acted (lost, slow, cut): only what is safe to repeat is repeated.
  if (kind === 'lookFirst') return 'found, not sent again'
  if (kind === 'stream') return fault === 'cut' ? 'resumed at its byte' : 'followed again'
  if (kind === 'upload') return 'uploaded again (same bytes)'
  if (kind === 'harmless') return 'sent again (an unused blob)'
  if (kind === 'idempotent') return 'sent again (same state)'
  if (kind === 'cancel') return 'sent again (Heroku: already cancelled)'
  return 'retried'
}

/** The README's tables: each kind of deploy and how its runs end; then one row per endpoint, one column per fault. */
export function faultMatrixTable(): string {
  const scenarios = ['| deploy | what it is | each run ends | test |', '|:--|:--|:--|:--|', ...SCENARIOS.map((s) => `| ${s.scenario} | ${s.deploy} | ${s.ends} | \`${s.test}\` |`)]
  const head = `| endpoint | deploy | ${FAULTS.map((f) => f.title).join(' | ')} |`
  const rule = `|:--|:--|${FAULTS.map(() => ':--').join('|')}|`
  const rows = ENDPOINTS.map((e) => `| ${e.name} | ${e.scenario} | ${FAULTS.map((f) => cell(e.kind, f.kind)).join(' | ')} |`)
  return [...scenarios, '', head, rule, ...rows].join('\n')
}
