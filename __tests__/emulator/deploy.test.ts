import { createHash } from 'node:crypto'
import { existsSync, readFileSync } from 'node:fs'
import * as path from 'node:path'
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals'
import type { App, Release } from '@heroku-cli/schema'
import { type Emulator, startEmulator } from '../../emulator/index.js'
import {
  API_KEY,
  api,
  createBuild,
  deploy,
  get,
  getBuild,
  HELLO_APP,
  helloAppTarball,
  packageJson,
  pollUntil,
  processAlive,
  readStream,
  removeTempDirs,
  tempDir
} from './support.js'

const APP = 'hello-app'

/** One app taken through a realistic history: deploy, broken build, broken release phase, new code, rollback. */
describe('deploying hello-app to the emulator', () => {
  let emulator: Emulator
  let firstRelease: Release
  const pids: number[] = []

  beforeAll(async () => {
    emulator = await startEmulator({ apiKey: API_KEY, apps: [APP] })
  })

  afterAll(async () => {
    await emulator.close()
    removeTempDirs()
  })

  const page = async (pathname = '') => get(`${emulator.app(APP).webUrl}${pathname}`)
  const versionInfo = async () => (await page('version')).text

  test('the app starts empty: no release, the router answers 503 Application Error', async () => {
    const view = emulator.app(APP)
    expect(view.releases).toEqual([])
    expect(view.currentRelease()).toBeUndefined()
    expect(view.webUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/)
    const answer = await page()
    expect(answer.status).toBe(503)
    expect(answer.text).toContain('Application Error')
  })

  test('a deploy streams the build, succeeds after polling, releases v1 and serves the real dyno', async () => {
    const result = await deploy(emulator, APP, helloAppTarball(), '1111111aaaaaaa')
    expect(result.build.status).toBe('succeeded')
    expect(result.build.slug?.id).toBeTruthy()
    expect(result.buildOutput).toContain('-----> Building on the Heroku-24 stack')
    expect(result.buildOutput).toContain('-----> Using buildpack: heroku/nodejs')
    expect(result.buildOutput).toContain('       Built hello-app with Node') // build.js output, indented
    expect(result.buildOutput).toMatch(/-----> Build succeeded!\n[\s\S]*-----> Compressing\.\.\.\n[\s\S]*-----> Launching\.\.\./)
    expect(result.buildOutput).toContain('       Released v1\n')
    expect(result.buildOutput).toContain(`       ${emulator.app(APP).webUrl} deployed to Heroku\n`)
    expect(result.buildOutput).toBe(emulator.app(APP).buildLog(result.build.id))

    const release = result.release as Release
    expect(release).toMatchObject({ version: 1, status: 'succeeded', current: true, description: 'Deploy 1111111a', slug: { id: result.build.slug?.id } })
    expect(release.output_stream_url).toEqual(expect.any(String))
    expect(result.releaseOutput).toContain('Running migrations... 2 applied')
    expect(emulator.app(APP).currentRelease()?.id).toBe(release.id)
    firstRelease = release

    const health = await page('health')
    expect(health.status).toBe(200)
    expect(health.text).toBe('ok')
    expect((await page()).text).toBe('Hello from hello-app! Release v1\n')
    const info = JSON.parse(await versionInfo())
    expect(info).toMatchObject({ release: 'v1', commit: '1111111aaaaaaa' })
    pids.push(info.pid)
  })

  test('the router forwards method, path, headers, body and status (a Procfile-only app, no package.json)', async () => {
    const echo = await emulator.createApp('echo-app')
    const source = `require('node:http').createServer((req, res) => {
  let body = ''
  req.on('data', chunk => (body += chunk)).on('end', () => {
    res.writeHead(201, { 'Content-Type': 'application/json', 'X-Echo': 'yes' })
    res.end(JSON.stringify({ method: req.method, url: req.url, custom: req.headers['x-custom'], via: req.headers.via, body }))
  })
}).listen(process.env.PORT)
`
    const result = await deploy(emulator, 'echo-app', helloAppTarball({ 'package.json': null, 'build.js': null, Procfile: 'web: node echo.js\n', 'echo.js': source }))
    expect(result.buildOutput).not.toContain('heroku/nodejs')
    expect(result.release).toMatchObject({ status: 'succeeded', current: true, output_stream_url: null })

    const response = await fetch(`${echo.webUrl}some/path?x=1`, { method: 'PUT', body: 'data', headers: { 'X-Custom': 'yes' } })
    expect(response.status).toBe(201)
    expect(response.headers.get('x-echo')).toBe('yes')
    expect(await response.json()).toEqual({ method: 'PUT', url: '/some/path?x=1', custom: 'yes', via: '1.1 vegur', body: 'data' })
  })

  test('a failing build script fails the build, with no release', async () => {
    const result = await deploy(emulator, APP, helloAppTarball({ 'package.json': packageJson({ build: 'exit 3', start: 'node server.js' }) }))
    expect(result.build.status).toBe('failed')
    expect(result.build.release).toBeNull()
    expect(result.build.slug).toBeNull()
    expect(result.buildOutput).toContain(' !     Build failed: npm run build exited with code 3')
    expect(result.buildOutput).toContain(' !     Push rejected, failed to compile Node.js app.')
    expect(emulator.app(APP).releases).toHaveLength(1)
  })

  test('an app without a web process is rejected', async () => {
    const result = await deploy(emulator, APP, helloAppTarball({ Procfile: null, 'package.json': packageJson({}) }))
    expect(result.build.status).toBe('failed')
    expect(result.buildOutput).toContain(' !     No web process type declared (add a Procfile with "web: <command>")')
  })

  test('a checksum that does not match the upload fails the build', async () => {
    const tarball = { ...helloAppTarball(), checksum: `SHA256:${'0'.repeat(64)}` }
    const result = await deploy(emulator, APP, tarball)
    expect(result.build.status).toBe('failed')
    expect(result.buildOutput).toContain('Checksum mismatch')
  })

  test('a source that is not a tar.gz fails the build', async () => {
    const result = await deploy(emulator, APP, { file: '', bytes: Buffer.from('plain text'), checksum: `SHA256:${createHash('sha256').update('plain text').digest('hex')}` })
    expect(result.build.status).toBe('failed')
    expect(result.buildOutput).toContain(' !     Unable to extract the source tarball: tar exited with code 2')
  })

  test('a failing release phase leaves the release failed, not current, and the old code serving', async () => {
    const procfile = "web: node server.js\nrelease: sh -c 'echo boom; exit 1'\n"
    const result = await deploy(emulator, APP, helloAppTarball({ Procfile: procfile }), '2222222bbbbbbb')
    expect(result.build.status).toBe('succeeded')
    expect(result.release).toMatchObject({ version: 2, status: 'failed', current: false })
    expect(result.releaseOutput).toBe('boom\n')
    expect(emulator.app(APP).currentRelease()?.version).toBe(1)
    expect((await page()).text).toBe('Hello from hello-app! Release v1\n')
  })

  test('new code goes live, and a rollback switches the answering code back', async () => {
    const server = readFileSync(path.join(HELLO_APP, 'server.js'), 'utf8')
    const howdy = helloAppTarball({ 'server.js': server.replace('Hello from hello-app!', 'Howdy from hello-app!') })
    const v3 = await deploy(emulator, APP, howdy, '3333333ccccccc')
    expect(v3.release).toMatchObject({ version: 3, status: 'succeeded', current: true })
    expect((await page()).text).toBe('Howdy from hello-app! Release v3\n')

    const rollback = await api<Release>(emulator, 'POST', `/apps/${APP}/releases`, { body: { release: firstRelease.id } })
    expect(rollback.status).toBe(201)
    expect(rollback.json).toMatchObject({ version: 4, description: 'Rollback to v1', status: 'pending', slug: { id: firstRelease.slug?.id } })
    expect(rollback.json.output_stream_url).toEqual(expect.any(String)) // the release phase runs again
    expect(await readStream(rollback.json.output_stream_url as string)).toContain('Release phase for v4')
    await pollUntil(
      async () => emulator.app(APP).currentRelease()?.version,
      (version) => version === 4
    )

    expect((await page()).text).toBe('Hello from hello-app! Release v4\n')
    const info = JSON.parse(await versionInfo())
    expect(info.commit).toBe('1111111aaaaaaa')
    expect(emulator.app(APP).releases.map((r) => [r.version, r.status, r.current])).toEqual([
      [1, 'succeeded', false],
      [2, 'failed', false],
      [3, 'succeeded', false],
      [4, 'succeeded', true]
    ])
    pids.push(info.pid)
  })

  test("another app of the account can release this app's slug, but only on the same stack", async () => {
    const twin = await emulator.createApp('hello-twin')
    const old = await emulator.createApp('hello-old', { stack: 'heroku-22' })
    expect((await api<App>(emulator, 'GET', '/apps/hello-old')).json).toMatchObject({ stack: { name: 'heroku-22' }, build_stack: { name: 'heroku-22' } })
    const slug = firstRelease.slug?.id
    const released = await api<Release>(emulator, 'POST', `/apps/${twin.name}/releases`, { body: { slug, description: 'Deploy 1111111a' } })
    expect(released.status).toBe(201)
    await pollUntil(
      async () => emulator.app(twin.name).currentRelease()?.status,
      (status) => status === 'succeeded'
    )
    expect(JSON.parse((await get(`${twin.webUrl}version`)).text).commit).toBe('1111111aaaaaaa')
    const refused = await api(emulator, 'POST', `/apps/${old.name}/releases`, { body: { slug } })
    expect(refused.status).toBe(422)
    expect(refused.json).toMatchObject({ message: `Slug ${slug} was built for heroku-24, but hello-old is on heroku-22.` })
  })

  test('old dynos are stopped once traffic switched', () => {
    const [first, current] = pids as [number, number]
    expect(processAlive(first)).toBe(false)
    expect(processAlive(current)).toBe(true)
  })

  test('maintenance mode makes the router answer 503 with a maintenance page', async () => {
    expect((await api(emulator, 'PATCH', `/apps/${APP}`, { body: { maintenance: true } })).status).toBe(200)
    const offline = await page()
    expect(offline.status).toBe(503)
    expect(offline.text).toContain('Offline for Maintenance')
    await api(emulator, 'PATCH', `/apps/${APP}`, { body: { maintenance: false } })
    expect((await page()).status).toBe(200)
    expect(emulator.app(APP).maintenanceHistory).toEqual([true, false])
  })

  test('a config var change makes a release and restarts the dyno with the new config', async () => {
    const before = JSON.parse(await versionInfo()).pid
    const patched = await api<Record<string, string>>(emulator, 'PATCH', `/apps/${APP}/config-vars`, { body: { GREETING: 'hi' } })
    expect(patched.json).toEqual({ GREETING: 'hi' })
    const release = await pollUntil(
      async () => emulator.app(APP).currentRelease(),
      (current) => current?.version === 5
    )
    expect(release).toMatchObject({ description: 'Set GREETING config vars', slug: { id: firstRelease.slug?.id } })
    const after = JSON.parse(await versionInfo())
    expect(after.release).toBe('v5')
    expect(after.pid).not.toBe(before)
    pids.push(after.pid)
  })

  test('a dyno that crashes on boot leaves the router answering 503', async () => {
    const crashing = helloAppTarball({ Procfile: 'web: node -e "process.exit(1)"\n' })
    const result = await deploy(emulator, APP, crashing)
    expect(result.release).toMatchObject({ status: 'succeeded', current: true })
    const answer = await page()
    expect(answer.status).toBe(503)
    expect(answer.text).toContain('Application Error')
    const dynos = await api<{ state: string }[]>(emulator, 'GET', `/apps/${APP}/dynos`)
    expect(dynos.json.map((d) => d.state)).toEqual(['crashed'])
  })

  test('a pending build can be cancelled; a second build meanwhile is refused with 409', async () => {
    emulator.faults.buildDelayMs = 10_000
    try {
      const build = await createBuild(emulator, APP, helloAppTarball())
      const second = await api(emulator, 'POST', `/apps/${APP}/builds`, { body: { source_blob: { url: build.source_blob.url } } })
      expect(second.status).toBe(409)
      expect(second.json).toMatchObject({ id: 'conflict' })

      const cancelled = await api(emulator, 'DELETE', `/apps/${APP}/builds/${build.id}`, {
        headers: { Accept: 'application/vnd.heroku+json; version=3.cancel-build' }
      })
      expect(cancelled.status).toBe(200)
      expect(cancelled.json).toMatchObject({ id: build.id, status: 'failed', release: null })
      expect(emulator.app(APP).buildLog(build.id)).toContain(' !     Build cancelled')
      expect((await getBuild(emulator, APP, build.id)).status).toBe('failed')
    } finally {
      emulator.faults.buildDelayMs = 0
    }
  })

  test('cancelling a running build kills its build process', async () => {
    const pidFile = path.join(tempDir(), 'build.pid')
    const slowBuild = `require('node:fs').writeFileSync(${JSON.stringify(pidFile)}, String(process.pid)); setTimeout(() => {}, 60_000)\n`
    const build = await createBuild(emulator, APP, helloAppTarball({ 'build.js': slowBuild }))
    const pid = await pollUntil(async () => (existsSync(pidFile) ? Number(readFileSync(pidFile, 'utf8')) : 0), Boolean)
    expect(processAlive(pid)).toBe(true)

    expect((await api(emulator, 'DELETE', `/apps/${APP}/builds/${build.id}`)).json).toMatchObject({ status: 'failed' })
    await pollUntil(
      async () => processAlive(pid),
      (alive) => !alive,
      5000
    )
    expect((await api(emulator, 'DELETE', `/apps/${APP}/builds/${build.id}`)).status).toBe(409) // no longer pending
  })

  test('close() stops every dyno process', async () => {
    const running = pids.at(-1) as number
    expect(processAlive(running)).toBe(false) // replaced by the crashing release
    await emulator.close()
    for (const pid of pids) expect(processAlive(pid)).toBe(false)
  })
})
