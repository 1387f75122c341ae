import type { SmokeResult } from './verify/smoke.js'

/** What happened to one app, and to the run. One DeployResult per app travels through the stages. */
export type DeployStatus = 'success' | 'failure' | 'rolled-back' | 'skipped' | 'dry-run' | 'cancelled'

/** The stages a person sees in the timeline, in the order they run. */
export type StageName = 'checks' | 'package' | 'upload' | 'build' | 'push' | 'release' | 'verify' | 'rollback'

export interface StageTiming {
  stage: StageName
  ms: number
  ok: boolean
}

export interface DeployResult {
  app: string
  status: DeployStatus
  appUrl?: string
  buildId?: string
  releaseId?: string
  releaseVersion?: number
  /** The GitHub deployment that records this deploy, once created. */
  deploymentId?: number
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
  /** Set when the deploy was rolled back: the new release, and whether its smoke checks passed. */
  rollback?: { releaseVersion: number; healthy: boolean; smoke: SmokeResult[] }
  /** Set, loudly, when maintenance mode could not be turned off again. */
  maintenanceError?: string
}

export interface RunResult {
  status: DeployStatus
  apps: DeployResult[]
  /** The run's reason when it failed before any app was tried (packaging, bad input). */
  reason?: string
  durationMs: number
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
