import { describeChoice } from '../gate/nodes.js'
import type { BranchNodeReport, DeployResult, RunResult } from '../result.js'
import type { GitHubRun } from '../settings.js'
import { unlistedCount } from './changes.js'
import { promotedJson, smokeJson } from './outputs.js'

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

/** An app whose new release is live although it fails its smoke checks: not rolled back (off, impossible, or failed). */
export function liveButFailing(app: DeployResult): boolean {
  return app.status === 'failure' && app.releaseVersion !== undefined && app.smoke.some((r) => !r.passed) && !app.rollback
}

/** What the run did with the branch nodes, in a sentence; undefined without branch-nodes. */
export function branchNodeSentence(report: BranchNodeReport | undefined): string | undefined {
  if (!report) return undefined
  const pr = `Pull request #${report.pullRequest.number}`
  if (report.freed) return `${pr} closed: ${report.node} is free for the next pull request.`
  if (!report.node) return `${pr}: no branch node was taken.`
  return `${pr} got ${describeChoice(report)}.`
}

/** The headline's subject: the apps, or with branch nodes the pull request on its node. */
export function subject(run: RunResult): string {
  const report = run.branchNode
  if (report?.node) return `#${report.pullRequest.number} on ${report.node}`
  if (report) return `#${report.pullRequest.number}`
  return run.apps.map((a) => a.app).join(', ')
}

/** What happened and what a person should do next, for each way a run can end. */
export function nextStep(run: RunResult): string {
  const stuck = run.apps.filter((a) => a.maintenanceError)
  const first = stuck.length > 0 ? `Maintenance mode is still on for ${names(stuck)}: turn it off by hand now (Heroku dashboard → Settings). ` : ''
  return first + mayStillGoLive(run) + statusStep(run)
}

/** Said first and plainly: what this run started on Heroku and could not stop. */
function mayStillGoLive(run: RunResult): string {
  const open = run.apps.filter((a) => a.mayGoLive)
  if (open.length === 0) return ''
  return `A release of this run may still go live on ${names(open)} (${open.map((a) => a.mayGoLive).join('; ')}): check the app on Heroku before deploying again. `
}

function statusStep(run: RunResult): string {
  switch (run.status) {
    case 'success':
      return 'The new release is live.'
    case 'failure': {
      const broken = run.apps.filter(liveButFailing)
      if (broken.length > 0) return `The new release is live on ${names(broken)} but fails its smoke checks and was not rolled back: roll it back or fix it now.`
      const live = run.apps.filter((a) => a.releaseVersion !== undefined && !a.rollback)
      if (live.length === run.apps.length && live.length > 0) return 'The new release is live; fix the cause below.'
      if (live.length > 0) return `The new release is live on ${names(live)} only; fix the cause below and deploy again.`
      if (run.apps.some((a) => a.mayGoLive)) return 'Fix the cause below and push again.'
      return 'Nothing new is live from this run; fix the cause below and push again.'
    }
    case 'rolled-back':
      if (run.apps.some((a) => a.rollback && !a.rollback.healthy)) {
        return 'The new release failed its smoke checks and was rolled back, but the app fails them after the rollback too: it needs attention now.'
      }
      return 'The new release failed its smoke checks and the app was rolled back to the previous release, which passes them; fix the cause and push again.'
    case 'cancelled':
      return 'The job was cancelled while deploying: check each app on Heroku (its current release, maintenance mode) before deploying again.'
    case 'skipped':
      if (run.branchNode?.freed) return `Nothing was deployed: the pull request closed, and ${run.branchNode.node} is free for the next one.`
      return 'Nothing was deployed. This run did not meet the conditions the inputs set (see why); nothing to do unless this commit should have gone out.'
    case 'dry-run':
      return 'Nothing was changed: this was a dry run.'
  }
}

function names(apps: readonly DeployResult[]): string {
  return apps.map((a) => a.app).join(', ')
}

/** What the deploy brings to the app, for machines: every listed commit with its pull request. */
function changesJson(app: DeployResult): Record<string, unknown> | null {
  const changes = app.changes
  if (!changes) return null
  const pulls = new Map(changes.pullRequests.map((pr) => [pr.number, { number: pr.number, title: pr.title, author: pr.author, url: pr.url }]))
  return {
    base: changes.base,
    head: changes.head,
    status: changes.status,
    ahead_by: changes.aheadBy,
    behind_by: changes.behindBy,
    compare_url: changes.compareUrl,
    commits: changes.commits.map((commit) => ({
      sha: commit.sha,
      title: commit.title,
      author: commit.login ?? commit.name,
      author_login: commit.login,
      pull_request: (commit.pullRequest !== null && pulls.get(commit.pullRequest)) || null
    })),
    commits_not_listed: unlistedCount(changes),
    pull_requests: [...pulls.values()],
    pull_requests_missing: changes.pullRequestsMissing ?? null
  }
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
    summary: nextStep(run),
    reason: run.reason ?? null,
    repository: github?.repository || null,
    ref: github?.ref || null,
    actor: github?.actor || null,
    run_url: runUrl(github) ?? null,
    commit: context.sha ? { sha: context.sha, title: context.commitTitle ?? null, url: commitUrl(context.sha, github) ?? null } : null,
    pull_request: run.branchNode
      ? { number: run.branchNode.pullRequest.number, title: run.branchNode.pullRequest.title ?? null, url: run.branchNode.pullRequest.url ?? null }
      : null,
    branch_node: run.branchNode
      ? {
          node: run.branchNode.node ?? null,
          environment: run.branchNode.environment,
          choice: run.branchNode.choice ?? null,
          evicted: run.branchNode.evicted ? { pull_request: run.branchNode.evicted.pullRequest, deployed_at: run.branchNode.evicted.deployedAt } : null,
          freed: run.branchNode.freed ?? false
        }
      : null,
    duration_seconds: Math.round(run.durationMs / 100) / 10,
    apps: run.apps.map((app) => ({
      app: app.app,
      status: app.status,
      reason: app.reason ?? null,
      app_url: app.appUrl ?? null,
      build_id: app.buildId ?? null,
      built_on: app.builtOn ?? null,
      promoted_from: app.promotedFrom ? promotedJson(app.promotedFrom) : null,
      release_id: app.releaseId ?? null,
      release_version: app.releaseVersion ?? null,
      deployment_id: app.deploymentId ?? null,
      config_keys: app.configKeys ?? [],
      may_go_live: app.mayGoLive ?? null,
      previous_release_version: app.previousRelease?.version ?? null,
      previous_commit: app.previousCommit ?? null,
      changes: changesJson(app),
      changes_unlisted: app.changes ? null : (app.changesUnlisted ?? null),
      rollback: app.rollback
        ? { to_version: app.previousRelease?.version ?? null, release_version: app.rollback.releaseVersion, healthy: app.rollback.healthy, smoke: smokeJson(app.rollback.smoke) }
        : null,
      smoke: smokeJson(app.smoke),
      // A list, not a map: after a rollback `verify` runs twice, and the order is the story.
      timings: app.stages.map((stage) => ({ stage: stage.stage, ms: stage.ms, ok: stage.ok }))
    }))
  }
}
