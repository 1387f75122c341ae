import type { ChangesReader } from './changes/changes.js'
import { deployApp } from './deploy-app.js'
import type { PromotionRoute } from './gate/pipeline.js'
import type { HerokuApi } from './heroku/api.js'
import type { Log } from './log.js'
import type { GitHubDeployments } from './report/deployment.js'
import type { DeployResult, PromotedRelease } from './result.js'
import type { Settings } from './settings.js'
import { Promotion } from './ship/promote.js'
import type { CleanupWindow } from './util/cleanup.js'
import { inPool } from './util/pool.js'
import { Deadline } from './util/time.js'

export interface PromoteDeps {
  api: HerokuApi
  log: Log
  /** Each target's log (prefixed with its name when several apps are in the run). */
  logFor: (result: DeployResult) => Log
  signal?: AbortSignal
  /** After a cancel, the window every cleanup step shares. */
  cleanup?: CleanupWindow
  pollMs?: number
  deployments?: GitHubDeployments
  /** Reads what the promotion brings to each target (from its live commit to the promoted one); absent without a GitHub token. */
  changes?: ChangesReader
}

/**
 * Promotes one verified release to the targets, in one request; each target is then verified like a
 * deployed app (its release and release phase, smoke checks, a rollback of that target alone), with
 * its own GitHub deployment. The targets run all at once: the promotion waits until each is ready.
 */
export async function promoteToTargets(settings: Settings, deps: PromoteDeps, route: PromotionRoute, release: PromotedRelease, targets: DeployResult[]): Promise<void> {
  for (const target of targets) target.promotedFrom = release
  await deps.deployments?.open(targets, release.commit)
  const promotion = new Promotion(route, release, {
    api: deps.api,
    log: deps.log,
    signal: deps.signal,
    pollMs: deps.pollMs,
    deadline: new Deadline(settings.timeoutMs, `The promotion of ${release.app} v${release.releaseVersion}`)
  })
  const shipper = promotion.shipper()
  await inPool(
    targets,
    targets.length,
    async (result) => {
      try {
        const appDeps = { api: deps.api, log: deps.logFor(result), signal: deps.signal, cleanup: deps.cleanup, pollMs: deps.pollMs, changes: deps.changes }
        await deployApp(settings, appDeps, result, shipper)
      } finally {
        promotion.leave(result.app)
      }
    },
    deps.signal
  )
}

/** Why a target was not promoted to when the app it is promoted from did not pass. */
export function notPromoted(source: DeployResult): string {
  const why =
    source.status === 'rolled-back' ? 'failed its smoke checks and was rolled back' : source.status === 'cancelled' ? 'was cancelled' : 'did not deploy and pass its checks'
  return `Not promoted: ${source.app} ${why}, so nothing was promoted from it.`
}
