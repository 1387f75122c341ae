import * as fs from 'node:fs'
import { CancelledError, DeployError, oneLine } from './errors.js'
import { awaitRequiredChecks } from './gate/checks.js'
import type { GitHubApi } from './github/api.js'
import type { HerokuApi } from './heroku/api.js'
import { runBuild } from './ship/source.js'
import type { StageContext } from './heroku/context.js'
import { preparePush } from './prepare/pushable.js'
import { findPushedRelease, pushToHeroku, releaseOfUnchangedPush } from './ship/push.js'
import { inMaintenance } from './heroku/maintenance.js'
import { awaitRelease } from './heroku/release.js'
import { createSourceArchive } from './prepare/archive.js'
import { uploadSource } from './prepare/upload.js'
import type { Log } from './log.js'
import { GitHubDeployments } from './report/deployment.js'
import { type DeployResult, newResult, type RunResult, type StageName, worstStatus } from './result.js'
import type { Settings } from './settings.js'
import { AFTER_CANCEL_MS, Deadline, withTimeout } from './util/time.js'
import { type DuringRelease, verifyRelease } from './verify/verify.js'

export interface PipelineDeps {
  api: HerokuApi
  /** Needed for `required-checks` and for GitHub deployments. */
  github?: GitHubApi
  log: Log
  signal?: AbortSignal
  /** First poll interval for builds and releases (ms). */
  pollMs?: number
  /** First poll interval for pending required checks (ms). */
  checksPollMs?: number
}

/**
 * One run, once the branch gate let it through: check every app, wait for the required checks, open
 * the GitHub deployments, get the commit to Heroku's builders once (api: package and upload it; git:
 * make it pushable), then on each app in turn build it (api: a build; git: a push), wait for the
 * release and verify it, and close the deployments whatever happened. Never throws: every outcome,
 * cancel included, ends up in the RunResult.
 */
export async function runDeploy(settings: Settings, deps: PipelineDeps): Promise<RunResult> {
  const started = Date.now()
  const results = settings.apps.map(newResult)
  const deployments = deps.github && settings.githubDeployment ? new GitHubDeployments(deps.github, settings, deps.log) : undefined
  let shipper: Shipper | undefined
  try {
    for (const result of results) {
      const app = await deps.api.getApp(result.app)
      result.appUrl = app.web_url ?? undefined
      // Remembered before anything ships: what a failed smoke check rolls back to.
      if (settings.smokeChecks.length > 0 && settings.rollbackOnFailure) result.previousRelease = await currentRelease(deps.api, result.app)
    }
    if (settings.requiredChecks.length > 0) {
      if (!deps.github) throw new Error('required checks need the GitHub API')
      const github = deps.github
      await timed(results, 'checks', () =>
        awaitRequiredChecks(github, settings.sha, settings.requiredChecks, {
          deadline: new Deadline(settings.checksTimeoutMs, 'The required checks'),
          log: deps.log,
          signal: deps.signal,
          pollMs: deps.checksPollMs
        })
      )
    }
    await deployments?.open(results)
    shipper = settings.strategy === 'git' ? await gitShipper(settings, deps, results) : await apiShipper(settings, deps, results)
    for (const result of results) {
      await deployApp(settings, deps, result, shipper)
    }
  } catch (error) {
    markUnfinished(results, error, deps.log)
  } finally {
    await shipper?.dispose()
    await deployments?.close(results, deps.signal?.aborted ?? false)
  }
  return { status: worstStatus(results.map((r) => r.status)), apps: results, durationMs: Date.now() - started }
}

/** How the commit reaches one app's builders; everything from "the release exists" on is shared. */
interface Shipper {
  /** Builds the commit on the app (timing its own stages) and resolves with the id of the release that build made. */
  ship(ctx: StageContext, result: DeployResult): Promise<string>
  dispose(): Promise<void>
}

/** api: the tarball is packaged and uploaded once, then built on each app through the Builds API. */
async function apiShipper(settings: Settings, deps: PipelineDeps, results: DeployResult[]): Promise<Shipper> {
  const archive = await timed(results, 'package', () => createSourceArchive({ sourceDir: settings.sourceDir, sha: settings.sha, tempDir: settings.tempDir, signal: deps.signal }))
  const dispose = () => fs.promises.rm(archive.path, { force: true })
  try {
    deps.log.info(`Packaged ${settings.sha.slice(0, 7)} (${formatBytes(archive.bytes)}, sha256 ${archive.sha256.slice(0, 12)}…).`)
    const source = await deps.api.createSource()
    await timed(results, 'upload', () => uploadSource(archive, source.source_blob.put_url, { signal: deps.signal, onRetry: (message) => deps.log.warning(message) }))
    const request = { sourceUrl: source.source_blob.get_url, version: settings.version, checksum: `SHA256:${archive.sha256}`, description: describeRun(settings) }
    return {
      dispose,
      ship: async (ctx, result) => {
        const { build, releaseId } = await timed([result], 'build', () => runBuild(ctx, { app: result.app, ...request }, (created) => (result.buildId = created.id)))
        result.buildId = build.id
        return releaseId
      }
    }
  } catch (error) {
    await dispose()
    throw error
  }
}

/** git: the commit is made pushable once (history, or a commit of source-dir), then pushed to each app. */
async function gitShipper(settings: Settings, deps: PipelineDeps, results: DeployResult[]): Promise<Shipper> {
  if (settings.version !== settings.sha) {
    deps.log.warning("Input 'version' has no effect with strategy git: Heroku labels a pushed build with its commit.")
  }
  const source = await timed(results, 'package', () =>
    preparePush({
      sourceDir: settings.sourceDir,
      sha: settings.sha,
      log: deps.log,
      signal: deps.signal,
      deadline: new Deadline(settings.timeoutMs, 'Preparing the commit for git push')
    })
  )
  return {
    dispose: async () => undefined,
    ship: async (ctx, result) => {
      const { app } = result
      const before = (await deps.api.latestReleases(app, 1))[0]?.version ?? 0
      const remoteUrl = `${settings.herokuGitUrl}/${encodeURIComponent(app)}.git`
      const pushed = await timed([result], 'push', () => pushToHeroku(ctx, { app, remoteUrl, apiKey: settings.apiKey, source }))
      if (pushed.upToDate) return releaseOfUnchangedPush(ctx, app, source.commit)
      return (await findPushedRelease(ctx, app, source.commit, before)).id
    }
  }
}

/** Build (or push) and release on one app, bounded by the `timeout` input; then verify. Only a cancel escapes. */
async function deployApp(settings: Settings, deps: PipelineDeps, result: DeployResult, shipper: Shipper): Promise<void> {
  const ctx: StageContext = {
    api: deps.api,
    log: deps.log,
    signal: deps.signal,
    pollMs: deps.pollMs,
    deadline: new Deadline(settings.timeoutMs, `The build and release of ${result.app}`)
  }
  // With `maintenance`, every release this run makes (the deploy's, a rollback's) is in maintenance mode.
  const duringRelease: DuringRelease = settings.maintenance
    ? (kind, release) => inMaintenance(deps.api, deps.log, result, kind, release, deps.signal)
    : (_kind, release) => release()
  try {
    // The build creates the release, so maintenance goes on before the build and off once the release settled.
    await duringRelease('deploy', async () => {
      const releaseId = await shipper.ship(ctx, result)
      result.releaseId = releaseId
      const release = await timed([result], 'release', () => awaitRelease(ctx, result.app, releaseId))
      result.releaseVersion = release.version
      result.status = 'success'
      deps.log.info(`Released v${release.version} on ${result.app}${result.appUrl ? `: ${result.appUrl}` : ''}`)
    })
    await verifyRelease(
      ctx,
      result,
      {
        checks: settings.smokeChecks,
        smokeTimeoutMs: settings.smokeTimeoutMs,
        rollbackOnFailure: settings.rollbackOnFailure,
        releaseTimeoutMs: settings.timeoutMs,
        duringRelease
      },
      (stage, fn, passed) => timed([result], stage, fn, passed)
    )
    if (result.maintenanceError && result.status === 'success') {
      result.status = 'failure'
      result.reason = result.maintenanceError
    }
  } catch (error) {
    if (error instanceof CancelledError) {
      // Even a release that went out is not proven when the job stops during the checks.
      result.status = 'cancelled'
      result.reason = `The job was cancelled while deploying ${result.app}.`
      if (result.buildId && result.releaseId === undefined) await cancelBuild(deps, result.app, result.buildId)
      throw error
    }
    fail(result, error, deps.log)
  }
}

// A cancelled job has seconds before the runner's SIGTERM, and the GitHub deployment must still be closed.
const CANCEL_BUILD_MS = AFTER_CANCEL_MS

/** Cancels a build still running on Heroku when the job is cancelled; a failure is only a warning. */
async function cancelBuild(deps: PipelineDeps, app: string, buildId: string): Promise<void> {
  try {
    await withTimeout(deps.api.cancelBuild(app, buildId), CANCEL_BUILD_MS, `Cancelling build ${buildId}`)
    deps.log.info(`Cancelled build ${buildId} on ${app}.`)
  } catch (error) {
    deps.log.warning(`Could not cancel build ${buildId} on ${app} (it may have finished already): ${oneLine(error)}`)
  }
}

async function currentRelease(api: HerokuApi, app: string): Promise<{ id: string; version: number } | undefined> {
  const current = (await api.latestReleases(app, 10)).find((release) => release.current)
  return current ? { id: current.id, version: current.version } : undefined
}

/** Records a failure; the one-line reason reaches the log once, through the step's failure message. */
function fail(result: DeployResult, error: unknown, log: Log): void {
  result.status = 'failure'
  result.reason = oneLine(error)
  if (error instanceof DeployError && error.logTail.length > 0) {
    result.logTail = error.logTail
    result.logTailOf = error.stage === 'release' ? 'release' : 'build'
    log.info(`Last lines of the ${result.logTailOf} output of ${result.app}:\n${error.logTail.slice(-15).join('\n')}`)
  }
}

/** A failure before the per-app stages (access, packaging, upload) or a cancel ends every app not yet done. */
function markUnfinished(results: DeployResult[], error: unknown, log: Log): void {
  const open = results.filter((r) => r.status === 'skipped')
  if (error instanceof CancelledError) {
    for (const result of open) {
      result.status = 'cancelled'
      result.reason = 'The job was cancelled before the deploy finished.'
    }
    log.warning('Cancelled: stopped waiting for Heroku.')
    return
  }
  for (const result of open) fail(result, error, log)
}

/** Runs a stage and records its time and verdict: it failed when it threw or when `passed` says so. */
async function timed<T>(results: DeployResult[], stage: StageName, fn: () => Promise<T>, passed: (value: T) => boolean = () => true): Promise<T> {
  const started = Date.now()
  let ok = false
  try {
    const value = await fn()
    ok = passed(value)
    return value
  } finally {
    for (const result of results) result.stages.push({ stage, ms: Date.now() - started, ok })
  }
}

function describeRun(settings: Settings): string {
  const { repository, runId } = settings.github
  return `Deployed by heroku-cd from ${repository || 'a repository'}@${settings.sha.slice(0, 7)}${runId ? ` (run ${runId})` : ''}`
}

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KiB`
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`
}
