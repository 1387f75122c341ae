/**
 * The fault matrix (reliability/fault-matrix.ts), the rollback, end to end over dist/index.js: a
 * deploy whose smoke check fails rolls back, with the fault on the rollback's POST /releases. Each
 * must end `rolled-back` with exactly one rollback release, the earlier code answering again. The rows
 * run side by side, each on an app of its own that first gets a good release to roll back to.
 */
import * as fs from 'node:fs'
import { ENDPOINTS, FAULTS, type FaultKind } from '../reliability/fault-matrix.js'
import { appFor, inject, MATRIX_ENV, requestsTo, unmet } from './fault-matrix-support.js'
import { startWorld, type World } from './world.js'

let world: World
const app = (kind: FaultKind) => appFor('rollback', kind)
const rollback = ENDPOINTS.find((endpoint) => endpoint.scenario === 'rollback')!
const good = new Map<string, number>()

beforeAll(async () => {
  world = await startWorld(FAULTS.map(({ kind }) => app(kind)))
  // A good release on every app, then a commit whose /health fails.
  await Promise.all(
    FAULTS.map(async ({ kind }) => {
      expect((await world.deploy({ app: app(kind) })).outputs.status).toBe('success')
      good.set(app(kind), world.emulator.app(app(kind)).currentRelease()?.version ?? 0)
    })
  )
  const server = `${world.repo.dir}/server.js`
  fs.writeFileSync(server, fs.readFileSync(server, 'utf8').replace("send(res, 200, 'text/plain', 'ok')", "send(res, 500, 'text/plain', 'down')"))
  world.sha = world.repo.commit('Broken health')
})
afterAll(() => world.close())

test.concurrent.each(FAULTS)('$title on the rollback: rolled back once, the earlier code answering', async ({ kind }) => {
  const name = app(kind)
  const view = world.emulator.app(name)
  const before = { requests: world.emulator.requests.length, releases: view.releases.length }
  inject(world, 'rollback', kind, name)
  const started = Date.now()
  const run = await world.deploy({ app: name, 'smoke-checks': '/health 200 ok', 'smoke-timeout': '3' }, MATRIX_ENV)
  expect(run.outputs.status).toBe('rolled-back')
  expect(run.stdout).toMatch(new RegExp(`::error::Smoke checks failed on ${name} v\\d+: .*; rolled back to v${good.get(name)} \\(now v\\d+\\), which passes its smoke checks`))
  expect(Date.now() - started).toBeLessThan(90_000)
  // The deploy's release, then exactly one rollback, which is what runs now.
  const made = view.releases.slice(before.releases)
  expect(made.map((release) => release.description)).toEqual([`Deploy ${world.sha.slice(0, 8)}`, `Rollback to v${good.get(name)}`])
  expect(view.currentRelease()?.id).toBe(made[1].id)
  expect(await (await fetch(new URL('health', view.webUrl))).text()).toBe('ok')
  const requests = world.emulator.requests.slice(before.requests)
  expect(unmet(world, 'rollback', kind, name)).toEqual([])
  if (kind === 'lost' || kind === 'slow' || kind === 'cut') {
    expect(requestsTo(requests, rollback, name)).toHaveLength(1)
    expect(run.stdout).toContain(`POST /apps/${name}/releases got no clear answer, but Heroku had carried it out: found a rollback on ${name}; not sent again.`)
  }
})
