/** Makes a real git repository from a folder, as `actions/checkout` would leave it. */
import { execFileSync } from 'node:child_process'
import * as fs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'

/** Who wrote a commit (the committer is always Octo Cat, as a merge button or a CI bot would be). */
export interface Author {
  name: string
  email: string
}

export const OCTOCAT: Author = { name: 'Octo Cat', email: 'octocat@example.com' }

/** A person with a GitHub account: their commits are linked to `login`, as GitHub links its noreply email. */
export function githubUser(login: string, name = login): Author {
  return { name, email: `${login}@users.noreply.github.com` }
}

export interface Repo {
  dir: string
  /** Commits everything in the work tree and returns the new HEAD SHA. */
  commit(message: string, author?: Author): string
  write(file: string, content: string): void
  /** Runs git in the repository (as Octo Cat) and returns its trimmed output. */
  git(...args: string[]): string
  remove(): void
}

export function git(dir: string, ...args: string[]): string {
  return gitAs(OCTOCAT, dir, ...args)
}

function gitAs(author: Author, dir: string, ...args: string[]): string {
  return execFileSync('git', args, {
    cwd: dir,
    encoding: 'utf8',
    env: {
      ...process.env,
      GIT_AUTHOR_NAME: author.name,
      GIT_AUTHOR_EMAIL: author.email,
      GIT_COMMITTER_NAME: OCTOCAT.name,
      GIT_COMMITTER_EMAIL: OCTOCAT.email
    }
  }).trim()
}

/** A new repository holding a copy of `template` (if given) under `subdir` (default: the root). */
export function makeRepo(template?: string, subdir = '.'): Repo {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'heroku-cd-repo-'))
  git(dir, 'init', '-q', '-b', 'main')
  if (template) fs.cpSync(template, path.join(dir, subdir), { recursive: true })
  return {
    dir,
    commit(message, author = OCTOCAT) {
      gitAs(author, dir, 'add', '-A')
      gitAs(author, dir, 'commit', '-q', '--allow-empty', '-m', message)
      return git(dir, 'rev-parse', 'HEAD')
    },
    write(file, content) {
      fs.mkdirSync(path.dirname(path.join(dir, file)), { recursive: true })
      fs.writeFileSync(path.join(dir, file), content)
    },
    git: (...args) => git(dir, ...args),
    remove() {
      fs.rmSync(dir, { recursive: true, force: true })
    }
  }
}

/**
 * The commits `work` makes on a new branch, merged into main with a merge commit, as GitHub's merge
 * button does. Answers the merge commit.
 */
export function mergeBranch(repo: Repo, branch: string, message: string, work: () => void): string {
  repo.git('checkout', '-q', '-b', branch)
  work()
  repo.git('checkout', '-q', 'main')
  repo.git('merge', '-q', '--no-ff', '-m', message, branch)
  return repo.git('rev-parse', 'HEAD')
}
