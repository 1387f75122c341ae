/**
 * The fault matrix (reliability/fault-matrix.ts), a timeout, end to end over dist/index.js: a build
 * slower than `timeout` is cancelled before maintenance goes off, with the fault on the cancel
 * (DELETE /builds/{id}). Each must fail with the timeout's exact message, the build cancelled on
 * Heroku, no release, maintenance off, and no word that a release may still go live. The rows run
 * side by side, each on an app of its own.
 */
import * as fs from 'node:fs'
import { FAULTS, type FaultKind } from '../reliability/fault-matrix.js'
import { appFor, inject, MATRIX_ENV, unmet } from './fault-matrix-support.js'
import { startWorld, type World } from './world.js'

let world: World
const app = (kind: FaultKind) => appFor('timeout', kind)

beforeAll(async () => {
  world = await startWorld(FAULTS.map(({ kind }) => app(kind)))
  // A build that would take a minute: the timeout comes first, whatever the machine's speed.
  const file = `${world.repo.dir}/package.json`
  const pkg = JSON.parse(fs.readFileSync(file, 'utf8')) as { scripts: Record<string, string> }
  pkg.scripts.build = `${pkg.scripts.build} && echo 'compiling for a minute' && sleep 60`
  fs.writeFileSync(file, JSON.stringify(pkg, null, 2))
  world.sha = world.repo.commit('A build slower than the timeout')
})
afterAll(() => world.close())

test.concurrent.each(FAULTS)('$title on the cancel: the timeout fails the step, the build is cancelled, nothing is released', async ({ kind }) => {
  const name = app(kind)
  inject(world, 'timeout', kind, name)
  const started = Date.now()
  const run = await world.deploy({ app: name, timeout: '8', maintenance: 'true' }, MATRIX_ENV)
  expect(run.outputs.status).toBe('failure')
  expect(run.stdout).toContain(`::error::The build and release of ${name} did not finish within 8 s`)
  expect(run.stdout).not.toContain('may still go live')
  expect(Date.now() - started).toBeLessThan(90_000)
  const view = world.emulator.app(name)
  expect(view.builds.map((build) => build.status)).toEqual(['failed'])
  expect(view.buildLog(view.builds[0].id)).toContain('Build cancelled')
  expect(run.stdout).toContain(`Cancelled build ${view.builds[0].id} on ${name}: it will not release.`)
  expect(view.releases).toEqual([])
  expect(view.maintenance).toBe(false)
  expect(unmet(world, 'timeout', kind, name)).toEqual([])
})
