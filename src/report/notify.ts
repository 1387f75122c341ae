import type { Log } from '../log.js'
import type { RunResult } from '../result.js'
import type { Settings } from '../settings.js'
import type { CleanupWindow } from '../util/cleanup.js'
import { AFTER_CANCEL_MS } from '../util/time.js'
import { deliver } from './deliver.js'
import { type RunContext, webhookBody } from './notification.js'
import { slackMessage } from './slack.js'

/**
 * Sends the Slack message and the webhook, side by side; failures are warnings only. After a cancel
 * (`cleanup` started), each gets one attempt within what is left of the cleanup window.
 */
export async function notify(
  run: RunResult,
  context: RunContext,
  settings: Pick<Settings, 'slackWebhook' | 'webhookUrl' | 'webhookSecret'>,
  log: Log,
  cleanup?: CleanupWindow
): Promise<void> {
  const cancelled = run.status === 'cancelled' || cleanup?.started
  const budget = cancelled ? { attempts: 1, timeoutMs: Math.max(1, Math.floor(Math.min(cleanup?.remainingMs() ?? AFTER_CANCEL_MS, AFTER_CANCEL_MS * 2))) } : {}
  const sends: Promise<boolean>[] = []
  if (settings.slackWebhook) sends.push(deliver(settings.slackWebhook, slackMessage(run, context), { log, what: 'the Slack notification', ...budget }))
  if (settings.webhookUrl) {
    sends.push(deliver(settings.webhookUrl, webhookBody(run, context), { log, what: 'the webhook notification', secret: settings.webhookSecret, ...budget }))
  }
  await Promise.all(sends)
}
