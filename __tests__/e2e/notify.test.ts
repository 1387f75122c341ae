import { createHmac, timingSafeEqual } from 'node:crypto'
import * as fs from 'node:fs'
import { json, type Received, scriptedServer } from '../fakes/http.js'
import { APP, startWorld, type World, writtenBytes } from './world.js'

let world: World
let receivers: Awaited<ReturnType<typeof scriptedServer>>
let failNext = 0
const SECRET = 'whsec-e2e-4f2b9c'
let goodPackage: string

beforeAll(async () => {
  world = await startWorld()
  receivers = await scriptedServer((_req, res) => {
    if (failNext > 0) {
      failNext--
      return json(res, 500, { error: 'boom' })
    }
    res.writeHead(200).end('ok')
  })
})
afterAll(async () => {
  await world.close()
  await receivers.close()
})

// The paths are the secret part of webhook URLs: they must appear in no byte the action writes.
const slackUrl = () => `${receivers.url}/services/T000/B000/slack-token-7Hq2`
const hookUrl = () => `${receivers.url}/hooks/deploys/hook-token-93xZ`
const received = (path: string): Received[] => receivers.received.filter((r) => r.url.startsWith(path))

test('Slack gets exactly one message naming the app, status and release; the webhook body verifies against its signature', async () => {
  const run = await world.deploy({ 'slack-webhook': slackUrl(), 'webhook-url': hookUrl(), 'webhook-secret': SECRET })
  expect(run.exitCode).toBe(0)
  const version = run.outputs['release-version']

  const slack = received('/services/')
  expect(slack).toHaveLength(1)
  const message = JSON.parse(slack[0].body.toString())
  expect(message.text).toBe(`${APP} deployed. Release ${APP} v${version}. The new release is live.`)
  expect(JSON.stringify(message.blocks)).toContain('Initial commit')

  const [hook] = received('/hooks/')
  const expected = Buffer.from(`sha256=${createHmac('sha256', SECRET).update(hook.body).digest('hex')}`)
  const given = Buffer.from(String(hook.headers['x-signature-256']))
  expect(given.length === expected.length && timingSafeEqual(given, expected)).toBe(true)
  const body = JSON.parse(hook.body.toString())
  expect(body).toMatchObject({ schema: 'heroku-cd/v1', status: 'success', repository: 'octo-org/hello-app', actor: 'octocat', commit: { sha: world.sha, title: 'Initial commit' } })
  expect(body.apps[0]).toMatchObject({ app: APP, status: 'success', release_version: Number(version), app_url: world.emulator.app(APP).webUrl })
  expect(body.apps[0].timings.map((t: { stage: string }) => t.stage)).toEqual(['package', 'upload', 'build', 'release'])
  expect(body.apps[0].timings.every((t: { ms: number; ok: boolean }) => t.ms >= 0 && t.ok)).toBe(true)

  const written = writtenBytes(run, world.apiKey)
  for (const secret of ['slack-token-7Hq2', 'hook-token-93xZ', SECRET]) {
    expect(
      written
        .split('\n')
        .filter((line) => !line.startsWith('::add-mask::'))
        .join('\n')
    ).not.toContain(secret)
  }
})

test('a receiver answering 500 leaves a successful deploy successful, with a warning', async () => {
  failNext = 3
  const run = await world.deploy({ 'webhook-url': hookUrl() })
  expect(run.exitCode).toBe(0)
  expect(run.outputs.status).toBe('success')
  expect(run.stdout).toMatch(/::warning::Could not send the webhook notification: 127\.0\.0\.1:\d+ answered 500\. The deploy's result is unchanged\./)
})

test("a failed deploy's Slack message says it failed and why", async () => {
  const file = `${world.repo.dir}/package.json`
  goodPackage = fs.readFileSync(file, 'utf8')
  const pkg = JSON.parse(goodPackage)
  pkg.scripts.build = 'echo "Error: assets missing" >&2; exit 2'
  fs.writeFileSync(file, JSON.stringify(pkg))
  world.sha = world.repo.commit('Break the build')
  const before = received('/services/').length
  const run = await world.deploy({ 'slack-webhook': slackUrl() })
  expect(run.exitCode).toBe(1)
  const slack = received('/services/').slice(before)
  expect(slack).toHaveLength(1)
  const message = JSON.parse(slack[0].body.toString())
  expect(message.text).toMatch(new RegExp(`^${APP} deploy failed\\. Build [0-9a-f-]+ failed on ${APP}: Build failed: npm run build exited with code 2`))
  expect(JSON.stringify(message.blocks)).toContain('Error: assets missing')
})

test("a rolled-back deploy's Slack message says so, names the releases and the failing check", async () => {
  fs.writeFileSync(`${world.repo.dir}/package.json`, goodPackage)
  const server = `${world.repo.dir}/server.js`
  fs.writeFileSync(server, fs.readFileSync(server, 'utf8').replace("send(res, 200, 'text/plain', 'ok')", "send(res, 500, 'text/plain', 'down')"))
  world.sha = world.repo.commit('Break /health')
  const before = received('/services/').length
  const run = await world.deploy({ 'slack-webhook': slackUrl(), 'smoke-checks': '/health 200 ok', 'smoke-timeout': '3' })
  expect(run.outputs.status).toBe('rolled-back')
  const slack = received('/services/').slice(before)
  expect(slack).toHaveLength(1)
  const message = JSON.parse(slack[0].body.toString())
  const [result] = JSON.parse(run.outputs.results)
  expect(message.text).toContain(
    `${APP} deploy rolled back. Release ${APP} v${result.release_version}, rolled back to v${result.rolled_back_to} (now v${result.rollback_release_version}).`
  )
  expect(message.text).toContain('which passes them; fix the cause and push again.')
  expect(JSON.stringify(message.blocks)).toMatch(/Failing smoke checks:.*✗ \/health 200 ok → 500/)
})

test("a cancelled deploy's Slack message says it was cancelled", async () => {
  world.emulator.faults.buildDelayMs = 30_000
  try {
    const before = received('/services/').length
    const running = world.start({ 'slack-webhook': slackUrl() })
    await running.waitForOutput('::group::Build output')
    running.child.kill('SIGTERM')
    const run = await running.done
    expect(run.outputs.status).toBe('cancelled')
    const slack = received('/services/').slice(before)
    expect(slack).toHaveLength(1)
    const message = JSON.parse(slack[0].body.toString())
    expect(message.text).toMatch(
      new RegExp(`^${APP} deploy cancelled\\. The job was cancelled while deploying ${APP}\\. The job was cancelled while deploying: check each app on Heroku`)
    )
  } finally {
    world.emulator.faults.buildDelayMs = 0
  }
})
