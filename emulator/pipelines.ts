import { randomUUID } from 'node:crypto'
import type { AppRegistry, AppState, ReleaseRecord } from './apps.js'
import { isObject } from './builds.js'
import type { EmulatorContext } from './context.js'
import { conflict, invalidParams, notFound } from './errors.js'

/** A pipeline's stages (the schema's enum), upstream first. */
export const STAGES = ['test', 'review', 'development', 'staging', 'production'] as const
export type Stage = (typeof STAGES)[number]

export interface PipelineRecord {
  id: string
  name: string
  createdAt: Date
  updatedAt: Date
}

export interface CouplingRecord {
  id: string
  app: AppState
  pipeline: PipelineRecord
  stage: Stage
  createdAt: Date
  updatedAt: Date
}

export type PromotionTargetStatus = 'pending' | 'succeeded' | 'failed'

export interface PromotionTargetRecord {
  id: string
  app: AppState
  status: PromotionTargetStatus
  errorMessage: string | null
  /** The release the promotion made on the target, once made. */
  release?: ReleaseRecord
}

export interface PromotionRecord {
  id: string
  pipeline: PipelineRecord
  source: AppState
  release: ReleaseRecord
  status: 'pending' | 'completed'
  createdAt: Date
  updatedAt: Date
  targets: PromotionTargetRecord[]
}

const PIPELINE_NAME = /^[a-z][a-z0-9-]{2,29}$/
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

/**
 * Pipelines, their couplings (an app is in one pipeline at most, in one stage) and promotions: a
 * promotion copies one release's slug to each target app, which releases it with its own config
 * (release phase included); each target succeeds or fails on its own, with an error message.
 */
export class Pipelines {
  readonly pipelines: PipelineRecord[] = []
  readonly couplings: CouplingRecord[] = []
  readonly promotions: PromotionRecord[] = []

  constructor(
    private readonly apps: AppRegistry,
    private readonly ctx: EmulatorContext
  ) {}

  /** POST /pipelines `{"name"}`. */
  create(body: unknown): PipelineRecord {
    if (!isObject(body) || typeof body.name !== 'string') throw invalidParams('name is required.')
    const name = body.name
    if (!PIPELINE_NAME.test(name)) throw invalidParams(`Name ${name} is invalid: a pipeline name is 3 to 30 lowercase letters, digits and dashes, starting with a letter.`)
    if (this.pipelines.some((pipeline) => pipeline.name === name)) throw conflict(`Name ${name} is already taken.`)
    const now = new Date()
    const pipeline: PipelineRecord = { id: randomUUID(), name, createdAt: now, updatedAt: now }
    this.pipelines.push(pipeline)
    this.ctx.log(`pipeline ${name} created`)
    return pipeline
  }

  /** By id or name. */
  find(idOrName: string): PipelineRecord {
    const pipeline = this.pipelines.find((candidate) => candidate.id === idOrName || candidate.name === idOrName)
    if (!pipeline) throw notFound('pipeline')
    return pipeline
  }

  /** POST /pipeline-couplings `{"app": name or id, "pipeline": id, "stage"}`. */
  couple(body: unknown): CouplingRecord {
    if (!isObject(body) || typeof body.app !== 'string' || typeof body.pipeline !== 'string' || typeof body.stage !== 'string') {
      throw invalidParams('app, pipeline and stage are required.')
    }
    const stage = body.stage as Stage
    if (!STAGES.includes(stage)) throw invalidParams(`Stage must be one of ${STAGES.join(', ')}.`)
    const app = this.apps.find(body.app)
    if (!UUID.test(body.pipeline)) throw invalidParams('pipeline must be a pipeline id (uuid).')
    const pipeline = this.find(body.pipeline)
    if (this.couplings.some((coupling) => coupling.app === app)) throw conflict(`${app.name} is already in a pipeline.`)
    const now = new Date()
    const coupling: CouplingRecord = { id: randomUUID(), app, pipeline, stage, createdAt: now, updatedAt: now }
    this.couplings.push(coupling)
    this.ctx.log(`${app.name} added to the ${stage} stage of pipeline ${pipeline.name}`)
    return coupling
  }

  couplingOf(app: AppState): CouplingRecord {
    const coupling = this.couplings.find((candidate) => candidate.app === app)
    if (!coupling) throw notFound('pipeline coupling')
    return coupling
  }

  couplingsOf(pipeline: PipelineRecord): CouplingRecord[] {
    return this.couplings.filter((coupling) => coupling.pipeline === pipeline)
  }

  findPromotion(id: string): PromotionRecord {
    const promotion = this.promotions.find((candidate) => candidate.id === id)
    if (!promotion) throw notFound('promotion')
    return promotion
  }

  /**
   * POST /pipeline-promotions: checks the request (the pipeline; the source and every target coupled to
   * it; the release one of the source's, by default its current one) and answers `pending`; then, in the
   * background, each target releases the slug with its own config.
   */
  promote(body: unknown): PromotionRecord {
    if (!isObject(body) || !isObject(body.pipeline) || !isObject(body.source) || !Array.isArray(body.targets)) {
      throw invalidParams('pipeline, source and targets are required.')
    }
    const pipeline = this.find(idOf(body.pipeline, 'pipeline.id'))
    if (!isObject(body.source.app)) throw invalidParams('source.app is required.')
    const source = this.member(pipeline, idOf(body.source.app, 'source.app.id'))
    const release = this.sourceRelease(source, body.source.release)
    if (body.targets.length === 0) throw invalidParams('targets must name at least one app.')
    const targets = body.targets.map((target: unknown) => {
      const app = this.member(pipeline, isObject(target) && isObject(target.app) ? idOf(target.app, 'targets[].app.id') : '')
      if (app === source) throw invalidParams(`${app.name} is the source of the promotion: it cannot be a target too.`)
      return app
    })
    const now = new Date()
    const promotion: PromotionRecord = {
      id: randomUUID(),
      pipeline,
      source,
      release,
      status: 'pending',
      createdAt: now,
      updatedAt: now,
      targets: targets.map((app) => ({ id: randomUUID(), app, status: 'pending', errorMessage: null }))
    }
    this.promotions.push(promotion)
    this.ctx.log(`promotion ${promotion.id}: ${source.name} v${release.version} to ${targets.map((app) => app.name).join(', ')}`)
    // After the answer, as on Heroku: the targets read `pending` first.
    this.ctx.background(`promotion ${promotion.id}`, async () => {
      await new Promise((resolve) => setImmediate(resolve))
      for (const target of promotion.targets) this.release(promotion, target)
    })
    return promotion
  }

  private member(pipeline: PipelineRecord, appId: string): AppState {
    const app = this.apps.find(appId)
    if (!this.couplingsOf(pipeline).some((coupling) => coupling.app === app)) throw invalidParams(`${app.name} is not in the pipeline ${pipeline.name}.`)
    return app
  }

  private sourceRelease(source: AppState, requested: unknown): ReleaseRecord {
    let release: ReleaseRecord | undefined
    if (requested === undefined) {
      release = source.currentRelease()
      if (!release) throw invalidParams(`${source.name} has no release to promote.`)
    } else {
      release = source.releases.find((candidate) => candidate.id === (isObject(requested) ? requested.id : undefined))
      if (!release) throw invalidParams(`source.release.id must be a release of ${source.name}.`)
    }
    if (release.status !== 'succeeded' || !release.slug)
      throw invalidParams(`Release v${release.version} of ${source.name} did not succeed with a slug: there is nothing to promote.`)
    return release
  }

  /** One target: its release of the slug (or Heroku's reason it cannot run it), then its verdict. */
  private release(promotion: PromotionRecord, target: PromotionTargetRecord): void {
    const slug = promotion.release.slug
    const app = target.app
    if (!slug) return this.settle(promotion, target, 'failed', 'The release has no slug to promote.')
    if (slug.stack !== app.stack)
      return this.settle(promotion, target, 'failed', `Cannot promote to ${app.name}: the slug was built for ${slug.stack}, but ${app.name} is on ${app.stack}.`)
    target.release = app.releaser.create({
      description: `Promote ${promotion.source.name} v${promotion.release.version}`,
      slug,
      config: app.configVars,
      onSettled: (release) =>
        release.status === 'succeeded'
          ? this.settle(promotion, target, 'succeeded', null)
          : this.settle(promotion, target, 'failed', `Release v${release.version} of ${app.name} failed: its release phase did not succeed.`)
    })
  }

  private settle(promotion: PromotionRecord, target: PromotionTargetRecord, status: PromotionTargetStatus, errorMessage: string | null): void {
    target.status = status
    target.errorMessage = errorMessage
    this.ctx.log(`promotion ${promotion.id}: ${target.app.name} ${status}${errorMessage ? ` (${errorMessage})` : ''}`)
    if (promotion.targets.every((each) => each.status !== 'pending')) {
      promotion.status = 'completed'
      promotion.updatedAt = new Date()
    }
  }
}

function idOf(ref: Record<string, unknown>, field: string): string {
  if (typeof ref.id !== 'string' || !UUID.test(ref.id)) throw invalidParams(`${field} must be an id (uuid).`)
  return ref.id
}
