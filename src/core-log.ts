import * as core from '@actions/core'
import type { Log } from './log.js'
import { scrub } from './util/secrets.js'

/**
 * The job log, through @actions/core: groups fold in the UI, notices and warnings become annotations.
 * Every line is scrubbed of the run's secrets (a build that prints its config vars included), so that
 * no secret relies on the runner's masking alone.
 */
export const coreLog: Log = {
  info: (message) => core.info(scrub(message)),
  notice: (message) => core.notice(scrub(message)),
  warning: (message) => core.warning(scrub(message)),
  error: (message) => core.error(scrub(message)),
  group: (title, fn) => core.group(scrub(title), fn)
}
