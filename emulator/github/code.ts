/**
 * The repository's code as GitHub shows it: compare two commits, and the pull requests a commit came
 * with. Commits come from the repository's real history (a local clone read with git); pull requests
 * are the fixture the test sets (`setPullRequest`, pulls.ts), tied to real commits.
 */
import { type GitCommit, type GitHistory, type GitIdentity } from './history.js'
import type { PullRequests } from './pulls.js'
import { loginOfEmail, nodeId, simpleUser, timestamp, userId, WEB } from './resources.js'
import { type Answer, DOCS, notFound, pageLinks, validationFailed } from './state.js'

// GitHub lists at most this many commits in a comparison that is not paged.
const UNPAGED_COMMITS = 250
const MAX_PER_PAGE = 100

export class RepositoryCode {
  constructor(
    private readonly apiUrl: string,
    private readonly fullName: string,
    private readonly history: GitHistory | undefined,
    private readonly pullRequests: PullRequests
  ) {}

  private get repoUrl(): string {
    return `${this.apiUrl}/repos/${this.fullName}`
  }

  /** GET /repos/{owner}/{repo}/compare/{base}...{head} */
  async compare(basehead: string, query: URLSearchParams): Promise<Answer> {
    const history = this.history
    const [baseRef, headRef, extra] = basehead.split('...')
    if (!history || !baseRef || !headRef || extra !== undefined) return notFound()
    const [base, head] = await Promise.all([history.resolve(baseRef), history.resolve(headRef)])
    if (!base || !head) return notFound()
    const mergeBase = await history.mergeBase(base, head)
    if (!mergeBase) return { status: 404, body: { message: `No common ancestor between ${baseRef} and ${headRef}.`, documentation_url: DOCS, status: '404' } }
    const [ahead, behind] = await Promise.all([history.between(base, head), history.between(head, base)])
    const status = ahead.length === 0 ? (behind.length === 0 ? 'identical' : 'behind') : behind.length === 0 ? 'ahead' : 'diverged'

    // Unpaged, GitHub lists the first 250 commits; with per_page or page, one page of them.
    const paged = query.has('per_page') || query.has('page')
    const perPage = paged ? Math.min(MAX_PER_PAGE, Math.max(1, Number(query.get('per_page') ?? 30) || 30)) : UNPAGED_COMMITS
    const page = paged ? Math.max(1, Number(query.get('page') ?? 1) || 1) : 1
    const shown = ahead.slice((page - 1) * perPage, page * perPage)
    const [commits, [baseCommit, mergeBaseCommit]] = await Promise.all([history.commits(shown), history.commits([base, mergeBase])])
    const htmlBase = `${WEB}/${this.fullName}/compare`
    const owner = this.fullName.split('/')[0]
    return {
      status: 200,
      headers: paged ? pageLinks(`${this.repoUrl}/compare/${basehead}`, query, page, perPage, ahead.length) : {},
      body: {
        url: `${this.repoUrl}/compare/${basehead}`,
        html_url: `${htmlBase}/${basehead}`,
        permalink_url: `${htmlBase}/${owner}:${base.slice(0, 7)}...${owner}:${head.slice(0, 7)}`,
        diff_url: `${htmlBase}/${basehead}.diff`,
        patch_url: `${htmlBase}/${basehead}.patch`,
        base_commit: this.commitResource(baseCommit),
        merge_base_commit: this.commitResource(mergeBaseCommit),
        status,
        ahead_by: ahead.length,
        behind_by: behind.length,
        total_commits: ahead.length,
        commits: commits.map((commit) => this.commitResource(commit))
      }
    }
  }

  /**
   * GET /repos/{owner}/{repo}/commits/{commit_sha}/pulls: the merged pull request that brought the
   * commit onto the default branch; for a commit not on it, the open pull requests that hold it.
   */
  async pullsOf(ref: string): Promise<Answer> {
    const sha = await this.history?.resolve(ref)
    if (!sha) return validationFailed(`No commit found for SHA: ${ref}`)
    return this.pullRequests.associatedWith(sha)
  }

  private commitResource(commit: GitCommit) {
    const url = `${this.repoUrl}/commits/${commit.sha}`
    const person = (identity: GitIdentity) => {
      const login = loginOfEmail(identity.email)
      return login ? simpleUser(this.apiUrl, login, userId(login)) : null
    }
    const identity = ({ name, email, date }: GitIdentity) => ({ name, email, date: timestamp(new Date(date)) })
    return {
      url,
      sha: commit.sha,
      node_id: nodeId('Commit', parseInt(commit.sha.slice(0, 8), 16)),
      html_url: `${WEB}/${this.fullName}/commit/${commit.sha}`,
      comments_url: `${url}/comments`,
      commit: {
        url: `${this.repoUrl}/git/commits/${commit.sha}`,
        author: identity(commit.author),
        committer: identity(commit.committer),
        message: commit.message,
        comment_count: 0,
        tree: { sha: commit.tree, url: `${this.repoUrl}/git/trees/${commit.tree}` },
        verification: { verified: false, reason: 'unsigned', payload: null, signature: null, verified_at: null }
      },
      author: person(commit.author),
      committer: person(commit.committer),
      parents: commit.parents.map((sha) => ({ sha, url: `${this.repoUrl}/commits/${sha}`, html_url: `${WEB}/${this.fullName}/commit/${sha}` }))
    }
  }
}
