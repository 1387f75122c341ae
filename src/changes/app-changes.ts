import { oneLine } from '../errors.js'
import type { HerokuApi } from '../heroku/api.js'
import type { DeployResult } from '../result.js'
import { abortable } from '../util/time.js'
import type { ChangesReader } from './changes.js'
import { commitOfRelease, type LiveRelease } from './live.js'

/** How long finding one app's changes may take, Heroku and GitHub together (it runs beside the build). */
export const CHANGES_BUDGET_MS = 30_000

export interface AppChangesDeps {
  api: HerokuApi
  /** Absent when the run has no GitHub token: then only the previous commit is read. */
  reader?: ChangesReader
  signal?: AbortSignal
}

/**
 * What this deploy brings to one app, from the release that was live before anything shipped: that
 * release's commit (`previousCommit`), then the commits and pull requests from there to `head` (the
 * deployed commit; on a promotion target, the promoted release's, undefined when its slug names none).
 * Bounded in time and cut short by a cancel: every call it makes ends with the cancel (retry waits
 * included), and a cancelled deploy never waits for it, so it takes nothing from the cleanup window.
 * Never throws: what cannot be known is said in `changesUnlisted`, and the deploy goes on unchanged.
 */
export async function findAppChanges(deps: AppChangesDeps, result: DeployResult, live: LiveRelease | undefined, head: string | undefined): Promise<void> {
  const budget = AbortSignal.timeout(CHANGES_BUDGET_MS)
  try {
    if (!live) {
      result.changesUnlisted = `${result.app} had no release before this one`
      return
    }
    // The slug read is a Heroku read (retried as one) that the budget or the cancel ends, retries included.
    const stop = deps.signal ? AbortSignal.any([deps.signal, budget]) : budget
    const commit = await abortable(commitOfRelease(deps.api, result.app, live, stop), stop)
    if ('unknown' in commit) {
      result.changesUnlisted = commit.unknown
      return
    }
    result.previousCommit = commit.sha
    if (!head) {
      const from = result.promotedFrom
      result.changesUnlisted = `the release promoted here${from ? ` (${from.app} v${from.releaseVersion})` : ''} names no commit SHA, so there is no range to compare`
      return
    }
    if (!deps.reader) {
      result.changesUnlisted = "they are read from GitHub, and this run has no 'github-token' (or no GITHUB_REPOSITORY)"
      return
    }
    const outcome = await deps.reader.between(commit.sha, head, budget)
    if ('changes' in outcome) result.changes = outcome.changes
    else result.changesUnlisted = outcome.unlisted
  } catch (error) {
    result.changesUnlisted = budget.aborted
      ? 'Heroku did not say in time which commit the live release runs'
      : deps.signal?.aborted
        ? 'the job was cancelled'
        : `the slug of the live release v${live?.version} could not be read: ${oneLine(error)}`
  }
}
