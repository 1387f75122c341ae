/**
 * The required-checks gate: every name of `required-checks` must have passed on the commit, as a
 * check run or as a commit status, before anything is deployed. Pending ones are waited for (polling
 * with backoff, under the `checks-timeout` deadline); a failure stops the deploy at once.
 */
import { DeployError, TimeoutError } from '../errors.js'
import type { CheckRun, CommitStatus, GitHubApi } from '../github/api.js'
import type { Log } from '../log.js'
import { pollUntil } from '../util/poll.js'
import { type Deadline, formatSeconds } from '../util/time.js'

export type CheckOutcome = 'passed' | 'pending' | 'failed'

export interface CheckResult {
  /** The check run's name or the status's context. */
  name: string
  kind: 'check run' | 'commit status'
  outcome: CheckOutcome
  /** GitHub's own word for it: queued, in_progress, success, neutral, failure, error… */
  state: string
  url?: string
}

export interface ChecksReport {
  /** Every check run and status a required name matches. */
  checks: CheckResult[]
  /** Required names that match no check run and no status (yet). */
  missing: string[]
}

// As in branch protection: a skipped or neutral check does not block.
const PASSING_CONCLUSIONS = new Set(['success', 'neutral', 'skipped'])

/** Where the required names stand, from one read of the commit's check runs and statuses. Pure. */
export function evaluateChecks(required: readonly string[], runs: readonly CheckRun[], statuses: readonly CommitStatus[]): ChecksReport {
  const latestRuns = new Map<string, CheckRun>()
  for (const run of runs) if ((latestRuns.get(run.name)?.id ?? -1) < run.id) latestRuns.set(run.name, run)

  const checks = new Map<string, CheckResult>()
  const missing: string[] = []
  for (const pattern of required) {
    const matchedRuns = [...latestRuns.values()].filter((run) => checkMatches(pattern, run.name))
    const matchedStatuses = statuses.filter((status) => checkMatches(pattern, status.context))
    if (matchedRuns.length + matchedStatuses.length === 0) missing.push(pattern)
    for (const run of matchedRuns) checks.set(`run:${run.name}`, checkRunResult(run))
    for (const status of matchedStatuses) checks.set(`status:${status.context}`, commitStatusResult(status))
  }
  return { checks: [...checks.values()], missing }
}

/**
 * A required-checks glob: `*` matches any run of characters, `/` included. Check names are not paths
 * (`continuous-integration/travis-ci/push` is one name), so `*travis*` must match it; unlike branch
 * globs, where `*` stays within a segment.
 */
export function checkMatches(pattern: string, name: string): boolean {
  const source = pattern
    .split(/\*+/)
    .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
    .join('.*')
  return new RegExp(`^${source}$`, 's').test(name)
}

function checkRunResult(run: CheckRun): CheckResult {
  const base = { name: run.name, kind: 'check run' as const, url: run.html_url ?? run.details_url ?? undefined }
  if (run.status !== 'completed') return { ...base, outcome: 'pending', state: run.status }
  const conclusion = run.conclusion ?? 'no conclusion'
  return { ...base, outcome: PASSING_CONCLUSIONS.has(conclusion) ? 'passed' : 'failed', state: conclusion }
}

function commitStatusResult(status: CommitStatus): CheckResult {
  const outcome: CheckOutcome = status.state === 'success' ? 'passed' : status.state === 'pending' ? 'pending' : 'failed'
  return { name: status.context, kind: 'commit status', outcome, state: status.state, url: status.target_url ?? undefined }
}

export interface ChecksWait {
  deadline: Deadline
  log: Log
  signal?: AbortSignal
  /** First poll interval (ms); it grows by half each time up to 30 s. */
  pollMs?: number
}

/**
 * Waits until every required check has passed. Throws a DeployError naming and linking the check
 * that failed, or, at the deadline, the ones still pending or missing.
 */
export async function awaitRequiredChecks(github: GitHubApi, sha: string, required: readonly string[], wait: ChecksWait): Promise<ChecksReport> {
  const short = sha.slice(0, 7)
  let last: ChecksReport = { checks: [], missing: [...required] }
  let lastLine = ''
  const read = async (): Promise<ChecksReport> => {
    const [runs, statuses] = await Promise.all([github.checkRuns(sha), github.commitStatuses(sha)])
    last = evaluateChecks(required, runs, statuses)
    const line = describeReport(last)
    if (line !== lastLine) wait.log.info(`Required checks on ${short}: ${line}`)
    lastLine = line
    return last
  }
  const settled = (report: ChecksReport): boolean =>
    report.checks.some((check) => check.outcome === 'failed') || (report.missing.length === 0 && report.checks.every((check) => check.outcome === 'passed'))

  let report: ChecksReport
  try {
    report = await pollUntil(read, settled, { deadline: wait.deadline, signal: wait.signal, intervalMs: wait.pollMs ?? 2000, maxIntervalMs: 30_000 })
  } catch (error) {
    if (!(error instanceof TimeoutError)) throw error
    const waiting = [
      ...last.checks.filter((check) => check.outcome === 'pending').map((check) => `'${check.name}' is still ${check.state}${link(check)}`),
      ...last.missing.map((name) => `'${name}' is missing: no check run or commit status on ${short} has that name`)
    ]
    throw new DeployError('checks', `Required checks did not pass within ${formatSeconds(wait.deadline.totalMs)} on ${short}: ${waiting.join('; ')}.`)
  }
  const failed = report.checks.filter((check) => check.outcome === 'failed')
  if (failed.length > 0) {
    const which = failed.map((check) => `'${check.name}' ${check.kind === 'check run' ? 'concluded' : 'is'} ${check.state}${link(check)}`)
    throw new DeployError('checks', `Required check${failed.length > 1 ? 's' : ''} failed on ${short}: ${which.join('; ')}.`)
  }
  wait.log.info(`All required checks passed on ${short}.`)
  return report
}

/** One line: each check with where it stands, then what is missing. */
function describeReport(report: ChecksReport): string {
  const mark: Record<CheckOutcome, string> = { passed: '✓', pending: '…', failed: '✗' }
  return [...report.checks.map((check) => `${mark[check.outcome]} ${check.name} (${check.state})`), ...report.missing.map((name) => `? ${name} (not reported yet)`)].join(', ')
}

function link(check: CheckResult): string {
  return check.url ? ` (${check.url})` : ''
}
