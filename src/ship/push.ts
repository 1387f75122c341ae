import { DeployError } from '../errors.js'
import type { StageContext } from '../heroku/context.js'
import { streamIntoLog } from '../heroku/output.js'
import type { HerokuBuild, HerokuRelease } from '../heroku/types.js'
import type { PushSource } from '../prepare/pushable.js'
import { timed } from '../result.js'
import { streamGit } from '../util/git.js'
import { pollUntil } from '../util/poll.js'
import { backoffDelay, type RetryPolicy, withRetry } from '../util/retry.js'
import { herokuReason, LineTail } from '../util/tail.js'
import { Deadline, formatSeconds, TimeoutError } from '../util/time.js'
import { installBuildpacks } from './buildpacks.js'
import type { Shipper } from './shipper.js'

export interface PushTarget {
  /** Each app's remote is `<gitUrl>/<app>.git`. */
  gitUrl: string
  apiKey: string
  /** Set on the app before the push (a push builds with the app's own buildpacks). */
  buildpacks: readonly string[]
}

/** git: the commit, made pushable once, is force-pushed to each app's Heroku remote. */
export function pushShipper(target: PushTarget, source: PushSource, findBuildMs = FIND_BUILD_MS): Shipper {
  // Each app's push: once begun, Heroku may build it whatever becomes of the pusher; once accepted, it was built.
  const pushes = new Map<string, 'begun' | 'built' | 'unchanged'>()
  return {
    ship: async (ctx, result) => {
      const { app } = result
      await installBuildpacks(ctx.api, ctx.log, app, target.buildpacks)
      const before = (await ctx.api.latestReleases(app, 1))[0]?.version ?? 0
      const remoteUrl = `${target.gitUrl}/${encodeURIComponent(app)}.git`
      pushes.set(app, 'begun')
      const made = (waitMs: number) => pushMade(ctx, app, source.commit, before, waitMs)
      const pushed = await timed([result], 'push', () => pushToHeroku(ctx, { app, remoteUrl, apiKey: target.apiKey, source, made }))
      pushes.set(app, pushed.upToDate ? 'unchanged' : 'built')
      const release = pushed.upToDate ? await releaseOfUnchangedPush(ctx, app, source.commit) : await findPushedRelease(ctx, app, source.commit, before)
      return { releaseId: release.id, slugId: release.slug?.id }
    },
    startedBuild: async (ctx, { app }) => {
      const push = pushes.get(app)
      if (push === 'begun') return buildOfInterruptedPush(ctx, app, source.commit, findBuildMs)
      // Accepted: the push's build is done (the newest of this commit), and its release may be on its way.
      if (push === 'built') return (await ctx.api.recentBuilds(app, 10)).find((build) => build.source_blob?.version === source.commit)
      return undefined
    }
  }
}

// How long an interrupted push's build is looked for: Heroku starts it once it has the pushed commit.
const FIND_BUILD_MS = 3000

/**
 * The build an interrupted push started (a cancel or a timeout killed the pusher): it runs on without
 * it, found by the commit it builds. Heroku creates it only once it has received and unpacked the
 * push, which can be after the pusher was gone, so it is looked for a few seconds. When none shows,
 * nothing says the push did not reach Heroku: the error says a build of it may still start.
 */
export async function buildOfInterruptedPush(ctx: StageContext, app: string, commit: string, windowMs: number): Promise<HerokuBuild> {
  const pending = (builds: HerokuBuild[]) => builds.find((build) => build.status === 'pending' && build.source_blob?.version === commit)
  // Not the run's cancel signal (it has fired): the cleanup window bounds this.
  const builds = await pollUntil(
    () => ctx.api.recentBuilds(app, 10),
    (list) => pending(list) !== undefined,
    {
      deadline: new Deadline(windowMs, 'looking for the build of the push'),
      intervalMs: 250,
      maxIntervalMs: 500
    }
  ).catch((error: unknown) => {
    if (error instanceof TimeoutError) return []
    throw error
  })
  const build = pending(builds)
  if (build) return build
  throw new Error(
    `the push of ${commit.slice(0, 7)} was interrupted and no build of it showed on Heroku within ${formatSeconds(windowMs)}; if the push reached Heroku, a build of it may still start`
  )
}

/**
 * What a push whose answer was lost or cut made on Heroku: the release of its build (the newest above
 * `afterVersion` naming the commit), or its build still running, followed to its end (a failed one
 * throws with Heroku's reason). Looked for up to `waitMs`: Heroku creates the build only once it has
 * unpacked the push. Undefined when nothing shows: the push is then safe to send again.
 */
async function pushMade(ctx: StageContext, app: string, commit: string, afterVersion: number, waitMs: number): Promise<PushResult | undefined> {
  const read = async () => {
    const [releases, builds] = await Promise.all([ctx.api.latestReleases(app, 10), ctx.api.recentBuilds(app, 10)])
    return {
      released: releases.some((release) => release.version > afterVersion && releaseRuns(release, commit)),
      building: builds.find((build) => build.status === 'pending' && build.source_blob?.version === commit)
    }
  }
  const found = await pollUntil(read, (now) => now.released || now.building !== undefined, {
    deadline: new Deadline(Math.min(waitMs, ctx.deadline.remainingMs()), 'looking for what the push made'),
    signal: ctx.signal,
    intervalMs: 250,
    maxIntervalMs: 500
  }).catch((error: unknown) => {
    if (error instanceof TimeoutError) return undefined
    throw error
  })
  if (!found) return undefined
  if (found.building) {
    const build = found.building
    ctx.log.info(`Build ${build.id} of ${commit.slice(0, 7)} is running on ${app}: following it.`)
    // Into the push's log group.
    const lines = await streamIntoLog(ctx, `The build output of ${app}`, build.output_stream_url, { group: false })
    const done = await pollUntil(
      () => ctx.api.getBuild(app, build.id),
      (now) => now.status !== 'pending',
      { deadline: ctx.deadline, signal: ctx.signal, intervalMs: ctx.pollMs }
    )
    if (done.status !== 'succeeded') throw new DeployError('push', `Build ${build.id} of the push failed on ${app}: ${herokuReason(lines) ?? 'no reason given'}`, lines)
  }
  return { upToDate: false }
}

export interface PushRequest {
  app: string
  /** `<HEROKU_GIT_URL>/<app>.git`, without credentials. */
  remoteUrl: string
  apiKey: string
  source: PushSource
  /**
   * What a push whose answer was lost or cut may have made on Heroku, looked for (up to `waitMs`)
   * before it is pushed again; undefined when nothing shows. Without it, such a push is not repeated.
   */
  made?: (waitMs: number) => Promise<PushResult | undefined>
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
  const short = request.source.commit.slice(0, 7)
  let uncertain: UncertainPushError | undefined
  const attempt = async (): Promise<PushResult> => {
    if (uncertain && request.made) {
      const made = await request.made(uncertain.waitMs)
      if (made) {
        log.info(`The push of ${short} to ${request.app} got no clear answer, but Heroku had received it and built it: not pushed again.`)
        return made
      }
      log.info(`The push of ${short} to ${request.app} got no clear answer, and Heroku shows no build of it: pushing again.`)
    }
    try {
      return await pushOnce(ctx, request)
    } catch (error) {
      if (error instanceof UncertainPushError) uncertain = error
      throw error
    }
  }
  return log.group(`Build output (${request.app}, git push)`, () =>
    withRetry(attempt, {
      ...PUSH_RETRY,
      signal,
      deadline,
      retryDelay: (error, n) => (error instanceof TransientPushError || (error instanceof UncertainPushError && request.made) ? backoffDelay(PUSH_RETRY, n) : undefined),
      onRetry: (error, n, delayMs) => log.warning(`${(error as Error).message}; retrying in ${formatSeconds(delayMs)} (attempt ${n + 1} of ${PUSH_RETRY.attempts})`)
    })
  )
}

/** A push that failed before anything was sent (the ref discovery): safe to try again. */
class TransientPushError extends Error {}

/**
 * A push whose connection failed after the commit was sent: Heroku may have received it and built
 * it (or be building it), so what it made is looked for before it is sent again. `waitMs`: how long
 * to look; an answer with a status came after Heroku decided, no answer at all may come before its build shows.
 */
class UncertainPushError extends Error {
  constructor(
    message: string,
    readonly waitMs: number
  ) {
    super(message)
  }
}

// What git says when the connection, not the remote's verdict, failed.
const TRANSIENT =
  /returned error: (429|5\d\d)|Failed to connect|Could not resolve host|Connection (refused|reset|timed out)|Empty reply|Recv failure|RPC failed|early EOF|unexpected disconnect|remote end hung up|Operation timed out|transfer closed|SSL_/i
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
  // "unable to access" is the ref discovery failing: nothing was sent yet. Later, Heroku may have the commit.
  if (TRANSIENT.test(said)) {
    if (/unable to access/.test(said)) throw new TransientPushError(`git push to ${app} failed: ${said}`)
    const answered = messages.some((line) => /returned error: \d{3}/.test(line))
    throw new UncertainPushError(`git push to ${app} failed after sending ${short}${remoteSpoke ? ', while Heroku was building it' : ''}: ${said}`, answered ? 0 : FIND_BUILD_MS)
  }
  throw new DeployError('push', `git push of ${short} to ${app} failed (exit ${code}): ${said}`, tail)
}

/**
 * What the push adds to a child's environment: the key as a Basic `Authorization` header in git's
 * configuration, scoped to this one remote (never in the URL or an argument); no prompt, no credential
 * helper, no redirect to another host, no reused connection (see below), no tracing that could print
 * the header (those variables are removed); English messages to parse. Configuration the job already
 * passes this way is kept.
 */
export function pushEnv(remoteUrl: string, apiKey: string, base: NodeJS.ProcessEnv = process.env): Record<string, string | undefined> {
  const env: Record<string, string | undefined> = {}
  for (const name of Object.keys(base)) if (/^GIT_TRACE|^GIT_CURL_VERBOSE$|^GIT_REDACT/.test(name)) env[name] = undefined
  const config: [string, string][] = [
    [`http.${remoteUrl}.extraHeader`, `Authorization: Basic ${Buffer.from(`heroku:${apiKey}`).toString('base64')}`],
    ['credential.helper', ''],
    ['http.followRedirects', 'false'],
    // libcurl silently sends a request again when the kept-alive connection it reused dies before an
    // answer: for the push's POST, that is the push sent twice blindly (Heroku builds it twice). A
    // connection per request leaves that decision to pushToHeroku, which looks first.
    [`http.${remoteUrl}.extraHeader`, 'Connection: close']
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
export async function releaseOfUnchangedPush(ctx: StageContext, app: string, commit: string): Promise<HerokuRelease> {
  const short = commit.slice(0, 7)
  const releases = await ctx.api.latestReleases(app, RECENT_RELEASES)
  const built = releases.find((release) => releaseRuns(release, commit) && release.slug?.id)
  if (!built?.slug) {
    throw new DeployError(
      'push',
      `Heroku's main of ${app} already is ${short}, so the push built nothing, and none of its last ${RECENT_RELEASES} releases runs it: push a new commit, or deploy with strategy: api.`
    )
  }
  // Still in its release phase (a re-run beside the run that pushed, a push whose answer was lost): waited for, not made twice.
  if (built.status === 'pending') {
    ctx.log.info(`v${built.version} of ${short} is still being released on ${app}: waiting for it rather than releasing ${short} again.`)
    return built
  }
  const current = releases.find((release) => release.current)
  if (current?.status === 'succeeded' && current.slug?.id === built.slug.id) {
    ctx.log.info(`${app} already runs ${short} (v${current.version}): nothing new to build or release.`)
    return current
  }
  ctx.log.info(`${app} runs ${current ? `v${current.version}` : 'no release'}, not ${short}: releasing the slug of v${built.version} again.`)
  return ctx.api.createRelease(app, { slug: built.slug.id, description: `Deploy ${commit.slice(0, 8)}` })
}
