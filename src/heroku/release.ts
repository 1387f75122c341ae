import { DeployError } from '../errors.js'
import { pollUntil } from '../util/poll.js'
import { herokuReason } from '../util/tail.js'
import type { StageContext } from './context.js'
import { streamIntoLog } from './output.js'
import { CONFIRM_POLL_MS } from './stream.js'
import type { HerokuRelease } from './types.js'

const RELEASE_STATUS_WORDS = {
  failed: 'the release command failed',
  expired: 'the release expired before it finished'
} as const

/**
 * Waits for a release to settle: streams its release phase (migrations) when it has one, then polls
 * until it is not `pending` (early, then backing off: the stream did the waiting). `failed` and
 * `expired` throw with the release output's reason.
 */
export async function awaitRelease(ctx: StageContext, app: string, releaseId: string): Promise<HerokuRelease> {
  const { api } = ctx
  const first = await api.getRelease(app, releaseId)
  // Streamed even when the phase is already over: the stream replays it, and a failure needs its lines.
  const tail = await streamIntoLog(ctx, `Release phase of v${first.version} (${app})`, first.output_stream_url)
  const release = await pollUntil(
    () => api.getRelease(app, releaseId),
    (r) => r.status !== 'pending',
    {
      deadline: ctx.deadline,
      signal: ctx.signal,
      intervalMs: ctx.pollMs ?? CONFIRM_POLL_MS
    }
  )
  if (release.status === 'failed' || release.status === 'expired') {
    const detail = herokuReason(tail)
    const what = RELEASE_STATUS_WORDS[release.status]
    throw new DeployError('release', `Release v${release.version} failed on ${app}: ${what}${detail ? ` (${detail})` : ''}`, tail)
  }
  return release
}
