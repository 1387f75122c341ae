import { randomUUID } from 'node:crypto'
import { mkdir, rename, rm } from 'node:fs/promises'
import * as path from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import type { AppState, BuildRecord, BuildStatus } from './apps.js'
import type { BlobLookup } from './blobs.js'
import type { EmulatorContext } from './context.js'
import { conflict, invalidParams } from './errors.js'
import { baseEnv, run } from './processes.js'
import { directorySize, extractSource, humanSize, type PackageJson, readPackageJson, readProcfile, type Slug } from './slugs.js'

const NODE_BUILDPACK = { url: 'https://github.com/heroku/heroku-buildpack-nodejs', name: 'heroku/nodejs' }
const INDENT = '       '
const NPM_INSTALL = ['install', '--omit=dev', '--no-audit', '--no-fund']

interface CreateBuildBody {
  source_blob: { url: string; version: string | null; checksum: string | null; version_description: string | null }
  buildpacks: { url: string; name: string }[] | null
}

/** POST /apps/{app}/builds: validates, records a pending build and compiles it in the background. */
export function createBuild(app: AppState, body: unknown, ctx: EmulatorContext): BuildRecord {
  const input = parseCreateBuild(body)
  const source = ctx.blobs.lookup(input.source_blob.url)
  if (!source) throw invalidParams('source_blob.url must be a get_url returned by POST /sources on this emulator.')
  if (app.builds.some((build) => build.status === 'pending')) {
    throw conflict('A build is already in progress for this app. Wait for it to finish or cancel it.')
  }
  const id = randomUUID()
  const log = ctx.newOutputLog()
  const now = new Date()
  const build: BuildRecord = {
    id,
    createdAt: now,
    updatedAt: now,
    status: 'pending',
    sourceBlob: input.source_blob,
    // Without buildpacks in the request, the app's own (as on Heroku); null lets the build detect one.
    buildpacks: input.buildpacks ?? (app.buildpacks.length > 0 ? app.buildpacks.map((buildpack) => ({ ...buildpack })) : null),
    log,
    outputStreamUrl: ctx.streams.publish('builds', id, log),
    cancel: new AbortController()
  }
  app.builds.push(build)
  ctx.log(`${app.name}: build ${id} created`)
  ctx.background(`build ${id}`, () => new BuildRun(app, build, source, ctx).run())
  return build
}

/** DELETE /apps/{app}/builds/{id}: stops a pending build before it released anything. */
export function cancelBuild(app: AppState, build: BuildRecord): void {
  if (build.status !== 'pending') throw conflict(`Build ${build.id} is not pending: it has already ${build.status}.`)
  if (build.release) throw conflict(`Build ${build.id} already released v${build.release.version} and can no longer be cancelled.`)
  build.cancel.abort()
  build.log.line(' !     Build cancelled')
  build.log.end()
  setStatus(build, 'failed')
  app.ctx.log(`${app.name}: build ${build.id} cancelled`)
}

/** Thrown inside a build to end it as failed with these output lines. */
class BuildFailure extends Error {
  constructor(readonly lines: string[]) {
    super(lines.join('\n'))
  }
}

/** One run of the emulated slug compiler, writing buildpack-style output. */
class BuildRun {
  private readonly dir: string
  private readonly signal: AbortSignal
  private language = 'app'

  constructor(
    private readonly app: AppState,
    private readonly build: BuildRecord,
    private readonly source: BlobLookup,
    private readonly ctx: EmulatorContext
  ) {
    this.dir = path.join(ctx.workDir, 'builds', build.id)
    this.signal = AbortSignal.any([build.cancel.signal, ctx.shutdown])
  }

  async run(): Promise<void> {
    try {
      if (this.ctx.faults.buildDelayMs > 0) await sleep(this.ctx.faults.buildDelayMs, undefined, { signal: this.signal })
      await this.compileAndRelease()
      await this.finish('succeeded')
    } catch (error) {
      if (this.signal.aborted) return // cancelled (already marked failed) or shutting down
      const lines = error instanceof BuildFailure ? error.lines : [` !     Build error: ${error instanceof Error ? error.message : String(error)}`]
      for (const line of lines) this.out(line)
      this.out(` !     Push rejected, failed to compile ${this.language}.`)
      await this.finish('failed')
    } finally {
      await rm(this.dir, { recursive: true, force: true })
    }
  }

  private async compileAndRelease(): Promise<void> {
    const { app, build, ctx } = this
    this.out(`-----> Building on the ${this.app.stack.replace(/^heroku/, 'Heroku')} stack`)
    const tarball = this.fetchSource()
    await extractSource(tarball, this.dir, this.signal).catch((error: Error) => {
      throw new BuildFailure([` !     Unable to extract the source tarball: ${error.message}`])
    })
    this.checkpoint()

    const packageJson = await readPackageJson(this.dir).catch((error: Error) => {
      throw new BuildFailure([` !     Unable to parse package.json: ${error.message}`])
    })
    if (packageJson) await this.nodeBuild(packageJson)
    else this.out('-----> No package.json: the source is deployed as it is')

    const types = await readProcfile(this.dir)
    const declared = Object.keys(types).sort()
    if (!types.web && packageJson?.scripts?.start) types.web = 'npm start'
    if (!types.web) throw new BuildFailure([' !     No web process type declared (add a Procfile with "web: <command>")'])
    this.out('-----> Build succeeded!')
    this.out('-----> Discovering process types')
    if (declared.length > 0) this.out(`${INDENT}Procfile declares types     -> ${declared.join(', ')}`)
    if (!declared.includes('web')) this.out(`${INDENT}Default types for buildpack -> web`)

    this.out('-----> Compressing...')
    const size = await directorySize(this.dir)
    this.out(`${INDENT}Done: ${humanSize(size)}`)
    this.out('-----> Launching...')
    if (types.release) this.out(' !     Release command declared: this new release will not be available until the command succeeds.')
    this.checkpoint()

    const slug: Slug = {
      id: randomUUID(),
      dir: path.join(ctx.workDir, 'slugs', randomUUID()),
      commit: build.sourceBlob.version,
      stack: app.stack,
      commitDescription: build.sourceBlob.version_description,
      createdAt: new Date(),
      processTypes: types,
      size,
      buildpackDescription: packageJson ? 'Node.js' : null
    }
    await mkdir(path.dirname(slug.dir), { recursive: true })
    await rename(this.dir, slug.dir)
    this.checkpoint()
    build.slug = slug
    const version = build.sourceBlob.version
    build.release = app.releaser.create({
      description: version ? `Deploy ${version.slice(0, 8)}` : 'Deploy',
      slug,
      config: app.configVars
    })
    this.out(`${INDENT}Released v${build.release.version}`)
    this.out(`${INDENT}${app.webUrl} deployed to Heroku`)
  }

  /** The Node.js buildpack's part: install production dependencies, run the build script. */
  private async nodeBuild(packageJson: PackageJson): Promise<void> {
    this.language = 'Node.js app'
    this.build.buildpacks ??= [NODE_BUILDPACK]
    this.out('-----> Using buildpack: heroku/nodejs')
    this.out('-----> Node.js app detected')
    if (Object.keys(packageJson.dependencies ?? {}).length > 0) {
      this.out('-----> Installing dependencies')
      await this.step('npm', NPM_INSTALL)
    }
    if (packageJson.scripts?.build) {
      this.out('-----> Build')
      this.out(`${INDENT}Running build`)
      await this.step('npm', ['run', 'build'])
    }
  }

  /** The builder downloads the source the way Heroku does: with the URL it was given. */
  private fetchSource(): string {
    const { source, build } = this
    if (!source.readable) throw new BuildFailure([` !     Unable to fetch source from ${build.sourceBlob.url}: ${source.reason}`])
    const upload = source.blob.upload
    const expected = build.sourceBlob.checksum
    if (upload && expected && expected.slice('SHA256:'.length).toLowerCase() !== upload.sha256) {
      throw new BuildFailure([' !     Checksum mismatch: the downloaded source does not match source_blob.checksum.', ` !     Expected ${expected}, got SHA256:${upload.sha256}`])
    }
    return source.blob.file
  }

  private async step(command: string, args: string[]): Promise<void> {
    const { build, app } = this
    const code = await run(command, args, {
      cwd: this.dir,
      env: {
        ...baseEnv(),
        NODE_ENV: 'production',
        NPM_CONFIG_UPDATE_NOTIFIER: 'false',
        ...app.configVars,
        STACK: app.stack,
        ...(build.sourceBlob.version ? { SOURCE_VERSION: build.sourceBlob.version } : {})
      },
      onLine: (line) => this.out(`${INDENT}${line}`),
      signal: this.signal
    })
    this.checkpoint()
    if (code !== 0) throw new BuildFailure([` !     Build failed: ${[command, ...args].join(' ')} exited with code ${code}`])
  }

  /** Stops the run here if it was cancelled or the emulator is closing. */
  private checkpoint(): void {
    this.signal.throwIfAborted()
  }

  /** Closes the output stream, then keeps the build `pending` a little longer, as Heroku does. */
  private async finish(status: BuildStatus): Promise<void> {
    const { build, ctx } = this
    build.log.end()
    await build.log.finished
    await sleep(ctx.faults.pendingAfterStreamMs, undefined, { signal: ctx.shutdown })
    setStatus(build, status)
    ctx.log(`${this.app.name}: build ${build.id} ${status}`)
  }

  private out(line: string): void {
    this.build.log.line(line)
  }
}

function setStatus(build: BuildRecord, status: BuildStatus): void {
  build.status = status
  build.updatedAt = new Date()
}

/** The Create link's request schema, checked by hand: source_blob.url required, the rest optional. */
function parseCreateBuild(body: unknown): CreateBuildBody {
  if (!isObject(body) || !isObject(body.source_blob)) throw invalidParams('source_blob is required.')
  const blob = body.source_blob
  if (typeof blob.url !== 'string' || !blob.url) throw invalidParams('source_blob.url is required.')
  const optional = (key: string): string | null => {
    const value = blob[key]
    if (value === undefined || value === null) return null
    if (typeof value !== 'string') throw invalidParams(`source_blob.${key} must be a string or null.`)
    return value
  }
  const checksum = optional('checksum')
  if (checksum !== null && !/^SHA256:[0-9a-f]{64}$/i.test(checksum)) {
    throw invalidParams('source_blob.checksum must look like SHA256:<64 hex digits>.')
  }
  return {
    source_blob: { checksum, url: blob.url, version: optional('version'), version_description: optional('version_description') },
    buildpacks: parseBuildpacks(body.buildpacks)
  }
}

function parseBuildpacks(value: unknown): CreateBuildBody['buildpacks'] {
  if (value === undefined || value === null) return null
  if (!Array.isArray(value)) throw invalidParams('buildpacks must be an array or null.')
  return value.map((item: unknown) => {
    const url = isObject(item) ? (item.url ?? item.name) : undefined
    if (typeof url !== 'string') throw invalidParams('Each buildpack needs a url or a name.')
    const name = isObject(item) && typeof item.name === 'string' ? item.name : url
    return { url, name }
  })
}

export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}
