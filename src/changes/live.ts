import type { HerokuApi } from '../heroku/api.js'

/** An app's current release, read before anything ships. */
export interface LiveRelease {
  id: string
  version: number
  /** The slug it runs; none for a release without code (a new app's first releases, a Fir image). */
  slugId?: string
  /** Whether Heroku lets a rollback go to it (a release that never ran code cannot be rolled back to). */
  eligibleForRollback: boolean
}

/** The commit a release runs, or why that cannot be known. */
export type ReleaseCommit = { sha: string } | { unknown: string }

/** The app's current release; undefined when it has none yet. */
export async function currentRelease(api: HerokuApi, app: string): Promise<LiveRelease | undefined> {
  const current = (await api.latestReleases(app, 10)).find((release) => release.current)
  return current && { id: current.id, version: current.version, slugId: current.slug?.id, eligibleForRollback: current.eligible_for_rollback !== false }
}

/**
 * The commit a release runs: its slug's `commit`, which an API build sets from `version` (the SHA,
 * unless the `version` input says otherwise) and a git push from the pushed commit. Anything but a
 * full SHA is reported as unknown: never a guess. `until` (the caller's limit) ends the read and its retries.
 */
export async function commitOfRelease(api: HerokuApi, app: string, release: Pick<LiveRelease, 'version' | 'slugId'>, until?: AbortSignal): Promise<ReleaseCommit> {
  if (!release.slugId) return { unknown: `the live release v${release.version} has no slug, so Heroku does not say which commit it runs` }
  const commit = (await api.getSlug(app, release.slugId, until)).commit?.trim()
  if (!commit) return { unknown: `the slug of the live release v${release.version} names no commit (it was built without a version)` }
  if (!/^[0-9a-f]{40}$/i.test(commit)) {
    const label = commit.length > 60 ? `${commit.slice(0, 59)}…` : commit
    return { unknown: `the live release v${release.version} was built from '${label}', a version label rather than a commit SHA` }
  }
  return { sha: commit.toLowerCase() }
}
