import { spawn } from 'node:child_process'
import * as path from 'node:path'
import type { Readable } from 'node:stream'
import { getExecOutput } from '@actions/exec'
import { DeployError } from '../errors.js'
import { CancelledError, type Deadline } from './time.js'

/** Runs a short git command quietly and returns its stdout; throws with git's message on failure. */
export async function runGit(args: string[], cwd: string, env?: Record<string, string>): Promise<string> {
  const { exitCode, stdout, stderr } = await getExecOutput('git', args, {
    cwd,
    silent: true,
    ignoreReturnCode: true,
    ...(env ? { env: { ...process.env, ...env } as Record<string, string> } : {})
  })
  if (exitCode !== 0) throw new Error(`git ${args[0]} failed (exit ${exitCode}): ${stderr.trim()}`)
  return stdout
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

export interface StreamGitOptions {
  cwd: string
  /** The whole environment of the child (not merged with this process's). */
  env?: NodeJS.ProcessEnv
  /** Each line git writes to stderr (its messages and the remote's), `\r` progress updates included. */
  onStderr?: (line: string) => void
  onStdout?: (line: string) => void
  signal?: AbortSignal
  /** Git is stopped when it passes, and the deadline's TimeoutError thrown. */
  deadline?: Deadline
}

/**
 * Runs a long git command (fetch, push) with its output read line by line as it comes, stopped on
 * cancel or at the deadline. Resolves with the exit code.
 */
export async function streamGit(args: string[], options: StreamGitOptions): Promise<number> {
  const { signal, deadline } = options
  if (signal?.aborted) throw new CancelledError()
  deadline?.check()
  // In a process group of its own: git's helpers (git-remote-https) hold its output open, and must stop with it.
  const child = spawn('git', args, { cwd: options.cwd, env: options.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'], detached: true })
  const stop = (): void => {
    try {
      if (child.pid !== undefined) process.kill(-child.pid, 'SIGTERM')
    } catch {
      // already gone
    }
  }
  signal?.addEventListener('abort', stop, { once: true })
  const timer = deadline ? setTimeout(stop, Math.max(1, deadline.remainingMs())) : undefined
  const drained = [readLines(child.stdout, options.onStdout), readLines(child.stderr, options.onStderr)]
  try {
    const code = await new Promise<number>((resolve, reject) => {
      child.once('error', reject)
      child.once('close', (exit, killedBy) => resolve(exit ?? (killedBy ? 128 : 1)))
    })
    await Promise.all(drained)
    if (signal?.aborted) throw new CancelledError()
    deadline?.check()
    return code
  } finally {
    clearTimeout(timer)
    signal?.removeEventListener('abort', stop)
  }
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
