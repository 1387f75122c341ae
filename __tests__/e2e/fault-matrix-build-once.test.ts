/**
 * The fault matrix (reliability/fault-matrix.ts), build-once, end to end over dist/index.js: two apps,
 * the first builds, the second releases that build's slug, with the fault on the second app's
 * POST /releases. Each must end `success` with one build and exactly one release of its slug on the
 * second app. The rows run side by side, each on two apps of its own.
 */
import { ENDPOINTS, FAULTS, type FaultKind } from '../reliability/fault-matrix.js'
import { appFor, inject, MATRIX_ENV, requestsTo, unmet } from './fault-matrix-support.js'
import { startWorld, type World } from './world.js'

let world: World
const first = (kind: FaultKind) => appFor('first', kind)
const second = (kind: FaultKind) => appFor('second', kind)
const slugRelease = ENDPOINTS.find((endpoint) => endpoint.scenario === 'build-once')!

beforeAll(async () => {
  world = await startWorld(FAULTS.flatMap(({ kind }) => [first(kind), second(kind)]))
})
afterAll(() => world.close())

test.concurrent.each(FAULTS)('$title on the slug release: one build, its slug released once on the second app', async ({ kind }) => {
  inject(world, 'build-once', kind, second(kind))
  const started = Date.now()
  const run = await world.deploy({ app: `${first(kind)}, ${second(kind)}`, 'build-once': 'true' }, MATRIX_ENV)
  expect(run.stdout).not.toContain('::error::')
  expect(run.outputs.status).toBe('success')
  expect(Date.now() - started).toBeLessThan(90_000)
  const built = world.emulator.app(first(kind))
  const released = world.emulator.app(second(kind))
  expect(built.builds).toHaveLength(1)
  expect(released.builds).toHaveLength(0)
  expect(released.releases).toHaveLength(1)
  expect(released.releases[0]).toMatchObject({ status: 'succeeded', slug: { id: built.builds[0].slug?.id } })
  expect(unmet(world, 'build-once', kind, second(kind))).toEqual([])
  if (kind === 'lost' || kind === 'slow' || kind === 'cut') {
    expect(requestsTo(world.emulator.requests, slugRelease, second(kind))).toHaveLength(1)
    expect(run.stdout).toContain(`POST /apps/${second(kind)}/releases got no clear answer, but Heroku had carried it out: found a release of slug`)
  }
})
