/**
 * The bad-input table: malformed and hostile values across every input, each of which must fail the
 * step before any request, with a message naming the input and saying what is expected. The e2e suite
 * (e2e/bad-inputs.test.ts) runs each row over dist/index.js; the README's table is rendered from it.
 */
export interface BadInput {
  /** What the row tries, in a few words. */
  what: string
  inputs: Record<string, string>
  env?: Record<string, string>
  /** The start of the error the step must fail with (the input's name comes first). */
  error: string
}

const huge = 'a'.repeat(5000)

export const BAD_INPUTS: BadInput[] = [
  { what: 'api-key empty', inputs: { 'api-key': '' }, error: "Input 'api-key' is required" },
  { what: 'api-key only spaces', inputs: { 'api-key': '   ' }, error: "Input 'api-key' is required" },
  { what: 'api-key with a line break', inputs: { 'api-key': 'HRKU-abc\ninjected' }, error: "Input 'api-key' must be a single token" },
  { what: 'api-key with a space', inputs: { 'api-key': 'HRKU abc' }, error: "Input 'api-key' must be a single token" },
  { what: 'app empty', inputs: { app: '' }, error: "Input 'app' is required" },
  { what: 'app only commas', inputs: { app: ' , ,\n' }, error: "Input 'app' is required" },
  { what: 'app with capitals and underscore', inputs: { app: 'Hello_App' }, error: "Input 'app' has 'Hello_App', which is not a Heroku app name" },
  { what: 'app with a Cyrillic look-alike', inputs: { app: 'hеllo-app' }, error: "Input 'app' has 'hеllo-app', which is not a Heroku app name" },
  { what: 'app too long', inputs: { app: 'a'.repeat(31) }, error: "Input 'app' has '" },
  { what: 'app with a path', inputs: { app: '../other-app' }, error: "Input 'app' has '../other-app'" },
  { what: 'app with shell metacharacters', inputs: { app: 'app;rm -rf /' }, error: "Input 'app' has 'app;rm -rf /'" },
  { what: 'strategy unknown', inputs: { strategy: 'docker' }, error: "Input 'strategy' must be 'api' or 'git' (got 'docker')" },
  { what: 'strategy in capitals', inputs: { strategy: 'API' }, error: "Input 'strategy' must be 'api' or 'git' (got 'API')" },
  { what: 'source-dir escaping the repository', inputs: { 'source-dir': '../..' }, error: "Input 'source-dir' must be a folder inside the repository (got '../..')" },
  { what: 'source-dir absolute elsewhere', inputs: { 'source-dir': '/etc' }, error: "Input 'source-dir' must be a folder inside the repository (got '/etc')" },
  { what: 'source-dir missing', inputs: { 'source-dir': 'services/missing' }, error: "Input 'source-dir' must be an existing folder of the repository" },
  { what: 'source-dir a file', inputs: { 'source-dir': 'server.js' }, error: "Input 'source-dir' must be an existing folder of the repository" },
  { what: 'version with a line break', inputs: { version: 'v1\nv2' }, error: "Input 'version' must be one line of at most 200 characters" },
  { what: 'version huge', inputs: { version: huge }, error: "Input 'version' must be one line of at most 200 characters" },
  { what: 'timeout words', inputs: { timeout: 'ten minutes' }, error: "Input 'timeout' must be a whole number of seconds from 1 to 21600" },
  { what: 'timeout zero', inputs: { timeout: '0' }, error: "Input 'timeout' must be a whole number of seconds from 1 to 21600" },
  { what: 'timeout negative', inputs: { timeout: '-5' }, error: "Input 'timeout' must be a whole number of seconds" },
  { what: 'timeout fractional', inputs: { timeout: '1.5' }, error: "Input 'timeout' must be a whole number of seconds" },
  { what: 'timeout beyond a job', inputs: { timeout: '99999' }, error: "Input 'timeout' must be a whole number of seconds from 1 to 21600" },
  { what: 'timeout in Arabic-Indic digits', inputs: { timeout: '١٢٠' }, error: "Input 'timeout' must be a whole number of seconds" },
  { what: 'smoke-timeout zero', inputs: { 'smoke-timeout': '0' }, error: "Input 'smoke-timeout' must be a whole number of seconds from 1 to 21600" },
  { what: 'checks-timeout negative', inputs: { 'required-checks': 'test', 'checks-timeout': '-1' }, error: "Input 'checks-timeout' must be a whole number of seconds" },
  { what: 'smoke check not a path', inputs: { 'smoke-checks': 'GET /health' }, error: "Input 'smoke-checks' line 1 ('GET /health') must start with a path" },
  { what: 'smoke check ftp URL', inputs: { 'smoke-checks': 'ftp://example.com/health' }, error: "Input 'smoke-checks' line 1 ('ftp://example.com/health') must start with a path" },
  { what: 'smoke check javascript URL', inputs: { 'smoke-checks': 'javascript:alert(1)' }, error: "Input 'smoke-checks' line 1 ('javascript:alert(1)') must start with a path" },
  { what: 'smoke check status out of range', inputs: { 'smoke-checks': '/health 999' }, error: "Input 'smoke-checks' line 1 ('/health 999') has status 999" },
  { what: 'smoke check bad second line', inputs: { 'smoke-checks': '/health 200\nhealth' }, error: "Input 'smoke-checks' line 2 ('health')" },
  { what: 'rollback-on-failure not a boolean', inputs: { 'rollback-on-failure': 'maybe' }, error: "Input 'rollback-on-failure' must be true or false (got 'maybe')" },
  { what: 'maintenance yes', inputs: { maintenance: 'yes' }, error: "Input 'maintenance' must be true or false (got 'yes')" },
  { what: 'github-deployment 1', inputs: { 'github-deployment': '1' }, error: "Input 'github-deployment' must be true or false (got '1')" },
  { what: 'dry-run on', inputs: { 'dry-run': 'on' }, error: "Input 'dry-run' must be true or false (got 'on')" },
  { what: 'build-once not a boolean', inputs: { 'build-once': 'always', app: 'hello-app, other-app' }, error: "Input 'build-once' must be true or false (got 'always')" },
  { what: 'build-once with one app', inputs: { 'build-once': 'true' }, error: "Input 'build-once' builds on the first app" },
  { what: 'max-parallel zero', inputs: { 'max-parallel': '0' }, error: "Input 'max-parallel' must be a whole number from 1 to 20 (got '0')" },
  { what: 'max-parallel huge', inputs: { 'max-parallel': '1000' }, error: "Input 'max-parallel' must be a whole number from 1 to 20" },
  { what: 'branch with spaces', inputs: { branch: 'main develop' }, error: "Input 'branch' must be one branch name or glob" },
  { what: 'environment with a line break', inputs: { environment: 'prod\nstaging' }, error: "Input 'environment' must be one line of at most 255 characters" },
  { what: 'environment huge', inputs: { environment: huge }, error: "Input 'environment' must be one line of at most 255 characters" },
  { what: 'github-token empty with deployments on', inputs: { 'github-token': '' }, error: "Input 'github-token' is empty, but 'github-deployment' is true" },
  { what: 'slack-webhook not a URL', inputs: { 'slack-webhook': 'not a url' }, error: "Input 'slack-webhook' must be an http(s) URL." },
  { what: 'slack-webhook file URL', inputs: { 'slack-webhook': 'file:///etc/passwd' }, error: "Input 'slack-webhook' must be an http(s) URL." },
  { what: 'webhook-url ftp with credentials', inputs: { 'webhook-url': 'ftp://user:pass@example.com/hook' }, error: "Input 'webhook-url' must be an http(s) URL." },
  { what: 'webhook-secret without webhook-url', inputs: { 'webhook-url': '', 'webhook-secret': 'whsec-lonely-1234' }, error: "Input 'webhook-secret' signs the webhook-url POST" },
  { what: 'config-vars line without =', inputs: { 'config-vars': 'JUST_A_SECRET_VALUE' }, error: "Input 'config-vars' line 1 has no '='" },
  { what: 'config-vars key with shell metacharacters', inputs: { 'config-vars': 'KEY;rm -rf /=x' }, error: "Input 'config-vars' line 1 has the key 'KEY;rm -rf /'" },
  { what: 'config-vars key starting with a digit', inputs: { 'config-vars': '1KEY=x' }, error: "Input 'config-vars' line 1 has the key '1KEY'" },
  { what: 'config-vars key set twice', inputs: { 'config-vars': 'A=1\nA=2' }, error: "Input 'config-vars' line 2 sets A again" },
  { what: 'buildpacks ssh URL', inputs: { buildpacks: 'git@github.com:heroku/heroku-buildpack-nodejs.git' }, error: "Input 'buildpacks' line 1" },
  { what: 'buildpacks URL with credentials', inputs: { buildpacks: 'https://user:token@example.com/bp.tgz' }, error: "Input 'buildpacks' line 1 has a URL with credentials" },
  { what: 'buildpacks ftp URL', inputs: { buildpacks: 'ftp://example.com/bp.tgz' }, error: "Input 'buildpacks' line 1 has a ftp URL" },
  { what: 'branch-nodes not a boolean', inputs: { 'branch-nodes': 'yes' }, error: "Input 'branch-nodes' must be true or false (got 'yes')" },
  {
    what: 'branch-nodes on a push run',
    inputs: { 'branch-nodes': 'true', app: 'hello-app, other-app' },
    error: "Input 'branch-nodes' deploys pull requests to a pool of apps: it needs a pull_request run ('on: pull_request'), not a 'push' run."
  },
  {
    what: 'branch-nodes on a pull_request run without its payload',
    inputs: { 'branch-nodes': 'true', app: 'hello-app, other-app' },
    env: { GITHUB_EVENT_NAME: 'pull_request' },
    error: "Input 'branch-nodes' needs the pull_request event's payload (GITHUB_EVENT_PATH), which names no pull request."
  },
  {
    what: 'branch-nodes with build-once',
    inputs: { 'branch-nodes': 'true', 'build-once': 'true', app: 'hello-app, other-app' },
    env: { GITHUB_EVENT_NAME: 'pull_request' },
    error: "Input 'branch-nodes' deploys to one node of the pool: it cannot be combined with 'build-once'"
  },
  {
    what: 'branch-nodes without GitHub deployments',
    inputs: { 'branch-nodes': 'true', 'github-deployment': 'false', app: 'hello-app, other-app' },
    env: { GITHUB_EVENT_NAME: 'pull_request' },
    error: "Input 'branch-nodes' keeps who holds each node in the pull requests' GitHub deployments: 'github-deployment' cannot be false with it."
  },
  { what: 'branch-nodes-idle unknown', inputs: { 'branch-nodes-idle': 'sleep' }, error: "Input 'branch-nodes-idle' must be 'keep' (a freed node keeps serving) or 'maintenance'" },
  {
    what: 'branch-nodes-idle without branch-nodes',
    inputs: { 'branch-nodes-idle': 'maintenance' },
    error: "Input 'branch-nodes-idle' says what a freed branch node does: it needs 'branch-nodes: true'."
  },
  { what: 'promote-to not an app name', inputs: { 'promote-to': 'Prod_App' }, error: "Input 'promote-to' has 'Prod_App', which is not a Heroku app name" },
  { what: 'promote-to the app itself', inputs: { 'promote-to': 'hello-app' }, error: "Input 'promote-to' has 'hello-app', which is also in 'app'" },
  {
    what: 'branch-nodes with promote-to',
    inputs: { 'branch-nodes': 'true', 'promote-to': 'prod-app', app: 'hello-app, other-app' },
    env: { GITHUB_EVENT_NAME: 'pull_request' },
    error: "Input 'branch-nodes' deploys a pull request to a node of its own, for review: it cannot be combined with 'promote-to'"
  },
  {
    what: 'promote-to from two apps',
    inputs: { app: 'hello-app, other-app', 'promote-to': 'prod-app' },
    error: "Input 'promote-to' promotes the release of one app, but 'app' names 2"
  },
  {
    what: 'promote-release without promote-to',
    inputs: { 'promote-release': 'v3' },
    error: "Input 'promote-release' promotes a release of 'app' to the apps of 'promote-to', which is empty"
  },
  {
    what: 'promote-release neither id nor version',
    inputs: { 'promote-to': 'prod-app', 'promote-release': 'latest' },
    error: "Input 'promote-release' must be a release of 'app': its id (a UUID"
  },
  { what: 'promote-release version 0', inputs: { 'promote-to': 'prod-app', 'promote-release': 'v0' }, error: "Input 'promote-release' must be a release of 'app'" },
  { what: 'promote-release with a line break', inputs: { 'promote-to': 'prod-app', 'promote-release': '12\n13' }, error: "Input 'promote-release' must be a release of 'app'" },
  {
    what: 'promote-release with config-vars (nothing is built)',
    inputs: { 'promote-to': 'prod-app', 'promote-release': '42', 'config-vars': 'FLAG=on-prod' },
    error: "Input 'config-vars' shapes a build, but with 'promote-release' nothing is packaged or built"
  },
  {
    what: 'environment one name for a deploy and a promotion',
    inputs: { 'promote-to': 'prod-app', environment: 'staging' },
    error: "Input 'environment' gives one environment to every deployment, but this step deploys hello-app and promotes to prod-app"
  },
  {
    what: 'environment line for an app not in the step',
    inputs: { environment: 'hello-app=staging\nprod-app=production' },
    error: "Input 'environment' line 2 maps 'prod-app', which this step does not deploy to"
  },
  { what: 'HEROKU_API_URL not http', inputs: {}, env: { HEROKU_API_URL: 'file:///tmp/api' }, error: 'HEROKU_API_URL must be an http(s) URL' },
  {
    what: 'HEROKU_CD_REQUEST_TIMEOUT words',
    inputs: {},
    env: { HEROKU_CD_REQUEST_TIMEOUT: 'soon' },
    error: 'HEROKU_CD_REQUEST_TIMEOUT must be a whole number of seconds from 1 to 600'
  }
]

/** The README's table: what each row tries, and the message it fails with (cut to its start). */
export function badInputsTable(): string {
  const escape = (text: string) => text.replace(/\|/g, '\\|').replace(/\n/g, '\\n')
  return ['| bad value | fails before any request with |', '|:--|:--|', ...BAD_INPUTS.map((row) => `| ${escape(row.what)} | ${escape(row.error)}… |`)].join('\n')
}
