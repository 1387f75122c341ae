/**
 * The promotion gate: before anything ships (and in a dry run), every `promote-to` app must be an app
 * of the source app's pipeline in a later stage. Only GET requests.
 */
import { commitOfRelease } from '../changes/live.js'
import { Inputs } from '../constants.js'
import { DeployError, HerokuApiError } from '../errors.js'
import type { HerokuApi } from '../heroku/api.js'
import { type HerokuApp, type HerokuPipelineCoupling, type HerokuRelease, PIPELINE_STAGES, type PipelineStage } from '../heroku/types.js'
import type { PromotedRelease } from '../result.js'
import type { Settings } from '../settings.js'

export interface RouteApp {
  app: string
  id: string
  stage: PipelineStage
}

/** Where a promotion goes: the source app's pipeline, its stage, and each target with its stage. */
export interface PromotionRoute {
  pipeline: { id: string; name: string }
  source: RouteApp
  targets: RouteApp[]
}

/**
 * Reads the source app's coupling and its pipeline's couplings, and checks each target (looked up
 * already: `targets` are the answers of GET /apps/{target}). Throws a DeployError naming the input,
 * the target and the stages it could be in.
 */
export async function checkPromotionRoute(api: HerokuApi, source: string, targets: readonly HerokuApp[]): Promise<PromotionRoute> {
  let coupling: HerokuPipelineCoupling
  try {
    coupling = await api.pipelineCouplingOf(source)
  } catch (error) {
    if (error instanceof HerokuApiError && error.status === 404) {
      throw new DeployError(
        'promote',
        `Input '${Inputs.PromoteTo}' promotes along ${source}'s Heroku pipeline, but ${source} is in no pipeline: add it and ${targets.map((t) => t.name).join(', ')} to one pipeline, ${source} in an earlier stage.`
      )
    }
    throw error
  }
  const [pipeline, couplings] = await Promise.all([api.getPipeline(coupling.pipeline.id), api.pipelineCouplings(coupling.pipeline.id)])
  const sourceStage = coupling.stage
  const later = laterStages(sourceStage, couplings)
  const allowed =
    later.length > 0 ? `allowed: an app of its ${later.join(' or ')} stage` : `no stage of that pipeline after ${sourceStage} has an app, so ${source} has nowhere to promote to`
  const where = `the pipeline '${pipeline.name}' (where ${source} is in the ${sourceStage} stage)`
  const problems: string[] = []
  const route: RouteApp[] = []
  for (const target of targets) {
    const stage = couplings.find((c) => c.app.id === target.id)?.stage
    if (stage === undefined) problems.push(`${target.name} is not an app of ${where}`)
    else if (rank(stage) <= rank(sourceStage)) problems.push(`${target.name} is in the ${stage} stage of ${where}, not a later one`)
    else route.push({ app: target.name, id: target.id, stage })
  }
  if (problems.length > 0) throw new DeployError('promote', `Input '${Inputs.PromoteTo}': ${problems.join('; ')}. Nothing was deployed (${allowed}).`)
  return { pipeline: { id: pipeline.id, name: pipeline.name }, source: { app: source, id: coupling.app.id, stage: sourceStage }, targets: route }
}

/** The stages after `stage` that have apps in the pipeline, upstream first. */
function laterStages(stage: PipelineStage, couplings: readonly HerokuPipelineCoupling[]): PipelineStage[] {
  return PIPELINE_STAGES.filter((candidate) => rank(candidate) > rank(stage) && couplings.some((c) => c.stage === candidate))
}

function rank(stage: PipelineStage): number {
  return PIPELINE_STAGES.indexOf(stage)
}

/**
 * `promote-release`: the release of the source app to promote, by id or version. It must exist on
 * that app and have succeeded (a failed or expired release never ran). Its commit, when its slug
 * names one, is what the targets' GitHub deployments record.
 */
export async function promotableRelease(api: HerokuApi, app: string, idOrVersion: string): Promise<PromotedRelease> {
  const shown = /^\d+$/.test(idOrVersion) ? `v${idOrVersion}` : idOrVersion
  let release: HerokuRelease
  try {
    release = await api.getRelease(app, idOrVersion)
  } catch (error) {
    if (error instanceof HerokuApiError && error.status === 404) {
      throw new DeployError(
        'promote',
        `Input '${Inputs.PromoteRelease}' is ${shown}, which is not a release of ${app} (Heroku: ${error.herokuMessage}): pass the 'release-id' output of the job that deployed ${app}.`
      )
    }
    throw error
  }
  if (release.status !== 'succeeded') {
    throw new DeployError(
      'promote',
      `Input '${Inputs.PromoteRelease}' is v${release.version} of ${app}, whose release ${release.status === 'pending' ? 'has not finished' : release.status}: promote a release that succeeded (and passed its checks).`
    )
  }
  if (!release.slug?.id) throw new DeployError('promote', `Input '${Inputs.PromoteRelease}' is v${release.version} of ${app}, which runs no slug: there is no code to promote.`)
  const commit = await commitOfRelease(api, app, { version: release.version, slugId: release.slug.id })
  return { app, releaseId: release.id, releaseVersion: release.version, commit: 'sha' in commit ? commit.sha : undefined }
}

/** What `promote-to` will do, checked before anything ships: the route, and with `promote-release` the release. */
export interface PromotionPlan {
  route: PromotionRoute
  /** `promote-release`'s release; undefined: the release this run makes and verifies. */
  release?: PromotedRelease
}

/**
 * The promotion's checks, read-only (a dry run makes them too): every target in a later stage of the
 * app's pipeline, and the release to promote. `apps` are the looked-up apps of the run's results.
 */
export async function checkPromotion(
  settings: Pick<Settings, 'apps' | 'promoteTo' | 'promoteRelease'>,
  api: HerokuApi,
  apps: readonly HerokuApp[]
): Promise<PromotionPlan | undefined> {
  if (settings.promoteTo.length === 0) return undefined
  const source = settings.apps[0]
  // With promote-release the source is not deployed, so not looked up yet: the key must reach it too.
  if (!apps.some((app) => app.name === source)) await api.getApp(source)
  const route = await checkPromotionRoute(
    api,
    source,
    apps.filter((app) => settings.promoteTo.includes(app.name))
  )
  const release = settings.promoteRelease === undefined ? undefined : await promotableRelease(api, source, settings.promoteRelease)
  return { route, release }
}
