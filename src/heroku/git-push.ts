import { spawn } from 'node:child_process'
import * as path from 'node:path'
import { DeployError } from '../errors.js'
import { pollUntil } from '../util/poll.js'
import { herokuReason, LineTail } from '../util/tail.js'
import { CancelledError } from '../util/time.js'
import type { StageContext } from './context.js'
import { emptyFolder, repositoryRoot, requireCommit, runGit } from './git.js'

export interface PushSource {
  /** The repository's top folder, where git runs. */
  root: string
  /** The commit to push: the deployed commit, or a commit whose tree is `source-dir`. */
  commit: string
}

/**
 * Gets the commit ready for `git push`: Heroku refuses shallow pushes, so a shallow clone (what
 * actions/checkout makes by default) is unshallowed first; with a `source-dir`, a commit whose tree
 * is that folder is made (no parent, so no history is needed and nothing else ships).
 */
export async function preparePush(sourceDir: string, sha: string, log: StageContext['log']): Promise<PushSource> {
  const root = await repositoryRoot(sourceDir)
  const folder = path.relative(root, sourceDir).split(path.sep).join('/')
  if (folder) {
    const tree = (await runGit(['rev-parse', '--verify', '--quiet', `${sha}:${folder}`], root).catch(() => '')).trim()
    if (!tree) throw emptyFolder(folder, sha)
    const identity = { GIT_AUTHOR_NAME: 'heroku-cd', GIT_AUTHOR_EMAIL: 'heroku-cd@users.noreply.github.com', GIT_COMMITTER_NAME: 'heroku-cd', GIT_COMMITTER_EMAIL: 'heroku-cd@users.noreply.github.com' }
    const commit = (await runGit(['commit-tree', tree, '-m', `Deploy ${folder} of ${sha}`], root, identity)).trim()
    log.info(`Pushing ${folder} of ${sha.slice(0, 7)} as commit ${commit.slice(0, 7)}, whose tree is that folder.`)
    return { root, commit }
  }
  if ((await runGit(['rev-parse', '--is-shallow-repository'], root)).trim() === 'true') {
    log.info('The clone is shallow (actions/checkout fetches one commit by default) and Heroku refuses shallow pushes: fetching the full history first.')
    await runGit(['fetch', '--unshallow', '--quiet'], root)
  }
  await requireCommit(root, sha)
  return { root, commit: sha }
}

export interface PushRequest {
  app: string
  gitUrl: string
  apiKey: string
  source: PushSource
}

/**
 * Force-pushes the commit to `refs/heads/main` of the app's Heroku remote and streams git's output
 * (the `remote:` lines are the build log) into a log group. The key travels only in git's
 * configuration through the environment, never in the URL or in arguments, and is scrubbed from
 * everything git prints. A rejected push throws with the remote's reason.
 */
export async function pushToHeroku(ctx: StageContext, request: PushRequest): Promise<void> {
  const remote = `${request.gitUrl}/${request.app}.git`
  const basic = Buffer.from(`heroku:${request.apiKey}`).toString('base64')
  const scrub = (line: string): string => [request.apiKey, basic, encodeURIComponent(request.apiKey)].reduce((text, secret) => text.split(secret).join('***'), line)
  const tail = new LineTail()
  const exitCode = await ctx.log.group(`git push (${request.app})`, async () => {
    ctx.log.info(`git push --force ${remote} ${request.source.commit.slice(0, 7)}:refs/heads/main`)
    const child = spawn('git', ['push', '--force', remote, `${request.source.commit}:refs/heads/main`], {
      cwd: request.source.root,
      env: { ...process.env, GIT_TERMINAL_PROMPT: '0', ...gitConfigEnv(process.env, { 'http.extraHeader': `Authorization: Basic ${basic}` }) },
      stdio: ['ignore', 'pipe', 'pipe']
    })
    const stop = (): void => void child.kill('SIGTERM')
    ctx.signal?.addEventListener('abort', stop, { once: true })
    const timer = setTimeout(stop, ctx.deadline.remainingMs())
    const onOutput = lineSplitter((line) => {
      const shown = scrub(line)
      tail.push(shown)
      ctx.log.info(shown)
    })
    child.stdout.on('data', onOutput)
    child.stderr.on('data', onOutput)
    try {
      return await new Promise<number | null>((resolve, reject) => {
        child.on('error', reject)
        child.on('close', resolve)
      })
    } finally {
      clearTimeout(timer)
      ctx.signal?.removeEventListener('abort', stop)
    }
  })
  if (ctx.signal?.aborted) throw new CancelledError()
  ctx.deadline.check()
  if (exitCode === 0) return
  const lines = tail.lines()
  if (lines.some((line) => /could not read Username|Authentication failed|HTTP 40[13]\b/.test(line))) {
    throw new DeployError('build', `Heroku's git endpoint refused the credentials for ${remote} (check that the 'api-key' input holds a valid Heroku API key).`, lines)
  }
  const remoteLines = lines.filter((line) => line.startsWith('remote:')).map((line) => line.replace(/^remote:\s?/, '').trimEnd())
  const declined = lines.some((line) => line.includes('pre-receive hook declined')) ? ' (pre-receive hook declined)' : ''
  const why = herokuReason(remoteLines) ?? herokuReason(lines) ?? `git exited with code ${exitCode}`
  throw new DeployError('build', `Push to ${request.app} rejected: ${why}${declined}`, lines)
}

/** Finds the release the push created: the newest whose description names the pushed commit. */
export async function releaseOfPush(ctx: StageContext, app: string, commit: string): Promise<string> {
  const label = commit.slice(0, 8)
  const releases = await pollUntil(
    () => ctx.api.latestReleases(app, 5),
    (list) => list.some((release) => release.description?.includes(label)),
    { deadline: ctx.deadline, signal: ctx.signal, intervalMs: ctx.pollMs }
  )
  return releases.find((release) => release.description?.includes(label))?.id as string
}

/** Adds settings after any the environment already carries (GIT_CONFIG_COUNT, git 2.31+). */
export function gitConfigEnv(env: NodeJS.ProcessEnv, settings: Record<string, string>): Record<string, string> {
  let count = Number(env.GIT_CONFIG_COUNT) || 0
  const added: Record<string, string> = {}
  for (const [key, value] of Object.entries(settings)) {
    added[`GIT_CONFIG_KEY_${count}`] = key
    added[`GIT_CONFIG_VALUE_${count}`] = value
    count++
  }
  return { ...added, GIT_CONFIG_COUNT: String(count) }
}

/** git ends progress lines with \r; both end a line here. */
function lineSplitter(onLine: (line: string) => void): (chunk: Buffer) => void {
  let partial = ''
  return (chunk) => {
    const lines = (partial + chunk.toString('utf8')).split(/\r?\n|\r/)
    partial = lines.pop() ?? ''
    // git pads `remote:` lines with spaces to overwrite progress output; they say nothing.
    for (const line of lines) if (line.trim()) onLine(line.trimEnd())
  }
}
