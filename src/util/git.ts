import { type ChildProcessByStdio, spawn } from 'node:child_process'
import * as path from 'node:path'
import type { Readable } from 'node:stream'
import { DeployError } from '../errors.js'
import { childEnv } from './child-env.js'
import { CancelledError, type Deadline } from './time.js'

/**
 * The one way this action runs git. Every git child gets a scrubbed environment (no `INPUT_*`, no
 * secret: see childEnv) plus what the caller adds, and runs in a process group of its own, so that a
 * cancel or a deadline stops git's helpers (git-remote-https) too.
 */
export interface GitOptions {
  cwd: string
  /** Added to the scrubbed environment (git configuration, identities); undefined removes a variable. */
  env?: Record<string, string | undefined>
  signal?: AbortSignal
  /** Git is stopped when it passes, and the deadline's TimeoutError thrown. */
  deadline?: Deadline
}

export type GitProcess = ChildProcessByStdio<null, Readable, Readable>

/** Starts git with its stdout and stderr as pipes; a cancel or the deadline stops its whole process group. */
export function spawnGit(args: string[], options: GitOptions): GitProcess {
  const { signal, deadline } = options
  if (signal?.aborted) throw new CancelledError()
  deadline?.check()
  const child = spawn('git', args, { cwd: options.cwd, env: childEnv(options.env), stdio: ['ignore', 'pipe', 'pipe'], detached: true })
  const stop = (): void => {
    try {
      if (child.pid !== undefined) process.kill(-child.pid, 'SIGTERM')
    } catch {
      // already gone
    }
  }
  signal?.addEventListener('abort', stop, { once: true })
  const timer = deadline ? setTimeout(stop, Math.max(1, deadline.remainingMs())) : undefined
  child.once('close', () => {
    clearTimeout(timer)
    signal?.removeEventListener('abort', stop)
  })
  return child
}

export interface StreamGitOptions extends GitOptions {
  /** Each line git writes to stderr (its messages and the remote's), `\r` progress updates included. */
  onStderr?: (line: string) => void
  onStdout?: (line: string) => void
}

/**
 * Runs a git command with its output read line by line as it comes, stopped on cancel or at the
 * deadline. Resolves with the exit code.
 */
export async function streamGit(args: string[], options: StreamGitOptions): Promise<number> {
  const child = spawnGit(args, options)
  const drained = [readLines(child.stdout, options.onStdout), readLines(child.stderr, options.onStderr)]
  const code = await exitOf(child)
  await Promise.all(drained)
  if (options.signal?.aborted) throw new CancelledError()
  options.deadline?.check()
  return code
}

/** Runs a short git command quietly and returns its stdout; throws with git's message on failure. */
export async function runGit(args: string[], cwd: string, env?: Record<string, string | undefined>): Promise<string> {
  let stdout = ''
  let stderr = ''
  const child = spawnGit(args, { cwd, env })
  child.stdout.setEncoding('utf8').on('data', (text: string) => (stdout += text))
  child.stderr.setEncoding('utf8').on('data', (text: string) => (stderr = (stderr + text).slice(-4000)))
  const code = await exitOf(child)
  if (code !== 0) throw new Error(`git ${args[0]} failed (exit ${code}): ${stderr.trim()}`)
  return stdout
}

/** The exit code once git and its pipes closed (128 when a signal stopped it). */
export function exitOf(child: GitProcess): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    child.once('error', reject)
    child.once('close', (exit, killedBy) => resolve(exit ?? (killedBy ? 128 : 1)))
  })
}

/** Where the commit to deploy is: the repository's top folder, and the source folder inside it. */
export interface CommitLocation {
  root: string
  /** `source-dir` relative to the root, with `/`; '' for the root itself. */
  folder: string
  /** `<sha>:<folder>`: the tree that is deployed. */
  treeish: string
}

/** The top folder of the repository holding `dir`; a DeployError of the package stage when there is none. */
export async function repositoryRoot(dir: string): Promise<string> {
  const root = (await runGit(['rev-parse', '--show-toplevel'], dir).catch(() => '')).trim()
  if (!root) throw new DeployError('package', `${dir} is not inside a git repository: check out the repository (actions/checkout) before this step.`)
  return root
}

/** Fails the package stage when the commit is not in the repository (e.g. not checked out). */
export async function requireCommit(root: string, sha: string): Promise<void> {
  const known = await runGit(['cat-file', '-e', `${sha}^{commit}`], root).then(
    () => true,
    () => false
  )
  if (!known) throw new DeployError('package', `The commit ${sha} is not in the repository at ${root}: check it out (actions/checkout) before this step.`)
}

/** The message when `source-dir` has nothing committed at the commit. */
export function emptyFolder(folder: string, sha: string): DeployError {
  return new DeployError('package', `The folder '${folder}' has no committed files at ${sha.slice(0, 7)}: commit it, or fix the source-dir input.`)
}

/** Checks that `sourceDir` is in a git repository that has the commit and the folder at that commit. */
export async function locateCommit(sourceDir: string, sha: string): Promise<CommitLocation> {
  const root = await repositoryRoot(sourceDir)
  await requireCommit(root, sha)
  const folder = path.relative(root, sourceDir).split(path.sep).join('/')
  const treeish = `${sha}:${folder}`
  const hasTree = await runGit(['cat-file', '-e', treeish], root).then(
    () => true,
    () => false
  )
  if (!hasTree) throw emptyFolder(folder, sha)
  return { root, folder, treeish }
}

/** Splits a stream on `\n` and on the `\r` of progress lines. */
function readLines(stream: Readable, onLine: ((line: string) => void) | undefined): Promise<void> {
  return new Promise((resolve) => {
    let partial = ''
    stream.setEncoding('utf8')
    stream.on('data', (text: string) => {
      const parts = (partial + text).split(/\r\n|\r|\n/)
      partial = parts.pop() ?? ''
      for (const part of parts) onLine?.(part)
    })
    stream.on('end', () => {
      if (partial) onLine?.(partial)
      resolve()
    })
  })
}
