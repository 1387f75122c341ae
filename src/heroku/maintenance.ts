import { oneLine } from '../errors.js'
import type { Log } from '../log.js'
import type { DeployResult } from '../result.js'
import { CleanupWindow } from '../util/cleanup.js'
import type { HerokuApi } from './api.js'

/** Which release maintenance mode surrounds: the deploy's own, or the rollback after failed smoke checks. */
export type ReleaseKind = 'deploy' | 'rollback'

const WHAT: Record<ReleaseKind, string> = { deploy: 'the release', rollback: 'the rollback' }

/**
 * Runs `release` with the app in maintenance mode: on just before, off in a `finally` however it
 * ends (failure and cancel included: the off call ignores the cancel signal, but after a cancel it
 * must end within the cleanup window). Failing to turn it off is loud: an error in the log and
 * `result.maintenanceError`, which the summary and the notifications show.
 */
export async function inMaintenance<T>(
  api: HerokuApi,
  log: Log,
  result: DeployResult,
  kind: ReleaseKind,
  release: () => Promise<T>,
  cleanup: CleanupWindow = new CleanupWindow()
): Promise<T> {
  try {
    await api.setMaintenance(result.app, true)
    log.info(`Maintenance mode is on for ${result.app} during ${WHAT[kind]}.`)
  } catch (error) {
    // The deploy's release may migrate, so it never goes out without maintenance; a rollback matters more.
    if (kind === 'deploy') throw error
    log.warning(`Could not turn maintenance mode on for ${WHAT[kind]} of ${result.app}; rolling back without it: ${oneLine(error)}`)
    return release()
  }
  try {
    return await release()
  } finally {
    await maintenanceOff(api, log, result, cleanup)
  }
}

async function maintenanceOff(api: HerokuApi, log: Log, result: DeployResult, cleanup: CleanupWindow): Promise<void> {
  try {
    // After a cancel the runner kills the job within seconds: better a loud failure in the report than none.
    // After a cancel, by two thirds of the cleanup window: the last third closes the deployments and notifies.
    await cleanup.bound(api.setMaintenance(result.app, false), `Turning maintenance mode off on ${result.app}`, 2 / 3)
    log.info(`Maintenance mode is off for ${result.app}.`)
  } catch (error) {
    result.maintenanceError = `Maintenance mode could not be turned off on ${result.app}, which still shows the maintenance page: ${oneLine(error)}`
    log.error(`${result.maintenanceError}. Turn it off by hand (Heroku dashboard → Settings → Maintenance mode).`)
  }
}
