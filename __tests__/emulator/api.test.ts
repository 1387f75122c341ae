import { afterAll, beforeAll, describe, expect, test } from '@jest/globals'
import type { App, Release } from '@heroku-cli/schema'
import { type Emulator, startEmulator } from '../../emulator/index.js'
import { API_KEY, api, removeTempDirs, upload } from './support.js'

const APP = 'api-app'
const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`

describe('Platform API conventions', () => {
  let emulator: Emulator

  beforeAll(async () => {
    emulator = await startEmulator({ apiKey: API_KEY, apps: [APP] })
  })

  afterAll(async () => {
    await emulator.close()
    removeTempDirs()
  })

  test.each([
    ['no Accept header', undefined],
    ['plain JSON', 'application/json'],
    ['another version', 'application/vnd.heroku+json; version=2']
  ])('406 not_acceptable with %s', async (_, accept) => {
    const answer = await api(emulator, 'GET', `/apps/${APP}`, { headers: { Accept: accept } })
    expect(answer.status).toBe(406)
    expect(answer.json).toMatchObject({ id: 'not_acceptable', message: expect.stringContaining('version=3') })
  })

  test.each(['3.cancel-build', '3.sdk', '3.docker-releases'])('Accept variant version=%s is accepted', async (variant) => {
    const answer = await api(emulator, 'GET', `/apps/${APP}`, { headers: { Accept: `application/vnd.heroku+json; version=${variant}` } })
    expect(answer.status).toBe(200)
  })

  test.each([
    ['a wrong Bearer token', 'Bearer nope'],
    ['a wrong Basic password', basic('', 'nope')],
    ['the key as the Basic user instead of the password', basic(API_KEY, '')],
    ['no Authorization header', undefined]
  ])('401 unauthorized with %s', async (_, authorization) => {
    const answer = await api(emulator, 'GET', `/apps/${APP}`, { headers: { Authorization: authorization } })
    expect(answer.status).toBe(401)
    expect(answer.json).toEqual({ id: 'unauthorized', message: 'Invalid credentials provided.' })
  })

  test('Basic auth with the key as password is accepted, as heroku-client sends it', async () => {
    expect((await api(emulator, 'GET', `/apps/${APP}`, { headers: { Authorization: basic('', API_KEY) } })).status).toBe(200)
    expect((await api(emulator, 'GET', `/apps/${APP}`, { headers: { Authorization: basic('heroku', API_KEY) } })).status).toBe(200)
  })

  test('every answer carries Request-Id (echoed or new), RateLimit-Remaining and JSON Content-Type', async () => {
    const echoed = await api(emulator, 'GET', `/apps/${APP}`, { headers: { 'Request-Id': 'my-request-1' } })
    expect(echoed.headers.get('request-id')).toBe('my-request-1')
    const fresh = await api(emulator, 'GET', '/apps/nope')
    expect(fresh.headers.get('request-id')).toMatch(/^[0-9a-f-]{36}$/)
    for (const answer of [echoed, fresh]) {
      expect(Number(answer.headers.get('ratelimit-remaining'))).toBeGreaterThan(0)
      expect(answer.headers.get('content-type')).toBe('application/json')
    }
  })

  test('apps are found by name or id; an unknown app is 404 not_found', async () => {
    const byName = await api<App>(emulator, 'GET', `/apps/${APP}`)
    expect(byName.json).toMatchObject({ name: APP, web_url: emulator.app(APP).webUrl, maintenance: false, stack: { name: 'heroku-24' } })
    expect((await api<App>(emulator, 'GET', `/apps/${byName.json.id}`)).json.name).toBe(APP)
    const missing = await api(emulator, 'GET', '/apps/no-such-app')
    expect(missing.status).toBe(404)
    expect(missing.json).toEqual({ id: 'not_found', message: "Couldn't find that app.", resource: 'app' })
  })

  test('unknown endpoints are 404, unparsable JSON 400, invalid bodies 422', async () => {
    expect((await api(emulator, 'GET', '/nothing-here')).json).toMatchObject({ id: 'not_found' })
    const garbage = await api(emulator, 'PATCH', `/apps/${APP}`, { body: '{nope' })
    expect(garbage.status).toBe(400)
    expect(garbage.json).toMatchObject({ id: 'bad_request' })
    const invalid = await api(emulator, 'PATCH', `/apps/${APP}`, { body: { maintenance: 'yes' } })
    expect(invalid.status).toBe(422)
    expect(invalid.json).toMatchObject({ id: 'invalid_params' })
  })

  test('build creation validates source_blob: present, one of our blobs, checksum format', async () => {
    const create = (source_blob: unknown) => api(emulator, 'POST', `/apps/${APP}/builds`, { body: { source_blob } })
    expect((await create(undefined)).status).toBe(422)
    expect((await create({ url: 'https://example.com/source.tgz' })).json).toMatchObject({ id: 'invalid_params', message: expect.stringContaining('POST /sources') })
    const url = await upload(emulator, Buffer.from('not really a tarball'))
    expect((await create({ url, checksum: 'MD5:abc' })).json).toMatchObject({ id: 'invalid_params', message: expect.stringContaining('SHA256') })
  })

  test('PATCH /apps/{app} toggles maintenance and records each value', async () => {
    const on = await api<App>(emulator, 'PATCH', `/apps/${APP}`, { body: { maintenance: true } })
    expect(on.json.maintenance).toBe(true)
    expect(emulator.app(APP).maintenance).toBe(true)
    await api(emulator, 'PATCH', `/apps/${APP}`, { body: { maintenance: false } })
    expect(emulator.app(APP).maintenanceHistory).toEqual([true, false])
  })

  test('config vars: PATCH merges, null deletes, each change is a release', async () => {
    expect((await api(emulator, 'GET', `/apps/${APP}/config-vars`)).json).toEqual({})
    const set = await api(emulator, 'PATCH', `/apps/${APP}/config-vars`, { body: { A: '1', B: '2' } })
    expect(set.json).toEqual({ A: '1', B: '2' })
    const removed = await api(emulator, 'PATCH', `/apps/${APP}/config-vars`, { body: { A: null, C: '3' } })
    expect(removed.json).toEqual({ B: '2', C: '3' })
    expect(emulator.app(APP).configVars).toEqual({ B: '2', C: '3' })
    expect((await api(emulator, 'PATCH', `/apps/${APP}/config-vars`, { body: { 'bad-name': 'x' } })).status).toBe(422)

    // Without code, a config release has nothing to run: it succeeds and becomes current at once.
    const releases = (await api<Release[]>(emulator, 'GET', `/apps/${APP}/releases`)).json
    expect(releases.map((r) => [r.version, r.description, r.status, r.slug])).toEqual([
      [1, 'Set A, B config vars', 'succeeded', null],
      [2, 'Set C; Remove A config vars', 'succeeded', null]
    ])
    expect((await api(emulator, 'GET', `/apps/${APP}/releases/1/config-vars`)).json).toEqual({ A: '1', B: '2' })
  })

  test('rollback needs a release id, and a release that ran code', async () => {
    const [first] = emulator.app(APP).releases
    expect((await api(emulator, 'POST', `/apps/${APP}/releases`, { body: { release: 'v1' } })).status).toBe(422)
    const noCode = await api(emulator, 'POST', `/apps/${APP}/releases`, { body: { release: first?.id } })
    expect(noCode.json).toMatchObject({ id: 'invalid_params', message: 'Release v1 is not eligible for rollback.' })
    const unknown = await api(emulator, 'POST', `/apps/${APP}/releases`, { body: { release: '01234567-89ab-cdef-0123-456789abcdef' } })
    expect(unknown.json).toMatchObject({ id: 'not_found', resource: 'release' })
  })

  test('every request is recorded in order with lower-cased headers, body and status', async () => {
    const before = emulator.requests.length
    await api(emulator, 'PATCH', `/apps/${APP}`, { body: { maintenance: false }, headers: { 'X-Trace': 'abc' } })
    const [recorded] = emulator.requests.slice(before)
    expect(recorded).toMatchObject({ method: 'PATCH', path: `/apps/${APP}`, body: '{"maintenance":false}', status: 200 })
    expect(recorded?.headers['x-trace']).toBe('abc')
    expect(recorded?.headers.authorization).toBe(`Bearer ${API_KEY}`)
  })
})

describe('faults', () => {
  let emulator: Emulator

  beforeAll(async () => {
    emulator = await startEmulator({ apiKey: API_KEY, apps: [APP] })
  })

  afterAll(() => emulator.close())

  test('failNext answers the next matching API requests with Heroku error bodies', async () => {
    emulator.faults.failNext(2, 503, { method: 'GET', path: /^\/apps\/api-app$/ })
    expect((await api(emulator, 'GET', '/account/rate-limits')).status).toBe(200) // does not match
    const first = await api(emulator, 'GET', `/apps/${APP}`)
    expect(first.status).toBe(503)
    expect(first.json).toMatchObject({ id: 'service_unavailable' })
    expect(first.headers.get('request-id')).toBeTruthy()
    expect((await api(emulator, 'GET', `/apps/${APP}`)).status).toBe(503)
    expect((await api(emulator, 'GET', `/apps/${APP}`)).status).toBe(200)
  })

  test('failNext 429 and 500 use the rate_limit and internal_server_error ids', async () => {
    emulator.faults.failNext(1, 429)
    emulator.faults.failNext(1, 500)
    const limited = await api(emulator, 'GET', `/apps/${APP}`)
    expect(limited.status).toBe(429)
    expect(limited.json).toEqual({
      id: 'rate_limit',
      message: 'Your account reached the API rate limit',
      url: 'https://devcenter.heroku.com/articles/platform-api-reference#rate-limits'
    })
    expect(limited.headers.get('ratelimit-remaining')).toBe('0')
    expect((await api(emulator, 'GET', `/apps/${APP}`)).json).toMatchObject({ id: 'internal_server_error' })
    expect((await api(emulator, 'GET', `/apps/${APP}`)).status).toBe(200)
  })

  test('dropNext destroys the connection without an answer, and records status 0', async () => {
    emulator.faults.dropNext(1, { method: 'POST', path: /^\/sources$/ })
    await expect(api(emulator, 'POST', '/sources')).rejects.toThrow()
    expect(emulator.requests.at(-1)).toMatchObject({ method: 'POST', path: '/sources', status: 0 })
    expect((await api(emulator, 'POST', '/sources')).status).toBe(201)
  })
})

describe('rate limit', () => {
  let emulator: Emulator

  beforeAll(async () => {
    emulator = await startEmulator({ apiKey: API_KEY, apps: [APP], rateLimit: 3 })
  })

  afterAll(() => emulator.close())

  test('each call takes a token; an empty pool answers 429 rate_limit; rate-limits info is free', async () => {
    const remaining = async () => (await api<{ remaining: number }>(emulator, 'GET', '/account/rate-limits')).json.remaining
    expect(await remaining()).toBe(3)
    expect(await remaining()).toBe(3) // free of charge
    const answers = []
    for (let i = 0; i < 4; i++) answers.push(await api(emulator, 'GET', `/apps/${APP}`))
    expect(answers.map((a) => a.status)).toEqual([200, 200, 200, 429])
    expect(answers.map((a) => a.headers.get('ratelimit-remaining'))).toEqual(['2', '1', '0', '0'])
    expect(answers[3]?.json).toMatchObject({ id: 'rate_limit' })
  })
})
