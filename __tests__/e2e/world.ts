/**
 * One end-to-end world: a started emulator, a local GitHub API, a real git repository of the sample
 * app, and a way to run `dist/index.js` against them exactly as the runner does.
 */
import { randomBytes } from 'node:crypto'
import * as path from 'node:path'
import { type LocalGitHub, startGitHub } from '../../emulator/github/index.js'
import { type Emulator, startEmulator } from '../../emulator/index.js'
import { makeRepo, type Repo } from '../../scripts/lib/git-repo.js'
import { type ActionRun, cleanup, projectRoot, runAction, type RunningAction, startAction } from '../../scripts/lib/run-action.js'

export const APP = 'hello-app'

export interface World {
  emulator: Emulator
  github: LocalGitHub
  repo: Repo
  sha: string
  apiKey: string
  /** The job's token (`${{ github.token }}`), accepted by the local GitHub. */
  githubToken: string
  deploy(inputs?: Record<string, string>, env?: Record<string, string>, eventName?: string, event?: unknown): Promise<ActionRun>
  start(inputs?: Record<string, string>, env?: Record<string, string>, eventName?: string, event?: unknown): RunningAction
  close(): Promise<void>
}

export async function startWorld(apps: string[] = [APP]): Promise<World> {
  // A key that looks like Heroku's, so a leak of it is easy to spot in any output.
  const apiKey = `HRKU-${randomBytes(16).toString('hex')}`
  const emulator = await startEmulator({ apiKey, apps })
  const githubToken = `ghs_${randomBytes(18).toString('base64url')}`
  const github = await startGitHub({ token: githubToken })
  const repo = makeRepo(path.join(projectRoot, 'examples', 'hello-app'))
  const runs: ActionRun[] = []
  const world: World = {
    emulator,
    github,
    repo,
    sha: repo.commit('Initial commit'),
    apiKey,
    githubToken,
    start(inputs = {}, env = {}, eventName, event) {
      const running = startAction({
        workspace: repo.dir,
        sha: world.sha,
        eventName,
        event,
        inputs: { 'api-key': apiKey, app: APP, ...inputs },
        env: { HEROKU_API_URL: emulator.apiUrl, GITHUB_API_URL: github.apiUrl, ...env },
        githubToken
      })
      running.done.then(
        (run) => runs.push(run),
        () => undefined
      )
      return running
    },
    deploy(inputs = {}, env = {}, eventName, event) {
      return world.start(inputs, env, eventName, event).done
    },
    async close() {
      await Promise.all([emulator.close(), github.close()])
      repo.remove()
      runs.forEach(cleanup)
    }
  }
  return world
}

/**
 * Every byte the action wrote, less the `::add-mask::` commands that hand secrets (the key, and its
 * Basic-credential form) to the runner's masker, which consumes them and never shows them.
 */
export function writtenBytes(run: ActionRun, _secret?: string): string {
  return run.everything
    .split('\n')
    .filter((line) => !line.startsWith('::add-mask::'))
    .join('\n')
}

/** The secret in any form a mistake could print it: as is, URL-encoded, or inside Basic credentials. */
export function secretForms(secret: string): string[] {
  return [secret, encodeURIComponent(secret), Buffer.from(`:${secret}`).toString('base64'), Buffer.from(`heroku:${secret}`).toString('base64')]
}

export { runAction }
