import type { Log } from '../log.js'
import type { RunResult } from '../result.js'
import type { Settings } from '../settings.js'
import { AFTER_CANCEL_MS } from '../util/time.js'
import { deliver } from './deliver.js'
import { type RunContext, webhookBody } from './notification.js'
import { slackMessage } from './slack.js'

// A cancelled job has seconds before the runner kills it: one short attempt each, sent side by side.
const CANCELLED = { attempts: 1, timeoutMs: AFTER_CANCEL_MS }

/** Sends the Slack message and the webhook, side by side; failures are warnings only. */
export async function notify(run: RunResult, context: RunContext, settings: Pick<Settings, 'slackWebhook' | 'webhookUrl' | 'webhookSecret'>, log: Log): Promise<void> {
  const budget = run.status === 'cancelled' ? CANCELLED : {}
  const sends: Promise<boolean>[] = []
  if (settings.slackWebhook) sends.push(deliver(settings.slackWebhook, slackMessage(run, context), { log, what: 'the Slack notification', ...budget }))
  if (settings.webhookUrl) {
    sends.push(deliver(settings.webhookUrl, webhookBody(run, context), { log, what: 'the webhook notification', secret: settings.webhookSecret, ...budget }))
  }
  await Promise.all(sends)
}
