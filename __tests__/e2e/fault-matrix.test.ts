/**
 * The fault matrix (reliability/fault-matrix.ts), the plain api deploy, end to end over dist/index.js:
 * one deploy per fault, with that fault on every endpoint the deploy calls at once (maintenance,
 * config vars and a smoke check on, so that every endpoint is called; a release already live, so that
 * its commit and the changes since are looked up on Heroku and the local GitHub). Each must end
 * `success` with exactly one build and its changes listed, every cell must have met its fault, and a
 * create Heroku carried out must never be sent twice. Blob and stream URLs name no app, so each row
 * has a world of its own (first given its live release), and the rows run side by side.
 */
import { randomBytes } from 'node:crypto'
import { ENDPOINTS, FAULTS } from '../reliability/fault-matrix.js'
import { inject, MATRIX_ENV, unmet } from './fault-matrix-support.js'
import { APP, startWorld, type World } from './world.js'

/** A world whose app runs a release of its first commit, and one commit more (`change`) to deploy from it. */
async function startFromLive(change: string): Promise<{ world: World; live: string }> {
  const world = await startWorld()
  try {
    const live = world.sha
    expect((await world.deploy()).outputs.status).toBe('success')
    world.repo.write('CHANGELOG.md', `${change}\n`)
    world.sha = world.repo.commit(change)
    return { world, live }
  } catch (error) {
    await world.close()
    throw error
  }
}

test.concurrent.each(FAULTS)('$title on every endpoint: the deploy succeeds, one build, nothing created twice, its changes listed', async ({ kind }) => {
  const { world, live } = await startFromLive(`Deploy through ${kind}`)
  try {
    const app = world.emulator.app(APP)
    const before = { requests: world.emulator.requests.length, builds: app.builds.length, maintenance: app.maintenanceHistory.length }
    inject(world, 'api', kind, APP)
    const started = Date.now()
    const run = await world.deploy(
      { maintenance: 'true', 'config-vars': `FAULT_CANARY=canary-${randomBytes(6).toString('hex')}`, 'smoke-checks': '/health 200 ok', 'smoke-timeout': '30', timeout: '120' },
      MATRIX_ENV
    )
    expect(run.stdout).not.toContain('::error::')
    expect(run.outputs.status).toBe('success')
    expect(Date.now() - started).toBeLessThan(90_000)
    expect(app.builds.length - before.builds).toBe(1)
    // On, then off (an "on" resent after a lost answer sets the same state again).
    expect(app.maintenanceHistory.slice(before.maintenance).filter((on, i, all) => i === 0 || on !== all[i - 1])).toEqual([true, false])
    expect(app.maintenance).toBe(false)
    expect(unmet(world, 'api', kind, APP)).toEqual([])
    // A build Heroku made whose answer was lost is found, never sent again.
    const buildPosts = world.emulator.requests.slice(before.requests).filter((r) => r.method === 'POST' && /\/builds$/.test(r.path))
    if (kind === 'lost' || kind === 'slow' || kind === 'cut') {
      expect(buildPosts).toHaveLength(1)
      expect(run.stdout).toMatch(/POST \/apps\/hello-app\/builds got no clear answer, but Heroku had carried it out: found a build of [0-9a-f]{40} on hello-app; not sent again/)
    }
    if (kind === 'retry-after') expect(run.stdout).toContain('retrying in 1 s')
    // The look-ups of what the deploy brings came through too: the live commit, the one new commit, its (no) pull request.
    expect(run.outputs['previous-commit']).toBe(live)
    expect(run.summary).toContain('**Changes:** 1 commit since v')
    expect(run.summary).not.toMatch(/cannot be listed|pull requests are not listed/)
    expect(await (await fetch(new URL('health', app.webUrl))).text()).toBe('ok')
  } finally {
    await world.close()
  }
})

test.concurrent("GitHub's compare failing on every try: the deploy's result is unchanged, and the changes say why they are not listed", async () => {
  const { world, live } = await startFromLive('Deploy while GitHub compare fails')
  try {
    const app = world.emulator.app(APP)
    const compare = ENDPOINTS.find((endpoint) => endpoint.service === 'github' && endpoint.name.includes('compare'))!.match(APP)
    world.github.faults.failNext(100, 503, compare)
    const versions = app.releases.length
    const run = await world.deploy({ 'smoke-checks': '/health 200 ok' })
    expect(run.stdout).not.toContain('::error::')
    expect(run.outputs.status).toBe('success')
    expect(app.releases.length).toBe(versions + 1)
    expect(run.outputs['previous-commit']).toBe(live)
    expect(run.summary).toMatch(/\*\*Changes:\*\* cannot be listed: GitHub API GET \/repos\/[^ ]+\/compare\/[0-9a-f]{40}\.\.\.[0-9a-f]{40} answered 503/)
    expect(world.github.requests.filter((r) => r.fault === 'fail' && (compare.path as RegExp).test(r.path)).length).toBeGreaterThan(1)
  } finally {
    await world.close()
  }
})
