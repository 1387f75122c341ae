/**
 * One end-to-end world: a started emulator, a local GitHub API, a real git repository of the sample
 * app (whose history the local GitHub answers compare and pull-request look-ups from), and a way to
 * run `dist/index.js` against them exactly as the runner does.
 */
import { execFileSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import * as fs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import { type LocalGitHub, startGitHub } from '../../emulator/github/index.js'
import { type Emulator, startEmulator } from '../../emulator/index.js'
import { makeRepo, type Repo } from '../../scripts/lib/git-repo.js'
import { type ActionRun, cleanup, projectRoot, runAction, type RunningAction, startAction } from '../../scripts/lib/run-action.js'
import { scriptedServer } from '../fakes/http.js'
import { type Channel, expectNoSecrets, secretsOfInputs, withoutPushCredential } from '../helpers/secrets-scan.js'

export const APP = 'hello-app'

export interface World {
  emulator: Emulator
  github: LocalGitHub
  repo: Repo
  sha: string
  apiKey: string
  /** The job's token (`${{ github.token }}`), accepted by the local GitHub. */
  githubToken: string
  /** Where every run's notifications go by default (secret paths, so that the secrets check covers them). */
  receiver: Awaited<ReturnType<typeof scriptedServer>>
  /** Every git child of every run: `argv: …` then its environment, one block each. */
  gitLog: string
  deploy(inputs?: Record<string, string>, env?: Record<string, string>, eventName?: string, event?: unknown): Promise<ActionRun>
  start(inputs?: Record<string, string>, env?: Record<string, string>, eventName?: string, event?: unknown): RunningAction
  /** Sets (or, with null, removes) an app's config vars through the API, as someone would by hand. */
  setConfig(app: string, vars: Record<string, string | null>): Promise<void>
  close(): Promise<void>
}

export async function startWorld(apps: string[] = [APP]): Promise<World> {
  // A key that looks like Heroku's, so a leak of it is easy to spot in any output.
  const apiKey = `HRKU-${randomBytes(16).toString('hex')}`
  const emulator = await startEmulator({ apiKey, apps })
  const githubToken = `ghs_${randomBytes(18).toString('base64url')}`
  const repo = makeRepo(path.join(projectRoot, 'examples', 'hello-app'))
  const github = await startGitHub({ token: githubToken, gitDir: repo.dir })
  const receiver = await scriptedServer((_req, res) => res.writeHead(200).end('ok'))
  const { bin, gitLog } = gitRecorder()
  const runs: ActionRun[] = []
  const world: World = {
    emulator,
    github,
    repo,
    sha: repo.commit('Initial commit'),
    apiKey,
    githubToken,
    receiver,
    gitLog,
    start(inputs = {}, env = {}, eventName, event) {
      const all = {
        'api-key': apiKey,
        app: APP,
        // Every run notifies, so that the secrets check covers webhook URLs and what is sent to them.
        'slack-webhook': `${receiver.url}/services/T0/B0/slack-canary-${randomBytes(6).toString('hex')}`,
        'webhook-url': `${receiver.url}/hooks/webhook-canary-${randomBytes(6).toString('hex')}`,
        'webhook-secret': `whsec-canary-${randomBytes(6).toString('hex')}`,
        ...inputs
      }
      const marks = { heroku: emulator.requests.length, github: github.requests.length, received: receiver.received.length, git: fs.statSync(gitLog).size }
      const running = startAction({
        workspace: repo.dir,
        sha: world.sha,
        eventName,
        event,
        inputs: all,
        // Every git child goes through the recorder first on PATH (a test's own PATH comes after it).
        env: { HEROKU_API_URL: emulator.apiUrl, GITHUB_API_URL: github.apiUrl, ...env, PATH: `${bin}:${env.PATH ?? process.env.PATH}` },
        githubToken
      })
      const done = running.done.then((run) => {
        runs.push(run)
        // The secrets check, on every run: a leak fails the test that made the run.
        expectNoSecrets(runChannels(run, world, marks), [...secretsOfInputs({ 'github-token': githubToken, ...all }), ...secretsOfInputs(inputs)])
        return run
      })
      return { ...running, done }
    },
    deploy(inputs = {}, env = {}, eventName, event) {
      return world.start(inputs, env, eventName, event).done
    },
    async setConfig(app, vars) {
      const response = await fetch(`${emulator.apiUrl}/apps/${app}/config-vars`, {
        method: 'PATCH',
        headers: { Authorization: `Bearer ${apiKey}`, Accept: 'application/vnd.heroku+json; version=3', 'Content-Type': 'application/json' },
        body: JSON.stringify(vars)
      })
      if (response.status !== 200) throw new Error(`PATCH /apps/${app}/config-vars answered ${response.status}: ${await response.text()}`)
    },
    async close() {
      await Promise.all([emulator.close(), github.close(), receiver.close()])
      repo.remove()
      runs.forEach(cleanup)
      fs.rmSync(path.dirname(bin), { recursive: true, force: true })
    }
  }
  return world
}

/** A `git` that records each call's arguments and environment, then runs the git after it on PATH. */
function gitRecorder(): { bin: string; gitLog: string } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'heroku-cd-git-recorder-'))
  const bin = path.join(dir, 'bin')
  fs.mkdirSync(bin)
  const gitLog = path.join(dir, 'git.log')
  fs.writeFileSync(gitLog, '')
  const realGit = execFileSync('sh', ['-c', 'command -v git'], { encoding: 'utf8' }).trim()
  fs.writeFileSync(
    path.join(bin, 'git'),
    [
      '#!/bin/sh',
      `{ printf 'argv:'; printf ' %s' "$@"; printf '\\n'; env; printf '\\n'; } >> '${gitLog}'`,
      // The next git on PATH (a test's own wrapper), else the machine's.
      `rest=$(printf '%s' "$PATH" | sed 's#^${bin}:##')`,
      `next=$(PATH="$rest" command -v git || echo '${realGit}')`,
      'PATH="$rest" exec "$next" "$@"',
      ''
    ].join('\n'),
    { mode: 0o755 }
  )
  return { bin, gitLog }
}

/** What one run could leak by: what it wrote, what it sent, what it asked for, what its children got. */
export function runChannels(run: ActionRun, world: World, marks: { heroku: number; github: number; received: number; git: number }): Channel[] {
  const stdout = run.stdout
    .split('\n')
    .filter((line) => !line.startsWith('::add-mask::'))
    .join('\n')
  const gitText = fs.readFileSync(world.gitLog, 'utf8').slice(marks.git)
  const argv = gitText
    .split('\n')
    .filter((line) => line.startsWith('argv:'))
    .join('\n')
  const environment = withoutPushCredential(
    gitText
      .split('\n')
      .filter((line) => !line.startsWith('argv:'))
      .join('\n')
  )
  return [
    { name: 'stdout', text: stdout },
    { name: 'stderr', text: run.stderr },
    { name: 'outputs', text: JSON.stringify(run.outputs) },
    { name: 'job summary', text: run.summary },
    { name: 'other runner files', text: run.everything.replace(run.stdout, '').replace(run.stderr, '') },
    {
      name: 'notifications (Slack, webhook)',
      text: world.receiver.received
        .slice(marks.received)
        .map((r) => `${r.body.toString()}\n${JSON.stringify(r.headers)}`)
        .join('\n')
    },
    {
      name: 'Heroku request URLs',
      text: world.emulator.requests
        .slice(marks.heroku)
        .map((r) => r.path)
        .join('\n')
    },
    {
      name: 'GitHub request URLs',
      text: world.github.requests
        .slice(marks.github)
        .map((r) => r.path)
        .join('\n')
    },
    { name: "children's arguments", text: argv },
    { name: "children's environment", text: environment }
  ]
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
