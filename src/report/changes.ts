/** What a deploy brings, in words every report shares: the log, the summary, Slack, the GitHub deployment. */
import type { ChangeCommit, Changes, PullRequestRef } from '../changes/changes.js'
import type { Log } from '../log.js'
import type { DeployResult } from '../result.js'

/** "3 commits, 2 pull requests since v311", "goes back 2 commits from v311", "no new commits since v311"… */
export function changesHeadline(app: DeployResult): string | undefined {
  const changes = app.changes
  if (!changes) return undefined
  const since = app.previousRelease ? `v${app.previousRelease.version}` : changes.base.slice(0, 7)
  const { aheadBy, behindBy, pullRequests } = changes
  const pulls = pullRequests.length > 0 ? `, ${count(pullRequests.length, 'pull request')}` : ''
  switch (changes.status) {
    case 'identical':
      return `no new commits since ${since}`
    case 'behind':
      return `goes back ${count(behindBy, 'commit')} from ${since}`
    case 'ahead':
      return `${count(aheadBy, 'commit')}${pulls} since ${since}`
    case 'diverged':
      return `${count(aheadBy, 'commit')}${pulls} since ${since}, and ${count(behindBy, 'commit')} of ${since} ${behindBy === 1 ? 'goes' : 'go'} away (the histories diverged)`
  }
}

/** "Changes", or "Changes (not live)" when the deploy's release did not stay live (a failed build, a rollback). */
export function changesLabel(app: DeployResult): string {
  return app.releaseVersion !== undefined && !app.rollback ? 'Changes' : 'Changes (not live)'
}

/** "#7 Web front end (@alice)" */
export function pullRequestWords(pr: PullRequestRef): string {
  return `#${pr.number} ${pr.title}${pr.author ? ` (@${pr.author})` : ''}`
}

/** "@alice", or the git name when GitHub links the commit to no account. */
export function commitAuthor(commit: ChangeCommit): string {
  return commit.login ? `@${commit.login}` : (commit.name ?? 'unknown')
}

/** How many new commits are not listed (the list holds the newest). */
export function unlistedCount(changes: Changes): number {
  return Math.max(0, changes.aheadBy - changes.commits.length)
}

/** One line for the job log, once the app's deploy is done. */
export function logChanges(log: Log, app: DeployResult): void {
  const headline = changesHeadline(app)
  if (app.changes && headline) {
    const pulls = app.changes.pullRequests.map(pullRequestWords)
    const missing = app.changes.pullRequestsMissing ? ` (${app.changes.pullRequestsMissing})` : ''
    log.info(`Changes on ${app.app}: ${headline}${pulls.length > 0 ? `: ${pulls.join(', ')}` : ''}${missing}. ${app.changes.compareUrl}`)
  } else if (app.changesUnlisted) {
    log.info(`The changes on ${app.app} cannot be listed: ${app.changesUnlisted}.`)
  }
}

export function count(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`
}
