import { runBuild } from '../../src/ship/source.js'
import type { StageContext } from '../../src/heroku/context.js'
import { awaitRelease } from '../../src/heroku/release.js'
import { Deadline, TimeoutError } from '../../src/util/time.js'
import { FakeHeroku } from '../fakes/heroku.js'
import { MemoryLog } from '../fakes/log.js'

const request = { app: 'my-app', sourceUrl: 'http://blob/get', version: 'abc', checksum: 'SHA256:00' }

function context(api: FakeHeroku, ms = 10_000): StageContext & { log: MemoryLog } {
  return { api, log: new MemoryLog(), deadline: new Deadline(ms, 'The build and release of my-app'), pollMs: 1 }
}

test('a build is polled past pending and yields its release', async () => {
  const api = new FakeHeroku()
  api.buildStates = [{ status: 'pending' }, { status: 'pending' }, { status: 'succeeded', release: { id: 'rel-9' } }]
  const { build, releaseId } = await runBuild(context(api), { ...request, description: 'run 1' })
  expect(build.status).toBe('succeeded')
  expect(releaseId).toBe('rel-9')
  expect(api.createdBuilds).toEqual([{ source_blob: { url: 'http://blob/get', version: 'abc', checksum: 'SHA256:00', version_description: 'run 1' } }])
})

test('a failed build is a DeployError of the build stage', async () => {
  const api = new FakeHeroku()
  api.buildStates = [{ status: 'pending' }, { status: 'failed' }]
  await expect(runBuild(context(api), request)).rejects.toMatchObject({ stage: 'build', message: 'Build build-1 failed on my-app: no reason given' })
})

test('a release that lags behind the build is found by the build slug', async () => {
  const api = new FakeHeroku()
  api.buildStates = [{ status: 'pending' }, { status: 'succeeded', release: null, slug: { id: 'slug-7' } }]
  api.releases = [{ id: 'rel-new', version: 8, status: 'pending', slug: { id: 'slug-7' } }]
  const ctx = context(api, 300)
  const { releaseId } = await runBuild(ctx, request)
  expect(releaseId).toBe('rel-new')
})

test('a build that stays pending times out with the stage named', async () => {
  const api = new FakeHeroku()
  api.buildStates = [{ status: 'pending' }]
  await expect(runBuild(context(api, 50), request)).rejects.toThrow(new TimeoutError('The build and release of my-app did not finish within 0.1 s'))
})

test('a release is waited for until it settles', async () => {
  const api = new FakeHeroku()
  api.releaseStates = [{ status: 'pending' }, { status: 'pending' }, { status: 'succeeded', current: true }]
  const release = await awaitRelease(context(api), 'my-app', 'rel-1')
  expect(release).toMatchObject({ status: 'succeeded', version: 5 })
})

test.each([
  ['failed', 'Release v5 failed on my-app: the release command failed'],
  ['expired', 'Release v5 failed on my-app: the release expired before it finished']
] as const)('a %s release fails the release stage', async (status, message) => {
  const api = new FakeHeroku()
  api.releaseStates = [{ status: 'pending' }, { status }]
  await expect(awaitRelease(context(api), 'my-app', 'rel-1')).rejects.toMatchObject({ stage: 'release', message })
})
