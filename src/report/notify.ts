import type { Log } from '../log.js'
import type { RunResult } from '../result.js'
import type { Settings } from '../settings.js'
import { deliver } from './deliver.js'
import { type RunContext, webhookBody } from './notification.js'
import { slackMessage } from './slack.js'

/** Sends the Slack message and the webhook, side by side; failures are warnings only. */
export async function notify(run: RunResult, context: RunContext, settings: Pick<Settings, 'slackWebhook' | 'webhookUrl' | 'webhookSecret'>, log: Log): Promise<void> {
  const sends: Promise<boolean>[] = []
  if (settings.slackWebhook) sends.push(deliver(settings.slackWebhook, slackMessage(run, context), { log, what: 'the Slack notification' }))
  if (settings.webhookUrl) {
    sends.push(deliver(settings.webhookUrl, webhookBody(run, context), { log, what: 'the webhook notification', secret: settings.webhookSecret }))
  }
  await Promise.all(sends)
}
