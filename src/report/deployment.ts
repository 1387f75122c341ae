/**
 * The GitHub deployment of each app, kept true: created before anything ships and set `in_progress`
 * with the run as its log, then closed with `success` (and the app's URL), `failure` (and the reason)
 * or `error` when the job was cancelled. Recording the deployment is a side effect: when GitHub refuses
 * (a missing `permissions:` line, say), that is a warning and the deploy goes on. A create that got no
 * answer is looked for by its mark (unanswered.ts), so that a cancel never leaves one without a final state.
 */
import { CancelledError, GitHubApiError, oneLine } from '../errors.js'
import type { GitHubApi, NewDeployment, NewDeploymentStatus } from '../github/api.js'
import { createFindable } from '../github/unanswered.js'
import type { Log } from '../log.js'
import type { DeployResult } from '../result.js'
import { environmentOf, type Settings } from '../settings.js'
import { CleanupWindow } from '../util/cleanup.js'
import { scrub } from '../util/secrets.js'
import { changesHeadline } from './changes.js'
import { runUrl } from './notification.js'
import { promotedJson } from './outputs.js'

// GitHub refuses a deployment status description longer than this.
const MAX_DESCRIPTION = 140

export interface DeploymentsOptions {
  signal?: AbortSignal
  /** After a cancel, the window every cleanup step shares (one from the signal by default). */
  cleanup?: CleanupWindow
}

export class GitHubDeployments {
  private readonly logUrl: string | undefined
  private readonly cleanup: CleanupWindow

  constructor(
    private readonly github: GitHubApi,
    private readonly settings: Settings,
    private readonly log: Log,
    private readonly options: DeploymentsOptions = {}
  ) {
    this.logUrl = runUrl(settings.github)
    this.cleanup = options.cleanup ?? new CleanupWindow(options.signal)
  }

  /**
   * Creates each app's deployment of `sha` (by default the run's commit; a promoted release's own),
   * unless one exists already (a branch node's claim), and sets it `in_progress`. Only a cancel escapes.
   * A create whose answer was lost is looked for: found, it is the app's deployment (after a cancel,
   * close() ends it in error); not found, `deploymentUnsettled` says that one may exist with no final state.
   */
  async open(results: readonly DeployResult[], sha = this.settings.sha): Promise<void> {
    const short = sha.slice(0, 7)
    for (const result of results) {
      const environment = environmentOf(this.settings, result.app)
      const claimed = result.deploymentId !== undefined
      const from = result.promotedFrom
      const what = from ? `${from.app} v${from.releaseVersion} (${short})` : short
      try {
        result.deploymentId ??= await this.create(result, {
          sha,
          environment,
          description: `heroku-cd: ${from ? 'promoting ' : ''}${what} to the Heroku app ${result.app}`,
          payload: { app: result.app, ...(from ? { promoted_from: promotedJson(from) } : {}) }
        })
        await this.github.createDeploymentStatus(
          result.deploymentId,
          this.status({ state: 'in_progress', description: `${from ? 'Promoting' : 'Deploying'} ${what} to ${result.app}` })
        )
        this.log.info(`GitHub deployment ${result.deploymentId} of ${short} to ${claimed ? result.app : `the environment '${environment}'`} is in progress.`)
      } catch (error) {
        if (error instanceof CancelledError || this.options.signal?.aborted) throw error
        this.log.warning(`Could not record the GitHub deployment of ${result.app}: ${oneLine(error)}. The deploy goes on without it.`)
        // GitHub gives every app the same answer about the token: ask once.
        if (error instanceof GitHubApiError && [401, 403, 404].includes(error.status ?? 0)) return
      }
    }
  }

  /** The app's deployment; one whose answer was lost and that was found is it too (closed with the others after a cancel). */
  private async create(result: DeployResult, deployment: NewDeployment): Promise<number> {
    const created = await createFindable({ github: this.github, log: this.log, signal: this.options.signal, cleanup: this.cleanup }, deployment, {
      what: `the GitHub deployment of ${result.app} to the environment '${deployment.environment}'`,
      found: 'it records this deploy, and is closed with the others',
      ifMade: 'shows no final state on GitHub'
    })
    if (created.answered) return created.id
    result.deploymentId = created.id
    result.deploymentUnsettled = created.unsettled
    if (created.cancelled || created.id === undefined) throw created.error
    return created.id
  }

  /** Gives every deployment opened its final state. Never throws: a failure here is a warning. */
  async close(results: readonly DeployResult[], cancelled: boolean): Promise<void> {
    await Promise.all(
      results.map(async (result) => {
        if (result.deploymentId === undefined) return
        const status = this.status(finalStatus(result))
        try {
          await this.github.createDeploymentStatus(result.deploymentId, status, { afterCancel: cancelled })
          this.log.info(`GitHub deployment ${result.deploymentId} of ${result.app}: ${status.state}.`)
        } catch (error) {
          this.log.warning(`Could not set the GitHub deployment ${result.deploymentId} of ${result.app} to ${status.state}: ${oneLine(error)}`)
        }
      })
    )
  }

  /** Every status links the run; descriptions are short and carry no secret. */
  private status(status: NewDeploymentStatus): NewDeploymentStatus {
    // The registry of every secret the run read, as the log, outputs and summary are scrubbed.
    let description = scrub(status.description ?? '')
    if (description.length > MAX_DESCRIPTION) description = `${description.slice(0, MAX_DESCRIPTION - 1)}…`
    return { ...status, description, ...(this.logUrl ? { log_url: this.logUrl } : {}) }
  }
}

/** The state a deployment ends in, from the app's result. */
export function finalStatus(result: DeployResult): NewDeploymentStatus {
  switch (result.status) {
    case 'success': {
      const from = result.promotedFrom
      const released = `Released${result.releaseVersion === undefined ? '' : ` v${result.releaseVersion}`} on ${result.app}${from ? ` (promoted from ${from.app} v${from.releaseVersion})` : ''}`
      // With what it brought, when that fits: "Released v12 on shop: 3 commits, 2 pull requests since v11".
      const headline = changesHeadline(result)
      const withChanges = headline && `${released}: ${headline}`
      return {
        state: 'success',
        description: withChanges && withChanges.length <= MAX_DESCRIPTION ? withChanges : released,
        ...(result.appUrl ? { environment_url: result.appUrl } : {})
      }
    }
    case 'cancelled':
      return { state: 'error', description: 'Cancelled: the job was cancelled before the deploy finished.' }
    case 'failure':
    case 'rolled-back':
      return { state: 'failure', description: result.reason ?? `The deploy ended with status ${result.status}.` }
    default:
      return { state: 'error', description: `Not deployed (${result.status}).` }
  }
}
