/**
 * The stages of a deploy as the timeline and the errors name them. A module of its own, importing
 * nothing, so that errors.ts can name a stage without depending on the results.
 */

/** The stages a person sees in the timeline, in the order they run. */
export type StageName = 'checks' | 'package' | 'upload' | 'config' | 'build' | 'push' | 'slug' | 'promote' | 'release' | 'verify' | 'rollback'

export interface StageTiming {
  stage: StageName
  ms: number
  ok: boolean
}
