import type { App, Build, Release, Slug } from '@heroku-cli/schema'
import type { AppState, BuildRecord, ReleaseDyno, ReleaseRecord } from './apps.js'
import type { Dyno } from './dynos.js'
import type { CouplingRecord, PipelineRecord, PromotionRecord, PromotionTargetRecord } from './pipelines.js'
import type { Slug as SlugRecord } from './slugs.js'

/** Response bodies, shaped like the Platform API schema's resources (§3.1, §4.1, build §2.3). */

type Account = { id: string; email: string }

export const DEFAULT_STACK = 'heroku-24'
// Fixed ids: the same stack, region and generation every time, as on Heroku.
const STACK_IDS: Record<string, string> = {
  'heroku-22': '5f16b2ad-c3c7-4e0a-9a1f-2b3c4d5e6f70',
  'heroku-24': 'ae20ae8c-c7b6-4cb3-9d2d-57e0b45c2e10'
}
const stackRef = (name: string) => ({ id: STACK_IDS[name] ?? '00000000-0000-4000-8000-000000000000', name })
const REGION_REF = { id: '59accabd-516d-4f0e-83e6-6e3757701145', name: 'us' }
const GENERATION_REF = { id: '3d7a4f86-6d43-4a5b-8ec3-2d2a8a4a9e1b', name: 'cedar' }

/** Heroku's timestamps: ISO 8601, whole seconds, UTC. */
export function timestamp(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z')
}

export function appResource(app: AppState, account: Account): App {
  const current = app.currentRelease()
  return {
    acm: false,
    archived_at: null,
    buildpack_provided_description: current?.slug?.buildpackDescription ?? null,
    build_stack: stackRef(app.stack),
    created_at: timestamp(app.createdAt),
    generation: GENERATION_REF,
    git_url: `https://git.heroku.com/${app.name}.git`,
    id: app.id,
    internal_routing: null,
    maintenance: app.maintenance,
    name: app.name,
    owner: account,
    organization: null,
    team: null,
    region: REGION_REF,
    released_at: app.releasedAt && timestamp(app.releasedAt),
    repo_size: null,
    slug_size: current?.slug?.size ?? null,
    space: null,
    stack: stackRef(app.stack),
    updated_at: timestamp(app.updatedAt),
    // Deliberately not a *.herokuapp.com URL: it must reach the app's local router.
    web_url: app.webUrl
  }
}

export function buildResource(app: AppState, build: BuildRecord, account: Account): Build {
  // The release and slug only show once the build reads `succeeded` (the poll loop's signal).
  const done = build.status === 'succeeded'
  return {
    app: { id: app.id },
    buildpacks: build.buildpacks,
    created_at: timestamp(build.createdAt),
    generation: 'cedar',
    id: build.id,
    output_stream_url: build.outputStreamUrl,
    // The schema allows null here; the published types (generated from an older schema) do not.
    release: (done && build.release ? { id: build.release.id } : null) as Build['release'],
    slug: done && build.slug ? { id: build.slug.id } : null,
    source_blob: { ...build.sourceBlob },
    stack: app.stack,
    status: build.status,
    updated_at: timestamp(build.updatedAt),
    user: account
  }
}

export function releaseResource(app: AppState, release: ReleaseRecord, account: Account): Release {
  return {
    addon_plan_names: [],
    artifacts: release.slug ? [{ type: 'slug', id: release.slug.id }] : [],
    app: { id: app.id, name: app.name },
    created_at: timestamp(release.createdAt),
    description: release.description,
    id: release.id,
    updated_at: timestamp(release.updatedAt),
    slug: release.slug ? { id: release.slug.id } : null,
    // The schema has `expired`; the published types (generated from an older schema) do not.
    status: release.status as Release['status'],
    user: account,
    version: release.version,
    current: release.current,
    output_stream_url: release.outputStreamUrl,
    eligible_for_rollback: eligibleForRollback(release)
  }
}

/** GET /apps/{app}/slugs/{id}: `commit` is what the build that made the slug named (a git push: the pushed commit). */
export function slugResource(slug: SlugRecord, apiUrl: string): Slug {
  const types = Object.fromEntries(Object.entries(slug.processTypes).filter((entry): entry is [string, string] => entry[1] !== undefined))
  return {
    // The emulator keeps slugs as directories: this URL names the slug but serves nothing.
    blob: { method: 'GET', url: `${apiUrl}/slugs/${slug.id}.tgz` },
    buildpack_provided_description: slug.buildpackDescription,
    checksum: null,
    commit: slug.commit,
    commit_description: slug.commitDescription,
    created_at: timestamp(slug.createdAt),
    id: slug.id,
    process_types: types,
    size: slug.size,
    stack: stackRef(slug.stack),
    updated_at: timestamp(slug.createdAt)
  }
}

/** Only a release that ran code successfully can be rolled back to. */
export function eligibleForRollback(release: ReleaseRecord): boolean {
  return release.status === 'succeeded' && release.slug !== undefined
}

export function releaseDynoResource(app: AppState, dyno: ReleaseDyno) {
  return {
    attach_url: null,
    command: 'release',
    created_at: timestamp(dyno.createdAt),
    id: dyno.id,
    name: dyno.name,
    release: dyno.release,
    app: { id: app.id, name: app.name },
    size: 'Basic',
    state: 'up',
    type: 'release',
    updated_at: timestamp(dyno.createdAt)
  }
}

export function dynoResource(app: AppState, dyno: Dyno) {
  const { name, command, release } = dyno.options
  return {
    attach_url: null,
    command,
    created_at: timestamp(dyno.createdAt),
    id: dyno.id,
    name,
    release: { id: release.id, version: release.version },
    app: { id: app.id, name: app.name },
    size: 'Basic',
    state: dyno.state,
    type: name.split('.')[0] ?? 'web',
    updated_at: timestamp(dyno.updatedAt)
  }
}

export function pipelineResource(pipeline: PipelineRecord, account: Account) {
  return {
    created_at: timestamp(pipeline.createdAt),
    generation: { id: GENERATION_REF.id, name: GENERATION_REF.name },
    id: pipeline.id,
    name: pipeline.name,
    owner: { id: account.id, type: 'user' },
    updated_at: timestamp(pipeline.updatedAt)
  }
}

export function couplingResource(coupling: CouplingRecord) {
  return {
    app: { id: coupling.app.id },
    created_at: timestamp(coupling.createdAt),
    id: coupling.id,
    pipeline: { id: coupling.pipeline.id },
    stage: coupling.stage,
    updated_at: timestamp(coupling.updatedAt)
  }
}

export function promotionResource(promotion: PromotionRecord) {
  return {
    created_at: timestamp(promotion.createdAt),
    id: promotion.id,
    pipeline: { id: promotion.pipeline.id },
    source: { app: { id: promotion.source.id }, release: { id: promotion.release.id } },
    status: promotion.status,
    updated_at: timestamp(promotion.updatedAt)
  }
}

export function promotionTargetResource(promotion: PromotionRecord, target: PromotionTargetRecord) {
  return {
    app: { id: target.app.id },
    error_message: target.errorMessage,
    id: target.id,
    pipeline_promotion: { id: promotion.id },
    release: target.release ? { id: target.release.id } : null,
    status: target.status
  }
}
