import { findAppChanges } from './changes/app-changes.js'
import type { ChangesReader } from './changes/changes.js'
import { currentRelease, type LiveRelease } from './changes/live.js'
import { CancelledError, capitalize, DeployError, oneLine, TimeoutError } from './errors.js'
import type { HerokuApi } from './heroku/api.js'
import type { StageContext } from './heroku/context.js'
import { inMaintenance } from './heroku/maintenance.js'
import { awaitRelease } from './heroku/release.js'
import { stopWhatRuns } from './heroku/stop.js'
import type { Log } from './log.js'
import { logChanges } from './report/changes.js'
import { type DeployResult, timed } from './result.js'
import type { Settings } from './settings.js'
import type { Shipper } from './ship/shipper.js'
import { CleanupWindow } from './util/cleanup.js'
import { abortable, Deadline } from './util/time.js'
import { type DuringRelease, verifyRelease } from './verify/verify.js'

export interface AppDeps {
  api: HerokuApi
  /** This app's log (prefixed with its name when several apps run side by side). */
  log: Log
  signal?: AbortSignal
  /** After a cancel, the window every cleanup step shares (one from the signal by default). */
  cleanup?: CleanupWindow
  /** First poll interval for builds and releases (ms). */
  pollMs?: number
  /** Reads what a deploy brings from GitHub; absent without a GitHub token. */
  changes?: ChangesReader
}

/**
 * One app, from its rollback point to its verdict: ship (config vars and a build, a push, a slug
 * release, or a pipeline promotion) → release (release phase streamed) → smoke checks, with a
 * rollback of this app alone when they fail. Bounded by its own deadline (`timeout`). Sets the
 * result's status and reason; only a cancel escapes. Beside it, from the release live before
 * anything ships, what the deploy (or the promotion) brings (changes/), which never changes the verdict.
 */
export async function deployApp(settings: Settings, deps: AppDeps, result: DeployResult, shipper: Shipper): Promise<void> {
  const { api, log, signal } = deps
  const cleanup = deps.cleanup ?? new CleanupWindow(signal)
  const ctx: StageContext = {
    api,
    log,
    signal,
    pollMs: deps.pollMs,
    deadline: new Deadline(settings.timeoutMs, `The ${result.promotedFrom ? 'promotion' : 'build'} and release of ${result.app}`)
  }
  // With `maintenance`, every release this run makes (config, deploy, rollback) is in maintenance mode.
  const duringRelease: DuringRelease = settings.maintenance ? (kind, release) => inMaintenance(api, log, result, kind, release, cleanup) : (_kind, release) => release()
  let changes: Promise<void> | undefined
  try {
    await shipper.ready?.(ctx)
    // Read just before anything ships (not before a long wait for the checks): what a failed smoke
    // check rolls back to, and where this deploy's changes start, looked up while the deploy goes on.
    const live = await liveRelease(settings, deps, result)
    // A promotion brings the promoted release's commit, which is the run's only when this run made it.
    const head = result.promotedFrom ? result.promotedFrom.commit : settings.sha
    if (live !== 'unread') changes = findAppChanges({ api, reader: deps.changes, signal }, result, live, head)
    // The build creates the release, so maintenance goes on before the build and off once the release settled.
    await duringRelease('deploy', async () => {
      try {
        const shipped = await shipper.ship(ctx, result)
        result.releaseId = shipped.releaseId
        result.slugId = shipped.slugId
        const release = await timed([result], 'release', () => awaitRelease(ctx, result.app, shipped.releaseId))
        result.releaseVersion = release.version
        result.status = 'success'
        const promoted = result.promotedFrom ? ` (promoted from ${result.promotedFrom.app} v${result.promotedFrom.releaseVersion})` : ''
        log.info(`Released v${release.version} on ${result.app}${promoted}${result.appUrl ? `: ${result.appUrl}` : ''}`)
      } catch (error) {
        // Out of time or cancelled: what still runs on Heroku is stopped before maintenance goes off.
        if (signal?.aborted || error instanceof TimeoutError) {
          await stopWhatRuns(ctx, result, (cleanupCtx) => shipper.startedBuild?.(cleanupCtx, result) ?? Promise.resolve(undefined), cleanup)
        }
        throw error
      }
    })
    await verifyRelease(
      ctx,
      result,
      { checks: settings.smokeChecks, smokeTimeoutMs: settings.smokeTimeoutMs, rollbackOnFailure: settings.rollbackOnFailure, releaseTimeoutMs: settings.timeoutMs, duringRelease },
      (stage, fn, passed) => timed([result], stage, fn, passed)
    )
    if (result.maintenanceError && result.status === 'success') {
      result.status = 'failure'
      result.reason = result.maintenanceError
    }
  } catch (error) {
    // A cancel is a cancel wherever it lands, whatever error the interrupted step threw.
    if (signal?.aborted) {
      // Even a release that went out is not proven when the job stops during the checks.
      result.status = 'cancelled'
      const doing = result.promotedFrom ? 'promoting to' : 'deploying'
      result.reason = `The job was cancelled while ${doing} ${result.app}.${result.mayGoLive ? ` ${capitalize(result.mayGoLive)}.` : ''}`
      throw error instanceof CancelledError ? error : new CancelledError()
    }
    fail(result, error, log)
  }
  await changes
  logChanges(log, result)
}

/**
 * The app's current release, before anything ships: where the changes start and, when Heroku lets a
 * rollback go there (`eligible_for_rollback`: a release that never ran code, such as a first config
 * change, cannot be rolled back to), what a failed smoke check rolls back to; otherwise the reason
 * there is none. Reading it fails the deploy only when a rollback would need it; otherwise the deploy
 * goes on and only its changes are unknown ('unread').
 */
async function liveRelease(settings: Settings, deps: AppDeps, result: DeployResult): Promise<LiveRelease | undefined | 'unread'> {
  try {
    const live = await abortable(currentRelease(deps.api, result.app), deps.signal)
    if (!live) return undefined
    result.previousRelease = { id: live.id, version: live.version }
    if (!live.eligibleForRollback) result.noRollback = `the current release v${live.version} is not eligible for rollback on Heroku`
    return live
  } catch (error) {
    if (deps.signal?.aborted || (settings.smokeChecks.length > 0 && settings.rollbackOnFailure)) throw error
    result.changesUnlisted = `the live release could not be read: ${oneLine(error)}`
    return 'unread'
  }
}

/** Records a failure; the one-line reason reaches the log once, through the step's failure message. */
export function fail(result: DeployResult, error: unknown, log: Log): void {
  result.status = 'failure'
  result.reason = oneLine(error) + (result.mayGoLive ? `; ${result.mayGoLive}` : '')
  if (error instanceof DeployError && error.logTail.length > 0) {
    result.logTail = error.logTail
    result.logTailOf = error.stage === 'release' ? 'release' : 'build'
    log.info(`Last lines of the ${result.logTailOf} output of ${result.app}:\n${error.logTail.slice(-15).join('\n')}`)
  }
}
