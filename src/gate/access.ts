import { DeployError } from '../errors.js'
import type { HerokuApi } from '../heroku/api.js'
import type { HerokuApp } from '../heroku/types.js'
import type { DeployResult } from '../result.js'
import type { Settings } from '../settings.js'
import { inPool } from '../util/pool.js'

export interface AccessDeps {
  api: HerokuApi
  signal?: AbortSignal
}

/**
 * Checks that the key reaches every app (GET /apps/{app}, side by side) and notes each app's URL; with
 * build-once, that every app is on the same stack, before anything ships.
 */
export async function lookUpApps(settings: Settings, deps: AccessDeps, results: DeployResult[]): Promise<HerokuApp[]> {
  const apps: HerokuApp[] = []
  await inPool(
    results,
    settings.maxParallel,
    async (result, index) => {
      const app = await deps.api.getApp(result.app)
      result.appUrl = app.web_url ?? undefined
      apps[index] = app
    },
    deps.signal
  )
  if (settings.buildOnce) requireOneStack(apps)
  return apps
}

function stackOf(app: HerokuApp): string {
  return `${app.stack?.name ?? 'an unknown stack'}${app.generation?.name ? ` (${app.generation.name})` : ''}`
}

/** A slug runs only on the stack it was built for: build-once needs one stack (and generation) for every app. */
function requireOneStack(apps: readonly HerokuApp[]): void {
  if (new Set(apps.map(stackOf)).size <= 1) return
  throw new DeployError(
    'slug',
    `Input 'build-once' releases one build on every app, so every app must be on the same stack: ${apps.map((app) => `${app.name} is on ${stackOf(app)}`).join(', ')}. Deploy them without build-once, or move them to one stack.`
  )
}
