import { DeployError, oneLine } from '../errors.js'
import { type DeployResult, timed } from '../result.js'
import { abortable } from '../util/time.js'
import type { Shipped, Shipper } from './shipper.js'

/**
 * build-once: the first app builds; every other app releases the slug that build made, with
 * `POST /apps/{app}/releases {"slug": …}` (an account may release a slug on any of its apps). The
 * slug is shared through `built`, which the first app's shipper settles.
 */
export class BuiltSlug {
  private resolve!: (slug: { slugId: string; app: string }) => void
  private reject!: (error: Error) => void
  readonly ready = new Promise<{ slugId: string; app: string }>((resolve, reject) => {
    this.resolve = resolve
    this.reject = reject
  })

  constructor(readonly app: string) {
    // Nobody may be waiting (every other app cancelled): the failure is reported on the first app itself.
    this.ready.catch(() => undefined)
  }

  /** Wraps the first app's shipper: its slug, once built, is what every other app releases. */
  source(shipper: Shipper): Shipper {
    return {
      ship: async (ctx, result) => {
        try {
          const shipped = await shipper.ship(ctx, result)
          if (!shipped.slugId) throw new DeployError('build', `The build on ${this.app} made no slug to release on the other apps (build-once needs a Cedar-generation slug).`)
          this.resolve({ slugId: shipped.slugId, app: this.app })
          return shipped
        } catch (error) {
          this.reject(new DeployError('slug', `Not released: build-once builds on ${this.app}, and that build did not finish (${oneLine(error)}).`))
          throw error
        }
      }
    }
  }

  /** The shipper of every other app: waits for the slug, then releases it. */
  release(description: string): Shipper {
    return {
      ready: async (ctx) => {
        await abortable(this.ready, ctx.signal)
      },
      ship: async (ctx, result: DeployResult): Promise<Shipped> => {
        const { slugId, app } = await this.ready
        result.builtOn = app
        const release = await timed([result], 'slug', async () => {
          ctx.log.info(`Releasing the slug built on ${app} (${slugId}) on ${result.app}.`)
          return ctx.api.createRelease(result.app, { slug: slugId, description })
        })
        return { releaseId: release.id, slugId }
      }
    }
  }
}
