/**
 * The repository's pull requests: a fixture the test sets (number, head, open or closed, from this
 * repository or a fork, its commits and merge commit), as GET /repos/{owner}/{repo}/pulls/{pull_number}
 * and GET /repos/{owner}/{repo}/commits/{commit_sha}/pulls show them.
 */
import { nodeId, repository, simpleUser, timestamp, userId, WEB } from './resources.js'
import { type Answer, notFound } from './state.js'

export interface PullRequestSpec {
  number: number
  /** The head branch's tip. */
  head: string
  /** The head branch (default `feature-<number>`). */
  headRef?: string
  title?: string
  /** The author's login (default octocat). */
  user?: string
  /** Default open, or merged with a `mergeCommit`; `merged` is closed by a merge. */
  state?: 'open' | 'closed' | 'merged'
  /** owner/name of a fork the head branch lives in. */
  fork?: string
  /** Its commits (default: its head only): what a commit's pull requests are found by. */
  commits?: string[]
  /** The merge (or squash) commit a merged pull request made on the base branch. */
  mergeCommit?: string
  /** The base branch (default `main`). */
  base?: string
}

interface PullRequestRecord extends Required<Omit<PullRequestSpec, 'fork' | 'mergeCommit'>> {
  fork?: string
  mergeCommit: string | null
  createdAt: string
  closedAt: string | null
}

// A commit's pull requests are listed as pull-request-simple: without the merge state and counts of a full one.
const FULL_ONLY = new Set([
  'merged',
  'mergeable',
  'rebaseable',
  'mergeable_state',
  'merged_by',
  'comments',
  'review_comments',
  'maintainer_can_modify',
  'commits',
  'additions',
  'deletions',
  'changed_files'
])

export class PullRequests {
  private readonly records = new Map<number, PullRequestRecord>()

  constructor(
    private readonly apiUrl: string,
    private readonly fullName: string,
    private readonly repositoryId: number
  ) {}

  /** Adds the pull request, or changes it (pushed, closed, reopened, merged). */
  set(spec: PullRequestSpec): void {
    const before = this.records.get(spec.number)
    const state = spec.state ?? (spec.mergeCommit ? 'merged' : 'open')
    const mergeCommit = state === 'merged' ? (spec.mergeCommit?.toLowerCase() ?? before?.mergeCommit ?? null) : null
    const head = spec.head.toLowerCase()
    this.records.set(spec.number, {
      number: spec.number,
      head,
      headRef: spec.headRef ?? before?.headRef ?? `feature-${spec.number}`,
      title: spec.title ?? before?.title ?? `Pull request ${spec.number}`,
      user: spec.user ?? before?.user ?? 'octocat',
      state,
      fork: spec.fork ?? before?.fork,
      commits: (spec.commits ?? before?.commits ?? [head]).map((sha) => sha.toLowerCase()),
      mergeCommit,
      base: spec.base ?? before?.base ?? 'main',
      createdAt: before?.createdAt ?? timestamp(),
      closedAt: state === 'open' ? null : (before?.closedAt ?? timestamp())
    })
  }

  /** GET /repos/{owner}/{repo}/pulls/{pull_number} */
  get(number: number): Answer {
    const pr = this.records.get(number)
    return pr ? { status: 200, body: this.resource(pr) } : notFound()
  }

  /**
   * GET /repos/{owner}/{repo}/commits/{commit_sha}/pulls (the SHA resolved): the merged pull request
   * that brought the commit onto the base branch; for a commit not merged, the open ones that hold it.
   */
  associatedWith(sha: string): Answer {
    const holds = (pr: PullRequestRecord) => pr.mergeCommit === sha || pr.commits.includes(sha) || pr.head === sha
    const all = [...this.records.values()].filter(holds)
    const merged = all.filter((pr) => pr.state === 'merged')
    const found = merged.length > 0 ? merged : all.filter((pr) => pr.state === 'open')
    const simple = (pr: PullRequestRecord) => Object.fromEntries(Object.entries(this.resource(pr)).filter(([field]) => !FULL_ONLY.has(field)))
    return { status: 200, body: found.map(simple) }
  }

  private resource(pr: PullRequestRecord) {
    const repoUrl = `${this.apiUrl}/repos/${this.fullName}`
    const url = `${repoUrl}/pulls/${pr.number}`
    const html = `${WEB}/${this.fullName}/pull/${pr.number}`
    const issue = `${repoUrl}/issues/${pr.number}`
    const user = simpleUser(this.apiUrl, pr.user, userId(pr.user))
    const base = repository(this.apiUrl, this.fullName, this.repositoryId)
    const head = pr.fork ? { ...repository(this.apiUrl, pr.fork, this.repositoryId + 1), fork: true } : base
    const [owner] = this.fullName.split('/')
    const id = 500_000_000 + pr.number
    const merged = pr.state === 'merged'
    return {
      url,
      id,
      node_id: nodeId('PullRequest', id),
      html_url: html,
      diff_url: `${html}.diff`,
      patch_url: `${html}.patch`,
      issue_url: issue,
      commits_url: `${url}/commits`,
      review_comments_url: `${url}/comments`,
      review_comment_url: `${repoUrl}/pulls/comments{/number}`,
      comments_url: `${issue}/comments`,
      statuses_url: `${repoUrl}/statuses/${pr.head}`,
      number: pr.number,
      state: pr.state === 'open' ? 'open' : 'closed',
      locked: false,
      title: pr.title,
      user,
      body: null,
      labels: [],
      milestone: null,
      active_lock_reason: null,
      created_at: pr.createdAt,
      updated_at: pr.closedAt ?? pr.createdAt,
      closed_at: pr.closedAt,
      merged_at: merged ? pr.closedAt : null,
      merge_commit_sha: pr.mergeCommit,
      assignee: null,
      assignees: [],
      requested_reviewers: [],
      requested_teams: [],
      head: { label: `${head.owner.login}:${pr.headRef}`, ref: pr.headRef, repo: head, sha: pr.head, user: head.owner },
      base: { label: `${owner}:${pr.base}`, ref: pr.base, repo: base, sha: pr.mergeCommit ?? pr.head, user: base.owner },
      _links: {
        comments: { href: `${issue}/comments` },
        commits: { href: `${url}/commits` },
        statuses: { href: `${repoUrl}/statuses/${pr.head}` },
        html: { href: html },
        issue: { href: issue },
        review_comments: { href: `${url}/comments` },
        review_comment: { href: `${repoUrl}/pulls/comments{/number}` },
        self: { href: url }
      },
      author_association: 'MEMBER',
      auto_merge: null,
      draft: false,
      merged,
      mergeable: pr.state === 'open' ? true : null,
      rebaseable: pr.state === 'open' ? true : null,
      mergeable_state: pr.state === 'open' ? 'clean' : 'unknown',
      merged_by: merged ? user : null,
      comments: 0,
      review_comments: 0,
      maintainer_can_modify: false,
      commits: 1,
      additions: 1,
      deletions: 0,
      changed_files: 1
    }
  }
}
