import type { IncomingHttpHeaders } from 'node:http'
import type { AppRegistry, AppState, BuildRecord, ReleaseRecord } from './apps.js'
import { cancelBuild, createBuild, isObject } from './builds.js'
import type { EmulatorContext } from './context.js'
import { ApiError, invalidParams, notFound } from './errors.js'
import type { RateLimiter } from './rate-limit.js'
import { paginate, parseRange, type RangeField } from './ranges.js'
import type { Pipelines } from './pipelines.js'
import {
  appResource,
  buildResource,
  couplingResource,
  dynoResource,
  eligibleForRollback,
  pipelineResource,
  promotionResource,
  promotionTargetResource,
  releaseDynoResource,
  releaseResource,
  slugResource
} from './resources.js'

export interface ApiRequest {
  params: Record<string, string>
  body: unknown
  headers: IncomingHttpHeaders
}

export interface ApiResponse {
  status: number
  /** JSON-encoded unless undefined (an empty body). */
  body?: unknown
  headers?: Record<string, string>
}

type Handler = (request: ApiRequest) => ApiResponse

interface Route {
  method: string
  pattern: RegExp
  names: string[]
  handler: Handler
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

/** The Platform API endpoints a deploy uses (reference §2-§4), routed by method and path. */
export class PlatformApi {
  private readonly routes: Route[] = []

  constructor(
    private readonly apps: AppRegistry,
    private readonly ctx: EmulatorContext,
    private readonly rateLimiter: RateLimiter,
    pipelines: Pipelines
  ) {
    const account = ctx.account
    this.route('GET', '/account/rate-limits', () => ok({ remaining: this.rateLimiter.remaining() }))

    this.route('GET', '/apps/:app', ({ params }) => ok(appResource(this.app(params), account)))
    this.route('PATCH', '/apps/:app', ({ params, body }) => ok(appResource(this.updateApp(this.app(params), body), account)))

    this.route('POST', '/sources', () => ({ status: 201, body: { source_blob: ctx.blobs.create() } }))

    this.route('GET', '/apps/:app/builds', ({ params, headers }) => {
      const app = this.app(params)
      return list(app.builds, headers.range, BUILD_RANGES, 'id', (build) => buildResource(app, build, account))
    })
    this.route('POST', '/apps/:app/builds', ({ params, body }) => {
      const app = this.app(params)
      return { status: 201, body: buildResource(app, createBuild(app, body, ctx), account) }
    })
    this.route('GET', '/apps/:app/builds/:build', ({ params }) => {
      const app = this.app(params)
      return ok(buildResource(app, app.findBuild(params.build), account))
    })
    this.route('DELETE', '/apps/:app/builds/:build', ({ params }) => {
      const app = this.app(params)
      const build = app.findBuild(params.build)
      cancelBuild(app, build)
      return ok(buildResource(app, build, account))
    })
    this.route('DELETE', '/apps/:app/build-cache', ({ params }) => {
      this.app(params) // 404 for an unknown app; there is no build cache to purge, and Heroku answers with no body
      return { status: 202 }
    })

    this.route('GET', '/apps/:app/releases', ({ params, headers }) => {
      const app = this.app(params)
      return list(app.releases, headers.range, RELEASE_RANGES, 'id', (release) => releaseResource(app, release, account))
    })
    this.route('POST', '/apps/:app/releases', ({ params, body }) => {
      const app = this.app(params)
      return { status: 201, body: releaseResource(app, this.createRelease(app, body), account) }
    })
    this.route('GET', '/apps/:app/releases/:release', ({ params }) => {
      const app = this.app(params)
      return ok(releaseResource(app, app.findRelease(params.release), account))
    })
    this.route('GET', '/apps/:app/releases/:release/config-vars', ({ params }) => ok({ ...this.app(params).findRelease(params.release).config }))

    // A slug released on the app (built there, promoted to it, or another app's with build-once) is the app's to read.
    this.route('GET', '/apps/:app/slugs/:slug', ({ params }) => {
      const app = this.app(params)
      const slug = app.releases.find((release) => release.slug?.id === params.slug)?.slug ?? app.builds.find((build) => build.slug?.id === params.slug)?.slug
      if (!slug) throw notFound('slug')
      return ok(slugResource(slug, ctx.apiUrl))
    })

    this.route('GET', '/pipelines', () => ok(pipelines.pipelines.map((pipeline) => pipelineResource(pipeline, account))))
    this.route('POST', '/pipelines', ({ body }) => ({ status: 201, body: pipelineResource(pipelines.create(body), account) }))
    this.route('GET', '/pipelines/:pipeline', ({ params }) => ok(pipelineResource(pipelines.find(params.pipeline), account)))
    this.route('GET', '/pipelines/:pipeline/pipeline-couplings', ({ params }) => ok(pipelines.couplingsOf(pipelines.find(params.pipeline)).map(couplingResource)))
    this.route('POST', '/pipeline-couplings', ({ body }) => ({ status: 201, body: couplingResource(pipelines.couple(body)) }))
    this.route('GET', '/apps/:app/pipeline-couplings', ({ params }) => ok(couplingResource(pipelines.couplingOf(this.app(params)))))
    this.route('POST', '/pipeline-promotions', ({ body }) => ({ status: 201, body: promotionResource(pipelines.promote(body)) }))
    this.route('GET', '/pipeline-promotions/:promotion', ({ params }) => ok(promotionResource(pipelines.findPromotion(params.promotion))))
    this.route('GET', '/pipeline-promotions/:promotion/promotion-targets', ({ params }) => {
      const promotion = pipelines.findPromotion(params.promotion)
      return ok(promotion.targets.map((target) => promotionTargetResource(promotion, target)))
    })

    this.route('GET', '/apps/:app/config-vars', ({ params }) => ok({ ...this.app(params).configVars }))
    this.route('PATCH', '/apps/:app/config-vars', ({ params, body }) => ok(this.updateConfig(this.app(params), body)))

    this.route('GET', '/apps/:app/buildpack-installations', ({ params }) => ok(buildpackInstallations(this.app(params))))
    this.route('PUT', '/apps/:app/buildpack-installations', ({ params, body }) => ok(this.setBuildpacks(this.app(params), body)))

    this.route('GET', '/apps/:app/dynos', ({ params }) => {
      const app = this.app(params)
      return ok([...(app.dyno ? [dynoResource(app, app.dyno)] : []), ...[...app.releaseDynos.values()].map((dyno) => releaseDynoResource(app, dyno))])
    })
    // Stopping a release phase's dyno fails its release (stopping a web dyno is not emulated).
    this.route('POST', '/apps/:app/dynos/:dyno/actions/stop', ({ params }) => {
      const app = this.app(params)
      const dyno = [...app.releaseDynos.values()].find((candidate) => candidate.id === params.dyno || candidate.name === params.dyno)
      if (!dyno) throw notFound('dyno')
      dyno.stop()
      this.ctx.log(`${app.name}: ${dyno.name} stopped`)
      return { status: 202, body: releaseDynoResource(app, dyno) }
    })
    this.route('DELETE', '/apps/:app/dynos', ({ params }) => this.restart(this.app(params)))
    this.route('DELETE', '/apps/:app/dynos/:dyno', ({ params }) => {
      const app = this.app(params)
      if (app.dyno?.options.name !== params.dyno && app.dyno?.id !== params.dyno) throw notFound('dyno')
      return this.restart(app)
    })
  }

  /** Whether a request is free of charge (GET /account/rate-limits does not count, per Dev Center). */
  isFree(method: string, pathname: string): boolean {
    return method === 'GET' && pathname === '/account/rate-limits'
  }

  dispatch(method: string, pathname: string, request: Omit<ApiRequest, 'params'>): ApiResponse {
    for (const route of this.routes) {
      const match = route.method === method ? route.pattern.exec(pathname) : null
      if (!match) continue
      const params = Object.fromEntries(route.names.map((name, i) => [name, decodeSegment(match[i + 1])]))
      return route.handler({ ...request, params })
    }
    throw new ApiError(
      404,
      'not_found',
      'The requested API endpoint was not found. Are you using the right HTTP verb (i.e. `GET` vs. `POST`), and did you specify your intended version with the `Accept` header?'
    )
  }

  private route(method: string, template: string, handler: Handler): void {
    const names: string[] = []
    const source = template.replace(/:(\w+)/g, (_, name: string) => {
      names.push(name)
      return '([^/]+)'
    })
    this.routes.push({ method, pattern: new RegExp(`^${source}/?$`), names, handler })
  }

  private app(params: Record<string, string>): AppState {
    return this.apps.find(params.app)
  }

  /** PATCH /apps/{app}: maintenance on/off (renaming and stack changes are not emulated). */
  private updateApp(app: AppState, body: unknown): AppState {
    if (!isObject(body)) throw invalidParams('Expected a JSON object.')
    if (body.name !== undefined && body.name !== app.name) throw invalidParams('Renaming apps is not supported by the emulator.')
    if (body.maintenance !== undefined) {
      if (typeof body.maintenance !== 'boolean') throw invalidParams('maintenance must be true or false.')
      app.setMaintenance(body.maintenance)
      this.ctx.log(`${app.name}: maintenance ${body.maintenance ? 'on' : 'off'}`)
    }
    return app
  }

  /** PATCH config-vars: null deletes; any change makes a release (and so a dyno restart). */
  private updateConfig(app: AppState, body: unknown): Record<string, string> {
    if (!isObject(body)) throw invalidParams('Expected a JSON object of config vars.')
    const set: string[] = []
    const removed: string[] = []
    const next = { ...app.configVars }
    for (const [key, value] of Object.entries(body)) {
      if (!/^\w+$/.test(key)) throw invalidParams(`Invalid config var name "${key}".`)
      if (value === null) {
        if (key in next) removed.push(key)
        delete next[key]
      } else if (typeof value === 'string') {
        if (next[key] !== value) set.push(key)
        next[key] = value
      } else {
        throw invalidParams(`Config var ${key} must be a string or null.`)
      }
    }
    if (set.length + removed.length > 0) {
      app.configVars = next
      const description = [set.length ? `Set ${set.join(', ')}` : '', removed.length ? `Remove ${removed.join(', ')}` : ''].filter(Boolean).join('; ')
      app.releaser.create({ description: `${description} config vars`, slug: app.latestSlug(), config: next })
    }
    return { ...next }
  }

  /** POST releases: `{"release": id}` rolls back (code and config); `{"slug": id}` releases a slug. */
  private createRelease(app: AppState, body: unknown): ReleaseRecord {
    if (!isObject(body)) throw invalidParams('Expected a JSON object.')
    if (body.release !== undefined) {
      if (typeof body.release !== 'string' || !UUID.test(body.release)) throw invalidParams('release must be a release id (uuid).')
      const target = app.findRelease(body.release)
      if (!eligibleForRollback(target)) throw invalidParams(`Release v${target.version} is not eligible for rollback.`)
      app.configVars = { ...target.config }
      return app.releaser.create({ description: `Rollback to v${target.version}`, slug: target.slug, config: target.config })
    }
    if (body.slug !== undefined) {
      const slugId = typeof body.slug === 'string' ? body.slug : undefined
      const slug =
        slugId &&
        this.apps
          .all()
          .flatMap((other) => other.releases)
          .find((release) => release.slug?.id === slugId)?.slug
      if (!slug) throw notFound('slug')
      if (slug.stack !== app.stack) throw invalidParams(`Slug ${slug.id} was built for ${slug.stack}, but ${app.name} is on ${app.stack}.`)
      const description = typeof body.description === 'string' ? body.description : `Deploy ${slug.commit?.slice(0, 8) ?? slug.id}`
      return app.releaser.create({ description, slug, config: app.configVars })
    }
    throw invalidParams('Expected "release" (rollback) or "slug".')
  }

  /** PUT buildpack-installations: `{"updates": [{"buildpack": url-or-name}]}` replaces the list, in order. */
  private setBuildpacks(app: AppState, body: unknown): unknown {
    if (!isObject(body) || !Array.isArray(body.updates)) throw invalidParams('updates is required: an array of {"buildpack": name or URL}.')
    app.buildpacks = body.updates.map((update: unknown) => {
      const buildpack = isObject(update) ? update.buildpack : undefined
      if (typeof buildpack !== 'string' || !buildpack) throw invalidParams('Each update needs a buildpack (a name or a URL).')
      return { url: buildpack, name: buildpack }
    })
    app.touch()
    this.ctx.log(`${app.name}: buildpacks set to ${app.buildpacks.map((b) => b.url).join(', ')}`)
    return buildpackInstallations(app)
  }

  private restart(app: AppState): ApiResponse {
    app.releaser.restart()
    return { status: 202, body: {} }
  }
}

const ok = (body: unknown): ApiResponse => ({ status: 200, body })

/** The buildpack-installation list (schema: ordinal and buildpack {url, name}). */
function buildpackInstallations(app: AppState): unknown[] {
  return app.buildpacks.map((buildpack, ordinal) => ({ ordinal, buildpack: { url: buildpack.url, name: buildpack.name } }))
}

/** A malformed %-escape cannot name anything: keep it as is, so the lookup answers 404. */
function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment)
  } catch {
    return segment
  }
}

/** A list answer honouring Range: 206 + Next-Range when truncated, 200 when complete. */
function list<T>(items: readonly T[], header: string | undefined, fields: Record<string, RangeField<T>>, defaultField: string, render: (item: T) => unknown): ApiResponse {
  const range = parseRange(header, Object.keys(fields), defaultField)
  const page = paginate(items, range, fields[range.field])
  const headers: Record<string, string> = { 'Accept-Ranges': Object.keys(fields).join(', ') }
  if (page.nextRange) headers['Next-Range'] = page.nextRange
  return { status: page.nextRange ? 206 : 200, body: page.items.map(render), headers }
}

/** `id` sorts in creation order: the emulator's ids are random UUIDs, so their text order means nothing. */
const ID_FIELD: RangeField<{ id: string }> = {
  key: (_item, index) => index,
  parse: (value, all) => {
    const index = all.findIndex((item) => item.id === value)
    return index < 0 ? undefined : index
  },
  format: (item) => item.id
}

const CREATED_FIELD: RangeField<{ createdAt: Date }> = {
  key: (item) => item.createdAt.toISOString(),
  parse: (value) => (Number.isNaN(Date.parse(value)) ? undefined : new Date(value).toISOString()),
  format: (item) => item.createdAt.toISOString()
}

const VERSION_FIELD: RangeField<ReleaseRecord> = {
  key: (release) => release.version,
  parse: (value) => (/^\d+$/.test(value) ? Number(value) : undefined),
  format: (release) => String(release.version)
}

// The schema lists id and started_at for builds; the CLI sorts them by created_at (reference §1.4).
const BUILD_RANGES: Record<string, RangeField<BuildRecord>> = { id: ID_FIELD, started_at: CREATED_FIELD, created_at: CREATED_FIELD }
const RELEASE_RANGES: Record<string, RangeField<ReleaseRecord>> = { id: ID_FIELD, version: VERSION_FIELD, created_at: CREATED_FIELD }
