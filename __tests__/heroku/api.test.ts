import { CancelledError, HerokuApiError } from '../../src/errors.js'
import { createPlatformApi } from '../../src/heroku/api.js'
import { json, scriptedServer } from '../fakes/http.js'
import { MemoryLog } from '../fakes/log.js'

const fast = { attempts: 4, baseDelayMs: 5, maxDelayMs: 20 }
const app = { id: 'a1', name: 'my-app', web_url: 'https://my-app.herokuapp.com/' }

test('sends the version 3 Accept header and the key, and reads the app', async () => {
  const server = await scriptedServer((_req, res) => json(res, 200, app, { 'RateLimit-Remaining': '4000' }))
  const api = createPlatformApi({ apiKey: 'key-1', baseUrl: server.url, log: new MemoryLog(), retry: fast })
  expect(await api.getApp('my-app')).toEqual(app)
  const [req] = server.received
  expect(req.url).toBe('/apps/my-app')
  expect(req.headers.accept).toBe('application/vnd.heroku+json; version=3')
  expect(req.headers.authorization).toBe(`Basic ${Buffer.from(':key-1').toString('base64')}`)
  expect(req.headers['request-id']).toMatch(/^[0-9a-f-]{36}$/)
  expect(req.headers['user-agent']).toMatch(/^heroku-cd\//)
  await server.close()
})

test('429 and 5xx answers and dropped connections are retried until the call succeeds', async () => {
  const server = await scriptedServer((_req, res, count) => {
    if (count === 1) return json(res, 429, { id: 'rate_limit', message: 'Your account reached the API rate limit' })
    if (count === 2) return json(res, 503, { id: 'service_unavailable', message: 'Try again' })
    if (count === 3) return void res.socket?.destroy()
    json(res, 200, app)
  })
  const log = new MemoryLog()
  const api = createPlatformApi({ apiKey: 'k', baseUrl: server.url, log, retry: fast })
  expect((await api.getApp('my-app')).name).toBe('my-app')
  expect(log.lines.filter((l) => l.startsWith('warning:'))).toEqual([
    expect.stringContaining('answered 429 rate_limit: Your account reached the API rate limit; retrying'),
    expect.stringContaining('answered 503 service_unavailable: Try again; retrying'),
    expect.stringContaining('failed: no answer (ECONNRESET); retrying')
  ])
  // Our retry alone decides (heroku-client's own is off): the fourth request is the one that answers.
  expect(server.received).toHaveLength(4)
  await server.close()
})

test("other 4xx answers fail at once with Heroku's id and message", async () => {
  const server = await scriptedServer((_req, res) => json(res, 404, { id: 'not_found', message: "Couldn't find that app.", resource: 'app' }))
  const api = createPlatformApi({ apiKey: 'k', baseUrl: server.url, log: new MemoryLog(), retry: fast })
  const error = await api.getApp('nope').catch((e: unknown) => e)
  expect(error).toBeInstanceOf(HerokuApiError)
  expect(error).toMatchObject({
    status: 404,
    id: 'not_found',
    message: "Heroku API GET /apps/nope answered 404 not_found: Couldn't find that app. (check the 'app' input and that the 'api-key' account can see the app)"
  })
  expect(server.received).toHaveLength(1)
  await server.close()
})

test('retries are bounded: the last transient error is reported', async () => {
  const server = await scriptedServer((_req, res) => json(res, 500, { id: 'internal_server_error', message: 'boom' }))
  const api = createPlatformApi({ apiKey: 'k', baseUrl: server.url, log: new MemoryLog(), retry: fast })
  await expect(api.createSource()).rejects.toThrow('Heroku API POST /sources answered 500 internal_server_error: boom')
  expect(server.received).toHaveLength(4)
  await server.close()
})

test('a low RateLimit-Remaining slows the next call down instead of spending the budget', async () => {
  const server = await scriptedServer((_req, res) => json(res, 200, app, { 'RateLimit-Remaining': '29' }))
  const api = createPlatformApi({ apiKey: 'k', baseUrl: server.url, log: new MemoryLog(), retry: fast })
  await api.getApp('my-app')
  const started = Date.now()
  await api.getApp('my-app')
  expect(Date.now() - started).toBeGreaterThanOrEqual(700)
  await server.close()
})

test('the latest releases are asked for with a descending version Range, one page only', async () => {
  const server = await scriptedServer((_req, res) => json(res, 206, [{ id: 'r2', version: 2 }], { 'Next-Range': 'version ]2..; max=1, order=desc' }))
  const api = createPlatformApi({ apiKey: 'k', baseUrl: server.url, log: new MemoryLog(), retry: fast })
  expect(await api.latestReleases('my-app', 1)).toEqual([{ id: 'r2', version: 2 }])
  expect(server.received).toHaveLength(1)
  expect(server.received[0].headers.range).toBe('version ..; max=1, order=desc')
  await server.close()
})

test('when the budget runs low, calls made side by side (several apps) take turns at the refill rate', async () => {
  const arrivals: number[] = []
  const server = await scriptedServer((_req, res) => {
    arrivals.push(Date.now())
    json(res, 200, app, { 'RateLimit-Remaining': '5' })
  })
  const api = createPlatformApi({ apiKey: 'k', baseUrl: server.url, log: new MemoryLog(), retry: fast, pacing: { lowBudget: 30, refillMsPerToken: 150 } })
  await api.getApp('my-app') // learns the budget is low
  arrivals.length = 0
  const started = Date.now()
  await Promise.all([api.getApp('a-app'), api.getApp('b-app'), api.getApp('c-app'), api.getApp('d-app')])
  // Four calls, each in its own slot: the last goes four slots later. Paced each on its own, all four
  // would go after one slot. (A lower bound, which load cannot break.)
  expect(arrivals).toHaveLength(4)
  expect(Date.now() - started).toBeGreaterThanOrEqual(4 * 150 - 20)
  await server.close()
})

const source = { url: 'https://blobs.example/get?sig=1', version: 'abc123', checksum: 'SHA256:' + 'a'.repeat(64) }
const build = { id: 'b1', status: 'pending', source_blob: source, created_at: '', updated_at: '' }

test('a build whose answer was lost is looked for, found, and not created twice', async () => {
  const server = await scriptedServer((req, res) => {
    if (req.method === 'POST') return void res.socket?.destroy() // Heroku made the build; the answer never came
    if (req.url === '/apps/my-app/builds') return json(res, 200, [build])
    json(res, 404, { id: 'not_found', message: 'no' })
  })
  const log = new MemoryLog()
  const api = createPlatformApi({ apiKey: 'k', baseUrl: server.url, log, retry: fast })
  expect(await api.createBuild('my-app', { source_blob: source })).toMatchObject({ id: 'b1' })
  expect(server.received.map((r) => `${r.method} ${r.url}`)).toEqual(['POST /apps/my-app/builds', 'GET /apps/my-app/builds'])
  expect(server.received[1].headers.range).toBe('started_at ..; max=20, order=desc')
  expect(log.lines).toContainEqual(expect.stringContaining('found a build of abc123 on my-app; not sent again'))
  await server.close()
})

test('a build whose answer was lost before Heroku acted is sent again once nothing is found', async () => {
  let posts = 0
  const server = await scriptedServer((req, res) => {
    if (req.method === 'POST' && ++posts === 1) return json(res, 500, { id: 'internal_server_error', message: 'boom' })
    if (req.method === 'POST') return json(res, 201, build)
    json(res, 200, [{ ...build, id: 'old', source_blob: { ...source, url: 'https://blobs.example/an-earlier-upload' } }])
  })
  const api = createPlatformApi({ apiKey: 'k', baseUrl: server.url, log: new MemoryLog(), retry: fast })
  expect(await api.createBuild('my-app', { source_blob: source })).toMatchObject({ id: 'b1' })
  expect(server.received.map((r) => r.method)).toEqual(['POST', 'GET', 'POST'])
  await server.close()
})

test('a release whose answer was lost is found above the newest release before it', async () => {
  const releases = [{ id: 'r7', version: 7, slug: { id: 's1' }, description: 'Deploy x' }]
  const server = await scriptedServer((req, res) => {
    if (req.method === 'POST') {
      releases.unshift({ id: 'r8', version: 8, slug: { id: 's1' }, description: 'Deploy x' })
      return void res.socket?.destroy()
    }
    json(res, 200, releases.slice(0, 1))
  })
  const api = createPlatformApi({ apiKey: 'k', baseUrl: server.url, log: new MemoryLog(), retry: fast })
  // The same slug and description as v7: only a release above v7 is this call's.
  expect(await api.createRelease('my-app', { slug: 's1', description: 'Deploy x' })).toMatchObject({ id: 'r8' })
  expect(server.received.filter((r) => r.method === 'POST')).toHaveLength(1)
  await server.close()
})

test('429 waits what Retry-After asks', async () => {
  const server = await scriptedServer((_req, res, count) => {
    if (count === 1) return json(res, 429, { id: 'rate_limit', message: 'Your account reached the API rate limit' }, { 'Retry-After': '1' })
    json(res, 200, app)
  })
  const log = new MemoryLog()
  const api = createPlatformApi({ apiKey: 'k', baseUrl: server.url, log, retry: fast })
  const started = Date.now()
  await api.getApp('my-app')
  expect(Date.now() - started).toBeGreaterThanOrEqual(950)
  expect(log.lines).toContainEqual(expect.stringContaining('retrying in 1 s'))
  await server.close()
})

test('an answer slower than the request timeout counts as lost; a cut-off answer too', async () => {
  const server = await scriptedServer((_req, res, count) => {
    if (count === 1) return void setTimeout(() => json(res, 200, app), 1500)
    if (count === 2) {
      res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': '100' })
      res.write('{"id":"a1",')
      return void setTimeout(() => res.socket?.destroy(), 20)
    }
    json(res, 200, app)
  })
  const log = new MemoryLog()
  const api = createPlatformApi({ apiKey: 'k', baseUrl: server.url, log, retry: fast, requestTimeoutMs: 300 })
  expect((await api.getApp('my-app')).name).toBe('my-app')
  expect(log.lines.filter((l) => l.startsWith('warning:'))).toEqual([
    expect.stringContaining('GET /apps/my-app failed: no answer within 0.3 s; retrying'),
    expect.stringContaining('GET /apps/my-app failed: no answer (ECONNRESET); retrying')
  ])
  await server.close()
})

test('the cancel signal aborts a request in flight', async () => {
  const server = await scriptedServer(() => undefined) // never answers
  const cancel = new AbortController()
  const api = createPlatformApi({ apiKey: 'k', baseUrl: server.url, log: new MemoryLog(), retry: fast, signal: cancel.signal })
  const call = api.getApp('my-app').catch((e: unknown) => e)
  setTimeout(() => cancel.abort(), 100)
  const started = Date.now()
  expect(await call).toBeInstanceOf(CancelledError)
  expect(Date.now() - started).toBeLessThan(2000)
  await server.close()
})

test("a slug read ends with the caller's own limit, its retries included, as a cancel ends it", async () => {
  const server = await scriptedServer((_req, res) => json(res, 503, { id: 'service_unavailable', message: 'Try again' }))
  const limit = new AbortController()
  const log = new MemoryLog()
  // A retry a minute away: only the limit can end the read before it.
  const api = createPlatformApi({ apiKey: 'k', baseUrl: server.url, log, retry: { attempts: 6, baseDelayMs: 60_000, maxDelayMs: 60_000 } })
  const read = api.getSlug('my-app', 'slug-1', limit.signal).catch((e: unknown) => e)
  while (!log.lines.some((line) => line.includes('retrying in'))) await new Promise((resolve) => setTimeout(resolve, 10))
  limit.abort()
  expect(await read).toBeInstanceOf(CancelledError)
  // One request, and the retry that was waiting is gone.
  expect(server.received.map((req) => req.url)).toEqual(['/apps/my-app/slugs/slug-1'])
  await server.close()
})
