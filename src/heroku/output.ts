import { LineTail } from '../util/tail.js'
import type { StageContext } from './context.js'
import { followOutputStream } from './stream.js'

/** Streams an output_stream_url into a log group and keeps its last lines for a failure report. */
export async function streamIntoLog(ctx: StageContext, title: string, url: string | null | undefined): Promise<string[]> {
  const tail = new LineTail()
  if (!url) return []
  await ctx.log.group(title, () =>
    followOutputStream(url, {
      deadline: ctx.deadline,
      signal: ctx.signal,
      onLine: (line) => {
        tail.push(line)
        ctx.log.info(line)
      },
      onTrouble: (message) => ctx.log.warning(`${title}: ${message}; waiting for Heroku's status instead.`)
    })
  )
  return tail.lines()
}
