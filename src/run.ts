import { ChangesReader } from './changes/changes.js'
import { deployApp, fail } from './deploy-app.js'
import { CancelledError } from './errors.js'
import { lookUpApps } from './gate/access.js'
import { gateReason } from './gate/branch.js'
import { awaitRequiredChecks } from './gate/checks.js'
import { branchNodeGate, type TakenNode } from './gate/nodes.js'
import { checkPromotion, type PromotionPlan } from './gate/pipeline.js'
import type { GitHubApi } from './github/api.js'
import type { HerokuApi } from './heroku/api.js'
import { appLog, type Log } from './log.js'
import { dryRun } from './plan.js'
import { withConfigVars } from './prepare/config-vars.js'
import { packageAhead } from './prepare/ahead.js'
import { describeRun, prepare, type Prepared } from './prepare/prepare.js'
import { notPromoted, promoteToTargets } from './promote.js'
import { GitHubDeployments } from './report/deployment.js'
import { type DeployResult, newResult, type RunResult, timed, worstStatus } from './result.js'
import { deployedApps, type Settings } from './settings.js'
import type { Shipper } from './ship/shipper.js'
import { BuiltSlug } from './ship/slug.js'
import { CleanupWindow } from './util/cleanup.js'
import { inPool } from './util/pool.js'
import { Deadline } from './util/time.js'

export interface RunDeps {
  api: HerokuApi
  /** Needed for `required-checks` and for GitHub deployments. */
  github?: GitHubApi
  log: Log
  signal?: AbortSignal
  /** After a cancel, the window every cleanup step shares (one from the signal by default). */
  cleanup?: CleanupWindow
  /** Reports the run's result (summary, notifications), side by side with closing the GitHub deployments. */
  announce?: (run: RunResult) => Promise<void>
  /** First poll interval for builds and releases (ms). */
  pollMs?: number
  /** First poll interval for pending required checks (ms). */
  checksPollMs?: number
}

/**
 * One run of the action:
 *   gate (branch, event; with branch-nodes, the pool becomes one claimed node) → look up every app, and
 *   the pipeline of `promote-to` → [dry run: the plan, and stop] → required checks → GitHub deployments
 *   opened → prepare once (package + upload, or a pushable commit) → each app in a bounded pool (config →
 *   ship → release → verify) → promote the verified release (or `promote-release`'s) to the targets
 *   (promote → release → verify, each) → deployments closed.
 * Never throws: every outcome, cancel included, ends up in the RunResult, which main.ts reports.
 */
export async function runDeploy(settings: Settings, deps: RunDeps): Promise<RunResult> {
  const skip = gateReason(settings.target, settings.branch, settings.eventName)
  if (skip) {
    // The gate said no: not a single Heroku or GitHub request.
    deps.log.notice(skip)
    return { status: 'skipped', apps: resultsFor(settings), reason: skip, durationMs: 0 }
  }
  if (!settings.branchNodes) return deploy(settings, deps)
  const node = await branchNodeGate(settings, deps)
  if ('done' in node) return node.done
  return deploy(node.settings, deps, node)
}

/** One result per app: the apps deployed first, then the promotion's targets. */
function resultsFor(settings: Settings): DeployResult[] {
  return [...deployedApps(settings), ...settings.promoteTo].map(newResult)
}

/**
 * Deploys to every app of the settings (with branch nodes, to the one node, whose claim is its GitHub
 * deployment), then promotes to the targets of `promote-to`.
 */
async function deploy(settings: Settings, deps: RunDeps, node?: TakenNode): Promise<RunResult> {
  const started = Date.now()
  const results = resultsFor(settings)
  const sources = results.slice(0, deployedApps(settings).length)
  const targets = results.slice(sources.length)
  const branchNode = node ? { branchNode: node.report } : {}
  if (settings.dryRun) return { ...(await dryRun(settings, deps, results)), ...branchNode }
  if (node?.deploymentId !== undefined) results[0].deploymentId = node.deploymentId

  const cleanup = deps.cleanup ?? new CleanupWindow(deps.signal)
  const deployments = deps.github && settings.githubDeployment ? new GitHubDeployments(deps.github, settings, deps.log, { signal: deps.signal, cleanup }) : undefined
  let prepared: Prepared | undefined
  const logFor = (result: DeployResult): Log => (results.length > 1 ? appLog(deps.log, result.app) : deps.log)
  // One reader for the run: apps (and promotion targets) on the same range share its look-ups.
  const changes = changesReader(settings, deps)
  // api: packaging (local work) runs while the apps are looked up and the checks waited for.
  const ahead =
    settings.strategy === 'api' && sources.length > 0 ? packageAhead({ sourceDir: settings.sourceDir, sha: settings.sha, tempDir: settings.tempDir }, deps.signal) : undefined
  try {
    const promotion = await checkPromotion(settings, deps.api, await lookUpApps(settings, deps, results))
    await requiredChecks(settings, deps, results)
    if (sources.length > 0) {
      await deployments?.open(sources)
      prepared = await prepare(settings, deps, sources, ahead)
      const shippers = shippersFor(settings, deps.log, prepared.shipper, sources)
      await inPool(sources, settings.maxParallel, (result, index) => deployApp(settings, { ...deps, cleanup, changes, log: logFor(result) }, result, shippers[index]), deps.signal)
    }
    if (deps.signal?.aborted) throw new CancelledError()
    if (promotion) await promote(settings, { ...deps, cleanup, changes, deployments, logFor }, promotion, sources[0], targets)
    if (deps.signal?.aborted) throw new CancelledError()
  } catch (error) {
    markUnfinished(results, error, deps.log, deps.signal)
  } finally {
    await prepared?.dispose()
    await ahead?.dispose()
  }
  const run: RunResult = { status: worstStatus(results.map((r) => r.status)), apps: results, durationMs: Date.now() - started, ...branchNode }
  // After a cancel both share what is left of the cleanup window: side by side, not one after the other.
  await Promise.all([deployments?.close(results, deps.signal?.aborted ?? false), deps.announce?.(run)])
  return run
}

async function requiredChecks(settings: Settings, deps: RunDeps, results: DeployResult[]): Promise<void> {
  if (settings.requiredChecks.length === 0) return
  const github = deps.github
  if (!github) throw new Error('required checks need the GitHub API')
  // A pull request's checks run on its head, not on the merge commit the job checked out.
  const sha = settings.branchNodes ? (settings.target.pullRequest?.headSha ?? settings.sha) : settings.sha
  await timed(results, 'checks', () =>
    awaitRequiredChecks(github, sha, settings.requiredChecks, {
      deadline: new Deadline(settings.checksTimeoutMs, 'The required checks'),
      log: deps.log,
      signal: deps.signal,
      pollMs: deps.checksPollMs
    })
  )
}

/**
 * `promote-to`: the release this run made and verified on the app (only when it passed), or
 * `promote-release`'s, checked before anything shipped.
 */
async function promote(
  settings: Settings,
  deps: Parameters<typeof promoteToTargets>[1],
  plan: PromotionPlan,
  source: DeployResult | undefined,
  targets: DeployResult[]
): Promise<void> {
  let release = plan.release
  if (!release && source) {
    if (source.status !== 'success' || source.releaseId === undefined || source.releaseVersion === undefined) {
      for (const target of targets) target.reason = notPromoted(source)
      deps.log.warning(notPromoted(source))
      return
    }
    release = { app: source.app, releaseId: source.releaseId, releaseVersion: source.releaseVersion, commit: settings.sha }
  }
  if (!release) throw new Error('nothing to promote: no release was made or given')
  await promoteToTargets(settings, deps, plan.route, release, targets)
}

/** What each deploy brings is read from the repository on GitHub: with a token, of an owner/name repository. */
function changesReader(settings: Settings, deps: RunDeps): ChangesReader | undefined {
  const { repository, serverUrl } = settings.github
  if (!deps.github || !/^[^/\s]+\/[^/\s]+$/.test(repository)) return undefined
  return new ChangesReader(deps.github, `${serverUrl}/${repository}`, deps.log)
}

/** Every app builds, or with build-once the first builds and the others release its slug; config vars are set first. */
function shippersFor(settings: Settings, log: Log, shipper: Shipper, results: readonly DeployResult[]): Shipper[] {
  return shipperPerApp(settings, log, shipper, results).map((each) => withConfigVars(each, settings.configVars))
}

function shipperPerApp(settings: Settings, log: Log, shipper: Shipper, results: readonly DeployResult[]): Shipper[] {
  if (!settings.buildOnce) return results.map(() => shipper)
  const first = results[0]?.app ?? ''
  log.info(
    `build-once: building on ${first} only; ${results
      .slice(1)
      .map((r) => r.app)
      .join(', ')} release that build's slug. Build-time config (config vars the build reads) is ${first}'s for every app.`
  )
  const built = new BuiltSlug(first)
  const description = `${describeRun(settings)}, built on ${first}`
  return results.map((_, index) => (index === 0 ? built.source(shipper) : built.release(description)))
}

/** A failure before the per-app stages (access, checks, packaging, upload) or a cancel ends every app not yet done. */
function markUnfinished(results: DeployResult[], error: unknown, log: Log, signal?: AbortSignal): void {
  const open = results.filter((r) => r.status === 'skipped')
  if (signal?.aborted || error instanceof CancelledError) {
    for (const result of open) {
      result.status = 'cancelled'
      // A deployment that may exist with no final state is said where the cancel is.
      result.reason = `The job was cancelled before the deploy finished.${result.deploymentUnsettled ? ` ${result.deploymentUnsettled}` : ''}`
    }
    log.warning('Cancelled: stopped waiting for Heroku.')
    return
  }
  for (const result of open) fail(result, error, log)
}
