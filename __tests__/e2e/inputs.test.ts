import { startWorld, type World } from './world.js'

let world: World

beforeAll(async () => {
  world = await startWorld()
})
afterAll(() => world.close())

// Each bad value fails the step with a message naming the input, before any request is made.
test.each([
  ['api-key', { 'api-key': '' }, "Input 'api-key' is required: pass a Heroku API key"],
  ['app', { app: 'Hello_App' }, "Input 'app' has 'Hello_App', which is not a Heroku app name: expected 3 to 30 lowercase letters, digits and dashes, starting with a letter."],
  ['strategy', { strategy: 'docker' }, "Input 'strategy' must be 'api' or 'git' (got 'docker')."],
  ['source-dir', { 'source-dir': 'services/missing' }, "Input 'source-dir' must be an existing folder of the repository (got 'services/missing')."],
  ['version', { version: 'line one\nline two' }, "Input 'version' must be one line of at most 200 characters"],
  ['timeout', { timeout: 'ten minutes' }, "Input 'timeout' must be a whole number of seconds from 1 to 21600 (got 'ten minutes')."],
  ['smoke-checks', { 'smoke-checks': '/health 200 ok\nGET /health' }, "Input 'smoke-checks' line 2 ('GET /health') must start with a path such as /health or an http(s) URL."],
  ['smoke-timeout', { 'smoke-timeout': '0' }, "Input 'smoke-timeout' must be a whole number of seconds from 1 to 21600 (got '0')."],
  ['rollback-on-failure', { 'rollback-on-failure': 'maybe' }, "Input 'rollback-on-failure' must be true or false (got 'maybe')."],
  ['maintenance', { maintenance: 'yes' }, "Input 'maintenance' must be true or false (got 'yes')."],
  ['branch', { branch: 'main develop' }, "Input 'branch' must be one branch name or glob such as main or release/* (got 'main develop')."],
  ['checks-timeout', { 'required-checks': 'test', 'checks-timeout': '-1' }, "Input 'checks-timeout' must be a whole number of seconds from 1 to 21600 (got '-1')."],
  ['github-deployment', { 'github-deployment': 'on' }, "Input 'github-deployment' must be true or false (got 'on')."],
  ['github-token', { 'github-token': '' }, "Input 'github-token' is empty, but 'github-deployment' is true"],
  ['max-parallel', { 'max-parallel': '0' }, "Input 'max-parallel' must be a whole number from 1 to 20 (got '0')."],
  ['build-once', { 'build-once': 'true' }, "Input 'build-once' builds on the first app and releases that build on the others: it needs two or more apps in 'app'."],
  [
    'config-vars',
    { 'config-vars': 'NODE_ENV=production\nRAILS ENV=x' },
    "Input 'config-vars' line 2 has the key 'RAILS ENV': a config var name is letters, digits and underscores, not starting with a digit."
  ],
  [
    'buildpacks',
    { buildpacks: 'heroku/nodejs\nftp://example.com/pack.tgz' },
    "Input 'buildpacks' line 2 has a ftp URL: expected a buildpack URL (https://…) or a registry name such as heroku/nodejs."
  ],
  ['dry-run', { 'dry-run': 'perhaps' }, "Input 'dry-run' must be true or false (got 'perhaps')."]
])('a bad %s fails before any request', async (_name, inputs, message) => {
  const before = { heroku: world.emulator.requests.length, github: world.github.requests.length }
  const run = await world.deploy(inputs)
  expect(run.exitCode).toBe(1)
  expect(run.outputs.status).toBe('failure')
  expect(run.stdout).toContain(`::error::${message}`)
  expect(run.summary).toContain(message.slice(0, 30))
  expect({ heroku: world.emulator.requests.length, github: world.github.requests.length }).toEqual(before)
})

test('a HEROKU_GIT_URL with credentials in it fails before any request, without printing it', async () => {
  const before = world.emulator.requests.length
  const url = 'https://heroku:s3cret-in-url@git.example.com'
  const run = await world.deploy({ strategy: 'git' }, { HEROKU_GIT_URL: url })
  expect(run.exitCode).toBe(1)
  expect(run.stdout).toContain("::error::HEROKU_GIT_URL must be an http(s) URL without credentials (got 'https://***@git.example.com').")
  expect(run.everything).not.toContain('s3cret-in-url')
  expect(world.emulator.requests.length).toBe(before)
})
