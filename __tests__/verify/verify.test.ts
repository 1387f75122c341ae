import type { StageContext } from '../../src/heroku/context.js'
import type { HerokuRelease } from '../../src/heroku/types.js'
import { newResult } from '../../src/result.js'
import { Deadline } from '../../src/util/time.js'
import { parseSmokeChecks } from '../../src/verify/smoke-grammar.js'
import { bodyContains, runSmokeChecks } from '../../src/verify/smoke.js'
import { verifyRelease } from '../../src/verify/verify.js'
import { FakeHeroku } from '../fakes/heroku.js'
import { scriptedServer } from '../fakes/http.js'
import { MemoryLog } from '../fakes/log.js'

const quick = { deadline: new Deadline(2000, 'The smoke checks'), log: new MemoryLog(), retryBaseMs: 10 }

test('checks follow redirects, report the final URL, and retry until the app is up', async () => {
  const server = await scriptedServer((req, res, count) => {
    if (req.url === '/old') return void res.writeHead(301, { Location: '/health' }).end()
    if (count <= 2) return void res.writeHead(503).end('booting')
    res.writeHead(200).end('all ok')
  })
  const results = await runSmokeChecks(parseSmokeChecks('/old 200 ok'), `${server.url}/`, quick)
  expect(results).toEqual([{ check: '/old 200 ok', url: `${server.url}/health`, status: 200, passed: true, latencyMs: expect.any(Number) }])
  await server.close()
})

test('a wrong status or a missing text fails with what was expected', async () => {
  const server = await scriptedServer((req, res) => void res.writeHead(req.url === '/a' ? 500 : 200).end('Application Error'))
  const results = await runSmokeChecks(parseSmokeChecks('/a\n/b 200 ok'), server.url, { ...quick, deadline: new Deadline(1000, 'x') })
  expect(results.map((r) => [r.status, r.passed, r.detail])).toEqual([
    [500, false, 'expected a 2xx status'],
    [200, false, "body does not contain 'ok'"]
  ])
  await server.close()
})

test('a redirect loop is bounded', async () => {
  const server = await scriptedServer((_req, res) => void res.writeHead(302, { Location: '/loop' }).end())
  const [result] = await runSmokeChecks(parseSmokeChecks('/loop'), server.url, { ...quick, deadline: new Deadline(1000, 'x') })
  expect(result).toMatchObject({ passed: false, status: 302, detail: 'more than 5 redirects' })
  await server.close()
})

test('each hop of a redirect chain has its own request timeout', async () => {
  // Three hops of 300 ms each: 900 ms in all, more than one 500 ms request timeout.
  const server = await scriptedServer((req, res) => {
    const hop = Number(req.url.slice(1))
    setTimeout(() => (hop < 3 ? res.writeHead(302, { Location: `/${hop + 1}` }).end() : res.writeHead(200).end('done')), 300)
  })
  const [result] = await runSmokeChecks(parseSmokeChecks('/1 200 done'), server.url, { ...quick, deadline: new Deadline(5000, 'x'), requestTimeoutMs: 500 })
  expect(result).toMatchObject({ passed: true, url: `${server.url}/3`, status: 200 })
  await server.close()
})

test('the text is found in a body that is still streaming, without waiting for its end', async () => {
  const server = await scriptedServer((_req, res) => {
    res.writeHead(200, { 'Content-Type': 'text/plain' })
    res.write('x'.repeat(256 * 1024))
    res.write('status: ok') // and the response never ends
  })
  try {
    const [result] = await runSmokeChecks(parseSmokeChecks('/ 200 status: ok'), server.url, { ...quick, deadline: new Deadline(5000, 'x'), requestTimeoutMs: 2000 })
    expect(result).toMatchObject({ passed: true, status: 200 })
    expect(result.latencyMs).toBeLessThan(2000)
  } finally {
    await server.close()
  }
})

test('a text split across chunks, multi-byte characters included, is found; an absent one is not', async () => {
  const stream = (...chunks: (string | Uint8Array)[]) =>
    new ReadableStream<Uint8Array>({
      start(controller) {
        for (const chunk of chunks) controller.enqueue(typeof chunk === 'string' ? new TextEncoder().encode(chunk) : chunk)
        controller.close()
      }
    })
  const cafe = new TextEncoder().encode('café ok')
  expect(await bodyContains(stream('<p>Hel', 'lo wo', 'rld</p>'), 'Hello world')).toBe(true)
  expect(await bodyContains(stream(cafe.subarray(0, 4), cafe.subarray(4)), 'café ok')).toBe(true)
  expect(await bodyContains(stream('a', 'b', 'c'), 'c')).toBe(true)
  expect(await bodyContains(stream('Hello wor', 'ld'), 'Hello there')).toBe(false)
  expect(await bodyContains(null, 'x')).toBe(false)
})

test('the last pause is shortened so the checks get one more round before smoke-timeout', async () => {
  // The first pause (4-8 s) is longer than the 4 s timeout: the checks still try again before it ends.
  const server = await scriptedServer((_req, res, count) => void res.writeHead(count === 1 ? 503 : 200).end('ok'))
  const results = await runSmokeChecks(parseSmokeChecks('/health 200 ok'), server.url, { ...quick, deadline: new Deadline(4000, 'x'), retryBaseMs: 8000 })
  expect(results[0]).toMatchObject({ passed: true, status: 200 })
  expect(server.received).toHaveLength(2)
  await server.close()
})

function context(api: FakeHeroku): StageContext {
  return { api, log: new MemoryLog(), deadline: new Deadline(5000, 'x'), pollMs: 1 }
}

async function failingApp() {
  return scriptedServer((_req, res) => void res.writeHead(500).end('Application Error'))
}

// Long enough for a local server's first answer on a loaded machine; a failing check retries until then.
const options = (checks: string, rollbackOnFailure = true) => ({ checks: parseSmokeChecks(checks), smokeTimeoutMs: 1000, rollbackOnFailure, releaseTimeoutMs: 5000 })
const timed = <T>(_stage: string, fn: () => Promise<T>) => fn()

test('failing checks roll back to the remembered release and check it again', async () => {
  const server = await failingApp()
  const api = new FakeHeroku()
  api.releaseStates = [{ status: 'succeeded', version: 6 }]
  const result = { ...newResult('my-app'), status: 'success' as const, appUrl: server.url, releaseVersion: 5, previousRelease: { id: 'rel-4', version: 4 } }
  await verifyRelease(context(api), result, options('/health 200'), timed)
  expect(api.rollbacks).toEqual(['rel-4'])
  expect(result.status).toBe('rolled-back')
  expect(result.rollback).toMatchObject({ releaseVersion: 6, healthy: false })
  expect(result.reason).toMatch(/^Smoke checks failed on my-app v5: \/health 200 → 500 in \d+ ms .*; rolled back to v4 \(now v6\), which fails its smoke checks too$/)
  await server.close()
})

test('with rollback-on-failure off, or no earlier release, nothing is rolled back', async () => {
  const server = await failingApp()
  for (const [rollback, previous, words] of [
    [false, { id: 'rel-4', version: 4 }, 'rollback-on-failure is off: v5 stays live'],
    [true, undefined, 'there is no earlier release to roll back to']
  ] as const) {
    const api = new FakeHeroku()
    const result = { ...newResult('my-app'), status: 'success' as const, appUrl: server.url, releaseVersion: 5, previousRelease: previous }
    await verifyRelease(context(api), result, options('/health', rollback), timed)
    expect(api.rollbacks).toEqual([])
    expect(result.status).toBe('failure')
    expect(result.reason).toContain(words)
  }
  await server.close()
})

describe('a release another run made while the checks ran', () => {
  const ours = { ...newResult('my-app'), status: 'success' as const, releaseVersion: 5, previousRelease: { id: 'rel-4', version: 4 } }
  const theirs: HerokuRelease = { id: 'rel-6', version: 6, status: 'succeeded', current: true, description: 'Deploy 0123abcd' }

  test('checks that pass after it went live prove nothing about ours: failure, saying so', async () => {
    const server = await scriptedServer((_req, res) => void res.writeHead(200).end('ok'))
    const api = new FakeHeroku()
    api.releases = [theirs, { id: 'rel-5', version: 5, status: 'succeeded' }]
    const result = { ...ours, appUrl: server.url }
    await verifyRelease(context(api), result, options('/health 200'), timed)
    expect(result.status).toBe('failure')
    expect(result.reason).toBe('v5 on my-app was superseded by v6 (Deploy 0123abcd) while its smoke checks ran: they may have checked v6, so v5 is not proven')
    await server.close()
  })

  test('one still in its release phase does not: ours passed while it was live', async () => {
    const server = await scriptedServer((_req, res) => void res.writeHead(200).end('ok'))
    const api = new FakeHeroku()
    api.releases = [{ ...theirs, status: 'pending', current: false }]
    const result = { ...ours, appUrl: server.url }
    await verifyRelease(context(api), result, options('/health 200'), timed)
    expect(result.status).toBe('success')
    await server.close()
  })

  test('failing checks are not rolled back over it, live or on its way; a failed one is no reason not to', async () => {
    const server = await failingApp()
    for (const status of ['succeeded', 'pending'] as const) {
      const api = new FakeHeroku()
      api.releases = [{ ...theirs, status }]
      const result = { ...ours, appUrl: server.url }
      await verifyRelease(context(api), result, options('/health 200'), timed)
      expect(api.rollbacks).toEqual([])
      expect(result.status).toBe('failure')
      expect(result.reason).toMatch(/; not rolled back: v6 \(Deploy 0123abcd\) was released on my-app since, and a rollback to v4 would undo it$/)
    }
    const api = new FakeHeroku()
    api.releases = [{ ...theirs, status: 'failed', current: false }]
    await verifyRelease(context(api), { ...ours, appUrl: server.url }, options('/health 200'), timed)
    expect(api.rollbacks).toEqual(['rel-4'])
    await server.close()
  })
})
