import type { StageContext } from '../heroku/context.js'
import type { HerokuBuild } from '../heroku/types.js'
import type { DeployResult } from '../result.js'

/** What shipping made on the app: the release to wait for, and the slug it runs (for build-once). */
export interface Shipped {
  releaseId: string
  slugId?: string
}

/**
 * One way code reaches an app: a build of the uploaded source (source.ts), a git push (push.ts), or
 * the release of a slug already built (slug.ts). Each times its own stages in the result; everything
 * from "the release exists" on (release phase, smoke checks, rollback) is the run's, and shared.
 */
export interface Shipper {
  /** Waits for what shipping needs from elsewhere (another app's build), before anything on this app changes. */
  ready?(ctx: StageContext): Promise<void>
  ship(ctx: StageContext, result: DeployResult): Promise<Shipped>
  /** The build shipping started on Heroku, when its id is not known (a push's, or a create whose answer was lost). */
  startedBuild?(ctx: StageContext, result: DeployResult): Promise<HerokuBuild | undefined>
}
