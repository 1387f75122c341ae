import * as fs from 'node:fs'
import type { StageTiming } from '../stage.js'
import { type ArchiveRequest, createSourceArchive, type SourceArchive } from './archive.js'

/** Packaging started at the run's start (see {@link packageAhead}). */
export interface PackageAhead {
  /** The tarball; a failure rejects it only once someone awaits it (never "unhandled"). */
  readonly archive: Promise<SourceArchive>
  /** The package stage as it ran (its own time, not the wait for it), once packaging has ended. */
  readonly packaging: () => StageTiming | undefined
  /** Stops packaging if it still runs and removes the tarball; safe at any point, more than once. */
  dispose(): Promise<void>
}

/**
 * Starts packaging the commit at once, so it runs while the run looks up the apps and waits for the
 * required checks: all local work, nothing reaches Heroku before the run has decided to deploy.
 */
export function packageAhead(request: Omit<ArchiveRequest, 'signal'>, signal?: AbortSignal): PackageAhead {
  const stop = new AbortController()
  const started = Date.now()
  let packaging: StageTiming | undefined
  let made: SourceArchive | undefined
  const archive = createSourceArchive({ ...request, signal: signal ? AbortSignal.any([signal, stop.signal]) : stop.signal }).then(
    (result) => {
      packaging = { stage: 'package', ms: Date.now() - started, ok: true }
      return (made = result)
    },
    (error: unknown) => {
      packaging = { stage: 'package', ms: Date.now() - started, ok: false }
      throw error
    }
  )
  archive.catch(() => undefined)
  return {
    archive,
    packaging: () => packaging,
    async dispose() {
      stop.abort()
      await archive.catch(() => undefined)
      if (made) await fs.promises.rm(made.path, { force: true })
    }
  }
}
