import { randomUUID } from 'node:crypto'
import { rm } from 'node:fs/promises'
import * as path from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import type { AppState, ReleaseRecord, ReleaseStatus } from './apps.js'
import type { EmulatorContext } from './context.js'
import { Dyno } from './dynos.js'
import { baseEnv, run } from './processes.js'
import { type Slug, unpackSlug } from './slugs.js'

export interface NewRelease {
  description: string
  slug?: Slug
  config: Record<string, string>
  /** Told once the release succeeded or failed (a promotion's target follows its release). */
  onSettled?: (release: ReleaseRecord) => void
}

/**
 * Creates an app's releases and puts them live, one at a time and in version order:
 * release phase (if the slug declares one) → boot the new web dyno → switch the router → stop the
 * old dyno. A release becomes `succeeded` and `current` at the moment traffic switches; a failed
 * release phase leaves it `failed` and the app serving the previous release.
 */
export class ReleaseManager {
  private queue: Promise<void> = Promise.resolve()
  private readonly onSettled = new Map<string, (release: ReleaseRecord) => void>()

  constructor(
    private readonly app: AppState,
    private readonly ctx: EmulatorContext
  ) {}

  create({ description, slug, config, onSettled }: NewRelease): ReleaseRecord {
    const { app, ctx } = this
    const id = randomUUID()
    const releaseCommand = slug?.processTypes.release
    const log = releaseCommand ? ctx.newOutputLog() : undefined
    const now = new Date()
    const release: ReleaseRecord = {
      id,
      version: (app.releases.at(-1)?.version ?? 0) + 1,
      description,
      createdAt: now,
      updatedAt: now,
      status: 'pending',
      current: false,
      slug,
      config: { ...config },
      log,
      outputStreamUrl: log ? ctx.streams.publish('releases', id, log) : null
    }
    app.releases.push(release)
    if (onSettled) this.onSettled.set(id, onSettled)
    app.touch()
    ctx.log(`${app.name}: v${release.version} created (${description})`)
    this.enqueue(`release v${release.version} of ${app.name}`, () => this.activate(release))
    return release
  }

  /** DELETE /dynos: a fresh web dyno for the current release replaces the running one. */
  restart(): void {
    this.enqueue(`restart of ${this.app.name}`, async () => {
      const current = this.app.currentRelease()
      if (current?.slug) await this.serve(await this.boot(current))
    })
  }

  private enqueue(name: string, task: () => Promise<void>): void {
    const next = this.queue.then(task)
    this.queue = next.catch(() => undefined)
    this.ctx.background(name, () => next)
  }

  private async activate(release: ReleaseRecord): Promise<void> {
    const command = release.slug?.processTypes.release
    const phase = command ? await this.releasePhase(release, command) : 'ok'
    if (this.ctx.shutdown.aborted) return // killed by close(), not a verdict on the release
    if (phase !== 'ok') return this.settle(release, phase)
    const dyno = release.slug ? await this.boot(release) : undefined
    if (this.ctx.shutdown.aborted) return
    for (const other of this.app.releases) other.current = false
    release.current = true
    this.app.releasedAt = new Date()
    this.settle(release, 'succeeded')
    if (release.slug) await this.serve(dyno)
  }

  /**
   * Runs the `release:` command in a one-off dyno, streaming its output: `ok` when it exited 0,
   * `failed` when it did not or its dyno was stopped, `expired` when it outlived `releaseExpiresAfterMs`.
   */
  private async releasePhase(release: ReleaseRecord, command: string): Promise<'ok' | 'failed' | 'expired'> {
    const { ctx } = this
    const log = release.log
    const dir = path.join(ctx.workDir, 'dynos', randomUUID())
    // The phase runs in a one-off dyno the API lists (type release) and can stop: the release then fails.
    const stopped = new AbortController()
    // Heroku expires a release that stays pending too long; the knob makes that happen here.
    const expiresAfterMs = ctx.faults.releaseExpiresAfterMs
    const expired = expiresAfterMs > 0 ? AbortSignal.timeout(expiresAfterMs) : undefined
    const dyno = {
      id: randomUUID(),
      name: `release.${1000 + release.version}`,
      release: { id: release.id, version: release.version },
      createdAt: new Date(),
      stop: () => stopped.abort()
    }
    this.app.releaseDynos.set(dyno.id, dyno)
    try {
      await unpackSlug(release.slug as Slug, dir)
      const phase = AbortSignal.any([ctx.shutdown, stopped.signal, ...(expired ? [expired] : [])])
      // A long migration: stopping the dyno or expiry ends the wait as it would end the command.
      if (ctx.faults.releasePhaseDelayMs > 0) await sleep(ctx.faults.releasePhaseDelayMs, undefined, { signal: phase }).catch(() => undefined)
      const code = phase.aborted
        ? 1
        : await run('sh', ['-c', command], {
            cwd: dir,
            env: { ...baseEnv(), ...this.releaseEnv(release), DYNO: `release.${release.version}` },
            onLine: (line) => log?.line(line),
            signal: phase
          })
      if (stopped.signal.aborted) log?.line('Release phase stopped: the dyno was stopped through the API.')
      ctx.log(`${this.app.name}: release phase of v${release.version} exited with code ${code}`)
      if (expired?.aborted && !stopped.signal.aborted) {
        log?.line(`Release expired: the release phase was still running after ${expiresAfterMs} ms.`)
        return 'expired'
      }
      return code === 0 && !stopped.signal.aborted ? 'ok' : 'failed'
    } catch (error) {
      log?.line(`Release command could not start: ${error instanceof Error ? error.message : String(error)}`)
      return 'failed'
    } finally {
      this.app.releaseDynos.delete(dyno.id)
      log?.end()
      await log?.finished
      await rm(dir, { recursive: true, force: true })
    }
  }

  /** Starts the release's web dyno; undefined when the slug declares no web process. */
  private async boot(release: ReleaseRecord): Promise<Dyno | undefined> {
    const { app, ctx } = this
    const slug = release.slug
    if (!slug?.processTypes.web) return undefined
    try {
      const dyno = await Dyno.start({
        appName: app.name,
        name: 'web.1',
        command: slug.processTypes.web,
        slug,
        dir: path.join(ctx.workDir, 'dynos', randomUUID()),
        env: this.releaseEnv(release),
        release: { id: release.id, version: release.version },
        log: ctx.log,
        shutdown: ctx.shutdown
      })
      ctx.dynos.add(dyno)
      return dyno
    } catch (error) {
      // Could not even spawn (e.g. the slug copy failed): nothing serves, as with a crash.
      ctx.log(`${app.name}: web dyno of v${release.version} could not start: ${error instanceof Error ? error.message : String(error)}`)
      return undefined
    }
  }

  /** Routes traffic to `dyno` (even a crashed one: the router then answers 503), then stops the old dyno. */
  private async serve(dyno: Dyno | undefined): Promise<void> {
    const previous = this.app.dyno
    this.app.dyno = dyno
    this.app.router.routeTo(dyno)
    if (previous && previous !== dyno) {
      await previous.stop()
      this.ctx.dynos.delete(previous)
    }
  }

  private releaseEnv(release: ReleaseRecord): Record<string, string> {
    return {
      ...release.config,
      HEROKU_RELEASE_VERSION: `v${release.version}`,
      ...(release.slug?.commit ? { HEROKU_SLUG_COMMIT: release.slug.commit } : {})
    }
  }

  private settle(release: ReleaseRecord, status: ReleaseStatus): void {
    release.status = status
    release.updatedAt = new Date()
    this.ctx.log(`${this.app.name}: v${release.version} ${status}${release.current ? ' (current)' : ''}`)
    this.onSettled.get(release.id)?.(release)
    this.onSettled.delete(release.id)
  }
}
