import { afterAll, afterEach, beforeAll, describe, expect, test } from '@jest/globals'
import { type Emulator, startEmulator } from '../../emulator/index.js'
import { API_KEY, createBuild, get, getBuild, helloAppTarball, packageJson, pollUntil, readStream, removeTempDirs, sleep } from './support.js'

const APP = 'stream-app'

/** hello-app without a build script or release phase: no npm run, so builds take a few milliseconds. */
const quickApp = () => helloAppTarball({ 'package.json': packageJson({ start: 'node server.js' }), Procfile: 'web: node server.js\n' })

describe('output streams and build timing knobs', () => {
  let emulator: Emulator

  beforeAll(async () => {
    emulator = await startEmulator({ apiKey: API_KEY, apps: [APP] })
  })

  afterEach(async () => {
    // Let the build of the test finish, then restore the defaults.
    await pollUntil(async () => emulator.app(APP).builds.every((b) => b.status !== 'pending'), Boolean)
    Object.assign(emulator.faults, { streamNotFoundFirst: 1, streamLineDelayMs: 0, pendingAfterStreamMs: 300, buildDelayMs: 0, releasePhaseDelayMs: 0 })
  })

  afterAll(async () => {
    await emulator.close()
    removeTempDirs()
  })

  test('a stream answers 404 for its first GETs (streamNotFoundFirst), then the whole output', async () => {
    emulator.faults.streamNotFoundFirst = 3
    const build = await createBuild(emulator, APP, quickApp())
    const url = build.output_stream_url as string
    const statuses = []
    for (let i = 0; i < 3; i++) statuses.push((await get(url)).status)
    expect(statuses).toEqual([404, 404, 404])
    const answer = await get(url)
    expect(answer.status).toBe(200)
    expect(answer.headers.get('content-type')).toBe('text/plain; charset=utf-8')
    expect(answer.headers.get('transfer-encoding')).toBe('chunked')
    expect(answer.text).toContain('       Released v1\n')
    expect(answer.text).toBe(emulator.app(APP).buildLog(build.id))
    // Stream URLs are not API calls: fetched without credentials, still recorded.
    expect(emulator.requests.filter((r) => r.path === new URL(url).pathname).map((r) => r.status)).toEqual([404, 404, 404, 200])
  })

  test('injected faults hit streams too: a 503, or a dropped connection, before the real answer', async () => {
    emulator.faults.streamNotFoundFirst = 0
    const build = await createBuild(emulator, APP, quickApp())
    const url = build.output_stream_url as string
    emulator.faults.failNext(1, 503, { path: /^\/streams\// })
    const failed = await get(url)
    expect(failed.status).toBe(503)
    expect(failed.text).toBe('Service Unavailable\n')
    emulator.faults.dropNext(1, { path: /^\/streams\// })
    await expect(get(url)).rejects.toThrow()
    expect(await readStream(url)).toContain('deployed to Heroku')
  })

  test('Range: bytes=N- resumes a finished stream with 206; past the end is 416', async () => {
    const build = await createBuild(emulator, APP, quickApp())
    const full = await readStream(build.output_stream_url as string)
    const resumed = await get(build.output_stream_url as string, { Range: 'bytes=10-' })
    expect(resumed.status).toBe(206)
    expect(resumed.text).toBe(full.slice(10))
    expect(resumed.headers.get('content-range')).toBe(`bytes 10-${full.length - 1}/${full.length}`)
    expect((await get(build.output_stream_url as string, { Range: `bytes=${full.length}-` })).status).toBe(416)
  })

  test('a slow stream follows the build live, and a client can resume it after a disconnect', async () => {
    emulator.faults.streamLineDelayMs = 40
    emulator.faults.streamNotFoundFirst = 0
    const build = await createBuild(emulator, APP, quickApp())
    const url = build.output_stream_url as string

    const response = await fetch(url)
    const reader = (response.body as ReadableStream<Uint8Array>).getReader()
    const first = await reader.read()
    const received = Buffer.from(first.value as Uint8Array)
    expect(received.toString()).toMatch(/^-----> Building on the Heroku-24 stack\n/)
    expect((await getBuild(emulator, APP, build.id)).status).toBe('pending') // the stream is ahead of the build's end
    await reader.cancel() // the client disconnects

    const rest = await get(url, { Range: `bytes=${received.length}-` })
    expect(rest.status).toBe(206)
    expect(received.toString() + rest.text).toBe(emulator.app(APP).buildLog(build.id))
    expect(rest.text).toContain('deployed to Heroku')
  })

  test('the build stays pending for pendingAfterStreamMs after its stream closed', async () => {
    emulator.faults.pendingAfterStreamMs = 800
    const build = await createBuild(emulator, APP, quickApp())
    await readStream(build.output_stream_url as string)
    const closedAt = Date.now()
    expect(await getBuild(emulator, APP, build.id)).toMatchObject({ status: 'pending', release: null, slug: null })
    const done = await pollUntil(
      () => getBuild(emulator, APP, build.id),
      (b) => b.status !== 'pending'
    )
    expect(Date.now() - closedAt).toBeGreaterThanOrEqual(600)
    expect(done.status).toBe('succeeded')
    expect(done.release?.id).toEqual(expect.any(String))
  })

  test('buildDelayMs holds the build before it starts running', async () => {
    emulator.faults.buildDelayMs = 500
    const started = Date.now()
    const build = await createBuild(emulator, APP, quickApp())
    await sleep(200)
    expect(emulator.app(APP).buildLog(build.id)).toBe('')
    await readStream(build.output_stream_url as string)
    expect(Date.now() - started).toBeGreaterThanOrEqual(500)
  })

  test('releasePhaseDelayMs holds the release phase before its command runs', async () => {
    emulator.faults.releasePhaseDelayMs = 3000
    const build = await createBuild(emulator, APP, helloAppTarball())
    await readStream(build.output_stream_url as string)
    const done = await pollUntil(
      () => getBuild(emulator, APP, build.id),
      (b) => b.status !== 'pending'
    )
    const release = emulator.app(APP).releases.find((r) => r.id === done.release?.id)
    expect(emulator.app(APP).releaseLog(release?.id as string)).toBe('')
    expect(await readStream(release?.output_stream_url as string)).toContain('Migrations done')
  })

  test('release-phase output has its own stream, with the same 404-first behaviour', async () => {
    const tarball = helloAppTarball({ 'package.json': packageJson({ start: 'node server.js' }) }) // keeps release: node release.js
    const build = await createBuild(emulator, APP, tarball)
    await readStream(build.output_stream_url as string)
    const done = await pollUntil(
      () => getBuild(emulator, APP, build.id),
      (b) => b.status !== 'pending'
    )
    const release = emulator.app(APP).releases.find((r) => r.id === done.release?.id)
    const url = release?.output_stream_url as string
    expect(url).toMatch(/\/streams\/releases\//)
    expect((await get(url)).status).toBe(404)
    const output = await get(url)
    expect(output.status).toBe(200)
    expect(output.text).toContain('Running migrations... 2 applied')
  })
})
