/**
 * The repository's pull requests, as far as GET /repos/{owner}/{repo}/pulls/{pull_number} shows them:
 * a fixture the test sets (number, head, open or closed, from this repository or a fork).
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
  /** Default open; `merged` is closed by a merge. */
  state?: 'open' | 'closed' | 'merged'
  /** owner/name of a fork the head branch lives in. */
  fork?: string
}

interface PullRequestRecord extends Required<Omit<PullRequestSpec, 'fork'>> {
  fork?: string
  createdAt: string
  closedAt: string | null
}

export class PullRequests {
  private readonly records = new Map<number, PullRequestRecord>()

  constructor(
    private readonly apiUrl: string,
    private readonly fullName: string,
    private readonly repositoryId: number
  ) {}

  /** Adds the pull request, or changes it (pushed, closed, reopened). */
  set(spec: PullRequestSpec): void {
    const before = this.records.get(spec.number)
    const state = spec.state ?? 'open'
    this.records.set(spec.number, {
      number: spec.number,
      head: spec.head.toLowerCase(),
      headRef: spec.headRef ?? before?.headRef ?? `feature-${spec.number}`,
      title: spec.title ?? before?.title ?? `Pull request ${spec.number}`,
      user: spec.user ?? before?.user ?? 'octocat',
      state,
      fork: spec.fork ?? before?.fork,
      createdAt: before?.createdAt ?? timestamp(),
      closedAt: state === 'open' ? null : (before?.closedAt ?? timestamp())
    })
  }

  /** GET /repos/{owner}/{repo}/pulls/{pull_number} */
  get(number: number): Answer {
    const pr = this.records.get(number)
    return pr ? { status: 200, body: this.resource(pr) } : notFound()
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
      merge_commit_sha: null,
      assignee: null,
      assignees: [],
      requested_reviewers: [],
      requested_teams: [],
      head: { label: `${head.owner.login}:${pr.headRef}`, ref: pr.headRef, repo: head, sha: pr.head, user: head.owner },
      base: { label: `${owner}:main`, ref: 'main', repo: base, sha: pr.head, user: base.owner },
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
