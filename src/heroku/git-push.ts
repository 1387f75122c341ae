import { DeployError, oneLine } from '../errors.js'
import type { Log } from '../log.js'
import { pollUntil } from '../util/poll.js'
import { backoffDelay, type RetryPolicy, withRetry } from '../util/retry.js'
import { herokuReason, LineTail } from '../util/tail.js'
import { Deadline, formatSeconds, TimeoutError } from '../util/time.js'
import type { StageContext } from './context.js'
import { locateCommit, runGit, streamGit } from './git.js'
import type { HerokuRelease } from './types.js'

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
      env: { ...process.env, GIT_TERMINAL_PROMPT: '0' },
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

export interface PushRequest {
  app: string
  /** `<HEROKU_GIT_URL>/<app>.git`, without credentials. */
  remoteUrl: string
  apiKey: string
  source: PushSource
}

export interface PushResult {
  /** Heroku's main already was this commit: nothing was sent and nothing built. */
  upToDate: boolean
}

const PUSH_RETRY: RetryPolicy = { attempts: 4, baseDelayMs: 2000, maxDelayMs: 15_000 }

/**
 * Force-pushes the commit to `main` of the app's Heroku git remote, streaming git's output (the
 * remote's lines are the build output) into a log group. The key travels only in git's configuration
 * through the environment, scoped to this remote, and is scrubbed from anything git prints. A push
 * that fails before the remote started building (5xx, 429, dropped connection) is tried again.
 * A rejected push throws with the remote's reason and the last lines of its output.
 */
export async function pushToHeroku(ctx: StageContext, request: PushRequest): Promise<PushResult> {
  const { log, signal, deadline } = ctx
  return log.group(`Build output (${request.app}, git push)`, () =>
    withRetry(() => pushOnce(ctx, request), {
      ...PUSH_RETRY,
      signal,
      deadline,
      retryDelay: (error, attempt) => (error instanceof TransientPushError ? backoffDelay(PUSH_RETRY, attempt) : undefined),
      onRetry: (error, attempt, delayMs) => log.warning(`${(error as Error).message}; retrying in ${formatSeconds(delayMs)} (attempt ${attempt + 1} of ${PUSH_RETRY.attempts})`)
    })
  )
}

/** A push that failed before the remote did anything: safe to try again. */
class TransientPushError extends Error {}

// What git says when the connection, not the remote's verdict, failed.
const TRANSIENT =
  /returned error: (429|5\d\d)|Failed to connect|Could not resolve host|Connection (refused|reset|timed out)|Empty reply|Recv failure|RPC failed|early EOF|unexpected disconnect|remote end hung up|Operation timed out|SSL_/i
const REFUSED_KEY = /terminal prompts disabled|Authentication failed|could not read (Username|Password)|returned error: 401/i

async function pushOnce(ctx: StageContext, request: PushRequest): Promise<PushResult> {
  const { app, remoteUrl, source } = request
  const short = source.commit.slice(0, 7)
  const scrub = scrubber(request.apiKey)
  const remoteTail = new LineTail()
  const messages: string[] = []
  const statuses: string[] = []
  let remoteSpoke = false

  ctx.log.info(`git push --force ${remoteUrl} ${short}:refs/heads/main`)
  const code = await streamGit(['push', '--porcelain', '--force', remoteUrl, `${source.commit}:refs/heads/main`], {
    cwd: source.root,
    env: pushEnv(remoteUrl, request.apiKey),
    signal: ctx.signal,
    deadline: ctx.deadline,
    onStderr: (raw) => {
      const line = scrub(raw).trimEnd()
      const remote = /^remote: ?(.*)$/.exec(line)
      if (remote) {
        remoteSpoke = true
        remoteTail.push(remote[1])
      } else if (line) {
        messages.push(line)
      }
      if (line) ctx.log.info(line)
    },
    onStdout: (line) => statuses.push(scrub(line))
  })

  // Porcelain: "<flag>\t<from>:<to>\t<summary>"; '=' up to date, '!' rejected.
  const status = statuses.map((line) => /^(.)\t[^\t]*\t(.*)$/.exec(line)).find(Boolean)
  const tail = remoteTail.lines()
  if (code === 0 && status?.[1] === '=') {
    ctx.log.info(`Heroku's main of ${app} already is ${short}: nothing to push.`)
    return { upToDate: true }
  }
  if (code === 0) {
    ctx.log.info(`Heroku accepted ${short} on main of ${app}${status ? ` (${status[2]})` : ''}.`)
    return { upToDate: false }
  }
  if (status?.[1] === '!') {
    const why = /\((.*)\)\s*$/.exec(status[2])?.[1] ?? status[2]
    const remoteWhy = herokuReason(tail)
    throw new DeployError('push', `git push of ${short} to ${app} was rejected: ${remoteWhy ? `${remoteWhy} (${why})` : why}`, tail)
  }
  const said = messages.filter((line) => /^(fatal|error):/.test(line)).at(-1) ?? messages.at(-1) ?? 'no message'
  if (REFUSED_KEY.test(said)) {
    throw new DeployError(
      'push',
      `Heroku's git remote ${remoteUrl} refused the credentials: check that the 'api-key' input holds a valid Heroku API key with access to ${app}.`,
      tail
    )
  }
  if (/repository '.*' not found/.test(said)) {
    throw new DeployError('push', `Heroku's git remote has no repository ${remoteUrl}: check the 'app' input (and HEROKU_GIT_URL).`, tail)
  }
  // "unable to access" is the ref discovery failing: nothing was sent yet. Later, only while the remote said nothing.
  if (TRANSIENT.test(said) && (/unable to access/.test(said) || !remoteSpoke)) throw new TransientPushError(`git push to ${app} failed: ${said}`)
  throw new DeployError('push', `git push of ${short} to ${app} failed (exit ${code}): ${said}`, tail)
}

/**
 * The environment of the push: the key as a Basic `Authorization` header in git's configuration,
 * scoped to this one remote (never in the URL or an argument); no prompt, no credential helper, no
 * redirect to another host, no tracing that could print the header; English messages to parse.
 * Configuration the job already passes this way is kept.
 */
export function pushEnv(remoteUrl: string, apiKey: string, base: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {}
  for (const [name, value] of Object.entries(base)) if (!/^GIT_TRACE|^GIT_CURL_VERBOSE$|^GIT_REDACT/.test(name)) env[name] = value
  const config: [string, string][] = [
    [`http.${remoteUrl}.extraHeader`, `Authorization: Basic ${Buffer.from(`heroku:${apiKey}`).toString('base64')}`],
    ['credential.helper', ''],
    ['http.followRedirects', 'false']
  ]
  const first = /^\d+$/.test(base.GIT_CONFIG_COUNT ?? '') ? Number(base.GIT_CONFIG_COUNT) : 0
  config.forEach(([key, value], i) => {
    env[`GIT_CONFIG_KEY_${first + i}`] = key
    env[`GIT_CONFIG_VALUE_${first + i}`] = value
  })
  env.GIT_CONFIG_COUNT = String(first + config.length)
  return { ...env, GIT_TERMINAL_PROMPT: '0', GIT_ASKPASS: '', SSH_ASKPASS: '', LC_ALL: 'C' }
}

/** Replaces the key, in every form git could print it (plain, URL-encoded, Basic credentials), with `***`. */
export function scrubber(secret: string): (text: string) => string {
  const forms = [...new Set([Buffer.from(`heroku:${secret}`).toString('base64'), Buffer.from(`:${secret}`).toString('base64'), encodeURIComponent(secret), secret])].filter(
    (form) => form.length > 0
  )
  return (text) => forms.reduce((out, form) => out.split(form).join('***'), text)
}

/** Heroku names a pushed commit in the release it makes: "Deploy 1a2b3c4d". */
function releaseRuns(release: HerokuRelease, commit: string): boolean {
  const named = /^Deploy ([0-9a-f]{7,40})\b/.exec(release.description ?? '')?.[1]
  return named !== undefined && commit.startsWith(named)
}

const FIND_RELEASE_MS = 60_000

/**
 * The release a push created: the newest release above `afterVersion` that names the pushed commit.
 * Heroku makes it at the end of the build, so it is normally there at once; a moment's lag is waited for.
 */
export async function findPushedRelease(ctx: StageContext, app: string, commit: string, afterVersion: number, windowMs = FIND_RELEASE_MS): Promise<HerokuRelease> {
  const window = new Deadline(Math.min(windowMs, ctx.deadline.remainingMs()), 'finding the release')
  const made = (releases: HerokuRelease[]) => releases.find((release) => release.version > afterVersion && releaseRuns(release, commit))
  try {
    const releases = await pollUntil(
      () => ctx.api.latestReleases(app, 10),
      (list) => made(list) !== undefined,
      {
        deadline: window,
        signal: ctx.signal,
        intervalMs: ctx.pollMs ?? 500,
        maxIntervalMs: 3000
      }
    )
    return made(releases) as HerokuRelease
  } catch (error) {
    if (!(error instanceof TimeoutError)) throw error
    ctx.deadline.check() // the whole deploy ran out of time: say that
    throw new DeployError('release', `Heroku accepted the push of ${commit.slice(0, 7)} to ${app}, but no release of it appeared within ${formatSeconds(window.totalMs)}.`)
  }
}

const RECENT_RELEASES = 25

/**
 * When Heroku's main already is the commit, the push builds nothing (a re-run, or a redeploy after a
 * rollback). Then the release that runs the commit is the result when the app still runs it;
 * otherwise that release's slug is released again, as a redeploy of the same commit would.
 */
export async function releaseOfUnchangedPush(ctx: StageContext, app: string, commit: string): Promise<string> {
  const short = commit.slice(0, 7)
  const releases = await ctx.api.latestReleases(app, RECENT_RELEASES)
  const built = releases.find((release) => releaseRuns(release, commit) && release.slug?.id)
  if (!built?.slug) {
    throw new DeployError(
      'push',
      `Heroku's main of ${app} already is ${short}, so the push built nothing, and none of its last ${RECENT_RELEASES} releases runs it: push a new commit, or deploy with strategy: api.`
    )
  }
  const current = releases.find((release) => release.current)
  if (current?.status === 'succeeded' && current.slug?.id === built.slug.id) {
    ctx.log.info(`${app} already runs ${short} (v${current.version}): nothing new to build or release.`)
    return current.id
  }
  ctx.log.info(`${app} runs ${current ? `v${current.version}` : 'no release'}, not ${short}: releasing the slug of v${built.version} again.`)
  const release = await ctx.api.createRelease(app, { slug: built.slug.id, description: `Deploy ${commit.slice(0, 8)}` })
  return release.id
}
