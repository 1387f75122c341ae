/** Makes a real git repository from a folder, as `actions/checkout` would leave it. */
import { execFileSync } from 'node:child_process'
import * as fs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'

export interface Repo {
  dir: string
  /** Commits everything in the work tree and returns the new HEAD SHA. */
  commit(message: string): string
  write(file: string, content: string): void
  remove(): void
}

export function git(dir: string, ...args: string[]): string {
  return execFileSync('git', args, {
    cwd: dir,
    encoding: 'utf8',
    env: {
      ...process.env,
      GIT_AUTHOR_NAME: 'Octo Cat',
      GIT_AUTHOR_EMAIL: 'octocat@example.com',
      GIT_COMMITTER_NAME: 'Octo Cat',
      GIT_COMMITTER_EMAIL: 'octocat@example.com'
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
    commit(message) {
      git(dir, 'add', '-A')
      git(dir, 'commit', '-q', '--allow-empty', '-m', message)
      return git(dir, 'rev-parse', 'HEAD')
    },
    write(file, content) {
      fs.mkdirSync(path.dirname(path.join(dir, file)), { recursive: true })
      fs.writeFileSync(path.join(dir, file), content)
    },
    remove() {
      fs.rmSync(dir, { recursive: true, force: true })
    }
  }
}
