/**
 * What a range of commits brings: GitHub's comparison of a base and a head commit, and the pull
 * requests the new commits came with. Takes any (base, head): a deploy's (the live commit, the
 * deployed one), or a promotion's (the target's live commit, the promoted release's).
 *
 * Bounded: at most MAX_LISTED commits (the newest), three compare pages and MAX_PULL_LOOKUPS
 * pull-request look-ups, all under the caller's time limit. Optional: every failure becomes the
 * reason the changes are not listed, and a refused permission is a warning naming it, once a run.
 */
import { CancelledError, GitHubApiError, oneLine } from '../errors.js'
import type { ComparedCommit, CommitPullRequest, Comparison, GitHubApi } from '../github/api.js'
import type { Log } from '../log.js'
import { inPool } from '../util/pool.js'

/** The most commits listed; the rest are counted and linked (the compare page). */
export const MAX_LISTED = 50
/** The most commits whose pull requests are looked up (one request each). */
export const MAX_PULL_LOOKUPS = 10
const LOOKUPS_AT_ONCE = 4

export interface PullRequestRef {
  number: number
  title: string
  /** The author's login. */
  author: string | null
  url: string
}

export interface ChangeCommit {
  sha: string
  /** The first line of the message. */
  title: string
  /** The author's GitHub login, when GitHub links the commit to an account. */
  login: string | null
  /** The git author's name. */
  name: string | null
  /** The pull request that brought the commit onto the branch, when known. */
  pullRequest: number | null
}

export interface Changes {
  base: string
  head: string
  /** Where head stands from base: after it (ahead), before it (behind: an older version), the same, or apart (diverged). */
  status: Comparison['status']
  /** Commits head has that base lacks (all of them, listed or not). */
  aheadBy: number
  /** Commits base has that head lacks: what going back (or a diverged history) leaves out. */
  behindBy: number
  /** The newest of the new commits, newest first, at most MAX_LISTED. */
  commits: ChangeCommit[]
  /** The pull requests of the listed commits, each once, newest first. */
  pullRequests: PullRequestRef[]
  /** GitHub's page of the range (for a step back: of what it leaves out). */
  compareUrl: string
  /** Set when the pull requests were not all looked up, and why. */
  pullRequestsMissing?: string
}

export type ChangesOutcome = { changes: Changes } | { unlisted: string }

export class ChangesReader {
  private readonly ranges = new Map<string, Promise<ChangesOutcome>>()
  private readonly warned = new Set<string>()

  /**
   * @param webUrl The repository's page, e.g. https://github.com/octo-org/hello-app
   * @param log The run's log: warnings about the token, given once.
   */
  constructor(
    private readonly github: GitHubApi,
    private readonly webUrl: string,
    private readonly log: Log
  ) {}

  /** The changes from `base` to `head`; each range is read once a run, however many apps share it. Never rejects. */
  between(base: string, head: string, until?: AbortSignal): Promise<ChangesOutcome> {
    const key = `${base}...${head}`
    let outcome = this.ranges.get(key)
    if (!outcome) {
      outcome = this.read(base, head, until).catch((error: unknown) => ({ unlisted: this.why(error, base, until) }))
      this.ranges.set(key, outcome)
    }
    return outcome
  }

  private async read(base: string, head: string, until?: AbortSignal): Promise<ChangesOutcome> {
    const { status, aheadBy, behindBy, commits } = await this.newestCommits(base, head, until)
    const listed = commits.slice(-MAX_LISTED).reverse()
    const pulls = await this.pullRequests(listed, head, until)
    const changes: Changes = {
      base,
      head,
      status,
      aheadBy,
      behindBy,
      commits: listed.map((commit) => ({
        sha: commit.sha,
        title: oneLine(commit.message.split('\n')[0]),
        login: commit.login,
        name: commit.name,
        pullRequest: pulls.byCommit.get(commit.sha) ?? null
      })),
      pullRequests: pulls.list,
      compareUrl: `${this.webUrl}/compare/${status === 'behind' ? `${head}...${base}` : `${base}...${head}`}`,
      ...(pulls.missing ? { pullRequestsMissing: pulls.missing } : {})
    }
    return { changes }
  }

  /** The comparison with its newest commits (oldest first): the first page, then the last one or two when there are more. */
  private async newestCommits(base: string, head: string, until?: AbortSignal): Promise<Comparison> {
    const page = (n: number) => this.github.compare(base, head, { page: n, perPage: MAX_LISTED }, until)
    const first = await page(1)
    const pages = Math.ceil(first.aheadBy / MAX_LISTED)
    if (pages <= 1) return first
    const last = await page(pages)
    const before = pages === 2 ? first.commits : last.commits.length < MAX_LISTED ? (await page(pages - 1)).commits : []
    return { ...first, commits: [...before, ...last.commits] }
  }

  /**
   * The pull request of each listed commit. Each commit came onto the branch through a commit on the
   * first-parent line from head (itself, or the merge that brought it): only those are looked up, the
   * newest first, and what one finds holds for every commit it brought.
   */
  private async pullRequests(
    commits: readonly ComparedCommit[],
    head: string,
    until?: AbortSignal
  ): Promise<{ byCommit: Map<string, number>; list: PullRequestRef[]; missing?: string }> {
    const landing = landingCommits(commits, head)
    const landings = [...new Set(commits.map((commit) => landing.get(commit.sha) as string))]
    const found = new Map<string, CommitPullRequest | undefined>()
    let refused: string | undefined
    await inPool(landings.slice(0, MAX_PULL_LOOKUPS), LOOKUPS_AT_ONCE, async (sha) => {
      if (refused) return
      try {
        const pulls = await this.github.pullRequestsOf(sha, until)
        found.set(sha, pulls.find((pr) => pr.merged) ?? pulls[0])
      } catch (error) {
        refused ??= this.why(error, sha, until, 'pull-requests')
      }
    })
    const byCommit = new Map<string, number>()
    const list = new Map<number, PullRequestRef>()
    for (const commit of commits) {
      const pr = found.get(landing.get(commit.sha) as string)
      if (!pr) continue
      byCommit.set(commit.sha, pr.number)
      // One line: a title is printed in the log, where a line of its own could read as a workflow command.
      if (!list.has(pr.number)) list.set(pr.number, { number: pr.number, title: oneLine(pr.title), author: pr.login, url: pr.url })
    }
    const skipped = landings.length - MAX_PULL_LOOKUPS
    const missing = refused
      ? `the pull requests are not listed: ${refused}`
      : skipped > 0
        ? `pull requests were looked up for the newest ${MAX_PULL_LOOKUPS} of the ${landings.length} commits that landed on the branch`
        : undefined
    return { byCommit, list: [...list.values()], missing }
  }

  /** Why a read failed, for a person; a refused permission is also a warning, once a run. */
  private why(error: unknown, ref: string, until: AbortSignal | undefined, what: 'changes' | 'pull-requests' = 'changes'): string {
    if (error instanceof CancelledError || until?.aborted) return until?.aborted ? 'GitHub did not answer in time' : 'the job was cancelled'
    if (error instanceof GitHubApiError && error.status === 403 && error.retryAfterMs === undefined) {
      if (!this.warned.has(what)) {
        this.warned.add(what)
        this.log.warning(
          `Could not list the ${what === 'changes' ? 'changes of this deploy' : 'pull requests of this deploy'}: ${oneLine(error)}. The deploy goes on without them.`
        )
      }
      return `GitHub refused (${error.hint ?? error.githubMessage})`
    }
    if (error instanceof GitHubApiError && error.status === 404 && what === 'changes') {
      return `GitHub does not know commit ${ref.slice(0, 7)} in this repository, or cannot compare it with the deployed one (it may come from another repository or a rewritten history)`
    }
    return oneLine(error)
  }
}

/**
 * For each commit, the commit on head's first-parent line that brought it onto the branch: itself
 * when it is on that line, else the merge whose other parents reach it (the oldest such merge, as a
 * branch merged twice brought its first commits with the first merge). Commits outside what is
 * known (a range longer than the list) land by themselves.
 */
export function landingCommits(commits: readonly ComparedCommit[], head: string): Map<string, string> {
  const bySha = new Map(commits.map((commit) => [commit.sha, commit]))
  const landing = new Map<string, string>()
  const line: ComparedCommit[] = []
  for (let commit = bySha.get(head); commit && !landing.has(commit.sha); commit = bySha.get(commit.parents[0] ?? '')) {
    landing.set(commit.sha, commit.sha)
    line.push(commit)
  }
  for (const merge of line.reverse()) {
    const stack = merge.parents.slice(1)
    for (let sha = stack.pop(); sha !== undefined; sha = stack.pop()) {
      const commit = bySha.get(sha)
      if (!commit || landing.has(sha)) continue
      landing.set(sha, merge.sha)
      stack.push(...commit.parents)
    }
  }
  for (const commit of commits) if (!landing.has(commit.sha)) landing.set(commit.sha, commit.sha)
  return landing
}
