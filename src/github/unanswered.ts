/**
 * A deployment whose create got no clear answer (the job was cancelled while it was sent, or a dropped
 * connection, a timeout or a 5xx that the client's own retries could not settle) may have been made all
 * the same, and would then show no final state. Every deployment the run creates (each app's, each
 * promotion target's, a branch node's claim) goes through here: with a mark of its own (the payload's
 * `request_id`), so that what such a create made is looked for by it and closed like the others.
 */
import { randomUUID } from 'node:crypto'
import { CancelledError, capitalize, GitHubApiError, oneLine } from '../errors.js'
import type { Log } from '../log.js'
import type { CleanupWindow } from '../util/cleanup.js'
import type { GitHubApi, NewDeployment } from './api.js'

export interface FindableContext {
  github: GitHubApi
  log: Log
  signal?: AbortSignal
  /** After a cancel, the window every cleanup step shares. */
  cleanup: CleanupWindow
}

export interface FindableWords {
  /** What is created, as the log names it: "the claim of shop-pr-2 for #12", "the GitHub deployment of shop". */
  what: string
  /** Said once it was found: what becomes of it ("it is closed"). */
  found: string
  /** Said when it was not found: what a deployment made then means ("shows no final state"). */
  ifMade: string
}

/** GitHub answered: the id. Or no clear answer came: the id when it was found by its mark, else what the report must say. */
export type Created = { answered: true; id: number } | { answered: false; error: unknown; cancelled: boolean; id?: number; unsettled?: string }

/**
 * Creates the deployment with a mark of its own. GitHub's "no" (a 4xx but rate limits) is thrown as it
 * is: nothing was made. No clear answer: the deployment it may have made is looked for by the mark; after
 * a cancel as a cleanup call, within the first two thirds of the window (the last third is for closing the
 * deployments, the summary and the notifications, side by side). Not found there is logged as a warning.
 */
export async function createFindable(ctx: FindableContext, wanted: NewDeployment, words: FindableWords): Promise<Created> {
  const marked = { ...wanted, requestId: wanted.requestId ?? randomUUID() }
  try {
    return { answered: true, id: await ctx.github.createDeployment(marked) }
  } catch (error) {
    if (error instanceof GitHubApiError && !error.transient) throw error
    const cancelled = ctx.signal?.aborted === true || error instanceof CancelledError
    let why = 'and it was not found'
    try {
      const lookUp = ctx.github.findDeployment(marked, { afterCancel: cancelled })
      const id = await ctx.cleanup.bound(lookUp, `Looking for ${words.what} whose answer never came`, 2 / 3)
      if (id !== undefined) {
        ctx.log.info(`${capitalize(words.what)} got no answer, but GitHub had made it (deployment ${id}): ${words.found}.`)
        return { answered: false, error, cancelled, id }
      }
    } catch (lookUp) {
      why = `and it could not be looked for (${oneLine(lookUp)})`
    }
    const unsettled = `${capitalize(words.what)} got no answer from GitHub, ${why}: one may have been made, and then it ${words.ifMade}.`
    ctx.log.warning(unsettled)
    return { answered: false, error, cancelled, unsettled }
  }
}
