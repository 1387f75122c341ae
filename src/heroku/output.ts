import { LineTail } from '../util/tail.js'
import type { StageContext } from './context.js'
import { followOutputStream } from './stream.js'

/**
 * Streams an output_stream_url into the log and keeps its last lines for a failure report: in a log
 * group titled `title`, or, inside a group already open (groups do not nest), straight into it.
 */
export async function streamIntoLog(ctx: StageContext, title: string, url: string | null | undefined, options: { group?: boolean } = {}): Promise<string[]> {
  const tail = new LineTail()
  if (!url) return []
  const follow = () =>
    followOutputStream(url, {
      deadline: ctx.deadline,
      signal: ctx.signal,
      onLine: (line) => {
        tail.push(line)
        ctx.log.info(line)
      },
      onTrouble: (message) => ctx.log.warning(`${title}: ${message}; waiting for Heroku's status instead.`)
    })
  await (options.group === false ? follow() : ctx.log.group(title, follow))
  return tail.lines()
}
