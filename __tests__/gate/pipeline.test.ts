import { DeployError } from '../../src/errors.js'
import { checkPromotionRoute, promotableRelease } from '../../src/gate/pipeline.js'
import type { HerokuApp } from '../../src/heroku/types.js'
import { FakeHeroku } from '../fakes/heroku.js'

function api(): FakeHeroku {
  const fake = new FakeHeroku()
  fake.stages = { 'shop-dev': 'development', 'shop-staging': 'staging', 'shop-qa': 'staging', 'shop-prod': 'production', 'shop-eu': 'production' }
  return fake
}

const apps = (...names: string[]): HerokuApp[] => names.map((name) => ({ id: `id-${name}`, name }))

async function refusal(promise: Promise<unknown>): Promise<string> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e
  )
  expect(error).toBeInstanceOf(DeployError)
  return (error as Error).message
}

test('every target in a later stage: the route, with ids and stages', async () => {
  const route = await checkPromotionRoute(api(), 'shop-dev', apps('shop-staging', 'shop-prod'))
  expect(route).toEqual({
    pipeline: { id: 'pipeline-1', name: 'shop' },
    source: { app: 'shop-dev', id: 'id-shop-dev', stage: 'development' },
    targets: [
      { app: 'shop-staging', id: 'id-shop-staging', stage: 'staging' },
      { app: 'shop-prod', id: 'id-shop-prod', stage: 'production' }
    ]
  })
})

test('a target outside the pipeline, in the same stage or upstream: each named, with the stages allowed', async () => {
  const message = await refusal(checkPromotionRoute(api(), 'shop-staging', apps('shop-other', 'shop-qa', 'shop-dev', 'shop-prod')))
  expect(message).toBe(
    "Input 'promote-to': shop-other is not an app of the pipeline 'shop' (where shop-staging is in the staging stage); " +
      "shop-qa is in the staging stage of the pipeline 'shop' (where shop-staging is in the staging stage), not a later one; " +
      "shop-dev is in the development stage of the pipeline 'shop' (where shop-staging is in the staging stage), not a later one. " +
      'Nothing was deployed (allowed: an app of its production stage).'
  )
})

test('from the last stage there is nowhere to promote to, and the message says so', async () => {
  const message = await refusal(checkPromotionRoute(api(), 'shop-prod', apps('shop-eu')))
  expect(message).toContain('no stage of that pipeline after production has an app, so shop-prod has nowhere to promote to')
})

test('an app in no pipeline', async () => {
  const message = await refusal(checkPromotionRoute(api(), 'shop-loner', apps('shop-prod')))
  expect(message).toBe(
    "Input 'promote-to' promotes along shop-loner's Heroku pipeline, but shop-loner is in no pipeline: add it and shop-prod to one pipeline, shop-loner in an earlier stage."
  )
})

test('promote-release: a succeeded release with a slug, its commit when the slug names one', async () => {
  const fake = api()
  fake.releaseStates = [{ status: 'succeeded', id: 'rel-9', version: 9, slug: { id: 'slug-9' } }]
  fake.getSlug = async (_app, id) => ({ id, commit: 'A'.repeat(40) })
  expect(await promotableRelease(fake, 'shop-staging', '9')).toEqual({ app: 'shop-staging', releaseId: 'rel-9', releaseVersion: 9, commit: 'a'.repeat(40) })
  fake.getSlug = async (_app, id) => ({ id, commit: 'v1.2.3' })
  expect((await promotableRelease(fake, 'shop-staging', '9')).commit).toBeUndefined()
})

test.each([
  [{ status: 'failed' as const, version: 4 }, "Input 'promote-release' is v4 of shop-staging, whose release failed: promote a release that succeeded"],
  [{ status: 'pending' as const, version: 4 }, "Input 'promote-release' is v4 of shop-staging, whose release has not finished"],
  [{ status: 'succeeded' as const, version: 4, slug: null }, "Input 'promote-release' is v4 of shop-staging, which runs no slug"]
])('promote-release refuses a release that cannot be promoted: %j', async (state, message) => {
  const fake = api()
  fake.releaseStates = [state]
  expect(await refusal(promotableRelease(fake, 'shop-staging', '4'))).toContain(message)
})
