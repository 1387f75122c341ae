/** Where the run writes what a person reads in the job log. `core` implements it at the edge. */
export interface Log {
  info(message: string): void
  /** A line worth an annotation, that is not a problem (why nothing was deployed). */
  notice(message: string): void
  warning(message: string): void
  error(message: string): void
  group<T>(title: string, fn: () => Promise<T>): Promise<T>
}

/**
 * The log of one app among several deployed in parallel. The runner's groups cannot nest or
 * interleave, so every line carries the app's name instead (`[shop-eu] -----> Building…`), and a
 * group is only its title line.
 */
export function appLog(log: Log, app: string): Log {
  const prefix = `[${app}] `
  const each = (message: string) =>
    message
      .split('\n')
      .map((line) => prefix + line)
      .join('\n')
  return {
    info: (message) => log.info(each(message)),
    notice: (message) => log.notice(prefix + message),
    warning: (message) => log.warning(prefix + message),
    error: (message) => log.error(prefix + message),
    group: (title, fn) => {
      log.info(`${prefix}▸ ${title}`)
      return fn()
    }
  }
}
