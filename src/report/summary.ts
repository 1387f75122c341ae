import { planLines } from '../plan.js'
import type { BranchNodeReport, DeployResult, DeployStatus, RunResult } from '../result.js'
import type { GitHubRun } from '../settings.js'
import type { SmokeResult } from '../verify/smoke.js'
import { changesHeadline, changesLabel, commitAuthor, count, unlistedCount } from './changes.js'
import { branchNodeSentence, commitUrl, liveButFailing, nextStep, type RunContext, runUrl, subject } from './notification.js'

const ICON: Record<DeployStatus, string> = {
  success: '✅',
  failure: '❌',
  'rolled-back': '↩️',
  skipped: '⏭️',
  'dry-run': '📝',
  cancelled: '🚫'
}

const HEADLINE: Record<DeployStatus, string> = {
  success: 'deployed',
  failure: 'deploy failed',
  'rolled-back': 'rolled back',
  skipped: 'not deployed',
  'dry-run': 'dry run',
  cancelled: 'deploy cancelled'
}

/** GitHub refuses a step summary over 1 MiB; this leaves headroom and is never exceeded. */
export const MAX_SUMMARY_BYTES = 900 * 1024
const MAX_LINE = 400
const MAX_REASON = 2000
// Until the summary fits, the log tails shrink to these many lines; the job log always has the whole output.
const TAIL_LINES = [Number.POSITIVE_INFINITY, 15, 5, 0]

/** The job summary in GitHub-flavoured Markdown: what a person needs at a glance, per app. */
export function renderSummary(run: RunResult, context: RunContext = {}): string {
  const head = renderHead(run, context)
  // An app not deployed says nothing, unless there is a reason it was not (a target not promoted to).
  const apps = run.apps.filter((app) => app.status !== 'skipped' || app.stages.length > 0 || app.reason)
  let sections: string[] = []
  for (const tailLines of TAIL_LINES) {
    sections = apps.map((app) => renderApp(app, context, tailLines).join('\n'))
    const markdown = [head, ...sections].join('\n')
    if (bytes(markdown) <= MAX_SUMMARY_BYTES) return markdown
  }
  // Still too big (a great many apps): whole sections while they fit, never a cut inside a table or block.
  const note = (left: number) =>
    `_${left} more app${left === 1 ? '' : 's'} not shown: GitHub limits a job summary to 1 MiB. Every app's result is in the \`results\` output and the job log._\n`
  const kept: string[] = []
  let size = bytes(head) + bytes(note(apps.length)) + 1
  for (const section of sections) {
    if (size + bytes(section) + 1 > MAX_SUMMARY_BYTES) break
    kept.push(section)
    size += bytes(section) + 1
  }
  return [head, ...kept, note(sections.length - kept.length)].join('\n')
}

function renderHead(run: RunResult, context: RunContext): string {
  const out: string[] = []
  const apps = subject(run)
  out.push(`## ${ICON[run.status]} Heroku: ${apps ? `${apps} ` : ''}${HEADLINE[run.status]}`, '', escapeInline(nextStep(run)), '')
  out.push(...branchNodeBlock(run.branchNode))
  const facts = [`${seconds(run.durationMs)}`]
  if (context.sha) facts.push(`commit ${commitLink(context.sha, context.github)}${context.commitTitle ? ` ${escapeInline(context.commitTitle)}` : ''}`)
  if (context.github?.actor) facts.push(`by @${context.github.actor}`)
  const url = runUrl(context.github)
  if (url) facts.push(`[workflow run](${url})`)
  out.push(facts.join(' · '), '')
  if (run.reason) out.push(`**Why:** ${clip(escapeInline(run.reason), MAX_REASON)}`, '')
  if (run.plan) out.push('**Plan**', '', ...planLines(run.plan).map((line) => `- ${escapeInline(line)}`), '')
  return out.join('\n')
}

/** The pull request (linked) and its node; an eviction as a note, since another pull request lost its node. */
function branchNodeBlock(report: BranchNodeReport | undefined): string[] {
  const sentence = branchNodeSentence(report)
  if (!report || !sentence) return []
  const { number, title, url } = report.pullRequest
  const pr = `#${number}${title ? ` ${escapeInline(title)}` : ''}`
  const lines = [`**Pull request** ${url ? `[${pr}](${url})` : pr} · GitHub environment \`${report.environment}\``, '', escapeInline(sentence), '']
  if (report.evicted) {
    lines.push('> [!NOTE]', `> #${report.evicted.pullRequest} was evicted from ${report.node}, and its deployment marked inactive. It gets a node again on its next push.`, '')
  }
  return lines
}

function renderApp(app: DeployResult, context: RunContext, tailLines: number): string[] {
  const rows: [string, string][] = [
    ['Status', `${ICON[app.status]} ${app.status}`],
    ['App', app.appUrl ? `[${app.app}](${app.appUrl})` : app.app],
    ['Release', app.releaseVersion === undefined ? '—' : `v${app.releaseVersion} (\`${app.releaseId}\`)`],
    ['Build', app.buildId ? `\`${app.buildId}\`` : app.builtOn ? `— (the slug built on ${app.builtOn}: build-once)` : app.promotedFrom ? '— (promoted: no build)' : '—']
  ]
  const from = app.promotedFrom
  if (from) rows.push(['Promoted from', `${from.app} v${from.releaseVersion} (\`${from.releaseId}\`)`])
  if (app.configKeys?.length) rows.push(['Config vars set', app.configKeys.map((key) => `\`${key}\``).join(', ')])
  // A promoted release runs its own commit, which is the run's only when it was made by this run.
  const sha = from ? from.commit : context.sha
  if (sha) rows.push(['Commit', commitLink(sha, context.github)])
  if (app.previousRelease) {
    rows.push(['Was live', `v${app.previousRelease.version}${app.previousCommit ? ` (${commitLink(app.previousCommit, context.github)})` : ''}`])
  }
  const out = [`### ${app.app}`, '', '| | |', '|:--|:--|', ...rows.map(([k, v]) => `| ${k} | ${v.replace(/\|/g, '\\|')} |`), '', ...changesBlock(app, context)]
  if (app.stages.length > 0) {
    const total = app.stages.reduce((sum, stage) => sum + stage.ms, 0)
    out.push(
      '**Timeline**',
      '',
      '| stage | time | |',
      '|:--|--:|:--|',
      ...app.stages.map((stage) => `| ${stage.stage} | ${seconds(stage.ms)} | ${stage.ok ? '✅' : '❌'} |`),
      `| **total** | **${seconds(total)}** | |`,
      ''
    )
  }
  if (app.reason && app.status !== 'success') out.push(`**Why:** ${clip(escapeInline(app.reason), MAX_REASON)}`, '')
  if (app.maintenanceError) out.push(`> [!CAUTION]`, `> ${clip(escapeInline(app.maintenanceError), MAX_REASON)} Turn it off by hand.`, '')
  if (app.deploymentUnsettled) out.push(`> [!WARNING]`, `> ${clip(escapeInline(app.deploymentUnsettled), MAX_REASON)}`, '')
  if (app.mayGoLive) out.push(`> [!WARNING]`, `> May still go live: ${clip(escapeInline(app.mayGoLive), MAX_REASON)}. Check ${app.app} on Heroku before deploying again.`, '')
  if (liveButFailing(app)) {
    out.push('> [!WARNING]', `> v${app.releaseVersion} is live on ${app.app} and fails its smoke checks: roll it back or fix it now.`, '')
  }
  out.push(...smokeTable(`Smoke checks of v${app.releaseVersion}`, app.smoke))
  if (app.rollback) {
    out.push(
      `**Rolled back** to v${app.previousRelease?.version} (now v${app.rollback.releaseVersion}): ${app.rollback.healthy ? '✅ healthy' : '❌ still failing'}.`,
      '',
      ...(app.rollback.healthy ? [] : ['> [!WARNING]', `> ${app.app} fails its smoke checks after the rollback too: it is not working now and needs attention.`, '']),
      ...smokeTable(`Smoke checks after the rollback`, app.rollback.smoke)
    )
  }
  out.push(...logBlock(app, tailLines))
  return out
}

/**
 * What the deploy brings: the headline with the pull requests and their authors, linked, and the
 * compare link; then the commits themselves, folded. Or why they cannot be listed.
 */
function changesBlock(app: DeployResult, context: RunContext): string[] {
  const changes = app.changes
  const headline = changesHeadline(app)
  if (!changes || !headline) return app.changesUnlisted ? [`**Changes:** cannot be listed: ${clip(escapeInline(app.changesUnlisted), MAX_REASON)}.`, ''] : []
  const pulls = changes.pullRequests.map((pr) => `[#${pr.number}](${pr.url}) ${escapeInline(pr.title)}${pr.author ? ` (@${pr.author})` : ''}`)
  const out = [`**${changesLabel(app)}:** ${escapeInline(headline)}${pulls.length > 0 ? `: ${pulls.join(', ')}` : ''} · [compare](${changes.compareUrl})`, '']
  if (changes.pullRequestsMissing) out.push(`_${escapeInline(changes.pullRequestsMissing)}._`, '')
  if (changes.commits.length === 0) return out
  const more = unlistedCount(changes)
  const listed = more > 0 ? `the newest ${changes.commits.length} of ${changes.aheadBy} commits` : count(changes.commits.length, 'commit')
  out.push(
    `<details><summary>${listed}</summary>`,
    '',
    ...changes.commits.map(
      (commit) =>
        `- ${commitLink(commit.sha, context.github)} ${escapeInline(clip(commit.title, MAX_LINE))} — ${escapeInline(commitAuthor(commit))}${commit.pullRequest ? ` · #${commit.pullRequest}` : ''}`
    ),
    ...(more > 0 ? [`- … and ${count(more, 'older commit')}: see the [compare](${changes.compareUrl})`] : []),
    '',
    '</details>',
    ''
  )
  return out
}

/** The last lines of the failed output, folded: the reason above says what went wrong, this shows it. */
function logBlock(app: DeployResult, tailLines: number): string[] {
  if (app.logTail.length === 0) return []
  const of = app.logTailOf ?? 'build'
  if (tailLines === 0) return [`_The last lines of the ${of} output are in the job log (left out here to fit GitHub's summary size limit)._`, '']
  const lines = app.logTail.slice(-tailLines).map((line) => clip(line, MAX_LINE))
  const shortened = lines.length < app.logTail.length ? " (shortened to fit GitHub's summary size limit; the job log has the whole output)" : ''
  const fence = '`'.repeat(Math.max(3, longestBacktickRun(lines) + 1))
  // A blank line after <summary> lets GitHub render the Markdown inside the block.
  return [`<details><summary>Last ${lines.length} lines of the ${of} output${shortened}</summary>`, '', fence + 'text', ...lines, fence, '', '</details>', '']
}

function smokeTable(title: string, results: readonly SmokeResult[]): string[] {
  if (results.length === 0) return []
  return [
    `**${title}**`,
    '',
    '| check | final URL | answer | time | |',
    '|:--|:--|:--|--:|:--|',
    ...results.map(
      (r) =>
        `| ${codeSpan(r.check)} | ${urlLink(r.url)} | ${r.status === 0 ? 'no answer' : r.status}${r.detail ? ` — ${escapeInline(r.detail).replace(/\|/g, '\\|')}` : ''} | ${r.latencyMs} ms | ${r.passed ? '✅' : '❌'} |`
    ),
    ''
  ]
}

/** Inline code that a backtick or a pipe in the text cannot break, inside a table cell too. */
function codeSpan(text: string): string {
  const fence = '`'.repeat(longestBacktickRun([text]) + 1)
  const pad = text.startsWith('`') || text.endsWith('`') ? ' ' : ''
  return `${fence}${pad}${text.replace(/\|/g, '\\|')}${pad}${fence}`
}

/** A Markdown link showing the URL itself; characters that would end the link or the cell are escaped. */
function urlLink(url: string): string {
  const href = url.replace(/[()|\s]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`)
  return `[${url.replace(/[\\`*_[\]|<>]/g, '\\$&')}](${href})`
}

function commitLink(sha: string, github?: GitHubRun): string {
  const short = `\`${sha.slice(0, 7)}\``
  const url = commitUrl(sha, github)
  return url ? `[${short}](${url})` : short
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`
}

function escapeInline(text: string): string {
  return text.replace(/[<>]/g, (c) => (c === '<' ? '&lt;' : '&gt;'))
}

function longestBacktickRun(lines: string[]): number {
  return Math.max(0, ...lines.map((line) => Math.max(0, ...(line.match(/`+/g) ?? []).map((run) => run.length))))
}

function clip(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max)}…` : text
}

function bytes(text: string): number {
  return Buffer.byteLength(text)
}
