import type { DeployResult, RunResult } from '../result.js'
import { describe } from '../verify/smoke.js'
import { changesHeadline, changesLabel } from './changes.js'
import { branchNodeSentence, commitUrl, nextStep, type RunContext, runUrl, subject } from './notification.js'

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
const SMOKE_LINES = 10
// Pull requests named per app: the message stays short; the summary and the compare link have all.
const PULL_REQUESTS = 8
// Block Kit refuses the whole message when one text is too long: a section's text holds 3000
// characters, a field 2000, a button's label 75.
const MAX_SECTION = 3000
const MAX_FIELD = 2000
const MAX_BUTTON = 75
const MAX_CODE = 2500

/** One Slack message (Block Kit, with a plain-text fallback) for the whole run. */
export function slackMessage(run: RunResult, context: RunContext): { text: string; blocks: unknown[] } {
  const apps = subject(run) || 'Heroku'
  const headline = `${apps} ${WORDS[run.status]}`
  const releases = run.apps.filter((a) => a.releaseVersion !== undefined).map(release)
  const sha = context.sha
  const commitLink = sha ? link(commitUrl(sha, context.github), sha.slice(0, 7)) : undefined
  const reasons = run.reason ? [run.reason] : run.apps.filter((a) => a.reason && a.status !== 'success').map((a) => a.reason as string)
  const next = nextStep(run)
  const node = branchNodeSentence(run.branchNode)
  const fallback = [`${headline}.`, node ?? '', releases.length ? `Release ${releases.join(', ')}.` : '', reasons.join(' '), next].filter(Boolean).join(' ')

  const fields = [
    `*Status*\n${run.status}`,
    `*Release*\n${escape(releases.join(', ')) || '—'}`,
    `*Commit*\n${commitLink ? `${commitLink}${context.commitTitle ? ` ${escape(context.commitTitle)}` : ''}` : '—'}`,
    `*Actor*\n${escape(context.github?.actor || '—')}`,
    `*Duration*\n${(run.durationMs / 1000).toFixed(1)} s`
  ]
  const blocks: unknown[] = [
    section(`${ICON[run.status]} *${escape(headline)}*\n${escape(next)}`),
    { type: 'section', fields: fields.map((text) => ({ type: 'mrkdwn', text: clip(text, MAX_FIELD) })) }
  ]
  if (run.branchNode && node) {
    const { number, title, url } = run.branchNode.pullRequest
    blocks.splice(1, 0, section(`*Pull request* ${link(url, `#${number}`)}${title ? ` ${escape(title)}` : ''}\n${escape(node)}`))
  }
  if (reasons.length > 0) blocks.push(section(`*Why:* ${reasons.map(escape).join('\n')}`))
  const changes = run.apps.map(changesLine).filter((line) => line !== undefined)
  if (changes.length > 0) blocks.push(section(changes.join('\n')))
  const failedChecks = run.apps.flatMap((a) => [...a.smoke, ...(a.rollback?.smoke ?? [])].filter((r) => !r.passed))
  if (failedChecks.length > 0) {
    blocks.push(section(`Failing smoke checks:\n${codeBlock(failedChecks.slice(0, SMOKE_LINES).map((r) => `✗ ${describe(r)}`))}`))
  }
  const tail = run.apps.find((a) => a.logTail.length > 0)
  if (tail) blocks.push(section(`Last lines of the ${tail.logTailOf ?? 'build'} output:\n${codeBlock(tail.logTail.slice(-TAIL_LINES))}`))
  const buttons = [
    ...run.apps.filter((a) => a.appUrl).map((a) => button(`Open ${a.app}`, a.appUrl as string)),
    ...(runUrl(context.github) ? [button('View run', runUrl(context.github) as string)] : [])
  ]
  if (buttons.length > 0) blocks.push({ type: 'actions', elements: buttons.slice(0, 25) })
  return { text: fallback, blocks }
}

/** "*Changes on shop:* 3 commits, 2 pull requests since v311: #7 Web front end (@alice), … · compare" */
function changesLine(app: DeployResult): string | undefined {
  const headline = changesHeadline(app)
  if (!app.changes || !headline) return app.changesUnlisted ? `*Changes on ${escape(app.app)}:* cannot be listed: ${escape(app.changesUnlisted)}.` : undefined
  const pulls = app.changes.pullRequests
  const named = pulls.slice(0, PULL_REQUESTS).map((pr) => `${link(pr.url, `#${pr.number}`)} ${escape(pr.title)}${pr.author ? ` (@${escape(pr.author)})` : ''}`)
  if (pulls.length > PULL_REQUESTS) named.push(`${pulls.length - PULL_REQUESTS} more`)
  return `*${changesLabel(app)} on ${escape(app.app)}:* ${escape(headline)}${named.length > 0 ? `: ${named.join(', ')}` : ''} · ${link(app.changes.compareUrl, 'compare')}`
}

/** "hello-app v8", or after a rollback "hello-app v8, rolled back to v7 (now v9)". */
function release(app: DeployResult): string {
  const rolledBack = app.rollback ? `, rolled back to v${app.previousRelease?.version} (now v${app.rollback.releaseVersion})` : ''
  const promoted = app.promotedFrom ? ` (promoted from ${app.promotedFrom.app} v${app.promotedFrom.releaseVersion})` : ''
  return `${app.app} v${app.releaseVersion}${promoted}${rolledBack}`
}

function section(text: string): unknown {
  return { type: 'section', text: { type: 'mrkdwn', text: clip(text, MAX_SECTION) } }
}

function button(label: string, url: string): unknown {
  return { type: 'button', text: { type: 'plain_text', text: clip(label, MAX_BUTTON) }, url }
}

/** A preformatted block whose content cannot close it early, short enough that clipping never cuts it. */
function codeBlock(lines: readonly string[]): string {
  const body = escape(lines.join('\n').replace(/```/g, "'''"))
  return `\`\`\`${body.length > MAX_CODE ? `…${body.slice(-MAX_CODE)}` : body}\`\`\``
}

function link(url: string | undefined, label: string): string {
  return url ? `<${url}|${label}>` : label
}

function clip(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text
}

// Slack's mrkdwn treats these three as control characters.
function escape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')
}
