import type { Changes } from './changes/changes.js'
import type { StageName, StageTiming } from './stage.js'
import type { SmokeResult } from './verify/smoke.js'

/** What happened to one app, and to the run. One DeployResult per app travels through the stages. */
export type DeployStatus = 'success' | 'failure' | 'rolled-back' | 'skipped' | 'dry-run' | 'cancelled'

export interface DeployResult {
  app: string
  status: DeployStatus
  appUrl?: string
  buildId?: string
  /** With build-once, on every app but the first: the app whose build made the slug released here. */
  builtOn?: string
  slugId?: string
  /** On a promotion target: the app and release promoted to it. */
  promotedFrom?: PromotedRelease
  releaseId?: string
  releaseVersion?: number
  /** The GitHub deployment that records this deploy, once created. */
  deploymentId?: number
  /**
   * Set when the create of that deployment got no answer and what it may have made was not found (a
   * cancel while it was sent): a deployment of this run may exist with no final state, in words.
   */
  deploymentUnsettled?: string
  /** One line: what went wrong, with Heroku's own message. */
  reason?: string
  /** The last lines of the build or release output, when it failed. */
  logTail: string[]
  /** Which output `logTail` comes from. */
  logTailOf?: 'build' | 'release'
  stages: StageTiming[]
  /** The last round of smoke checks against the new release. */
  smoke: SmokeResult[]
  /** The release that was current before this deploy, remembered before anything shipped. */
  previousRelease?: { id: string; version: number }
  /** The commit that release ran (its slug's), when Heroku says. */
  previousCommit?: string
  /** What this deploy brings: the commits from previousCommit to the deployed one, with their pull requests. */
  changes?: Changes
  /** Why the changes are not listed (no earlier release, a release of unknown commit, GitHub refused…). */
  changesUnlisted?: string
  /** Why previousRelease is no rollback target, when Heroku refuses rollbacks to it. */
  noRollback?: string
  /** Set when the deploy was rolled back: the new release, and whether its smoke checks passed. */
  rollback?: { releaseVersion: number; healthy: boolean; smoke: SmokeResult[] }
  /**
   * Set when a timeout or a cancel left something of this deploy on Heroku that could not be stopped
   * (a build that released anyway, a release phase still running): what may still go live, in words.
   */
  mayGoLive?: string
  /** Set, loudly, when maintenance mode could not be turned off again. */
  maintenanceError?: string
  /** The config vars set on the app before its build (names only: values are secrets). */
  configKeys?: string[]
}

/** A release of one app, promoted down its pipeline. */
export interface PromotedRelease {
  app: string
  releaseId: string
  releaseVersion: number
  /** The commit it runs, when known: what the targets' GitHub deployments record. */
  commit?: string
}

export interface RunResult {
  status: DeployStatus
  apps: DeployResult[]
  /** The run's reason when it failed before any app was tried (packaging, bad input). */
  reason?: string
  durationMs: number
  /** What a dry run would have done. */
  plan?: Plan
  /** With branch-nodes: the pull request, and the node it got (or freed). */
  branchNode?: BranchNodeReport
}

/** How a pull request's branch node was chosen: the one it held, a free one, or one taken from another pull request. */
export type NodeChoiceKind = 'held' | 'free' | 'evicted'

export interface BranchNodeReport {
  pullRequest: { number: number; title?: string; url?: string }
  /** The GitHub environment of the pull request's deployments (`pr-12`). */
  environment: string
  /** The node deployed to (or, when the pull request closed, freed). */
  node?: string
  choice?: NodeChoiceKind
  /** With `evicted`: the pull request that lost the node, and when it was last deployed there. */
  evicted?: { pullRequest: number; deployedAt: string }
  /** The pull request closed and its node was freed. */
  freed?: boolean
}

/** A dry run's answer: what a real run with these inputs would do, checked as far as reading can. */
export interface Plan {
  sha: string
  strategy: 'api' | 'git'
  /** api: the size of the tarball that would be uploaded, measured by packaging it. */
  uploadBytes?: number
  /** git: the commit that would be pushed (for a source-dir, a commit of that folder alone). */
  pushCommit?: string
  /** The apps deployed (not the promotion's targets). */
  apps: { app: string; url?: string; stack?: string }[]
  /** `promote-to`: along which pipeline, from where to where; with `promote-release`, which release. */
  promotion?: {
    pipeline: string
    from: string
    fromStage: string
    release?: { id: string; version: number }
    targets: { app: string; stage: string }[]
  }
  buildOnce: boolean
  maxParallel: number
  configKeys: string[]
  buildpacks: string[]
  smokeChecks: string[]
  requiredChecks: string[]
}

// Worst first: the run reports the worst status of its apps.
const SEVERITY: DeployStatus[] = ['cancelled', 'failure', 'rolled-back', 'success', 'dry-run', 'skipped']

export function worstStatus(statuses: readonly DeployStatus[]): DeployStatus {
  return [...statuses].sort((a, b) => SEVERITY.indexOf(a) - SEVERITY.indexOf(b))[0] ?? 'skipped'
}

export function isFailing(status: DeployStatus): boolean {
  return status === 'failure' || status === 'rolled-back' || status === 'cancelled'
}

/** An app starts as `skipped`: not deployed (yet). */
export function newResult(app: string): DeployResult {
  return { app, status: 'skipped', logTail: [], stages: [], smoke: [] }
}

/** Runs a stage and records its time and verdict in each result: it failed when it threw or when `passed` says so. */
export async function timed<T>(results: readonly DeployResult[], stage: StageName, fn: () => Promise<T>, passed: (value: T) => boolean = () => true): Promise<T> {
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
