import type { RunResult } from '../result.js'
import type { GitHubRun } from '../settings.js'
import { smokeJson } from './outputs.js'

/** Where and what was deployed, for links and words in every report. */
export interface RunContext {
  sha?: string
  /** First line of the commit message. */
  commitTitle?: string
  github?: GitHubRun
}

export function runUrl(github?: GitHubRun): string | undefined {
  return github?.repository && github.runId ? `${github.serverUrl}/${github.repository}/actions/runs/${github.runId}` : undefined
}

export function commitUrl(sha: string, github?: GitHubRun): string | undefined {
  return github?.repository ? `${github.serverUrl}/${github.repository}/commit/${sha}` : undefined
}

/** What a person should know or do next, for each way a run can end. */
export const NEXT_STEP: Record<RunResult['status'], string> = {
  success: 'The new release is live.',
  failure: 'Nothing new is live from this run; fix the cause below and push again.',
  'rolled-back': 'The new release failed its smoke checks and the app was rolled back to the previous release; fix the cause and push again.',
  skipped: 'Nothing was deployed.',
  'dry-run': 'Nothing was changed: this was a dry run.',
  cancelled: 'The job was cancelled while deploying: check the app on Heroku before deploying again.'
}

/**
 * The run as JSON, the body of the generic webhook (its schema is documented in the README).
 * A pure function of the result, so the same facts reach every receiver.
 */
export function webhookBody(run: RunResult, context: RunContext): Record<string, unknown> {
  const github = context.github
  return {
    schema: 'heroku-cd/v1',
    status: run.status,
    summary: NEXT_STEP[run.status],
    reason: run.reason ?? null,
    repository: github?.repository || null,
    ref: github?.ref || null,
    actor: github?.actor || null,
    run_url: runUrl(github) ?? null,
    commit: context.sha ? { sha: context.sha, title: context.commitTitle ?? null, url: commitUrl(context.sha, github) ?? null } : null,
    duration_seconds: Math.round(run.durationMs / 100) / 10,
    apps: run.apps.map((app) => ({
      app: app.app,
      status: app.status,
      reason: app.reason ?? null,
      app_url: app.appUrl ?? null,
      build_id: app.buildId ?? null,
      release_id: app.releaseId ?? null,
      release_version: app.releaseVersion ?? null,
      rollback: app.rollback ? { to_version: app.previousRelease?.version ?? null, release_version: app.rollback.releaseVersion, healthy: app.rollback.healthy } : null,
      smoke: smokeJson(app.smoke),
      timings_ms: Object.fromEntries(app.stages.map((stage) => [stage.stage, stage.ms]))
    }))
  }
}
