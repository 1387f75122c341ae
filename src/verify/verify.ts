import { oneLine } from '../errors.js'
import type { StageContext } from '../heroku/context.js'
import type { ReleaseKind } from '../heroku/maintenance.js'
import { awaitRelease } from '../heroku/release.js'
import type { HerokuRelease } from '../heroku/types.js'
import type { DeployResult } from '../result.js'
import { Deadline } from '../util/time.js'
import type { SmokeCheck } from './smoke-grammar.js'
import { describe, runSmokeChecks, type SmokeResult } from './smoke.js'

export interface VerifyOptions {
  checks: readonly SmokeCheck[]
  smokeTimeoutMs: number
  rollbackOnFailure: boolean
  /** Bounds the rollback's release, like the deploy's. */
  releaseTimeoutMs: number
  /** Wraps the rollback's release as the deploy's was (maintenance mode); runs it as is by default. */
  duringRelease?: DuringRelease
}

/** Runs a release inside whatever must surround every release the run makes. */
export type DuringRelease = <T>(kind: ReleaseKind, release: () => Promise<T>) => Promise<T>

/**
 * Proves the new release works: the smoke checks against the live app until they pass or time out.
 * When they fail, rolls back to the release that was current before (if allowed and there is one),
 * waits for that release like any other, and checks it again. Sets the result's status and reason.
 */
export async function verifyRelease(ctx: StageContext, result: DeployResult, options: VerifyOptions, timed: Timed): Promise<void> {
  const appUrl = result.appUrl
  if (options.checks.length === 0) return
  if (!appUrl) {
    result.status = 'failure'
    result.reason = `Smoke checks cannot run on ${result.app}: Heroku reported no web_url for it.`
    return
  }
  const smoke = (what: string) =>
    ctx.log.group(`Smoke checks ${what} (${result.app})`, () =>
      runSmokeChecks(options.checks, appUrl, { deadline: new Deadline(options.smokeTimeoutMs, `The smoke checks of ${result.app}`), log: ctx.log, signal: ctx.signal })
    )
  result.smoke = await timed('verify', () => smoke(`of v${result.releaseVersion}`), allPassed)
  const failing = firstFailure(result.smoke)
  // Another run (or a person) may have released on the app while the checks ran.
  const since = await releasedSince(ctx, result)
  if (!failing) {
    if (since?.status === 'succeeded') {
      const other = `v${since.version}${since.description ? ` (${since.description})` : ''}`
      result.status = 'failure'
      result.reason = `v${result.releaseVersion} on ${result.app} was superseded by ${other} while its smoke checks ran: they may have checked v${since.version}, so v${result.releaseVersion} is not proven`
    }
    return
  }

  const why = `Smoke checks failed on ${result.app} v${result.releaseVersion}: ${describe(failing)}`
  // The release live before the deploy, unless Heroku refuses a rollback to it (noRollback says why).
  const previous = result.noRollback === undefined ? result.previousRelease : undefined
  if (!options.rollbackOnFailure) {
    result.status = 'failure'
    result.reason = `${why} (rollback-on-failure is off: v${result.releaseVersion} stays live)`
    return
  }
  if (!previous) {
    result.status = 'failure'
    result.reason = `${why}; ${result.noRollback ? `not rolled back: ${result.noRollback}` : 'there is no earlier release to roll back to'}`
    return
  }
  if (since) {
    // A rollback would replace the other release with an older one: neither run's release would be live.
    result.status = 'failure'
    result.reason = `${why}; not rolled back: v${since.version}${since.description ? ` (${since.description})` : ''} was released on ${result.app} since, and a rollback to v${previous.version} would undo it`
    return
  }
  ctx.log.warning(`${why}. Rolling back to v${previous.version}.`)
  try {
    const rollbackCtx = { ...ctx, deadline: new Deadline(options.releaseTimeoutMs, `The rollback of ${result.app}`) }
    const duringRelease: DuringRelease = options.duringRelease ?? ((_kind, release) => release())
    const release = await timed('rollback', () =>
      duringRelease('rollback', async () => awaitRelease(rollbackCtx, result.app, (await ctx.api.rollback(result.app, previous.id)).id))
    )
    const after = await timed('verify', () => smoke(`after the rollback to v${previous.version}`), allPassed)
    const healthy = allPassed(after)
    result.rollback = { releaseVersion: release.version, healthy, smoke: after }
    result.status = 'rolled-back'
    result.reason = `${why}; rolled back to v${previous.version} (now v${release.version}), which ${healthy ? 'passes its smoke checks' : 'fails its smoke checks too'}`
  } catch (error) {
    if (ctx.signal?.aborted) throw error
    result.status = 'failure'
    result.reason = `${why}; the rollback to v${previous.version} failed: ${oneLine(error)}`
  }
}

export type Timed = <T>(stage: 'verify' | 'rollback', fn: () => Promise<T>, passed?: (value: T) => boolean) => Promise<T>

/**
 * The newest release made on the app after this deploy's, live or on its way (not failed): another
 * run's or a person's, since this run makes none between its release and the checks. Unknown (a
 * warning) when Heroku cannot be read: the checks' verdict then stands as it is.
 */
async function releasedSince(ctx: StageContext, result: DeployResult): Promise<HerokuRelease | undefined> {
  const ours = result.releaseVersion
  if (ours === undefined) return undefined
  try {
    const recent = await ctx.api.latestReleases(result.app, 10)
    return recent.find((release) => release.version > ours && (release.status === 'succeeded' || release.status === 'pending'))
  } catch (error) {
    if (ctx.signal?.aborted) throw error
    ctx.log.warning(`Could not tell whether another release went out on ${result.app} during the smoke checks: ${oneLine(error)}`)
    return undefined
  }
}

function allPassed(results: SmokeResult[]): boolean {
  return results.every((r) => r.passed)
}

function firstFailure(results: SmokeResult[]): SmokeResult | undefined {
  return results.find((r) => !r.passed)
}
