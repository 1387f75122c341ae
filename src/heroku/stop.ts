import { oneLine } from '../errors.js'
import type { DeployResult } from '../result.js'
import type { CleanupWindow } from '../util/cleanup.js'
import { pollUntil } from '../util/poll.js'
import { Deadline, TimeoutError, withTimeout } from '../util/time.js'
import type { StageContext } from './context.js'
import type { HerokuBuild, HerokuRelease } from './types.js'

// After a timeout (the job goes on), stopping gets this long; after a cancel, the first third of the
// cleanup window: maintenance mode goes off in the second, the deployments and notifications in the last.
const STOP_AFTER_TIMEOUT_MS = 30_000
// How long a stopped release phase gets to show as failed.
const SETTLE_MS = 3000

/**
 * After a timeout or a cancel, stops what this deploy still runs on Heroku, before maintenance mode
 * goes off: a pending build is cancelled (the build a push started too, found by its commit), and a
 * release phase still running is stopped (its one-off `release` dyno), so that its release fails
 * instead of going live after the step said it did not. Whatever cannot be stopped is said, in
 * `result.mayGoLive`, so that no report claims that nothing is live. Never throws.
 */
export async function stopWhatRuns(
  ctx: StageContext,
  result: DeployResult,
  started: (ctx: StageContext) => Promise<HerokuBuild | undefined>,
  cleanup: CleanupWindow
): Promise<void> {
  const what = `Stopping what the deploy of ${result.app} started on Heroku`
  // Every call runs although the job may be cancelled, within the cleanup window.
  const step = stop({ ...ctx, api: ctx.api.forCleanup() }, result, started)
  try {
    await (cleanup.started ? cleanup.bound(step, what, 1 / 3) : withTimeout(step, STOP_AFTER_TIMEOUT_MS, what))
  } catch (error) {
    result.mayGoLive ??= `what the deploy started on ${result.app} could not be stopped (${oneLine(error)}): a release of it may still go live`
    ctx.log.warning(`${what} failed: ${result.mayGoLive}.`)
  }
}

async function stop(ctx: StageContext, result: DeployResult, started: (ctx: StageContext) => Promise<HerokuBuild | undefined>): Promise<void> {
  const { api, log } = ctx
  const { app } = result
  let releaseId = result.releaseId
  if (releaseId === undefined) {
    const build = result.buildId ? await api.getBuild(app, result.buildId) : await started(ctx)
    if (!build || build.status === 'failed') return // nothing of it can go live
    if (build.status === 'pending') {
      const cancelled = await api.cancelBuild(app, build.id).then(
        () => undefined,
        (error: unknown) => oneLine(error)
      )
      const after = await api.getBuild(app, build.id)
      if (after.status === 'failed') return log.info(`Cancelled build ${build.id} on ${app}: it will not release.`)
      if (after.status === 'pending') {
        result.mayGoLive = `build ${build.id} on ${app} could not be cancelled${cancelled ? ` (${cancelled})` : ''} and may still release`
        return
      }
      releaseId = after.release?.id ?? undefined
    } else {
      releaseId = build.release?.id ?? undefined
    }
    if (!releaseId) {
      result.mayGoLive = `build ${build.id} on ${app} finished building before it could be cancelled: its release may still go live`
      return
    }
  }
  await stopRelease(ctx, result, await api.getRelease(app, releaseId))
}

/** A release still in its release phase is stopped by stopping the phase's dyno: the release then fails. */
async function stopRelease(ctx: StageContext, result: DeployResult, release: HerokuRelease): Promise<void> {
  const { api, log } = ctx
  const { app } = result
  if (release.status === 'succeeded') {
    result.mayGoLive = `v${release.version} went live on ${app} before it could be stopped`
    return
  }
  if (release.status !== 'pending') return
  const phase = (await api.listDynos(app)).find((dyno) => dyno.type === 'release' && (!dyno.release || dyno.release.id === release.id))
  if (phase) await api.stopDyno(app, phase.id).catch(() => undefined)
  const now = await pollUntil(
    () => api.getRelease(app, release.id),
    (read) => read.status !== 'pending',
    { deadline: new Deadline(SETTLE_MS, `The stopped release phase of v${release.version}`), intervalMs: 250, maxIntervalMs: 250 }
  ).catch((error: unknown) => {
    if (error instanceof TimeoutError) return undefined
    throw error
  })
  if (now?.status === 'failed' || now?.status === 'expired') return log.info(`Stopped the release phase of v${now.version} on ${app}: it will not go live.`)
  if (now?.status === 'succeeded') {
    result.mayGoLive = `v${now.version} went live on ${app} before it could be stopped`
    return
  }
  result.mayGoLive = `the release phase of v${release.version} on ${app} could not be stopped${phase ? '' : ' (Heroku listed no release dyno)'}: v${release.version} may still go live`
}
