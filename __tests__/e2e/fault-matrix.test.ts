/**
 * The fault matrix (reliability/fault-matrix.ts), the plain api deploy, end to end over dist/index.js:
 * one deploy per fault, with that fault on every endpoint the deploy calls at once (maintenance,
 * config vars and a smoke check on, so that every endpoint is called). Each must end `success` with
 * exactly one build, every cell must have met its fault, and a create Heroku carried out must never
 * be sent twice. Blob and stream URLs name no app, so each row has an emulator of its own, and the
 * rows run side by side.
 */
import { randomBytes } from 'node:crypto'
import { FAULTS } from '../reliability/fault-matrix.js'
import { inject, MATRIX_ENV, unmet } from './fault-matrix-support.js'
import { APP, startWorld } from './world.js'

test.concurrent.each(FAULTS)('$title on every endpoint: the deploy succeeds, one build, nothing created twice', async ({ kind }) => {
  const world = await startWorld()
  try {
    const app = world.emulator.app(APP)
    inject(world.emulator.faults, 'api', kind, APP)
    const started = Date.now()
    const run = await world.deploy(
      { maintenance: 'true', 'config-vars': `FAULT_CANARY=canary-${randomBytes(6).toString('hex')}`, 'smoke-checks': '/health 200 ok', 'smoke-timeout': '30', timeout: '120' },
      MATRIX_ENV
    )
    expect(run.stdout).not.toContain('::error::')
    expect(run.outputs.status).toBe('success')
    expect(Date.now() - started).toBeLessThan(90_000)
    expect(app.builds).toHaveLength(1)
    // On, then off (an "on" resent after a lost answer sets the same state again).
    expect(app.maintenanceHistory.filter((on, i, all) => i === 0 || on !== all[i - 1])).toEqual([true, false])
    expect(app.maintenance).toBe(false)
    expect(unmet(world.emulator.requests, 'api', kind, APP)).toEqual([])
    // A build Heroku made whose answer was lost is found, never sent again.
    const buildPosts = world.emulator.requests.filter((r) => r.method === 'POST' && /\/builds$/.test(r.path))
    if (kind === 'lost' || kind === 'slow' || kind === 'cut') {
      expect(buildPosts).toHaveLength(1)
      expect(run.stdout).toMatch(/POST \/apps\/hello-app\/builds got no clear answer, but Heroku had carried it out: found a build of [0-9a-f]{40} on hello-app; not sent again/)
    }
    if (kind === 'retry-after') expect(run.stdout).toContain('retrying in 1 s')
    expect(await (await fetch(new URL('health', app.webUrl))).text()).toBe('ok')
  } finally {
    await world.close()
  }
})
