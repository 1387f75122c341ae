import { Outputs } from '../constants.js'
import type { PromotedRelease, RunResult } from '../result.js'
import type { SmokeResult } from '../verify/smoke.js'

/** Smoke results as every JSON report shows them (the `results` output, the webhook). */
export function smokeJson(results: readonly SmokeResult[]): Record<string, unknown>[] {
  return results.map((r) => ({ check: r.check, url: r.url, status: r.status, passed: r.passed, latency_ms: r.latencyMs }))
}

/** A promoted release as every JSON report shows it (`results`, the webhook). */
export function promotedJson(from: PromotedRelease): Record<string, unknown> {
  return { app: from.app, release_id: from.releaseId, release_version: from.releaseVersion, commit: from.commit ?? null }
}

/** The step's outputs, as the interface defines them; values are strings ('' when unknown). */
export function outputsOf(run: RunResult): Record<string, string> {
  const first = run.apps[0]
  return {
    [Outputs.Status]: run.status,
    [Outputs.AppUrl]: first?.appUrl ?? '',
    [Outputs.ReleaseVersion]: first?.releaseVersion === undefined ? '' : String(first.releaseVersion),
    [Outputs.ReleaseId]: first?.releaseId ?? '',
    [Outputs.BuildId]: first?.buildId ?? '',
    [Outputs.DeploymentId]: first?.deploymentId === undefined ? '' : String(first.deploymentId),
    [Outputs.Results]: JSON.stringify(
      run.apps.map((app) => ({
        app: app.app,
        status: app.status,
        release_version: app.releaseVersion ?? null,
        release_id: app.releaseId ?? null,
        build_id: app.buildId ?? null,
        ...(app.builtOn ? { built_on: app.builtOn } : {}),
        ...(app.promotedFrom ? { promoted_from: promotedJson(app.promotedFrom) } : {}),
        app_url: app.appUrl ?? null,
        deployment_id: app.deploymentId ?? null,
        previous_commit: app.previousCommit ?? null,
        smoke: smokeJson(app.smoke),
        ...(app.rollback
          ? { rolled_back_to: app.previousRelease?.version ?? null, rollback_release_version: app.rollback.releaseVersion, healthy_after_rollback: app.rollback.healthy }
          : {}),
        ...(app.reason ? { reason: app.reason } : {})
      }))
    ),
    [Outputs.Duration]: (Math.round(run.durationMs / 100) / 10).toString(),
    [Outputs.PreviousCommit]: first?.previousCommit ?? ''
  }
}

/** The one-line reason the step fails with, or undefined when it does not fail. */
export function failureMessage(run: RunResult): string | undefined {
  if (run.reason) return run.reason
  const reasons = new Set(run.apps.filter((app) => app.reason && app.status !== 'success').map((app) => app.reason))
  return reasons.size > 0 ? [...reasons].join('; ') : undefined
}
