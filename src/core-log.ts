import * as core from '@actions/core'
import type { Log } from './log.js'

/** The job log, through @actions/core: groups fold in the UI, notices and warnings become annotations. */
export const coreLog: Log = {
  info: (message) => core.info(message),
  notice: (message) => core.notice(message),
  warning: (message) => core.warning(message),
  error: (message) => core.error(message),
  group: (title, fn) => core.group(title, fn)
}
