import type { App, Build, PipelineCoupling, PipelinePromotion, PipelinePromotionTarget, Release } from '@heroku-cli/schema'

// The published types carry an index signature (so Omit<> loses every field) and predate the
// release status `expired`; these pick the fields we read and widen what the current schema widened.
type Ref = { id: string } | null

export type ReleaseStatus = NonNullable<Release['status']> | 'expired'

export interface HerokuRelease extends Pick<Release, 'current' | 'description' | 'created_at'> {
  id: string
  version: number
  status: ReleaseStatus
  output_stream_url?: string | null
  slug?: Ref
  /** Whether Heroku lets a rollback go to this release (a release that never ran code cannot). */
  eligible_for_rollback?: boolean
}

export interface HerokuBuild extends Pick<Build, 'created_at' | 'updated_at' | 'status' | 'output_stream_url'> {
  id: string
  release?: Ref
  slug?: Ref
  source_blob?: { url?: string | null; version?: string | null; checksum?: string | null }
}

/** A dyno, with the fields that tell a release phase apart (type `release`). */
export interface HerokuDyno {
  id: string
  name: string
  type: string
  state: string
  release?: { id: string; version: number } | null
}

export interface HerokuApp extends Pick<App, 'web_url' | 'maintenance' | 'git_url' | 'released_at'> {
  id: string
  name: string
  stack?: { name: string } | null
  /** cedar or fir; older answers do not have it. */
  generation?: { name: string } | null
}

export interface HerokuSlug {
  id: string
  /** What the build named as its version: the commit SHA for a git push or a build of `version` unset. */
  commit?: string | null
}

export interface SourceBlob {
  source_blob: { get_url: string; put_url: string }
}

export interface CreateBuildBody {
  source_blob: { url: string; version: string; checksum: string; version_description?: string }
  /** In order; a URL or a registry name (`heroku/nodejs`), which Heroku accepts as `url`. */
  buildpacks?: { url: string }[]
}

export interface CreateReleaseBody {
  slug: string
  description?: string
}

/** A pipeline's stages, upstream first: code is promoted from an app to apps of later stages. */
export const PIPELINE_STAGES = ['test', 'review', 'development', 'staging', 'production'] as const
export type PipelineStage = NonNullable<PipelineCoupling['stage']>

export interface HerokuPipeline {
  id: string
  name: string
}

export interface HerokuPipelineCoupling {
  id: string
  app: { id: string }
  pipeline: { id: string }
  stage: PipelineStage
}

export interface HerokuPromotion {
  id: string
  status: NonNullable<PipelinePromotion['status']>
}

export interface HerokuPromotionTarget {
  id: string
  app: { id: string }
  status: NonNullable<PipelinePromotionTarget['status']>
  error_message?: string | null
  /** The release the promotion made on the target, once it exists. */
  release?: Ref
}

/** Names apps and releases by id (the schema takes no names here). */
export interface CreatePromotionBody {
  pipeline: { id: string }
  /** Without `release`, Heroku promotes whatever is current on the source at that moment. */
  source: { app: { id: string }; release: { id: string } }
  targets: { app: { id: string } }[]
}
