import { DeployError, HerokuApiError, oneLine, TimeoutError } from '../errors.js'
import type { PromotionRoute, RouteApp } from '../gate/pipeline.js'
import type { StageContext } from '../heroku/context.js'
import type { HerokuPromotion, HerokuPromotionTarget } from '../heroku/types.js'
import { type DeployResult, type PromotedRelease, timed } from '../result.js'
import { pollUntil } from '../util/poll.js'
import { abortable } from '../util/time.js'
import type { Shipped, Shipper } from './shipper.js'

/** What one target waits for: Heroku's answer for it. */
class Answer {
  settled = false
  resolve!: (target: HerokuPromotionTarget) => void
  reject!: (error: Error) => void
  readonly promise = new Promise<HerokuPromotionTarget>((resolve, reject) => {
    this.resolve = resolve
    this.reject = reject
  })

  constructor() {
    // A target that left (or was cancelled) never reads its answer.
    this.promise.catch(() => undefined)
  }
}

/**
 * A pipeline promotion: exactly one release of the source app, copied to every target in one
 * `POST /pipeline-promotions` (naming the release: without it Heroku would promote whatever is
 * current on the source at that moment). Each target is then an app like any other: its own
 * release to wait for, smoke checks and rollback, through its own shipper.
 *
 * The request goes out once every target has read its rollback point and is ready for its release
 * (maintenance on, when asked): each target's shipper arrives, or the target leaves when it failed
 * before shipping. Targets wait for one another, so they must all run at once.
 */
export class Promotion {
  private readonly waiting: Set<string>
  private readonly arrived: RouteApp[] = []
  private readonly answers = new Map<string, Answer>()
  private started = false
  /** Whether the request may have reached Heroku: then a target without an answer may still get the release. */
  private request: 'not sent' | 'sent' | 'unclear' = 'not sent'
  /** Targets Heroku answered `failed`: nothing of the promotion goes live there. */
  private readonly refused = new Set<string>()

  constructor(
    private readonly route: PromotionRoute,
    readonly release: PromotedRelease,
    /** The promotion's own context: its deadline bounds following it. */
    private readonly ctx: StageContext
  ) {
    this.waiting = new Set(route.targets.map((target) => target.app))
    for (const target of route.targets) this.answers.set(target.app, new Answer())
  }

  /** The shipper of every target: arrive, wait for the promotion's answer for this target, return its release. */
  shipper(): Shipper {
    return {
      ship: async (ctx, result: DeployResult): Promise<Shipped> => {
        try {
          const target = await timed([result], 'promote', () => {
            this.arrive(result.app)
            return abortable((this.answers.get(result.app) as Answer).promise, ctx.signal)
          })
          return { releaseId: target.release?.id as string }
        } catch (error) {
          // Stopped waiting (a timeout, a cancel, a lost answer) while the promotion may still go on.
          if (this.request !== 'not sent' && !this.refused.has(result.app)) result.mayGoLive ??= this.mayStillRelease(result.app)
          throw error
        }
      }
    }
  }

  /** A target whose deploy ended (or failed before shipping): the promotion no longer waits for it. */
  leave(app: string): void {
    if (this.waiting.delete(app)) this.startWhenReady()
  }

  private arrive(app: string): void {
    const target = this.route.targets.find((t) => t.app === app)
    if (!target || !this.waiting.delete(app)) throw new Error(`${app} is not a target of this promotion`)
    this.arrived.push(target)
    this.startWhenReady()
  }

  private startWhenReady(): void {
    if (this.started || this.waiting.size > 0 || this.arrived.length === 0) return
    this.started = true
    void this.run(this.arrived).catch((error: unknown) => {
      const reason = error instanceof Error ? error : new Error(String(error))
      for (const target of this.arrived) this.settle(target.app, undefined, reason)
    })
  }

  /** One request for every target that arrived; then follows them until each has its release or failed. */
  private async run(targets: readonly RouteApp[]): Promise<void> {
    const { api, log, signal } = this.ctx
    if (signal?.aborted) throw new DeployError('promote', 'The job was cancelled before the promotion was requested.')
    const { source, pipeline } = this.route
    const what = `${source.app} v${this.release.releaseVersion}`
    let promotion: HerokuPromotion
    try {
      this.request = 'unclear'
      promotion = await api.createPromotion({
        pipeline: { id: pipeline.id },
        source: { app: { id: source.id }, release: { id: this.release.releaseId } },
        targets: targets.map((target) => ({ app: { id: target.id } }))
      })
      this.request = 'sent'
    } catch (error) {
      // Refused (a 4xx, no connection) is certain; anything else may have reached Heroku.
      if (error instanceof HerokuApiError && !error.mayHaveActed) this.request = 'not sent'
      throw error
    }
    log.info(`Promoting ${what} (release ${this.release.releaseId}) to ${targets.map((t) => t.app).join(', ')}: promotion ${promotion.id} of the pipeline '${pipeline.name}'.`)
    const byId = new Map(targets.map((target) => [target.id, target]))
    // As Heroku's CLI does: a target is followed until it failed, succeeded, or has its release (whose
    // release phase is then streamed live while Heroku still reads the target as pending).
    const answered = (target: HerokuPromotionTarget) => target.status !== 'pending' || Boolean(target.release?.id)
    await pollUntil(
      async () => {
        const answers = await api.promotionTargets(promotion.id)
        for (const answer of answers.filter(answered)) {
          const target = byId.get(answer.app.id)
          if (target) this.settle(target.app, answer)
        }
        return answers
      },
      () => targets.every((target) => this.answers.get(target.app)?.settled),
      { deadline: this.ctx.deadline, signal, intervalMs: this.ctx.pollMs ?? 1000, maxIntervalMs: 5000 }
    )
  }

  /** What may still happen on a target the run stopped waiting for (as `mayGoLive` words it). */
  private mayStillRelease(app: string): string {
    const what = `${this.route.source.app} v${this.release.releaseVersion}`
    return this.request === 'sent'
      ? `the promotion of ${what} to ${app} was requested and had not finished: Heroku may still release it there`
      : `the promotion request of ${what} got no clear answer: Heroku may have carried it out and may still release it on ${app}`
  }

  /** Gives a target its answer: its release, or Heroku's reason why it failed. */
  private settle(app: string, answer: HerokuPromotionTarget | undefined, error?: Error): void {
    const waiter = this.answers.get(app)
    if (!waiter || waiter.settled) return
    waiter.settled = true
    const what = `The promotion of ${this.route.source.app} v${this.release.releaseVersion} to ${app}`
    // A timeout names the promotion itself; anything else (Heroku refusing the request) is said as it came.
    if (error)
      return waiter.reject(
        error instanceof DeployError || error instanceof TimeoutError ? new DeployError('promote', oneLine(error)) : new DeployError('promote', `${what} failed: ${oneLine(error)}`)
      )
    if (answer?.status === 'failed') {
      this.refused.add(app)
      return waiter.reject(new DeployError('promote', `${what} failed: ${answer.error_message?.trim() || 'Heroku gave no reason'}`))
    }
    if (!answer?.release?.id) return waiter.reject(new DeployError('promote', `${what} ${answer?.status ?? 'ended'} without a release on ${app}.`))
    this.ctx.log.info(`${what} made release ${answer.release.id} on ${app}.`)
    waiter.resolve(answer)
  }
}
