import { loadHerokuSchema } from '../helpers/heroku-schema.js'
import { APP, secretForms, startWorld, type World, writtenBytes } from './world.js'

let world: World

beforeAll(async () => {
  world = await startWorld()
})
afterAll(() => world.close())

test('deploys the commit through the Platform API and the new release answers on the app URL', async () => {
  const run = await world.deploy()
  expect(run.stderr).toBe('')
  expect(run.exitCode).toBe(0)

  const app = world.emulator.app(APP)
  const release = app.currentRelease()
  const build = app.builds.at(-1)
  const deployment = world.github.deployments.at(-1)
  expect(release?.status).toBe('succeeded')
  expect(build?.status).toBe('succeeded')
  expect(run.outputs).toMatchObject({
    status: 'success',
    'app-url': app.webUrl,
    'release-version': String(release?.version),
    'release-id': release?.id,
    'build-id': build?.id,
    'deployment-id': String(deployment?.id)
  })
  expect(Number(run.outputs.duration)).toBeGreaterThan(0)
  expect(JSON.parse(run.outputs.results)).toEqual([
    {
      app: APP,
      status: 'success',
      release_version: release?.version,
      release_id: release?.id,
      build_id: build?.id,
      app_url: app.webUrl,
      deployment_id: deployment?.id,
      previous_commit: null,
      smoke: []
    }
  ])

  // The dyno really runs the commit we shipped.
  const health = await fetch(new URL('health', app.webUrl))
  expect(health.status).toBe(200)
  expect(await health.text()).toBe('ok')
  expect(await (await fetch(app.webUrl)).text()).toContain(`Release v${release?.version}`)

  // The build got the commit's version and the tarball's checksum.
  expect(build?.source_blob).toMatchObject({ version: world.sha, checksum: expect.stringMatching(/^SHA256:[0-9a-f]{64}$/) })

  // The log streams the build and the release phase live, in groups.
  expect(run.stdout).toContain(`::group::Build output (${APP})`)
  expect(run.stdout).toContain('-----> Build succeeded!')
  expect(run.stdout).toMatch(new RegExp(`::group::Release phase of v${release?.version} \\(${APP}\\)`))
  expect(run.stdout).toContain('Running migrations')

  // The job summary gives the facts at a glance.
  expect(run.summary).toContain(`## ✅ Heroku: ${APP} deployed`)
  expect(run.summary).toContain(`| Release | v${release?.version} (\`${release?.id}\`) |`)
  expect(run.summary).toContain(`| Build | \`${build?.id}\` |`)
  expect(run.summary).toContain(`[${APP}](${app.webUrl})`)
  expect(run.summary).toContain(world.sha.slice(0, 7))
})

test('a second deploy makes a new release that takes over the traffic', async () => {
  world.repo.write('server.js', (await import('node:fs')).readFileSync(`${world.repo.dir}/server.js`, 'utf8').replace('Hello from', 'Hi again from'))
  world.sha = world.repo.commit('Change the greeting')
  const before = world.emulator.app(APP).currentRelease()?.version ?? 0
  const run = await world.deploy()
  expect(run.exitCode).toBe(0)
  expect(Number(run.outputs['release-version'])).toBeGreaterThan(before)
  const body = await (await fetch(world.emulator.app(APP).webUrl)).text()
  expect(body).toContain('Hi again from')
  expect(body).toContain(`Release v${run.outputs['release-version']}`)
})

test('the API key and the GitHub token appear in no byte the action wrote, in any encoding', async () => {
  const run = await world.deploy()
  expect(run.exitCode).toBe(0)
  // The runner's masker learns each secret from this one command, which it consumes and never shows.
  for (const secret of [world.apiKey, world.githubToken]) {
    expect(run.stdout).toContain(`::add-mask::${secret}`)
    const written = writtenBytes(run, secret)
    for (const form of secretForms(secret)) expect(written).not.toContain(form)
  }
  // Nor in anything sent to GitHub, where the runner's masker cannot help.
  const sentToGitHub = world.github.requests.map((request) => request.body).join('\n')
  for (const secret of [world.apiKey, world.githubToken]) expect(sentToGitHub).not.toContain(secret)
})

test("the action's requests follow the official Platform API schema", async () => {
  const schema = loadHerokuSchema()
  if (!schema) {
    console.warn('Skipped: ../shared/reference/heroku-platform-api-schema.json is not there, so request bodies are not checked against it.')
    return
  }
  const creates = world.emulator.requests.filter((r) => r.method === 'POST' && /^\/apps\/[^/]+\/builds$/.test(r.path))
  expect(creates.length).toBeGreaterThan(0)
  for (const request of creates) expect(schema.validateRequest('build', 'Create', JSON.parse(request.body))).toEqual([])
  const api = world.emulator.requests.filter((r) => !r.path.startsWith('/blobs') && !r.path.startsWith('/streams'))
  for (const request of api) expect(request.headers.accept).toBe('application/vnd.heroku+json; version=3')
})
