import { DeployError } from '../errors.js'
import { herokuReason } from '../util/tail.js'
import { pollUntil } from '../util/poll.js'
import type { StageContext } from '../heroku/context.js'
import { streamIntoLog } from '../heroku/output.js'
import { sameSource } from '../heroku/api.js'
import { CONFIRM_POLL_MS } from '../heroku/stream.js'
import type { CreateBuildBody, HerokuBuild } from '../heroku/types.js'
import { timed } from '../result.js'
import type { Shipper } from './shipper.js'

/** The uploaded source, built the same way on every app. */
export interface SourceBuild {
  sourceUrl: string
  version: string
  /** `SHA256:<hex>` of the uploaded tarball. */
  checksum: string
  description?: string
  /** In order; empty: the app's own buildpacks (or Heroku's detection). */
  buildpacks?: readonly string[]
}

export interface BuildRequest extends SourceBuild {
  app: string
}

/** api: the tarball, uploaded once, is built on the app through the Builds API. */
export function sourceShipper(source: SourceBuild): Shipper {
  return {
    ship: async (ctx, result) => {
      const { build, releaseId } = await timed([result], 'build', () => runBuild(ctx, { app: result.app, ...source }, (created) => (result.buildId = created.id)))
      result.buildId = build.id
      return { releaseId, slugId: build.slug?.id }
    },
    startedBuild: async (ctx, result) => (await ctx.api.recentBuilds(result.app, 20)).find((build) => sameSource(build, blobOf(source)))
  }
}

function blobOf(source: SourceBuild): CreateBuildBody['source_blob'] {
  return { url: source.sourceUrl, version: source.version, checksum: source.checksum }
}

export interface FinishedBuild {
  build: HerokuBuild
  /** The release the build created. */
  releaseId: string
}

/**
 * Creates the build, streams its output live, then polls until it is no longer `pending` (it can stay
 * pending for a while after the stream closes; the poll starts early and backs off). A failed build
 * throws with Heroku's reason.
 */
export async function runBuild(ctx: StageContext, request: BuildRequest, onCreated?: (build: HerokuBuild) => void): Promise<FinishedBuild> {
  const { api, log } = ctx
  const created = await api.createBuild(request.app, {
    source_blob: { ...blobOf(request), ...(request.description ? { version_description: request.description } : {}) },
    ...(request.buildpacks?.length ? { buildpacks: request.buildpacks.map((url) => ({ url })) } : {})
  })
  onCreated?.(created)
  log.info(`Build ${created.id} started on ${request.app}.`)
  const tail = await streamIntoLog(ctx, `Build output (${request.app})`, created.output_stream_url)

  const poll = { deadline: ctx.deadline, signal: ctx.signal, intervalMs: ctx.pollMs ?? CONFIRM_POLL_MS }
  let build = await pollUntil(
    () => api.getBuild(request.app, created.id),
    (b) => b.status !== 'pending',
    poll
  )
  if (build.status !== 'succeeded') {
    const why = herokuReason(tail) ?? 'no reason given'
    throw new DeployError('build', `Build ${build.id} failed on ${request.app}: ${why}`, tail)
  }
  // The release link can lag behind the status; then find the release by the build's slug.
  if (!build.release?.id) {
    build = await pollUntil(
      () => api.getBuild(request.app, created.id),
      (b) => Boolean(b.release?.id),
      { ...poll, maxIntervalMs: 2000 }
    ).catch(() => build)
  }
  const releaseId = build.release?.id ?? (await releaseOfSlug(ctx, request.app, build.slug?.id))
  if (!releaseId) throw new DeployError('build', `Build ${build.id} succeeded on ${request.app} but Heroku reported no release for it.`, tail)
  return { build, releaseId }
}

async function releaseOfSlug(ctx: StageContext, app: string, slugId: string | undefined): Promise<string | undefined> {
  if (!slugId) return undefined
  const releases = await ctx.api.latestReleases(app, 10)
  return releases.find((release) => release.slug?.id === slugId)?.id
}
