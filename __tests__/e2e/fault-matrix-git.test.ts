/**
 * The fault matrix (reliability/fault-matrix.ts), strategy git with buildpacks, end to end over
 * dist/index.js: one deploy per fault, with that fault on the buildpack installations and on both of
 * git's smart-HTTP requests (the refs, the push) at once. Each must end `success` with exactly one
 * build and one release: a push Heroku received and built is never pushed again. The rows run side
 * by side, each on an app of its own.
 */
import { ENDPOINTS, FAULTS } from '../reliability/fault-matrix.js'
import { appFor, inject, MATRIX_ENV, requestsTo, unmet } from './fault-matrix-support.js'
import { startWorld, type World } from './world.js'

let world: World
const app = (kind: string) => appFor('git', kind as never)
const push = ENDPOINTS.find((endpoint) => endpoint.kind === 'git-push')!

beforeAll(async () => {
  world = await startWorld(FAULTS.map(({ kind }) => app(kind)))
})
afterAll(() => world.close())

test.concurrent.each(FAULTS)('$title on the buildpacks and both git requests: pushed once, built once, released once', async ({ kind }) => {
  const name = app(kind)
  inject(world, 'git', kind, name)
  const started = Date.now()
  const run = await world.deploy({ app: name, strategy: 'git', buildpacks: 'heroku/nodejs' }, { HEROKU_GIT_URL: world.emulator.gitUrl, ...MATRIX_ENV })
  expect(run.stdout).not.toContain('::error::')
  expect(run.outputs.status).toBe('success')
  expect(Date.now() - started).toBeLessThan(90_000)
  const view = world.emulator.app(name)
  expect(view.builds).toHaveLength(1)
  expect(view.releases.map((release) => release.description)).toEqual([`Deploy ${world.sha.slice(0, 8)}`])
  expect(view.gitHead()).toBe(world.sha)
  expect(view.buildpacks).toEqual(['heroku/nodejs'])
  expect(unmet(world, 'git', kind, name)).toEqual([])
  if (kind === 'lost' || kind === 'cut') {
    expect(requestsTo(world.emulator.requests, push, name)).toHaveLength(1)
    expect(run.stdout).toContain(`The push of ${world.sha.slice(0, 7)} to ${name} got no clear answer, but Heroku had received it and built it: not pushed again.`)
  }
})
