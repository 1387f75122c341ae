import { randomUUID } from 'node:crypto'
import type { EmulatorContext } from './context.js'
import type { Dyno } from './dynos.js'
import { notFound } from './errors.js'
import { gitBranchOf } from './git.js'
import type { OutputLog } from './output-log.js'
import { ReleaseManager } from './releases.js'
import { buildResource, DEFAULT_STACK, releaseResource } from './resources.js'
import { Router } from './router.js'
import type { Slug } from './slugs.js'
import type { AppView } from './types.js'

export type BuildStatus = 'pending' | 'succeeded' | 'failed'
export type ReleaseStatus = 'pending' | 'succeeded' | 'failed' | 'expired'

export interface BuildRecord {
  id: string
  createdAt: Date
  updatedAt: Date
  status: BuildStatus
  sourceBlob: { checksum: string | null; url: string; version: string | null; version_description: string | null }
  buildpacks: { url: string; name: string }[] | null
  log: OutputLog
  outputStreamUrl: string
  /** Set once the build produced a slug and released it (shown once the status is `succeeded`). */
  slug?: Slug
  release?: ReleaseRecord
  /** Aborted by DELETE /builds/{id}. */
  cancel: AbortController
}

export interface ReleaseRecord {
  id: string
  version: number
  description: string
  createdAt: Date
  updatedAt: Date
  status: ReleaseStatus
  current: boolean
  slug?: Slug
  /** The config vars this release runs with (rollback restores them). */
  config: Record<string, string>
  /** Release-phase output, when the slug declares a `release:` process. */
  log?: OutputLog
  outputStreamUrl: string | null
}

// Heroku's app name rule (schema definitions.app.definitions.name.pattern).
const APP_NAME = /^[a-z][a-z0-9-]{1,28}[a-z0-9]$/

/** A release phase's one-off dyno: stopping it fails the release phase, so the release never goes live. */
export interface ReleaseDyno {
  id: string
  name: string
  release: { id: string; version: number }
  createdAt: Date
  stop(): void
}

/** One app: its config, builds, releases, the dyno serving it and its router. */
export class AppState {
  readonly id = randomUUID()
  readonly createdAt = new Date()
  updatedAt = new Date()
  releasedAt: Date | null = null
  maintenance = false
  readonly maintenanceHistory: boolean[] = []
  configVars: Record<string, string> = {}
  readonly builds: BuildRecord[] = []
  readonly releases: ReleaseRecord[] = []
  /** The web dyno the router sends traffic to. */
  dyno?: Dyno
  /** Release phases running now, each in a one-off dyno of type `release` that can be stopped. */
  readonly releaseDynos = new Map<string, ReleaseDyno>()
  readonly releaser: ReleaseManager
  /** The app's buildpack installations, in order (PUT buildpack-installations); builds without `buildpacks` use them. */
  buildpacks: { url: string; name: string }[] = []

  constructor(
    readonly name: string,
    readonly router: Router,
    readonly ctx: EmulatorContext,
    /** A slug runs only on the stack that built it. */
    readonly stack: string = DEFAULT_STACK
  ) {
    this.releaser = new ReleaseManager(this, ctx)
  }

  get webUrl(): string {
    return this.router.url
  }

  currentRelease(): ReleaseRecord | undefined {
    return this.releases.find((release) => release.current)
  }

  /**
   * The code a config change releases: that of the newest release not known to have failed, so a change
   * made while a deploy's release phase runs keeps the deploy's code rather than reviving the old one.
   */
  latestSlug(): Slug | undefined {
    return this.releases.findLast((release) => release.status !== 'failed')?.slug
  }

  setMaintenance(on: boolean): void {
    this.maintenance = on
    this.maintenanceHistory.push(on)
    this.touch()
  }

  touch(): void {
    this.updatedAt = new Date()
  }

  findBuild(id: string): BuildRecord {
    const build = this.builds.find((candidate) => candidate.id === id)
    if (!build) throw notFound('build')
    return build
  }

  /** By id, or by version number (`3`, as the API's release identity allows). */
  findRelease(idOrVersion: string): ReleaseRecord {
    const release = this.releases.find((candidate) => candidate.id === idOrVersion || String(candidate.version) === idOrVersion)
    if (!release) throw notFound('release')
    return release
  }
}

export class AppRegistry {
  private readonly apps = new Map<string, AppState>()

  constructor(private readonly ctx: EmulatorContext) {}

  async create(name: string, options: { stack?: string } = {}): Promise<AppState> {
    if (!APP_NAME.test(name)) {
      throw new Error(`Invalid app name "${name}": Heroku app names start with a letter and contain only lowercase letters, digits and dashes (3 to 30 characters).`)
    }
    if (this.apps.has(name)) throw new Error(`Name ${name} is already taken`)
    const router = await Router.start(name, () => app.maintenance, this.ctx.log)
    const app: AppState = new AppState(name, router, this.ctx, options.stack)
    this.apps.set(name, app)
    this.ctx.log(`app ${name} created; web_url ${app.webUrl}`)
    return app
  }

  /** By name or id; 404 "Couldn't find that app." otherwise. */
  find(nameOrId: string): AppState {
    const app = this.apps.get(nameOrId) ?? [...this.apps.values()].find((candidate) => candidate.id === nameOrId)
    if (!app) throw notFound('app')
    return app
  }

  all(): AppState[] {
    return [...this.apps.values()]
  }
}

/** The live view tests read: every property is computed from the app's state when read. */
export function appView(app: AppState): AppView {
  const account = app.ctx.account
  return {
    id: app.id,
    name: app.name,
    webUrl: app.webUrl,
    stack: app.stack,
    get buildpacks() {
      return app.buildpacks.map((buildpack) => buildpack.url)
    },
    get maintenance() {
      return app.maintenance
    },
    get configVars() {
      return { ...app.configVars }
    },
    get builds() {
      return app.builds.map((build) => buildResource(app, build, account))
    },
    get releases() {
      return app.releases.map((release) => releaseResource(app, release, account))
    },
    currentRelease() {
      const current = app.currentRelease()
      return current && releaseResource(app, current, account)
    },
    buildWindows() {
      return app.builds.map((build) => ({ id: build.id, started: build.createdAt.getTime(), ended: build.status === 'pending' ? undefined : build.updatedAt.getTime() }))
    },
    buildLog(buildId: string) {
      return app.findBuild(buildId).log.text()
    },
    releaseLog(releaseId: string) {
      return app.findRelease(releaseId).log?.text() ?? ''
    },
    get maintenanceHistory() {
      return [...app.maintenanceHistory]
    },
    gitHead() {
      return gitBranchOf(app.ctx.workDir, app.name)
    }
  }
}
