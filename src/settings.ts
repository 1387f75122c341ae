import * as fs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import { DEFAULT_GITHUB_API_URL, DEFAULT_HEROKU_API_URL, DEFAULT_HEROKU_GIT_URL, Inputs } from './constants.js'
import { resolveTarget, type Target } from './gate/branch.js'
import { parseConfigVars } from './prepare/config-vars.js'
import { parseBuildpacks } from './ship/buildpacks.js'
import { addSecret } from './util/secrets.js'
import { parseSmokeChecks, type SmokeCheck, SmokeGrammarError } from './verify/smoke-grammar.js'

export type Strategy = 'api' | 'git'

/** What a branch node does once its pull request closed: keep serving it, or show the maintenance page. */
export type IdleNode = 'keep' | 'maintenance'

/** Everything the run needs, read and checked once, before any request. */
export interface Settings {
  readonly apiKey: string
  readonly apps: readonly string[]
  /** How many apps are deployed at the same time. */
  readonly maxParallel: number
  /** Build on the first app only; release its slug on the others. */
  readonly buildOnce: boolean
  /** Set on each app before its build. The values are secrets: masked as soon as read. */
  readonly configVars: Readonly<Record<string, string>>
  /** Buildpack URLs or registry names, in order. */
  readonly buildpacks: readonly string[]
  /** Check everything, change nothing. */
  readonly dryRun: boolean
  /** `apps` is a pool of branch nodes: a pull_request run deploys to one of them (gate/nodes.ts). */
  readonly branchNodes: boolean
  readonly branchNodesIdle: IdleNode
  /** Downstream apps of the app's pipeline that the verified release is promoted to. */
  readonly promoteTo: readonly string[]
  /** A release of the app (its id, or its version as digits) to promote instead of deploying anything. */
  readonly promoteRelease?: string
  readonly strategy: Strategy
  /** Absolute path of the folder to deploy. */
  readonly sourceDir: string
  readonly version: string
  readonly timeoutMs: number
  readonly smokeChecks: readonly SmokeCheck[]
  readonly smokeTimeoutMs: number
  readonly rollbackOnFailure: boolean
  readonly maintenance: boolean
  /** Secrets: masked as soon as they are read. */
  readonly slackWebhook?: string
  readonly webhookUrl?: string
  readonly webhookSecret?: string
  readonly herokuApiUrl: string
  /** How long one API request may go without an answer before it counts as lost (HEROKU_CD_REQUEST_TIMEOUT). */
  readonly requestTimeoutMs: number
  /** The git remote of an app is `<herokuGitUrl>/<app>.git`. */
  readonly herokuGitUrl: string
  /** The commit to deploy: the triggering run's head commit for workflow_run, else GITHUB_SHA. */
  readonly sha: string
  /** The branch pattern of the `branch` input ('' = any). */
  readonly branch: string
  /** GITHUB_EVENT_NAME. */
  readonly eventName: string
  /** What the event says is deployed; the gate (gate/branch.ts) decides whether it is. */
  readonly target: Target
  /** Check-run names or status contexts (globs) that must have passed. */
  readonly requiredChecks: readonly string[]
  readonly checksTimeoutMs: number
  /** Environment of every GitHub deployment, when one name is given; see environmentOf(). */
  readonly environment?: string
  /** `app=environment` lines: the environment of each named app's deployment. */
  readonly environments: Readonly<Record<string, string>>
  readonly githubDeployment: boolean
  readonly githubToken: string
  readonly githubApiUrl: string
  readonly workspace: string
  readonly tempDir: string
  readonly github: GitHubRun
}

/** The run this step is part of, for links in the log and the summary. */
export interface GitHubRun {
  readonly repository: string
  readonly serverUrl: string
  readonly runId: string
  readonly actor: string
  readonly ref: string
}

/** The environment of an app's GitHub deployment: its mapping, else the one name given, else the app's name. */
export function environmentOf(settings: Pick<Settings, 'environment' | 'environments'>, app: string): string {
  return settings.environments[app] ?? settings.environment ?? app
}

/** The apps this step deploys to itself: none when it only promotes a release that exists (`promote-release`). */
export function deployedApps(settings: Pick<Settings, 'apps' | 'promoteRelease'>): readonly string[] {
  return settings.promoteRelease === undefined ? settings.apps : []
}

/** Every problem found in the inputs; each message names its input. */
export class SettingsError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(problems.join(' '))
    this.name = 'SettingsError'
  }
}

export type InputReader = (name: string) => string

const APP_NAME = /^[a-z][a-z0-9-]{1,28}[a-z0-9]$/
const RELEASE_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i
const RELEASE_VERSION = /^v?([1-9]\d{0,8})$/i
const MAX_TIMEOUT_S = 6 * 60 * 60 // a GitHub-hosted job cannot run longer
// More apps at once than this spends the account's API budget faster than Heroku refills it.
const MAX_PARALLEL = 20

/** Splits a list input on commas and newlines, trimmed, without empties or repeats. */
export function splitList(value: string): string[] {
  return [
    ...new Set(
      value
        .split(/[,\n]/)
        .map((item) => item.trim())
        .filter(Boolean)
    )
  ]
}

/**
 * Reads every input into one frozen Settings. `mask` is called with each secret as soon as it is
 * read, before anything is checked, so that no later message can print it.
 */
export function readSettings(input: InputReader, env: NodeJS.ProcessEnv, maskInLog: (secret: string) => void): Settings {
  // A secret is hidden from the log and kept out of every child process's environment.
  const mask = (secret: string): void => {
    maskInLog(secret)
    addSecret(secret)
  }
  const problems: string[] = []
  const problem = (message: string): void => void problems.push(message)

  const apiKey = input(Inputs.ApiKey).trim()
  if (apiKey) {
    mask(apiKey)
    // The git strategy sends it as Basic credentials: mask that form too.
    mask(Buffer.from(`heroku:${apiKey}`).toString('base64'))
  }
  // A run the event refuses needs no key: a fork's pull request runs without the repository's secrets.
  const eventName = env.GITHUB_EVENT_NAME ?? ''
  const target = resolveTarget(eventName, readEvent(env.GITHUB_EVENT_PATH), env)
  if (!apiKey && !target.refusal) problem(`Input '${Inputs.ApiKey}' is required: pass a Heroku API key, e.g. \${{ secrets.HEROKU_API_KEY }}.`)
  else if (/\s/.test(apiKey)) problem(`Input '${Inputs.ApiKey}' must be a single token without spaces or line breaks.`)

  const apps = splitList(input(Inputs.App))
  if (apps.length === 0) problem(`Input '${Inputs.App}' is required: the name of the Heroku app to deploy to.`)
  for (const app of apps.filter((name) => !APP_NAME.test(name))) {
    problem(`Input '${Inputs.App}' has '${app}', which is not a Heroku app name: expected 3 to 30 lowercase letters, digits and dashes, starting with a letter.`)
  }

  const maxParallel = readCount(input(Inputs.MaxParallel), 4, MAX_PARALLEL, Inputs.MaxParallel, problem)
  const buildOnce = readBoolean(input(Inputs.BuildOnce), false, Inputs.BuildOnce, problem)
  if (buildOnce && apps.length < 2)
    problem(`Input '${Inputs.BuildOnce}' builds on the first app and releases that build on the others: it needs two or more apps in '${Inputs.App}'.`)
  const config = parseConfigVars(input(Inputs.ConfigVars), Inputs.ConfigVars, mask)
  config.problems.forEach(problem)
  const buildpackList = parseBuildpacks(input(Inputs.Buildpacks), Inputs.Buildpacks)
  buildpackList.problems.forEach(problem)
  const dryRun = readBoolean(input(Inputs.DryRun), false, Inputs.DryRun, problem)

  const strategy = input(Inputs.Strategy).trim() || 'api'
  if (strategy !== 'api' && strategy !== 'git') problem(`Input '${Inputs.Strategy}' must be 'api' or 'git' (got '${strategy}').`)

  const promoteTo = readPromoteTo(input(Inputs.PromoteTo), apps, problem)
  const promoteRelease = readPromoteRelease(input(Inputs.PromoteRelease), promoteTo, problem)
  if (promoteRelease !== undefined) {
    // Nothing is packaged, uploaded or built: an input that shapes a build would be accepted and then ignored.
    const shaping: [string, boolean][] = [
      [Inputs.ConfigVars, Object.keys(config.vars).length > 0],
      [Inputs.Buildpacks, buildpackList.buildpacks.length > 0],
      [Inputs.Version, input(Inputs.Version).trim() !== ''],
      [Inputs.SourceDir, !['', '.', './'].includes(input(Inputs.SourceDir).trim())],
      [Inputs.Strategy, strategy === 'git']
    ]
    for (const [name] of shaping.filter(([, set]) => set)) {
      problem(
        `Input '${name}' shapes a build, but with '${Inputs.PromoteRelease}' nothing is packaged or built (the release is promoted as it is): remove '${name}' from this step.`
      )
    }
  }

  const workspace = path.resolve(env.GITHUB_WORKSPACE || process.cwd())
  const sourceDir = resolveSourceDir(input(Inputs.SourceDir).trim() || '.', workspace, problem)

  const sha = target.sha
  if (!/^[0-9a-f]{40}$/i.test(sha)) {
    const source = eventName === 'workflow_run' ? "The workflow_run event's head_sha" : 'GITHUB_SHA'
    problem(`${source} is '${sha}', not a commit SHA: run this action in a GitHub Actions job (or set GITHUB_SHA).`)
  }
  const branch = input(Inputs.Branch).trim()
  if (/\s/.test(branch)) problem(`Input '${Inputs.Branch}' must be one branch name or glob such as main or release/* (got '${branch}').`)

  const version = input(Inputs.Version).trim() || sha
  if (/[\r\n]/.test(version) || version.length > 200) {
    problem(`Input '${Inputs.Version}' must be one line of at most 200 characters (a label such as a tag or the commit SHA).`)
  }

  const timeoutMs = readSeconds(input(Inputs.Timeout), 1800, Inputs.Timeout, problem)

  let smokeChecks: SmokeCheck[] = []
  try {
    smokeChecks = parseSmokeChecks(input(Inputs.SmokeChecks), Inputs.SmokeChecks)
  } catch (error) {
    if (!(error instanceof SmokeGrammarError)) throw error
    error.problems.forEach(problem)
  }
  const smokeTimeoutMs = readSeconds(input(Inputs.SmokeTimeout), 120, Inputs.SmokeTimeout, problem)
  const rollbackOnFailure = readBoolean(input(Inputs.RollbackOnFailure), true, Inputs.RollbackOnFailure, problem)
  const maintenance = readBoolean(input(Inputs.Maintenance), false, Inputs.Maintenance, problem)

  const slackWebhook = readSecretUrl(input(Inputs.SlackWebhook), Inputs.SlackWebhook, mask, problem)
  const webhookUrl = readSecretUrl(input(Inputs.WebhookUrl), Inputs.WebhookUrl, mask, problem)
  const webhookSecret = input(Inputs.WebhookSecret).trim() || undefined
  if (webhookSecret) mask(webhookSecret)
  if (webhookSecret && !webhookUrl) problem(`Input '${Inputs.WebhookSecret}' signs the webhook-url POST: set 'webhook-url' too, or remove it.`)

  const herokuApiUrl = (env.HEROKU_API_URL || DEFAULT_HEROKU_API_URL).replace(/\/+$/, '')
  if (!isHttpUrl(herokuApiUrl)) problem(`HEROKU_API_URL must be an http(s) URL (got '${herokuApiUrl}').`)
  const requestTimeout = (env.HEROKU_CD_REQUEST_TIMEOUT ?? '').trim()
  const requestTimeoutS = requestTimeout === '' ? 60 : /^\d+$/.test(requestTimeout) ? Number(requestTimeout) : NaN
  if (!(requestTimeoutS >= 1 && requestTimeoutS <= 600)) {
    problem(`HEROKU_CD_REQUEST_TIMEOUT must be a whole number of seconds from 1 to 600 (got '${requestTimeout.slice(0, 40)}').`)
  }
  const herokuGitUrl = (env.HEROKU_GIT_URL || DEFAULT_HEROKU_GIT_URL).replace(/\/+$/, '')
  if (!isHttpUrl(herokuGitUrl) || hasCredentials(herokuGitUrl)) {
    problem(`HEROKU_GIT_URL must be an http(s) URL without credentials (got '${herokuGitUrl.replace(/\/\/[^@/]*@/, '//***@')}').`)
  }

  const requiredChecks = splitList(input(Inputs.RequiredChecks))
  const checksTimeoutMs = readSeconds(input(Inputs.ChecksTimeout), 600, Inputs.ChecksTimeout, problem)
  const { environment, environments } = readEnvironments(input(Inputs.Environment), [...apps, ...promoteTo], promoteTo.length > 0 && promoteRelease === undefined, problem)
  const githubDeployment = readBoolean(input(Inputs.GitHubDeployment), true, Inputs.GitHubDeployment, problem)
  const githubToken = input(Inputs.GitHubToken).trim()
  if (githubToken) mask(githubToken)
  const githubApiUrl = (env.GITHUB_API_URL || DEFAULT_GITHUB_API_URL).replace(/\/+$/, '')
  const repository = env.GITHUB_REPOSITORY ?? ''
  if (githubDeployment || requiredChecks.length > 0) {
    const why = githubDeployment ? `'${Inputs.GitHubDeployment}' is true` : `'${Inputs.RequiredChecks}' is set`
    if (!githubToken) {
      problem(
        `Input '${Inputs.GitHubToken}' is empty, but ${why}: keep its default \${{ github.token }} or pass a token, or set '${Inputs.GitHubDeployment}: false' and no '${Inputs.RequiredChecks}'.`
      )
    }
    if (!isHttpUrl(githubApiUrl)) problem(`GITHUB_API_URL must be an http(s) URL (got '${githubApiUrl}').`)
    if (!/^[^/\s]+\/[^/\s]+$/.test(repository)) problem(`GITHUB_REPOSITORY is '${repository}', not owner/name: run this action in a GitHub Actions job.`)
  }

  const branchNodes = readBoolean(input(Inputs.BranchNodes), false, Inputs.BranchNodes, problem)
  const branchNodesIdle = readIdleNode(input(Inputs.BranchNodesIdle), branchNodes, problem)
  if (branchNodes) {
    if (eventName !== 'pull_request') {
      problem(
        `Input '${Inputs.BranchNodes}' deploys pull requests to a pool of apps: it needs a pull_request run ('on: pull_request'), not ${eventName ? `a '${eventName}' run` : 'a run without an event'}.`
      )
    } else if (!target.pullRequest?.headSha) {
      problem(`Input '${Inputs.BranchNodes}' needs the pull_request event's payload (GITHUB_EVENT_PATH), which names no pull request.`)
    }
    if (buildOnce)
      problem(`Input '${Inputs.BranchNodes}' deploys to one node of the pool: it cannot be combined with '${Inputs.BuildOnce}', which releases one build on every app.`)
    if (promoteTo.length > 0) {
      problem(
        `Input '${Inputs.BranchNodes}' deploys a pull request to a node of its own, for review: it cannot be combined with '${Inputs.PromoteTo}' (a pull request's build is never promoted down a pipeline).`
      )
    }
    if (!githubDeployment) {
      problem(`Input '${Inputs.BranchNodes}' keeps who holds each node in the pull requests' GitHub deployments: '${Inputs.GitHubDeployment}' cannot be false with it.`)
    }
  }

  if (problems.length > 0) throw new SettingsError(problems)

  return Object.freeze({
    apiKey,
    apps: Object.freeze(apps),
    maxParallel,
    buildOnce,
    configVars: Object.freeze(config.vars),
    buildpacks: Object.freeze(buildpackList.buildpacks),
    dryRun,
    branchNodes,
    branchNodesIdle,
    promoteTo: Object.freeze(promoteTo),
    promoteRelease,
    strategy: strategy as Strategy,
    sourceDir,
    version,
    timeoutMs,
    smokeChecks: Object.freeze(smokeChecks),
    smokeTimeoutMs,
    rollbackOnFailure,
    maintenance,
    slackWebhook,
    webhookUrl,
    webhookSecret,
    herokuApiUrl,
    requestTimeoutMs: requestTimeoutS * 1000,
    herokuGitUrl,
    sha: sha.toLowerCase(),
    branch,
    eventName,
    target: Object.freeze(target),
    requiredChecks: Object.freeze(requiredChecks),
    checksTimeoutMs,
    environment,
    environments: Object.freeze(environments),
    githubDeployment,
    githubToken,
    githubApiUrl,
    workspace,
    tempDir: env.RUNNER_TEMP || os.tmpdir(),
    github: Object.freeze({
      repository,
      serverUrl: (env.GITHUB_SERVER_URL || 'https://github.com').replace(/\/+$/, ''),
      runId: env.GITHUB_RUN_ID ?? '',
      actor: env.GITHUB_ACTOR ?? '',
      ref: env.GITHUB_REF ?? ''
    })
  })
}

/** `promote-to`: downstream apps of the one app deployed (or whose release is promoted). */
function readPromoteTo(raw: string, apps: readonly string[], problem: (message: string) => void): string[] {
  const targets = splitList(raw)
  if (targets.length === 0) return targets
  for (const target of targets.filter((name) => !APP_NAME.test(name))) {
    problem(`Input '${Inputs.PromoteTo}' has '${target}', which is not a Heroku app name: expected 3 to 30 lowercase letters, digits and dashes, starting with a letter.`)
  }
  for (const target of targets.filter((name) => apps.includes(name))) {
    problem(`Input '${Inputs.PromoteTo}' has '${target}', which is also in '${Inputs.App}': a promotion copies the release of '${Inputs.App}' to other apps of its pipeline.`)
  }
  if (apps.length > 1) {
    problem(`Input '${Inputs.PromoteTo}' promotes the release of one app, but '${Inputs.App}' names ${apps.length} (${apps.join(', ')}): deploy and promote one app per step.`)
  }
  return targets
}

/** `promote-release`: a release id (UUID) or version (`42`, `v42`) of the app; returned as the id, or the version's digits. */
function readPromoteRelease(raw: string, promoteTo: readonly string[], problem: (message: string) => void): string | undefined {
  const value = raw.trim()
  if (value === '') return undefined
  if (promoteTo.length === 0) {
    problem(
      `Input '${Inputs.PromoteRelease}' promotes a release of '${Inputs.App}' to the apps of '${Inputs.PromoteTo}', which is empty: name the downstream apps in '${Inputs.PromoteTo}'.`
    )
  }
  if (RELEASE_ID.test(value)) return value.toLowerCase()
  const version = RELEASE_VERSION.exec(value)?.[1]
  if (version) return version
  const shown = value.length > 60 || /[\r\n]/.test(value) ? `${value.replace(/[\r\n].*$/s, '').slice(0, 60)}…` : value
  problem(
    `Input '${Inputs.PromoteRelease}' must be a release of '${Inputs.App}': its id (a UUID, e.g. the 'release-id' output of the job that deployed it) or its version such as 42 or v42 (got '${shown}').`
  )
  return undefined
}

/**
 * `environment`: one name for every deployment, or `app=environment` lines (the apps this step deploys
 * or promotes to; an app not listed keeps its own name). One name for a step that deploys an app and
 * promotes it would file production under the staging environment, so that step needs the lines.
 */
function readEnvironments(
  raw: string,
  apps: readonly string[],
  promotes: boolean,
  problem: (message: string) => void
): { environment?: string; environments: Record<string, string> } {
  const lines = raw
    .split('\n')
    .map((line) => line.trim())
    .filter(Boolean)
  const environments: Record<string, string> = {}
  const name = (value: string) => value.length > 0 && value.length <= 255
  if (lines.length === 0) return { environments }
  if (!lines.some((line) => line.includes('='))) {
    if (lines.length > 1 || !name(lines[0])) {
      problem(
        `Input '${Inputs.Environment}' must be one line of at most 255 characters, the name of a GitHub environment such as 'production' (or 'app=environment' lines, one per app).`
      )
    } else if (promotes) {
      problem(
        `Input '${Inputs.Environment}' gives one environment to every deployment, but this step deploys ${apps[0]} and promotes to ${apps.slice(1).join(', ')}: map each app with 'app=environment' lines (e.g. '${apps[0]}=staging').`
      )
    }
    return { environment: lines[0], environments }
  }
  lines.forEach((line, index) => {
    const where = `Input '${Inputs.Environment}' line ${index + 1}`
    const match = /^([^=\s]+)\s*=\s*(.*)$/.exec(line)
    if (!match) return problem(`${where} ('${line.slice(0, 80)}') must be 'app=environment', like every line when one line maps an app.`)
    const [, app, environment] = match
    if (!apps.includes(app)) return problem(`${where} maps '${app}', which this step does not deploy to: expected one of ${apps.join(', ')}.`)
    if (!name(environment)) return problem(`${where} must give ${app} an environment name of 1 to 255 characters.`)
    if (environments[app] !== undefined) return problem(`${where} maps ${app} a second time.`)
    environments[app] = environment
  })
  return { environments }
}

function resolveSourceDir(value: string, workspace: string, problem: (message: string) => void): string {
  const resolved = path.resolve(workspace, value)
  const relative = path.relative(workspace, resolved)
  if (relative.startsWith('..') || path.isAbsolute(relative)) {
    problem(`Input '${Inputs.SourceDir}' must be a folder inside the repository (got '${value}').`)
  } else if (!fs.statSync(resolved, { throwIfNoEntry: false })?.isDirectory()) {
    problem(`Input '${Inputs.SourceDir}' must be an existing folder of the repository (got '${value}').`)
  }
  return resolved
}

function readCount(raw: string, fallback: number, max: number, name: string, problem: (message: string) => void): number {
  const value = raw.trim()
  if (value === '') return fallback
  const count = /^\d+$/.test(value) ? Number(value) : NaN
  if (!(count >= 1 && count <= max)) problem(`Input '${name}' must be a whole number from 1 to ${max} (got '${value}').`)
  return count
}

function readSeconds(raw: string, fallback: number, name: string, problem: (message: string) => void): number {
  const value = raw.trim()
  if (value === '') return fallback * 1000
  const seconds = /^\d+$/.test(value) ? Number(value) : NaN
  if (!(seconds >= 1 && seconds <= MAX_TIMEOUT_S)) {
    problem(`Input '${name}' must be a whole number of seconds from 1 to ${MAX_TIMEOUT_S} (got '${value}').`)
  }
  return seconds * 1000
}

function readIdleNode(raw: string, branchNodes: boolean, problem: (message: string) => void): IdleNode {
  const value = raw.trim() || 'keep'
  if (value !== 'keep' && value !== 'maintenance') {
    problem(`Input '${Inputs.BranchNodesIdle}' must be 'keep' (a freed node keeps serving) or 'maintenance' (it shows the maintenance page) (got '${value}').`)
    return 'keep'
  }
  if (value === 'maintenance' && !branchNodes) problem(`Input '${Inputs.BranchNodesIdle}' says what a freed branch node does: it needs '${Inputs.BranchNodes}: true'.`)
  return value
}

/** The event payload the runner wrote; an empty object when there is none. */
function readEvent(file: string | undefined): unknown {
  if (!file) return {}
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8'))
  } catch {
    return {}
  }
}

/** A notification URL is a secret (its path is the credential): masked before it is checked, never echoed. */
function readSecretUrl(raw: string, name: string, mask: (secret: string) => void, problem: (message: string) => void): string | undefined {
  const value = raw.trim()
  if (!value) return undefined
  mask(value)
  if (!isHttpUrl(value)) problem(`Input '${name}' must be an http(s) URL.`)
  return value
}

/** YAML 1.2 core booleans, as @actions/core's getBooleanInput takes them. */
function readBoolean(raw: string, fallback: boolean, name: string, problem: (message: string) => void): boolean {
  const value = raw.trim()
  if (value === '') return fallback
  if (['true', 'True', 'TRUE'].includes(value)) return true
  if (['false', 'False', 'FALSE'].includes(value)) return false
  problem(`Input '${name}' must be true or false (got '${value}').`)
  return fallback
}

function isHttpUrl(value: string): boolean {
  try {
    const url = new URL(value)
    return url.protocol === 'https:' || url.protocol === 'http:'
  } catch {
    return false
  }
}

function hasCredentials(value: string): boolean {
  const url = new URL(value)
  return url.username !== '' || url.password !== ''
}
