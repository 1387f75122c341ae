/**
 * The repository's real history, read with git from a local clone: what the local GitHub answers
 * compare and commit look-ups from. Never written to.
 */
import { execFile } from 'node:child_process'
import { promisify } from 'node:util'

const exec = promisify(execFile)

export interface GitIdentity {
  name: string
  email: string
  /** ISO 8601. */
  date: string
}

export interface GitCommit {
  sha: string
  parents: string[]
  tree: string
  author: GitIdentity
  committer: GitIdentity
  message: string
}

// Fields and records are separated by bytes a commit message cannot hold.
const FIELD = '%x1f'
const RECORD = '%x1e'
const FORMAT = ['%H', '%P', '%T', '%an', '%ae', '%aI', '%cn', '%ce', '%cI', '%B'].join(FIELD) + RECORD

export class GitHistory {
  constructor(readonly dir: string) {}

  /** The full SHA of a commit (a SHA, a prefix or a branch name); undefined when there is none. */
  async resolve(ref: string): Promise<string | undefined> {
    if (!/^[\w./-]+$/.test(ref) || ref.startsWith('-')) return undefined
    return (await this.git('rev-parse', '--verify', '--quiet', `${ref}^{commit}`).catch(() => '')) || undefined
  }

  async mergeBase(a: string, b: string): Promise<string | undefined> {
    return (await this.git('merge-base', a, b).catch(() => '')) || undefined
  }

  /** The commits reachable from `head` and not from `base`, oldest first (as GitHub's compare lists them). */
  async between(base: string, head: string): Promise<string[]> {
    const out = await this.git('rev-list', '--reverse', `${base}..${head}`)
    return out ? out.split('\n') : []
  }

  /** Whether `sha` is reachable from `ref`. */
  async contains(ref: string, sha: string): Promise<boolean> {
    return this.git('merge-base', '--is-ancestor', sha, ref).then(
      () => true,
      () => false
    )
  }

  /** The commits of these full SHAs, in the order asked (a SHA asked twice is given twice). */
  async commits(shas: readonly string[]): Promise<GitCommit[]> {
    if (shas.length === 0) return []
    const out = await this.git('show', '--no-patch', '--no-walk=unsorted', `--format=${FORMAT}`, ...new Set(shas))
    const found = out
      .split('\x1e')
      .map((record) => record.replace(/^\n/, ''))
      .filter(Boolean)
      .map((record) => {
        const [sha, parents, tree, an, ae, ad, cn, ce, cd, message] = record.split('\x1f')
        return {
          sha,
          parents: parents ? parents.split(' ') : [],
          tree,
          author: { name: an, email: ae, date: ad },
          committer: { name: cn, email: ce, date: cd },
          message: message.replace(/\n+$/, '')
        }
      })
    const bySha = new Map(found.map((commit) => [commit.sha, commit]))
    return shas.map((sha) => {
      const commit = bySha.get(sha)
      if (!commit) throw new Error(`git show did not show ${sha}`)
      return commit
    })
  }

  private async git(...args: string[]): Promise<string> {
    const { stdout } = await exec('git', args, {
      cwd: this.dir,
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', GIT_CONFIG_NOSYSTEM: '1', GIT_CONFIG_GLOBAL: '/dev/null', LANG: 'C' },
      maxBuffer: 64 * 1024 * 1024
    })
    return stdout.trim()
  }
}
