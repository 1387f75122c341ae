import { HerokuApiError } from '../../src/errors.js'
import type { HerokuApi } from '../../src/heroku/api.js'
import type {
  CreateBuildBody,
  CreatePromotionBody,
  CreateReleaseBody,
  HerokuApp,
  HerokuBuild,
  HerokuDyno,
  HerokuPipeline,
  HerokuPipelineCoupling,
  HerokuPromotion,
  HerokuPromotionTarget,
  HerokuRelease,
  HerokuSlug,
  PipelineStage,
  SourceBlob
} from '../../src/heroku/types.js'

/**
 * An in-memory HerokuApi: builds and releases move through the states each test scripts, one state
 * per read, so the stages' polling is exercised without a server.
 */
export class FakeHeroku implements HerokuApi {
  buildStates: Partial<HerokuBuild>[] = [{ status: 'pending' }, { status: 'succeeded', release: { id: 'rel-1' }, slug: { id: 'slug-1' } }]
  releaseStates: Partial<HerokuRelease>[] = [{ status: 'succeeded' }]
  releases: HerokuRelease[] = []
  createdBuilds: CreateBuildBody[] = []
  createdReleases: CreateReleaseBody[] = []
  private buildReads = 0
  private releaseReads = 0

  /** What GET /apps/{app} answers besides the defaults (released_at, maintenance…), per app. */
  apps: Record<string, Partial<HerokuApp>> = {}
  async getApp(app: string): Promise<HerokuApp> {
    return { id: `id-${app}`, name: app, web_url: `https://${app}.example/`, maintenance: false, ...this.apps[app] }
  }
  async createSource(): Promise<SourceBlob> {
    return { source_blob: { get_url: 'http://blob/get', put_url: 'http://blob/put' } }
  }
  async createBuild(_app: string, body: CreateBuildBody): Promise<HerokuBuild> {
    this.createdBuilds.push(body)
    return this.build(0)
  }
  async getBuild(): Promise<HerokuBuild> {
    return this.build(Math.min(++this.buildReads, this.buildStates.length - 1))
  }
  async getRelease(_app: string, id: string | number): Promise<HerokuRelease> {
    const state = this.releaseStates[Math.min(this.releaseReads++, this.releaseStates.length - 1)]
    return { id: String(id), version: 5, status: 'pending', output_stream_url: null, ...state }
  }
  maintenance: boolean[] = []
  cancelled: string[] = []
  async cancelBuild(_app: string, buildId: string): Promise<unknown> {
    this.cancelled.push(buildId)
    this.buildStates = [{ status: 'failed' }]
    this.buildReads = 0
    return {}
  }
  rollbacks: string[] = []
  async rollback(_app: string, releaseId: string): Promise<HerokuRelease> {
    this.rollbacks.push(releaseId)
    return { id: `rollback-of-${releaseId}`, version: 6, status: 'pending' }
  }
  /** When set, turning maintenance to this value fails with this error. */
  maintenanceFails?: { on: boolean; error: Error }
  async setMaintenance(app: string, on: boolean): Promise<HerokuApp> {
    if (this.maintenanceFails?.on === on) throw this.maintenanceFails.error
    this.maintenance.push(on)
    return { ...(await this.getApp(app)), maintenance: on }
  }
  async latestReleases(_app: string, count: number): Promise<HerokuRelease[]> {
    return this.releases.slice(0, count)
  }
  async createRelease(_app: string, body: CreateReleaseBody): Promise<HerokuRelease> {
    this.createdReleases.push(body)
    const version = Math.max(0, ...this.releases.map((r) => r.version)) + 1
    const release: HerokuRelease = { id: `rel-${version}`, version, status: 'pending', description: body.description, slug: { id: body.slug } }
    this.releases.unshift(release)
    return release
  }
  configUpdates: { app: string; vars: Record<string, string | null> }[] = []
  async updateConfigVars(app: string, vars: Readonly<Record<string, string | null>>): Promise<unknown> {
    this.configUpdates.push({ app, vars: { ...vars } })
    return {}
  }
  buildpackUpdates: { app: string; buildpacks: string[] }[] = []
  async setBuildpacks(app: string, buildpacks: readonly string[]): Promise<unknown> {
    this.buildpackUpdates.push({ app, buildpacks: [...buildpacks] })
    return []
  }
  async recentBuilds(): Promise<HerokuBuild[]> {
    return this.createdBuilds.length > 0 ? [this.build(Math.min(this.buildReads, this.buildStates.length - 1))] : []
  }
  dynos: HerokuDyno[] = []
  stoppedDynos: string[] = []
  async listDynos(): Promise<HerokuDyno[]> {
    return this.dynos
  }
  async stopDyno(_app: string, dyno: string): Promise<unknown> {
    this.stoppedDynos.push(dyno)
    return {}
  }
  forCleanup(): HerokuApi {
    return this
  }
  /** Each slug's commit; a slug not here names none. */
  slugCommits: Record<string, string | null> = {}
  async getSlug(_app: string, slugId: string): Promise<HerokuSlug> {
    return { id: slugId, commit: this.slugCommits[slugId] ?? null }
  }

  /** One pipeline, 'shop': the apps listed here are coupled to it in these stages; any other app is in none. */
  stages: Record<string, PipelineStage> = {}
  promotions: CreatePromotionBody[] = []
  /** Each read of a promotion's targets answers the next state of every target; the last one repeats. */
  promotionTargetStates: Partial<HerokuPromotionTarget>[] = [{ status: 'succeeded' }]
  private promotionReads = 0
  async pipelineCouplingOf(app: string): Promise<HerokuPipelineCoupling> {
    const stage = this.stages[app]
    if (!stage) throw new HerokuApiError('GET', `/apps/${app}/pipeline-couplings`, 404, 'not_found', "Couldn't find that pipeline coupling.")
    return this.coupling(app, stage)
  }
  async getPipeline(id: string): Promise<HerokuPipeline> {
    return { id, name: 'shop' }
  }
  async pipelineCouplings(): Promise<HerokuPipelineCoupling[]> {
    return Object.entries(this.stages).map(([app, stage]) => this.coupling(app, stage))
  }
  async createPromotion(body: CreatePromotionBody): Promise<HerokuPromotion> {
    this.promotions.push(body)
    return { id: `promotion-${this.promotions.length}`, status: 'pending' }
  }
  async getPromotion(id: string): Promise<HerokuPromotion> {
    return { id, status: 'completed' }
  }
  async promotionTargets(): Promise<HerokuPromotionTarget[]> {
    const state = this.promotionTargetStates[Math.min(this.promotionReads++, this.promotionTargetStates.length - 1)]
    return (this.promotions.at(-1)?.targets ?? []).map((target, index) => ({
      id: `target-${index}`,
      app: target.app,
      status: 'pending',
      release: state.status === 'succeeded' ? { id: `promoted-to-${target.app.id}` } : null,
      error_message: null,
      ...state
    }))
  }
  private coupling(app: string, stage: PipelineStage): HerokuPipelineCoupling {
    return { id: `coupling-${app}`, app: { id: `id-${app}` }, pipeline: { id: 'pipeline-1' }, stage }
  }

  private build(index: number): HerokuBuild {
    return { id: 'build-1', status: 'pending', created_at: '', updated_at: '', release: null, slug: null, ...this.buildStates[index] }
  }
}
