import { afterAll, beforeAll, describe, expect, test } from '@jest/globals'
import type { App, Build, Release } from '@heroku-cli/schema'
import { type Emulator, startEmulator } from '../../emulator/index.js'
import { HEROKU_SCHEMA_PATH, type HerokuSchema, loadHerokuSchema } from '../helpers/heroku-schema.js'
import { API_KEY, api, createBuild, deploy, getBuild, getRelease, helloAppTarball, packageJson, pollUntil, readStream, removeTempDirs, upload } from './support.js'

// strictProperties enforced: the emulator must not invent fields the schema does not know.
const schema = loadHerokuSchema({ strict: true })
if (!schema) console.warn(`Skipping the Platform API schema conformance tests: ${HEROKU_SCHEMA_PATH} does not exist.`)
const describeWithSchema = schema ? describe : describe.skip

/**
 * The one deliberate deviation: web_url must reach the app's local router (http://127.0.0.1:<port>/),
 * which the schema's `^https?://[a-z][a-z0-9-]{3,43}\.herokuapp\.com/$` pattern cannot match.
 */
const KNOWN_DEVIATION = /^\/(\d+\/)?web_url must match pattern/

const APP = 'schema-app'
const quick = (changes: Record<string, string | null> = {}) =>
  helloAppTarball({ 'package.json': packageJson({ start: 'node server.js' }), Procfile: 'web: node server.js\n', ...changes })

describeWithSchema('emulator responses conform to the official Platform API schema', () => {
  const s = schema as HerokuSchema
  let emulator: Emulator
  let succeededBuild: Build

  const expectResource = (resource: string, body: unknown) => expect(s.validateResource(resource, body).filter((e) => !KNOWN_DEVIATION.test(e))).toEqual([])
  const expectResponse = (resource: string, link: string, body: unknown) => expect(s.validateResponse(resource, link, body)).toEqual([])

  beforeAll(async () => {
    emulator = await startEmulator({ apiKey: API_KEY, apps: [APP] })
  })

  afterAll(async () => {
    await emulator.close()
    removeTempDirs()
  })

  test('the schema itself is what the helper expects (and catches bad bodies)', () => {
    expect(s.validateResource('build', { id: 'nope', status: 'building' })).toEqual(
      expect.arrayContaining(['/id must match format "uuid"', '/status must be equal to one of the allowed values'])
    )
    expect(s.validateResource('source', { source_blob: { get_url: 'a', put_url: 'b', extra: 1 } })).toEqual(['/source_blob must NOT have additional properties (extra)'])
  })

  test('app: GET and PATCH answers', async () => {
    const app = await api<App>(emulator, 'GET', `/apps/${APP}`)
    expectResource('app', app.json)
    expect(s.validateResource('app', app.json)).toEqual([expect.stringMatching(KNOWN_DEVIATION)]) // and nothing else
    expectResource('app', (await api(emulator, 'PATCH', `/apps/${APP}`, { body: { maintenance: false } })).json)
  })

  test('source: POST /sources', async () => {
    expectResource('source', (await api(emulator, 'POST', '/sources')).json)
  })

  test('build: pending, then succeeded; release: pending, then succeeded', async () => {
    // A release phase that takes a moment, so the release can be read while pending.
    const created = await createBuild(emulator, APP, quick({ Procfile: 'web: node server.js\nrelease: node -e "setTimeout(() => {}, 800)"\n' }))
    expect(created.status).toBe('pending')
    expectResource('build', created)
    await readStream(created.output_stream_url as string)
    succeededBuild = await pollUntil(
      () => getBuild(emulator, APP, created.id),
      (b) => b.status !== 'pending'
    )
    expect(succeededBuild.status).toBe('succeeded')
    expectResource('build', succeededBuild)

    const pending = await getRelease(emulator, APP, succeededBuild.release?.id as string)
    expect(pending.status).toBe('pending')
    expectResource('release', pending)
    const succeeded = await pollUntil(
      () => getRelease(emulator, APP, pending.id as string),
      (r) => r.status !== 'pending'
    )
    expect(succeeded).toMatchObject({ status: 'succeeded', current: true })
    expectResource('release', succeeded)
  })

  test('build failed; release failed', async () => {
    const failedBuild = await deploy(emulator, APP, quick({ 'package.json': packageJson({ build: 'exit 3', start: 'node server.js' }) }))
    expect(failedBuild.build.status).toBe('failed')
    expectResource('build', failedBuild.build)

    const failedRelease = await deploy(emulator, APP, quick({ Procfile: "web: node server.js\nrelease: sh -c 'exit 1'\n" }))
    expect(failedRelease.release?.status).toBe('failed')
    expectResource('release', failedRelease.release)
  })

  test('lists: builds and releases (every item), dynos', async () => {
    const builds = await api<Build[]>(emulator, 'GET', `/apps/${APP}/builds`)
    expect(builds.json.length).toBeGreaterThanOrEqual(3)
    expectResponse('build', 'List', builds.json)
    const releases = await api<Release[]>(emulator, 'GET', `/apps/${APP}/releases`, { headers: { Range: 'version ..; max=10, order=desc' } })
    expect(releases.json.length).toBeGreaterThanOrEqual(2)
    expectResponse('release', 'List', releases.json)
    expectResponse('dyno', 'List', (await api(emulator, 'GET', `/apps/${APP}/dynos`)).json)
  })

  test("slug: the build's commit, and 404 for a slug the app never had", async () => {
    const slug = await api(emulator, 'GET', `/apps/${APP}/slugs/${succeededBuild.slug?.id}`)
    expect(slug.status).toBe(200)
    expectResponse('slug', 'Info', slug.json)
    expect(slug.json).toMatchObject({ id: succeededBuild.slug?.id, commit: 'c0ffee0123456789abcdef', process_types: { web: 'node server.js' } })
    const missing = await api(emulator, 'GET', `/apps/${APP}/slugs/01234567-89ab-cdef-0123-456789abcdef`)
    expect(missing.status).toBe(404)
    expect(missing.json).toMatchObject({ id: 'not_found' })
  })

  test('rollback and slug releases answer release objects', async () => {
    const target = emulator.app(APP).releases.find((r) => r.status === 'succeeded') as Release
    const rollback = await api<Release>(emulator, 'POST', `/apps/${APP}/releases`, { body: { release: target.id } })
    expect(rollback.status).toBe(201)
    expectResource('release', rollback.json)
    await pollUntil(
      () => getRelease(emulator, APP, rollback.json.id as string),
      (r) => r.status !== 'pending'
    )
    const fromSlug = await api<Release>(emulator, 'POST', `/apps/${APP}/releases`, { body: { slug: succeededBuild.slug?.id, description: 'Promote' } })
    expect(fromSlug.status).toBe(201)
    expectResource('release', fromSlug.json)
    await pollUntil(
      () => getRelease(emulator, APP, fromSlug.json.id as string),
      (r) => r.status !== 'pending'
    )
  })

  test('config vars: app, update and release config', async () => {
    expectResponse('config-var', 'Update', (await api(emulator, 'PATCH', `/apps/${APP}/config-vars`, { body: { FOO: 'bar' } })).json)
    expectResponse('config-var', 'Info for App', (await api(emulator, 'GET', `/apps/${APP}/config-vars`)).json)
    const current = emulator.app(APP).currentRelease() as Release
    expectResponse('config-var', 'Info for App Release', (await api(emulator, 'GET', `/apps/${APP}/releases/${current.id}/config-vars`)).json)
  })

  test('rate limits and dyno restarts', async () => {
    expectResource('rate-limit', (await api(emulator, 'GET', '/account/rate-limits')).json)
    const restart = await api(emulator, 'DELETE', `/apps/${APP}/dynos`)
    expect(restart.status).toBe(202)
    expectResponse('dyno', 'Restart all', restart.json)
  })

  test('errors: the schema has no error definition, so check the documented shape (reference §1.3)', async () => {
    const documented = ['bad_request', 'unauthorized', 'not_found', 'not_acceptable', 'conflict', 'requested_range_not_satisfiable', 'invalid_params', 'rate_limit']
    const errors = [
      await api(emulator, 'GET', '/apps/missing-app'),
      await api(emulator, 'GET', `/apps/${APP}`, { headers: { Authorization: 'Bearer wrong' } }),
      await api(emulator, 'GET', `/apps/${APP}`, { headers: { Accept: 'application/json' } }),
      await api(emulator, 'POST', `/apps/${APP}/builds`, { body: {} }),
      await api(emulator, 'GET', `/apps/${APP}/releases`, { headers: { Range: 'nope ..' } }),
      await api(emulator, 'PATCH', `/apps/${APP}`, { body: '{' })
    ]
    for (const error of errors) {
      const body = error.json as Record<string, unknown>
      expect(documented).toContain(body.id)
      expect(typeof body.message).toBe('string')
      expect(Object.keys(body).every((key) => ['id', 'message', 'url', 'resource', 'app'].includes(key))).toBe(true)
    }
  })

  test('buildpack installations: the PUT request and both answers', async () => {
    const body = { updates: [{ buildpack: 'heroku/nodejs' }, { buildpack: 'https://github.com/heroku/heroku-buildpack-static' }] }
    expect(s.validateRequest('buildpack-installation', 'Update', body)).toEqual([])
    const put = await api(emulator, 'PUT', `/apps/${APP}/buildpack-installations`, { body })
    expect(put.status).toBe(200)
    expectResource('buildpack-installation', (put.json as unknown[])[0])
    expect((put.json as { ordinal: number; buildpack: { url: string } }[]).map((b) => [b.ordinal, b.buildpack.url])).toEqual([
      [0, 'heroku/nodejs'],
      [1, 'https://github.com/heroku/heroku-buildpack-static']
    ])
    expect((await api(emulator, 'GET', `/apps/${APP}/buildpack-installations`)).json).toEqual(put.json)
    expect((await api(emulator, 'PUT', `/apps/${APP}/buildpack-installations`, { body: { updates: [{}] } })).status).toBe(422)
    await api(emulator, 'PUT', `/apps/${APP}/buildpack-installations`, { body: { updates: [] } })
  })

  test('pipelines, couplings, promotions and their targets (pending, succeeded, failed); slugs', async () => {
    const prod = await emulator.createApp('schema-prod')
    const old = await emulator.createApp('schema-old', { stack: 'heroku-22' })
    expect(s.validateRequest('pipeline', 'Create', { name: 'schema-pipe' })).toEqual([])
    const pipeline = await api<{ id: string }>(emulator, 'POST', '/pipelines', { body: { name: 'schema-pipe' } })
    expectResource('pipeline', pipeline.json)
    expectResource('pipeline', (await api(emulator, 'GET', `/pipelines/${pipeline.json.id}`)).json)
    expectResponse('pipeline', 'List', (await api(emulator, 'GET', '/pipelines')).json)
    for (const [app, stage] of [
      [APP, 'staging'],
      [prod.name, 'production'],
      [old.name, 'production']
    ]) {
      const body = { app, pipeline: pipeline.json.id, stage }
      expect(s.validateRequest('pipeline-coupling', 'Create', body)).toEqual([])
      expectResource('pipeline-coupling', (await api(emulator, 'POST', '/pipeline-couplings', { body })).json)
    }
    expectResponse('pipeline-coupling', 'Info By App', (await api(emulator, 'GET', `/apps/${APP}/pipeline-couplings`)).json)
    expectResponse('pipeline-coupling', 'List By Pipeline', (await api(emulator, 'GET', `/pipelines/${pipeline.json.id}/pipeline-couplings`)).json)

    const source = emulator.app(APP).releases.findLast((r) => r.status === 'succeeded' && r.slug) as Release
    const body = {
      pipeline: { id: pipeline.json.id },
      source: { app: { id: emulator.app(APP).id }, release: { id: source.id } },
      targets: [{ app: { id: prod.id } }, { app: { id: old.id } }]
    }
    expect(s.validateRequest('pipeline-promotion', 'Create', body)).toEqual([])
    const promotion = await api<{ id: string }>(emulator, 'POST', '/pipeline-promotions', { body })
    expect(promotion.status).toBe(201)
    expectResource('pipeline-promotion', promotion.json)
    const pending = await api<unknown[]>(emulator, 'GET', `/pipeline-promotions/${promotion.json.id}/promotion-targets`)
    expectResponse('pipeline-promotion-target', 'List', pending.json)
    const done = await pollUntil(
      async () => (await api<{ status: string }[]>(emulator, 'GET', `/pipeline-promotions/${promotion.json.id}/promotion-targets`)).json,
      (targets) => targets.every((t) => t.status !== 'pending')
    )
    expect(done.map((t) => t.status).sort()).toEqual(['failed', 'succeeded'])
    expectResponse('pipeline-promotion-target', 'List', done)
    expectResource('pipeline-promotion', (await api(emulator, 'GET', `/pipeline-promotions/${promotion.json.id}`)).json)
    expectResource('slug', (await api(emulator, 'GET', `/apps/${prod.name}/slugs/${source.slug?.id}`)).json)
  })

  test('request bodies the tests send are valid requests; invalid ones are refused by schema and emulator alike', async () => {
    const url = await upload(emulator, Buffer.from('x'))
    const createBody = { source_blob: { url, version: 'abc', checksum: `SHA256:${'a'.repeat(64)}`, version_description: null } }
    expect(s.validateRequest('build', 'Create', createBody)).toEqual([])
    expect(s.validateRequest('release', 'Rollback', { release: succeededBuild.release?.id })).toEqual([])
    expect(s.validateRequest('release', 'Create', { slug: succeededBuild.slug?.id, description: 'Promote' })).toEqual([])
    expect(s.validateRequest('config-var', 'Update', { FOO: 'bar', OLD: null })).toEqual([])
    expect(s.validateRequest('app', 'Update', { maintenance: true })).toEqual([])

    const invalid: [string, string, string, unknown][] = [
      ['build', 'Create', `/apps/${APP}/builds`, {}],
      ['config-var', 'Update', `/apps/${APP}/config-vars`, { 'not-a-word': 'x' }],
      ['config-var', 'Update', `/apps/${APP}/config-vars`, { FOO: 1 }]
    ]
    for (const [resource, link, pathname, body] of invalid) {
      expect(s.validateRequest(resource, link, body)).not.toEqual([])
      expect((await api(emulator, pathname.endsWith('builds') ? 'POST' : 'PATCH', pathname, { body })).status).toBe(422)
    }
  })
})
