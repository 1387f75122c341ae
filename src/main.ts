import * as core from '@actions/core'
import { coreLog } from './core-log.js'
import { oneLine } from './errors.js'
import { createGitHubApi } from './github/api.js'
import { createPlatformApi } from './heroku/api.js'
import { failureMessage, outputsOf } from './report/outputs.js'
import { runGit } from './util/git.js'
import type { RunContext } from './report/notification.js'
import { notify } from './report/notify.js'
import { renderSummary } from './report/summary.js'
import { isFailing, type RunResult } from './result.js'
import { runDeploy } from './run.js'
import { readSettings, type Settings, SettingsError } from './settings.js'
import { CleanupWindow } from './util/cleanup.js'
import { scrub } from './util/secrets.js'

/**
 * Reads the inputs, deploys, and reports. Resolves with the run's result; the step fails through
 * setFailed. The signal handlers stay until the very end: a second signal during the report (the
 * runner's SIGTERM) must not kill the step before its summary and notifications are out.
 */
export async function run(): Promise<RunResult> {
  const started = Date.now()
  const cancel = new AbortController()
  const cleanup = new CleanupWindow(cancel.signal)
  const onSignal = (signal: NodeJS.Signals): void => {
    if (!cancel.signal.aborted) core.warning(`Received ${signal}: cancelling the deploy.`)
    cancel.abort()
  }
  process.on('SIGINT', onSignal)
  process.on('SIGTERM', onSignal)
  try {
    let context: RunContext = {}
    let settings: Settings | undefined
    let reported: Promise<void> | undefined
    // Only the report needs the commit's title: read while the deploy starts, not before its first request.
    let title: Promise<string | undefined> = Promise.resolve(undefined)
    // Once, whichever way the run ends; during a deploy, side by side with closing the GitHub deployments.
    const announce = (result: RunResult): Promise<void> => (reported ??= title.then((commitTitle) => report(result, { ...context, commitTitle }, settings, started, cleanup)))
    let result: RunResult
    try {
      settings = readSettings(
        (name) => core.getInput(name),
        process.env,
        (secret) => core.setSecret(secret)
      )
      context = { sha: settings.sha, github: settings.github }
      title = commitTitle(settings)
      const api = createPlatformApi({
        apiKey: settings.apiKey,
        baseUrl: settings.herokuApiUrl,
        log: coreLog,
        signal: cancel.signal,
        cleanup,
        requestTimeoutMs: settings.requestTimeoutMs
      })
      // Settings insists on a token when the run needs GitHub; the run calls it only then.
      const github = settings.githubToken
        ? createGitHubApi({ token: settings.githubToken, baseUrl: settings.githubApiUrl, repository: settings.github.repository, log: coreLog, signal: cancel.signal, cleanup })
        : undefined
      result = await runDeploy(settings, { api, github, log: coreLog, signal: cancel.signal, cleanup, announce })
    } catch (error) {
      if (error instanceof SettingsError) error.problems.slice(1).forEach((problem) => core.error(problem))
      const reason = error instanceof SettingsError ? error.problems[0] : `Unexpected error: ${oneLine(error)}`
      result = { status: 'failure', apps: [], reason, durationMs: 0 }
    }
    await announce(result)
    if (isFailing(result.status)) core.setFailed(scrub(failureMessage(result) ?? `The deploy ended with status ${result.status}.`))
    return result
  } finally {
    process.off('SIGINT', onSignal)
    process.off('SIGTERM', onSignal)
  }
}

/** Outputs and the job summary (scrubbed of every secret: the runner masks only its log), then the notifications. */
async function report(result: RunResult, context: RunContext, settings: Settings | undefined, started: number, cleanup: CleanupWindow): Promise<void> {
  result.durationMs = Date.now() - started
  for (const [name, value] of Object.entries(outputsOf(result))) core.setOutput(name, scrub(value))
  try {
    await core.summary.addRaw(scrub(renderSummary(result, context)), true).write()
  } catch (error) {
    core.warning(`Could not write the job summary: ${oneLine(error)}`)
  }
  // A dry run changes nothing and tells nobody: its plan is in the log and the summary.
  if (settings && result.status !== 'dry-run') await notify(result, context, settings, coreLog, cleanup)
}

/** The first line of the commit's message, for the summary and notifications; none when git cannot tell. */
async function commitTitle(settings: Settings): Promise<string | undefined> {
  const title = await runGit(['log', '-1', '--format=%s', settings.sha], settings.sourceDir).catch(() => '')
  return title.trim() || undefined
}
