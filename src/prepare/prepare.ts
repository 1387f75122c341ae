import type { HerokuApi } from '../heroku/api.js'
import type { Log } from '../log.js'
import { type DeployResult, timed } from '../result.js'
import type { Settings } from '../settings.js'
import { pushShipper } from '../ship/push.js'
import type { Shipper } from '../ship/shipper.js'
import { sourceShipper } from '../ship/source.js'
import { Deadline } from '../util/time.js'
import { packageAhead, type PackageAhead } from './ahead.js'
import { formatBytes } from './archive.js'
import { preparePush } from './pushable.js'
import { uploadSource } from './upload.js'

export interface PrepareDeps {
  api: HerokuApi
  log: Log
  signal?: AbortSignal
}

/** The commit, ready for Heroku's builders once, whatever the number of apps; and how to ship it to one. */
export interface Prepared {
  shipper: Shipper
  dispose(): Promise<void>
}

/**
 * Gets the commit to Heroku once for every app: api packages and uploads the tarball (one upload
 * serves every build); git makes the commit pushable (history, or a commit of source-dir).
 */
export function prepare(settings: Settings, deps: PrepareDeps, results: readonly DeployResult[], ahead?: PackageAhead): Promise<Prepared> {
  return settings.strategy === 'git' ? preparePushable(settings, deps, results) : prepareUpload(settings, deps, results, ahead)
}

/** The tarball (packaged while the run looked up the apps, or now) and a source blob, side by side; then the upload. */
async function prepareUpload(settings: Settings, deps: PrepareDeps, results: readonly DeployResult[], early?: PackageAhead): Promise<Prepared> {
  const ahead = early ?? packageAhead({ sourceDir: settings.sourceDir, sha: settings.sha, tempDir: settings.tempDir }, deps.signal)
  const dispose = () => ahead.dispose()
  try {
    const [archive, source] = await Promise.all([ahead.archive, deps.api.createSource()]).finally(() => {
      const packaging = ahead.packaging()
      if (packaging) for (const result of results) result.stages.push({ ...packaging })
    })
    deps.log.info(`Packaged ${settings.sha.slice(0, 7)} (${formatBytes(archive.bytes)}, sha256 ${archive.sha256.slice(0, 12)}…).`)
    await timed(results, 'upload', () => uploadSource(archive, source.source_blob.put_url, { signal: deps.signal, onRetry: (message) => deps.log.warning(message) }))
    await dispose() // the tarball is on Heroku's side now
    const shipper = sourceShipper({
      sourceUrl: source.source_blob.get_url,
      version: settings.version,
      checksum: `SHA256:${archive.sha256}`,
      description: describeRun(settings),
      buildpacks: settings.buildpacks
    })
    return { shipper, dispose }
  } catch (error) {
    await dispose()
    throw error
  }
}

async function preparePushable(settings: Settings, deps: PrepareDeps, results: readonly DeployResult[]): Promise<Prepared> {
  if (settings.version !== settings.sha) {
    deps.log.warning("Input 'version' has no effect with strategy git: Heroku labels a pushed build with its commit.")
  }
  const source = await timed(results, 'package', () =>
    preparePush({
      sourceDir: settings.sourceDir,
      sha: settings.sha,
      log: deps.log,
      signal: deps.signal,
      deadline: new Deadline(settings.timeoutMs, 'Preparing the commit for git push')
    })
  )
  return {
    shipper: pushShipper({ gitUrl: settings.herokuGitUrl, apiKey: settings.apiKey, buildpacks: settings.buildpacks }, source),
    dispose: () => Promise.resolve()
  }
}

/** The build's description on Heroku: where it came from. */
export function describeRun(settings: Settings): string {
  const { repository, runId } = settings.github
  return `Deployed by heroku-cd from ${repository || 'a repository'}@${settings.sha.slice(0, 7)}${runId ? ` (run ${runId})` : ''}`
}
