/**
 * The fault matrix (reliability/fault-matrix.ts), end to end over dist/index.js: one deploy per fault,
 * with that fault on every endpoint a deploy calls at once (maintenance, config vars and a smoke check
 * on, so that every endpoint is called). Each deploy must end `success` with exactly one build, every
 * cell must have met its fault, and a create Heroku carried out must never be sent twice.
 */
import { randomBytes } from 'node:crypto'
import { ENDPOINTS, FAULTS, type FaultKind } from '../reliability/fault-matrix.js'
import { APP, startWorld, type World } from './world.js'

let world: World

beforeAll(async () => {
  world = await startWorld()
})
afterAll(() => world.close())

const RECORDED: Record<FaultKind, string> = { 'retry-after': 'fail', '429': 'fail', '500': 'fail', '503': 'fail', reset: 'drop', lost: 'lose', slow: 'delay', cut: 'cut' }

function inject(kind: FaultKind): void {
  const { faults } = world.emulator
  for (const { match } of ENDPOINTS) {
    if (kind === 'retry-after') faults.failNext(1, 429, match, { retryAfter: 1 })
    else if (kind === 'reset') faults.dropNext(1, match)
    else if (kind === 'lost') faults.loseAnswerNext(1, match)
    else if (kind === 'slow') faults.delayAnswerNext(1, 2500, match)
    else if (kind === 'cut') faults.cutAnswerNext(1, match)
    else faults.failNext(1, Number(kind), match)
  }
}

test.each(FAULTS)('$title on every endpoint: the deploy succeeds, one build, nothing created twice', async ({ kind }) => {
  const app = world.emulator.app(APP)
  const before = { requests: world.emulator.requests.length, builds: app.builds.length, maintenance: app.maintenanceHistory.length }
  world.repo.write('CHANGELOG.md', `fault ${kind}\n`)
  world.sha = world.repo.commit(`Deploy through ${kind}`)
  inject(kind)
  try {
    const started = Date.now()
    const run = await world.deploy(
      { maintenance: 'true', 'config-vars': `FAULT_CANARY=canary-${randomBytes(6).toString('hex')}`, 'smoke-checks': '/health 200 ok', 'smoke-timeout': '30', timeout: '120' },
      { HEROKU_CD_REQUEST_TIMEOUT: '1' }
    )
    expect(run.stdout).not.toContain('::error::')
    expect(run.outputs.status).toBe('success')
    expect(Date.now() - started).toBeLessThan(90_000)
    expect(app.builds.length - before.builds).toBe(1)
    // On, then off (an "on" resent after a lost answer sets the same state again).
    expect(app.maintenanceHistory.slice(before.maintenance).filter((on, i, all) => i === 0 || on !== all[i - 1])).toEqual([true, false])
    expect(app.maintenance).toBe(false)
    // Every cell met its fault.
    const made = world.emulator.requests.slice(before.requests)
    const met = (endpoint: (typeof ENDPOINTS)[number]) =>
      made.some((r) => r.fault === RECORDED[kind] && r.method === endpoint.match.method && (endpoint.match.path as RegExp).test(r.path))
    expect(ENDPOINTS.filter((endpoint) => !met(endpoint)).map((e) => e.name)).toEqual([])
    // A build Heroku made whose answer was lost is found, never sent again.
    const buildPosts = made.filter((r) => r.method === 'POST' && /\/builds$/.test(r.path))
    if (kind === 'lost' || kind === 'slow' || kind === 'cut') {
      expect(buildPosts).toHaveLength(1)
      expect(run.stdout).toMatch(/POST \/apps\/hello-app\/builds got no clear answer, but Heroku had carried it out: found a build of [0-9a-f]{40} on hello-app; not sent again/)
    }
    if (kind === 'retry-after') expect(run.stdout).toContain('retrying in 1 s')
    expect(await (await fetch(new URL('health', app.webUrl))).text()).toBe('ok')
  } finally {
    world.emulator.faults.clear()
  }
})
