import type { RunResult } from '../result.js'
import { commitUrl, NEXT_STEP, type RunContext, runUrl } from './notification.js'

const ICON: Record<RunResult['status'], string> = {
  success: ':white_check_mark:',
  failure: ':x:',
  'rolled-back': ':leftwards_arrow_with_hook:',
  skipped: ':next_track_button:',
  'dry-run': ':memo:',
  cancelled: ':no_entry_sign:'
}

const WORDS: Record<RunResult['status'], string> = {
  success: 'deployed',
  failure: 'deploy failed',
  'rolled-back': 'deploy rolled back',
  skipped: 'deploy skipped',
  'dry-run': 'dry run',
  cancelled: 'deploy cancelled'
}

const TAIL_LINES = 5

/** One Slack message (Block Kit, with a plain-text fallback) for the whole run. */
export function slackMessage(run: RunResult, context: RunContext): { text: string; blocks: unknown[] } {
  const apps = run.apps.map((a) => a.app).join(', ') || 'Heroku'
  const headline = `${apps} ${WORDS[run.status]}`
  const releases = run.apps.filter((a) => a.releaseVersion !== undefined).map((a) => `${a.app} v${a.releaseVersion}`)
  const sha = context.sha
  const commitLink = sha ? link(commitUrl(sha, context.github), sha.slice(0, 7)) : undefined
  const reasons = run.reason ? [run.reason] : run.apps.filter((a) => a.reason && a.status !== 'success').map((a) => a.reason as string)
  const fallback = [`${headline}.`, releases.length ? `Release ${releases.join(', ')}.` : '', reasons.join(' '), NEXT_STEP[run.status]].filter(Boolean).join(' ')

  const fields = [
    `*Status*\n${run.status}`,
    `*Release*\n${releases.join(', ') || '—'}`,
    `*Commit*\n${commitLink ? `${commitLink}${context.commitTitle ? ` ${escape(context.commitTitle)}` : ''}` : '—'}`,
    `*Actor*\n${escape(context.github?.actor || '—')}`,
    `*Duration*\n${(run.durationMs / 1000).toFixed(1)} s`
  ]
  const blocks: unknown[] = [
    { type: 'section', text: { type: 'mrkdwn', text: `${ICON[run.status]} *${escape(headline)}*\n${escape(NEXT_STEP[run.status])}` } },
    { type: 'section', fields: fields.map((text) => ({ type: 'mrkdwn', text })) }
  ]
  for (const reason of reasons) blocks.push({ type: 'section', text: { type: 'mrkdwn', text: `*Why:* ${escape(reason)}` } })
  const tail = run.apps.find((a) => a.logTail.length > 0)
  if (tail) {
    const lines = tail.logTail.slice(-TAIL_LINES).join('\n').replace(/```/g, "'''")
    blocks.push({ type: 'section', text: { type: 'mrkdwn', text: `Last lines of the ${tail.logTailOf ?? 'build'} output:\n\`\`\`${lines.slice(-2500)}\`\`\`` } })
  }
  const buttons = [
    ...run.apps.filter((a) => a.appUrl).map((a) => ({ type: 'button', text: { type: 'plain_text', text: `Open ${a.app}` }, url: a.appUrl })),
    ...(runUrl(context.github) ? [{ type: 'button', text: { type: 'plain_text', text: 'View run' }, url: runUrl(context.github) }] : [])
  ]
  if (buttons.length > 0) blocks.push({ type: 'actions', elements: buttons.slice(0, 25) })
  return { text: fallback, blocks }
}

function link(url: string | undefined, label: string): string {
  return url ? `<${url}|${label}>` : label
}

// Slack's mrkdwn treats these three as control characters.
function escape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')
}
