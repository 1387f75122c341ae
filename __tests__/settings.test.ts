import * as fs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import { gateReason } from '../src/gate/branch.js'
import { deployedApps, environmentOf, readSettings, SettingsError, splitList } from '../src/settings.js'

const SHA = 'a'.repeat(40)
let workspace: string

beforeAll(() => {
  workspace = fs.mkdtempSync(path.join(os.tmpdir(), 'settings-'))
  fs.mkdirSync(path.join(workspace, 'apps', 'web'), { recursive: true })
})
afterAll(() => fs.rmSync(workspace, { recursive: true, force: true }))

function read(inputs: Record<string, string>, env: Record<string, string> = {}) {
  const masked: string[] = []
  const settings = readSettings(
    (name) => inputs[name] ?? '',
    { GITHUB_WORKSPACE: workspace, GITHUB_SHA: SHA, GITHUB_REF: 'refs/heads/main', GITHUB_REPOSITORY: 'octo/app', ...env },
    (s) => masked.push(s)
  )
  return { settings, masked }
}

function problems(inputs: Record<string, string>, env: Record<string, string> = {}): string[] {
  try {
    read(inputs, env)
  } catch (error) {
    if (error instanceof SettingsError) return [...error.problems]
    throw error
  }
  throw new Error('expected a SettingsError')
}

const good = { 'api-key': 'k-123', app: 'my-app', 'github-token': 'ghs-456' }

test('defaults: api strategy, repository root, version = commit, 1800 s', () => {
  const { settings, masked } = read(good)
  expect(settings).toMatchObject({
    apiKey: 'k-123',
    apps: ['my-app'],
    strategy: 'api',
    sourceDir: workspace,
    version: SHA,
    timeoutMs: 1_800_000,
    herokuApiUrl: 'https://api.heroku.com',
    herokuGitUrl: 'https://git.heroku.com',
    sha: SHA,
    branch: '',
    eventName: '',
    target: { sha: SHA, branch: 'main' },
    maxParallel: 4,
    buildOnce: false,
    configVars: {},
    buildpacks: [],
    dryRun: false,
    branchNodes: false,
    branchNodesIdle: 'keep',
    requiredChecks: [],
    checksTimeoutMs: 600_000,
    environment: undefined,
    githubDeployment: true,
    githubToken: 'ghs-456',
    githubApiUrl: 'https://api.github.com'
  })
  expect(masked).toEqual(['k-123', Buffer.from('heroku:k-123').toString('base64'), 'ghs-456'])
  expect(Object.isFrozen(settings)).toBe(true)
})

test('reads every implemented input', () => {
  const { settings } = read(
    { ...good, app: 'one-app, two-app\nthree-app', 'source-dir': 'apps/web', version: 'v1.2.3', timeout: '90', strategy: 'api' },
    { HEROKU_API_URL: 'http://127.0.0.1:5000/' }
  )
  expect(settings.apps).toEqual(['one-app', 'two-app', 'three-app'])
  expect(settings.sourceDir).toBe(path.join(workspace, 'apps', 'web'))
  expect(settings.version).toBe('v1.2.3')
  expect(settings.timeoutMs).toBe(90_000)
  expect(settings.herokuApiUrl).toBe('http://127.0.0.1:5000')
})

test('the key is masked even when other inputs are bad', () => {
  const masked: string[] = []
  const inputs: Record<string, string> = { 'api-key': 'secret-key', app: 'BAD', 'github-token': 'ghs-secret' }
  expect(() =>
    readSettings(
      (n) => inputs[n] ?? '',
      { GITHUB_SHA: SHA },
      (s) => masked.push(s)
    )
  ).toThrow(SettingsError)
  expect(masked).toEqual(['secret-key', Buffer.from('heroku:secret-key').toString('base64'), 'ghs-secret'])
})

test.each([
  [{ app: 'my-app' }, "Input 'api-key' is required"],
  [{ ...good, 'api-key': 'two words' }, "Input 'api-key' must be a single token"],
  [{ 'api-key': 'k' }, "Input 'app' is required"],
  [{ ...good, app: 'My_App' }, "Input 'app' has 'My_App', which is not a Heroku app name"],
  [{ ...good, app: 'ab' }, "Input 'app' has 'ab'"],
  [{ ...good, strategy: 'ftp' }, "Input 'strategy' must be 'api' or 'git' (got 'ftp')"],
  [{ ...good, 'source-dir': 'nope' }, "Input 'source-dir' must be an existing folder of the repository (got 'nope')"],
  [{ ...good, 'source-dir': '../outside' }, "Input 'source-dir' must be a folder inside the repository"],
  [{ ...good, version: 'two\nlines' }, "Input 'version' must be one line"],
  [{ ...good, timeout: 'soon' }, "Input 'timeout' must be a whole number of seconds from 1 to 21600 (got 'soon')"],
  [{ ...good, timeout: '0' }, "Input 'timeout' must be a whole number"],
  [{ ...good, timeout: '1.5' }, "Input 'timeout' must be a whole number"],
  [{ ...good, timeout: '99999' }, "Input 'timeout' must be a whole number"],
  [{ ...good, 'smoke-checks': '/health 200\nhealth ok' }, "Input 'smoke-checks' line 2 ('health ok') must start with a path"],
  [{ ...good, 'smoke-timeout': '-5' }, "Input 'smoke-timeout' must be a whole number of seconds from 1 to 21600 (got '-5')"],
  [{ ...good, 'rollback-on-failure': 'yes' }, "Input 'rollback-on-failure' must be true or false (got 'yes')"],
  [{ ...good, maintenance: 'on' }, "Input 'maintenance' must be true or false (got 'on')"],
  [{ ...good, 'slack-webhook': 'hooks.slack.com/services/T/B/x' }, "Input 'slack-webhook' must be an http(s) URL."],
  [{ ...good, 'webhook-url': 'mailto:ops@example.com' }, "Input 'webhook-url' must be an http(s) URL."],
  [{ ...good, branch: 'main release' }, "Input 'branch' must be one branch name or glob such as main or release/* (got 'main release')"],
  [{ ...good, 'webhook-secret': 's' }, "Input 'webhook-secret' signs the webhook-url POST: set 'webhook-url' too"]
])('bad input %j is named: %s', (inputs, message) => {
  expect(problems(inputs as Record<string, string>).join('\n')).toContain(message)
})

test('smoke checks, their timeout, rollback and maintenance', () => {
  const { settings } = read({ ...good, 'smoke-checks': '/health 200 ok\n/ Hello', 'smoke-timeout': '30', 'rollback-on-failure': 'false', maintenance: 'true' })
  expect(settings.smokeChecks.map((c) => c.line)).toEqual(['/health 200 ok', '/ Hello'])
  expect(settings).toMatchObject({ smokeTimeoutMs: 30_000, rollbackOnFailure: false, maintenance: true })
  expect(read(good).settings).toMatchObject({ smokeChecks: [], smokeTimeoutMs: 120_000, rollbackOnFailure: true, maintenance: false })
})

test('notification URLs and the webhook secret are masked before they are checked', () => {
  const { settings, masked } = read({
    ...good,
    'slack-webhook': 'https://hooks.slack.com/services/T/B/xyz',
    'webhook-url': 'https://ops.example.com/hook',
    'webhook-secret': 'shh'
  })
  expect(masked.slice(2, 5)).toEqual(['https://hooks.slack.com/services/T/B/xyz', 'https://ops.example.com/hook', 'shh'])
  expect(settings).toMatchObject({ slackWebhook: 'https://hooks.slack.com/services/T/B/xyz', webhookUrl: 'https://ops.example.com/hook', webhookSecret: 'shh' })
  const masks: string[] = []
  expect(() =>
    readSettings(
      (n) => ({ 'api-key': 'k', app: 'my-app', 'slack-webhook': 'not a url' })[n] ?? '',
      { GITHUB_SHA: SHA, GITHUB_WORKSPACE: workspace },
      (m) => masks.push(m)
    )
  ).toThrow("Input 'slack-webhook' must be an http(s) URL.")
  expect(masks).toContain('not a url')
})

test('every problem is reported, not only the first', () => {
  expect(problems({ app: 'Bad', timeout: 'x', 'github-token': 't' })).toHaveLength(3)
})

test('reads the gate and GitHub inputs', () => {
  const { settings } = read(
    {
      ...good,
      branch: 'release/*',
      'required-checks': 'test, lint\nci/*',
      'checks-timeout': '30',
      environment: 'production',
      'github-deployment': 'False'
    },
    { GITHUB_API_URL: 'https://ghe.example.com/api/v3/' }
  )
  expect(settings).toMatchObject({
    branch: 'release/*',
    requiredChecks: ['test', 'lint', 'ci/*'],
    checksTimeoutMs: 30_000,
    environment: 'production',
    githubDeployment: false,
    githubApiUrl: 'https://ghe.example.com/api/v3'
  })
})

test('no token is needed when nothing calls GitHub; one is when a deployment or a check does', () => {
  expect(read({ ...good, 'github-token': '', 'github-deployment': 'false' }).settings.githubToken).toBe('')
  const message = "Input 'github-token' is empty, but 'github-deployment' is true"
  expect(problems({ ...good, 'github-token': '' })).toEqual([expect.stringContaining(message)])
  expect(problems({ ...good, 'github-token': '', 'github-deployment': 'false', 'required-checks': 'test' })).toEqual([
    expect.stringContaining("Input 'github-token' is empty, but 'required-checks' is set")
  ])
  expect(problems(good, { GITHUB_REPOSITORY: 'nope' })).toEqual([expect.stringContaining("GITHUB_REPOSITORY is 'nope', not owner/name")])
})

test.each([
  [{ ...good, 'checks-timeout': '0' }, "Input 'checks-timeout' must be a whole number of seconds from 1 to 21600 (got '0')"],
  [{ ...good, environment: 'prod\nstaging' }, "Input 'environment' must be one line of at most 255 characters"],
  [{ ...good, 'github-deployment': 'yes' }, "Input 'github-deployment' must be true or false (got 'yes')"]
])('bad gate or GitHub input %j is named: %s', (inputs, message) => {
  expect(problems(inputs as Record<string, string>).join('\n')).toContain(message)
})

describe('the commit comes from the event', () => {
  const HEAD = 'b'.repeat(40)
  function withEvent(eventName: string, payload: unknown) {
    const file = path.join(workspace, `${eventName}.json`)
    fs.writeFileSync(file, JSON.stringify(payload))
    return { GITHUB_EVENT_NAME: eventName, GITHUB_EVENT_PATH: file }
  }

  test("workflow_run: the triggering run's head_sha, also as the default version", () => {
    const env = withEvent('workflow_run', { workflow_run: { head_sha: HEAD, head_branch: 'main', conclusion: 'success', name: 'CI', run_number: 3 } })
    const { settings } = read(good, env)
    expect(settings.sha).toBe(HEAD)
    expect(settings.version).toBe(HEAD)
    expect(gateReason(settings.target, settings.branch)).toBeUndefined()
  })

  test('a workflow_run event without head_sha is a problem that says so', () => {
    expect(problems(good, withEvent('workflow_run', { workflow_run: {} }))).toEqual([expect.stringContaining("The workflow_run event's head_sha is ''")])
  })
})

test('environment: HEROKU_API_URL and GITHUB_SHA are checked', () => {
  expect(problems(good, { HEROKU_API_URL: 'ftp://x' })[0]).toContain('HEROKU_API_URL must be an http(s) URL')
  expect(problems(good, { GITHUB_SHA: 'main' })[0]).toContain("GITHUB_SHA is 'main', not a commit SHA")
})

test('strategy git and HEROKU_GIT_URL', () => {
  const { settings } = read({ ...good, strategy: 'git' }, { HEROKU_GIT_URL: 'http://127.0.0.1:5000/' })
  expect(settings).toMatchObject({ strategy: 'git', herokuGitUrl: 'http://127.0.0.1:5000' })
  expect(problems(good, { HEROKU_GIT_URL: 'git@heroku.com:app.git' })[0]).toContain('HEROKU_GIT_URL must be an http(s) URL')
  for (const url of ['https://heroku:k-123@git.heroku.com', 'https://:k-123@git.heroku.com']) {
    expect(problems(good, { HEROKU_GIT_URL: url })).toEqual(["HEROKU_GIT_URL must be an http(s) URL without credentials (got 'https://***@git.heroku.com')."])
  }
})

test('splitList trims, drops empties and repeats', () => {
  expect(splitList(' a, b\n\n a ,c,')).toEqual(['a', 'b', 'c'])
})

describe('the inputs for several apps', () => {
  test('defaults: four apps at a time, no build-once, no config vars or buildpacks, no dry run', () => {
    expect(read(good).settings).toMatchObject({ maxParallel: 4, buildOnce: false, configVars: {}, buildpacks: [], dryRun: false })
  })

  test('config-vars: a value keeps its = and spaces; blank lines and comments are skipped; every value of 4 characters or more is masked', () => {
    const { settings, masked } = read({ ...good, 'config-vars': 'DATABASE_URL=postgres://u:p=w@db/x?a=b\n\n# a comment\nGREETING=hello  world \nEMPTY=\r\n_X1=1\nWEB=abcd' })
    expect(settings.configVars).toEqual({ DATABASE_URL: 'postgres://u:p=w@db/x?a=b', GREETING: 'hello  world ', EMPTY: '', _X1: '1', WEB: 'abcd' })
    expect(masked).toEqual(expect.arrayContaining(['postgres://u:p=w@db/x?a=b', 'hello  world ', 'abcd']))
    // Masking `1` would turn every 1 of the log into ***.
    expect(masked).not.toContain('1')
    expect(masked).not.toContain('')
    expect(Object.isFrozen(settings.configVars)).toBe(true)
  })

  test('config-vars: a line without =, a bad key or a repeated key is named by line, and no value is ever quoted', () => {
    const found = problems({ ...good, 'config-vars': 'API_TOKEN=s3cr3t-value\njust-a-secret-line\n1ST=x\nAPI_TOKEN=s3cr3t-again\nA;rm -rf /=y' })
    expect(found).toEqual([
      "Input 'config-vars' line 2 has no '=': expected KEY=VALUE (the line is not shown, it may hold a secret).",
      "Input 'config-vars' line 3 has the key '1ST': a config var name is letters, digits and underscores, not starting with a digit.",
      "Input 'config-vars' line 4 sets API_TOKEN again (first set on line 1): set each config var once.",
      "Input 'config-vars' line 5 has the key 'A;rm -rf /': a config var name is letters, digits and underscores, not starting with a digit."
    ])
    expect(found.join(' ')).not.toMatch(/s3cr3t|just-a-secret-line/)
  })

  test('config-vars: values are masked before anything is checked, the forgotten-key line too', () => {
    const masked: string[] = []
    expect(() =>
      readSettings(
        (name) => ({ ...good, 'config-vars': 'A=first-secret\nsecond-secret' })[name] ?? '',
        { GITHUB_WORKSPACE: workspace, GITHUB_SHA: SHA, GITHUB_REPOSITORY: 'octo/app' },
        (s) => masked.push(s)
      )
    ).toThrow(SettingsError)
    expect(masked).toEqual(expect.arrayContaining(['first-secret', 'second-secret']))
  })

  test('buildpacks: URLs and registry names, in order; other schemes, credentials and repeats are refused', () => {
    expect(read({ ...good, buildpacks: 'heroku/nodejs\n https://github.com/heroku/heroku-buildpack-static.git#v1 \nurn:buildpack:heroku/python' }).settings.buildpacks).toEqual([
      'heroku/nodejs',
      'https://github.com/heroku/heroku-buildpack-static.git#v1',
      'urn:buildpack:heroku/python'
    ])
    expect(problems({ ...good, buildpacks: 'nodejs\ngit@github.com:x/y.git\nhttps://user:pw@example.com/b.tgz\nheroku/nodejs\nheroku/nodejs' })).toEqual([
      "Input 'buildpacks' line 1 ('nodejs') is not a buildpack: expected a buildpack URL (https://…) or a registry name such as heroku/nodejs.",
      "Input 'buildpacks' line 2 ('git@github.com:x/y.git') is not a buildpack: expected a buildpack URL (https://…) or a registry name such as heroku/nodejs.",
      "Input 'buildpacks' line 3 has a URL with credentials: a buildpack URL is sent to Heroku and shown in the log; use a public URL.",
      "Input 'buildpacks' line 5 repeats heroku/nodejs: list each buildpack once."
    ])
  })

  test('max-parallel is a whole number from 1 to 20; build-once needs two apps; dry-run is a boolean', () => {
    expect(read({ ...good, 'max-parallel': '1' }).settings.maxParallel).toBe(1)
    for (const bad of ['0', '21', '2.5', 'four', '-1']) {
      expect(problems({ ...good, 'max-parallel': bad })).toEqual([`Input 'max-parallel' must be a whole number from 1 to 20 (got '${bad}').`])
    }
    expect(problems({ ...good, 'build-once': 'true' })[0]).toContain("Input 'build-once' builds on the first app")
    expect(read({ ...good, app: 'a-app, b-app', 'build-once': 'true' }).settings.buildOnce).toBe(true)
    expect(problems({ ...good, 'dry-run': 'y' })).toEqual(["Input 'dry-run' must be true or false (got 'y')."])
  })
})

describe('branch-nodes', () => {
  function pullRequestEnv(payload: unknown): Record<string, string> {
    const file = path.join(workspace, 'pull_request.json')
    fs.writeFileSync(file, JSON.stringify(payload))
    return { GITHUB_EVENT_NAME: 'pull_request', GITHUB_EVENT_PATH: file, GITHUB_HEAD_REF: 'feature-1', GITHUB_REF: 'refs/pull/1/merge' }
  }
  const repo = { full_name: 'octo/app' }
  const opened = { action: 'opened', number: 1, pull_request: { number: 1, head: { sha: 'B'.repeat(40), ref: 'feature-1', repo }, base: { repo } } }

  test('on a pull_request run: the pool, the pull request and its head', () => {
    const { settings } = read({ ...good, app: 'node-a, node-b', 'branch-nodes': 'true', 'branch-nodes-idle': 'maintenance' }, pullRequestEnv(opened))
    expect(settings).toMatchObject({ apps: ['node-a', 'node-b'], branchNodes: true, branchNodesIdle: 'maintenance', sha: SHA })
    expect(settings.target.pullRequest).toMatchObject({ number: 1, action: 'opened', headSha: 'b'.repeat(40), headRef: 'feature-1' })
  })

  test("a fork's pull request needs no key: it gets no secrets, and is refused by the gate", () => {
    const fork = { ...opened, pull_request: { ...opened.pull_request, head: { ...opened.pull_request.head, repo: { full_name: 'mallory/app' } } } }
    const { settings } = read({ ...good, 'api-key': '', 'branch-nodes': 'true' }, pullRequestEnv(fork))
    expect(gateReason(settings.target, '')).toMatch(/^Pull request #1 comes from the fork mallory\/app/)
    expect(problems({ ...good, 'api-key': '', 'branch-nodes': 'true' }, pullRequestEnv(opened))[0]).toMatch(/^Input 'api-key' is required/)
  })

  test('every conflict is named, before any request', () => {
    expect(problems({ ...good, app: 'a-node, b-node', 'branch-nodes': 'true', 'build-once': 'true', 'github-deployment': 'false' }, pullRequestEnv(opened))).toEqual([
      "Input 'branch-nodes' deploys to one node of the pool: it cannot be combined with 'build-once', which releases one build on every app.",
      "Input 'branch-nodes' keeps who holds each node in the pull requests' GitHub deployments: 'github-deployment' cannot be false with it."
    ])
    expect(problems({ ...good, 'branch-nodes': 'true' }, { GITHUB_EVENT_NAME: 'pull_request', GITHUB_EVENT_PATH: '' })).toEqual([
      "Input 'branch-nodes' needs the pull_request event's payload (GITHUB_EVENT_PATH), which names no pull request."
    ])
    expect(problems({ ...good, 'branch-nodes': 'yes' })).toEqual(["Input 'branch-nodes' must be true or false (got 'yes')."])
  })

  test("branch-nodes with promote-to is refused: a pull request's build is never promoted", () => {
    expect(problems({ ...good, 'branch-nodes': 'true', 'promote-to': 'prod-app' }, pullRequestEnv(opened))).toContain(
      "Input 'branch-nodes' deploys a pull request to a node of its own, for review: it cannot be combined with 'promote-to' (a pull request's build is never promoted down a pipeline)."
    )
  })
})

describe('the pipeline inputs', () => {
  test('promote-to: downstream apps of the one app; promote-release: an id or a version; environments mapped per app', () => {
    const { settings } = read({ ...good, 'promote-to': 'prod-us, prod-eu', environment: 'my-app=staging\nprod-us = production' })
    expect(settings).toMatchObject({
      promoteTo: ['prod-us', 'prod-eu'],
      promoteRelease: undefined,
      environment: undefined,
      environments: { 'my-app': 'staging', 'prod-us': 'production' }
    })
    expect(environmentOf(settings, 'prod-us')).toBe('production')
    expect(environmentOf(settings, 'prod-eu')).toBe('prod-eu')
    expect(deployedApps(settings)).toEqual(['my-app'])

    const id = '01234567-89AB-4CDE-8F01-23456789ABCD'
    expect(read({ ...good, 'promote-to': 'prod-us', 'promote-release': id }).settings.promoteRelease).toBe(id.toLowerCase())
    for (const [raw, version] of [
      ['42', '42'],
      ['v42', '42'],
      [' V7 ', '7']
    ]) {
      const promoting = read({ ...good, 'promote-to': 'prod-us', 'promote-release': raw, environment: 'production' }).settings
      expect(promoting.promoteRelease).toBe(version)
      // Nothing is deployed: the one environment is the targets'.
      expect(deployedApps(promoting)).toEqual([])
      expect(environmentOf(promoting, 'prod-us')).toBe('production')
    }
  })

  test.each([
    [{ 'promote-release': '12' }, "Input 'promote-release' promotes a release of 'app' to the apps of 'promote-to', which is empty"],
    [{ 'promote-to': 'prod-us', 'promote-release': 'v0' }, "Input 'promote-release' must be a release of 'app': its id (a UUID"],
    [{ 'promote-to': 'prod-us', 'promote-release': '01234567-89ab' }, "(got '01234567-89ab')"],
    [{ 'promote-to': 'prod-us', 'promote-release': `x\n${'y'.repeat(100)}` }, "(got 'x…')"],
    [{ 'promote-to': 'my-app' }, "Input 'promote-to' has 'my-app', which is also in 'app'"],
    [{ 'promote-to': 'Prod' }, "Input 'promote-to' has 'Prod', which is not a Heroku app name"],
    [{ app: 'a-app, b-app', 'promote-to': 'prod-us' }, "Input 'promote-to' promotes the release of one app, but 'app' names 2 (a-app, b-app)"],
    [
      { 'promote-to': 'prod-us', 'promote-release': '3', buildpacks: 'heroku/nodejs' },
      "Input 'buildpacks' shapes a build, but with 'promote-release' nothing is packaged or built"
    ],
    [{ 'promote-to': 'prod-us', 'promote-release': '3', version: 'v1.2' }, "Input 'version' shapes a build"],
    [{ 'promote-to': 'prod-us', 'promote-release': '3', 'source-dir': 'apps/web' }, "Input 'source-dir' shapes a build"],
    [{ 'promote-to': 'prod-us', 'promote-release': '3', strategy: 'git' }, "Input 'strategy' shapes a build"],
    [{ 'promote-to': 'prod-us', environment: 'production' }, "Input 'environment' gives one environment to every deployment, but this step deploys my-app and promotes to prod-us"],
    [{ environment: 'my-app=staging\nproduction' }, "Input 'environment' line 2 ('production') must be 'app=environment'"],
    [{ environment: 'other-app=staging' }, "Input 'environment' line 1 maps 'other-app', which this step does not deploy to: expected one of my-app."],
    [{ environment: 'my-app=' }, "Input 'environment' line 1 must give my-app an environment name of 1 to 255 characters."],
    [{ environment: 'my-app=a\nmy-app=b' }, "Input 'environment' line 2 maps my-app a second time."]
  ])('bad pipeline input %j is named: %s', (inputs, message) => {
    expect(problems({ ...good, ...inputs }).join('\n')).toContain(message)
  })

  test('with promote-release, the inputs that do not shape a build are still accepted', () => {
    const { settings } = read({ ...good, 'promote-to': 'prod-us', 'promote-release': '3', 'source-dir': '.', strategy: 'api', 'smoke-checks': '/health', maintenance: 'true' })
    expect(settings).toMatchObject({ promoteRelease: '3', maintenance: true })
  })
})
