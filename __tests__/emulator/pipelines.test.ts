/**
 * Pipelines in the emulator: couplings by stage, and promotions that copy one release's slug to each
 * target, which releases it with its own config and release phase, or fails with Heroku's message.
 */
import { afterAll, beforeAll, expect, test } from '@jest/globals'
import type { Release } from '@heroku-cli/schema'
import { type Emulator, startEmulator } from '../../emulator/index.js'
import { api, API_KEY, deploy, get, getRelease, helloAppTarball, pollUntil, removeTempDirs } from './support.js'

const STAGING = 'pipe-staging'
const PROD = 'pipe-prod'
const LEGACY = 'pipe-legacy'
const LONER = 'pipe-loner'

let emulator: Emulator
let pipelineId: string
let ids: Record<string, string>

interface Target {
  app: { id: string }
  status: string
  error_message: string | null
  release: { id: string } | null
}

beforeAll(async () => {
  emulator = await startEmulator({ apiKey: API_KEY, apps: [STAGING, PROD, { name: LEGACY, stack: 'heroku-22' }, LONER] })
  const pipeline = await api<{ id: string; name: string }>(emulator, 'POST', '/pipelines', { body: { name: 'pipe' } })
  expect(pipeline.status).toBe(201)
  pipelineId = pipeline.json.id
  for (const [app, stage] of [
    [STAGING, 'staging'],
    [PROD, 'production'],
    [LEGACY, 'production']
  ]) {
    expect((await api(emulator, 'POST', '/pipeline-couplings', { body: { app, pipeline: pipelineId, stage } })).status).toBe(201)
  }
  ids = Object.fromEntries([STAGING, PROD, LEGACY, LONER].map((name) => [name, emulator.app(name).id]))
})

afterAll(async () => {
  await emulator.close()
  removeTempDirs()
})

async function promote(body: unknown) {
  return api<{ id: string; status: string }>(emulator, 'POST', '/pipeline-promotions', { body })
}

async function settledTargets(id: string): Promise<Target[]> {
  return pollUntil(
    async () => (await api<Target[]>(emulator, 'GET', `/pipeline-promotions/${id}/promotion-targets`)).json,
    (targets) => targets.every((target) => target.status !== 'pending')
  )
}

test('couplings: by app, by pipeline; an app is in one pipeline only; an app outside answers 404', async () => {
  const coupling = await api<{ app: { id: string }; pipeline: { id: string }; stage: string }>(emulator, 'GET', `/apps/${STAGING}/pipeline-couplings`)
  expect(coupling.json).toMatchObject({ app: { id: ids[STAGING] }, pipeline: { id: pipelineId }, stage: 'staging' })
  const all = await api<{ app: { id: string }; stage: string }[]>(emulator, 'GET', `/pipelines/${pipelineId}/pipeline-couplings`)
  expect(all.json.map((c) => [c.app.id, c.stage])).toEqual([
    [ids[STAGING], 'staging'],
    [ids[PROD], 'production'],
    [ids[LEGACY], 'production']
  ])
  expect((await api(emulator, 'GET', `/pipelines/${pipelineId}`)).json).toMatchObject({ id: pipelineId, name: 'pipe' })
  expect((await api(emulator, 'GET', '/pipelines/pipe')).json).toMatchObject({ id: pipelineId })
  expect((await api(emulator, 'POST', '/pipeline-couplings', { body: { app: STAGING, pipeline: pipelineId, stage: 'development' } })).status).toBe(409)
  expect((await api(emulator, 'POST', '/pipeline-couplings', { body: { app: LONER, pipeline: pipelineId, stage: 'qa' } })).status).toBe(422)
  const outside = await api<{ id: string }>(emulator, 'GET', `/apps/${LONER}/pipeline-couplings`)
  expect(outside.status).toBe(404)
  expect(outside.json.id).toBe('not_found')
})

test("a promotion copies exactly the named release's slug to the target, which runs its release phase with its own config", async () => {
  const first = await deploy(emulator, STAGING, helloAppTarball(), 'a'.repeat(40))
  const second = await deploy(emulator, STAGING, helloAppTarball({ 'NEWS.md': 'later\n' }), 'b'.repeat(40))
  expect(second.release?.current).toBe(true)
  await api(emulator, 'PATCH', `/apps/${PROD}/config-vars`, { body: { WHERE: 'production' } })

  // The older release, named: not the current one.
  const created = await promote({
    pipeline: { id: pipelineId },
    source: { app: { id: ids[STAGING] }, release: { id: first.release?.id } },
    targets: [{ app: { id: ids[PROD] } }]
  })
  expect(created.status).toBe(201)
  expect(created.json.status).toBe('pending')
  const [target] = await settledTargets(created.json.id)
  expect(target).toMatchObject({ app: { id: ids[PROD] }, status: 'succeeded', error_message: null })
  expect((await api<{ status: string }>(emulator, 'GET', `/pipeline-promotions/${created.json.id}`)).json.status).toBe('completed')

  const release = await getRelease(emulator, PROD, target.release?.id as string)
  expect(release).toMatchObject({ status: 'succeeded', current: true, description: `Promote ${STAGING} v${first.release?.version}` })
  expect(release.slug?.id).toBe(first.build.slug?.id)
  expect(emulator.app(PROD).releaseLog(release.id as string)).toContain(`Release phase for v${release.version}`) // hello-app's release.js, on prod
  expect(emulator.app(PROD).configVars).toEqual({ WHERE: 'production' })
  const version = await get(new URL('version', emulator.app(PROD).webUrl).toString())
  expect(JSON.parse(version.text)).toMatchObject({ commit: 'a'.repeat(40) })
  const slug = await api<{ id: string; commit: string }>(emulator, 'GET', `/apps/${PROD}/slugs/${release.slug?.id}`)
  expect(slug.json).toMatchObject({ id: first.build.slug?.id, commit: 'a'.repeat(40) })
})

test("without a release, the source app's current one; a target on another stack fails with a message, the others succeed", async () => {
  const created = await promote({
    pipeline: { id: pipelineId },
    source: { app: { id: ids[STAGING] } },
    targets: [{ app: { id: ids[PROD] } }, { app: { id: ids[LEGACY] } }]
  })
  expect(created.status).toBe(201)
  const targets = await settledTargets(created.json.id)
  const current = emulator.app(STAGING).currentRelease() as Release
  expect(targets.find((t) => t.app.id === ids[PROD])).toMatchObject({ status: 'succeeded' })
  expect(emulator.app(PROD).currentRelease()?.slug?.id).toBe(current.slug?.id)
  expect(targets.find((t) => t.app.id === ids[LEGACY])).toEqual(
    expect.objectContaining({ status: 'failed', release: null, error_message: `Cannot promote to ${LEGACY}: the slug was built for heroku-24, but ${LEGACY} is on heroku-22.` })
  )
  expect(emulator.app(LEGACY).releases).toEqual([])
})

test('a release phase that fails on the target fails that target', async () => {
  // A release phase that passes on staging and fails where FAIL_RELEASE is set.
  await deploy(emulator, STAGING, helloAppTarball({ Procfile: `web: node server.js\nrelease: sh -c 'test "$FAIL_RELEASE" != 1'\n` }))
  await api(emulator, 'PATCH', `/apps/${PROD}/config-vars`, { body: { FAIL_RELEASE: '1' } })
  try {
    const created = await promote({ pipeline: { id: pipelineId }, source: { app: { id: ids[STAGING] } }, targets: [{ app: { id: ids[PROD] } }] })
    const [target] = await settledTargets(created.json.id)
    expect(target.status).toBe('failed')
    expect(target.release).not.toBeNull()
    expect(target.error_message).toMatch(/^Release v\d+ of pipe-prod failed: its release phase did not succeed\.$/)
  } finally {
    await api(emulator, 'PATCH', `/apps/${PROD}/config-vars`, { body: { FAIL_RELEASE: null } })
  }
})

test('bad promotions are refused: an app outside the pipeline, a release of another app, the source as a target, no pipeline', async () => {
  const source = { app: { id: ids[STAGING] } }
  const prodRelease = emulator.app(PROD).releases[0]?.id as string
  const refused = [
    await promote({ pipeline: { id: pipelineId }, source, targets: [{ app: { id: ids[LONER] } }] }),
    await promote({ pipeline: { id: pipelineId }, source: { ...source, release: { id: prodRelease } }, targets: [{ app: { id: ids[PROD] } }] }),
    await promote({ pipeline: { id: pipelineId }, source, targets: [{ app: { id: ids[STAGING] } }] }),
    await promote({ pipeline: { id: pipelineId }, source, targets: [] }),
    await promote({ source, targets: [{ app: { id: ids[PROD] } }] })
  ]
  expect(refused.map((answer) => answer.status)).toEqual([422, 422, 422, 422, 422])
  expect((refused[0].json as unknown as { message: string }).message).toBe(`${LONER} is not in the pipeline pipe.`)
  expect((await promote({ pipeline: { id: '00000000-0000-4000-8000-000000000000' }, source, targets: [{ app: { id: ids[PROD] } }] })).status).toBe(404)
})
