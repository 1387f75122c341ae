import { DeployError, oneLine } from '../errors.js'
import type { Log } from '../log.js'
import { locateCommit, runGit, streamGit } from '../util/git.js'
import { type Deadline, formatSeconds } from '../util/time.js'

/** What is pushed: a commit of the repository at `root`. */
export interface PushSource {
  root: string
  /** The deployed commit itself, or for a `source-dir` a parentless commit of that folder's tree. */
  commit: string
}

export interface PrepareRequest {
  sourceDir: string
  sha: string
  log: Log
  signal?: AbortSignal
  deadline: Deadline
}

// GIT_CONFIG_COUNT / GIT_CONFIG_KEY_n / GIT_CONFIG_VALUE_n, the only way the key reaches git, came with 2.31.
const MIN_GIT = [2, 31] as const

/**
 * Makes the commit pushable. Heroku refuses pushes from a shallow clone (actions/checkout's default),
 * so the history is fetched first. For a `source-dir`, the pushed commit is a parentless commit of
 * that folder's tree, with the original author, committer and dates: the same source gives the same
 * commit, so a re-run pushes nothing new, and no history (shallow or not) is needed.
 */
export async function preparePush(request: PrepareRequest): Promise<PushSource> {
  const { sha, log } = request
  await requireGitVersion(request.sourceDir)
  const { root, folder, treeish } = await locateCommit(request.sourceDir, sha)
  if (folder) {
    const tree = (await runGit(['rev-parse', '--verify', treeish], root)).trim()
    const [an, ae, ad, cn, ce, cd] = (await runGit(['show', '-s', '--format=%an%x00%ae%x00%aD%x00%cn%x00%ce%x00%cD', sha], root)).trim().split('\0')
    const identity = { GIT_AUTHOR_NAME: an, GIT_AUTHOR_EMAIL: ae, GIT_AUTHOR_DATE: ad, GIT_COMMITTER_NAME: cn, GIT_COMMITTER_EMAIL: ce, GIT_COMMITTER_DATE: cd }
    const message = `${folder} at ${sha}\n\nThe folder ${folder} of ${sha}, deployed by heroku-cd.\n`
    const commit = (await runGit(['commit-tree', tree, '-m', message], root, identity)).trim()
    log.info(`source-dir '${folder}': pushing ${commit.slice(0, 7)}, a commit of that folder alone (its tree at ${sha.slice(0, 7)}).`)
    return { root, commit }
  }
  if ((await runGit(['rev-parse', '--is-shallow-repository'], root)).trim() === 'true') await unshallow(root, request)
  return { root, commit: sha }
}

async function requireGitVersion(cwd: string): Promise<void> {
  const text = await runGit(['version'], cwd).catch((error: unknown) => {
    throw new DeployError('package', `strategy 'git' needs git on the runner: ${oneLine(error)}`)
  })
  const [major = 0, minor = 0] = (/(\d+)\.(\d+)/.exec(text) ?? []).slice(1).map(Number)
  if (major < MIN_GIT[0] || (major === MIN_GIT[0] && minor < MIN_GIT[1])) {
    throw new DeployError('package', `strategy 'git' needs git ${MIN_GIT.join('.')} or newer to pass the key safely; the runner has ${text.trim()}.`)
  }
}

/** Fetches the history of the commit (or, failing that, of the remote's branches) into a shallow clone. */
async function unshallow(root: string, request: PrepareRequest): Promise<void> {
  const { sha, log, signal, deadline } = request
  const remotes = (await runGit(['remote'], root))
    .split('\n')
    .map((name) => name.trim())
    .filter(Boolean)
  const remote = remotes.includes('origin') ? 'origin' : remotes[0]
  const advice = "set 'fetch-depth: 0' on actions/checkout, or deploy with strategy: api"
  if (!remote) throw new DeployError('package', `The clone is shallow and has no remote to fetch its history from: Heroku refuses shallow pushes; ${advice}.`)
  log.info(
    `The clone is shallow (actions/checkout fetches one commit by default) and Heroku refuses pushes from shallow clones: fetching the history of ${sha.slice(0, 7)} from '${remote}' (git fetch --unshallow).`
  )
  const started = Date.now()
  const errors: string[] = []
  const fetch = (...refs: string[]) =>
    streamGit(['fetch', '--unshallow', '--no-tags', '--quiet', remote, ...refs], {
      cwd: root,
      env: { GIT_TERMINAL_PROMPT: '0' },
      signal,
      deadline,
      onStderr: (line) => line.trim() && errors.push(line.trim())
    })
  // By commit first: a pull request's merge commit is on no branch. Some servers only serve branches.
  if ((await fetch(sha)) !== 0 && (await fetch()) !== 0) {
    throw new DeployError('package', `The clone is shallow and its history could not be fetched from '${remote}' (${errors.at(-1) ?? 'no message'}): ${advice}.`)
  }
  const count = (await runGit(['rev-list', '--count', sha], root)).trim()
  log.info(`Fetched the history of ${sha.slice(0, 7)} (${count} commits) in ${formatSeconds(Date.now() - started)}.`)
}
