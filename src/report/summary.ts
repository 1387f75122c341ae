import type { DeployResult, DeployStatus, RunResult } from '../result.js'
import type { GitHubRun } from '../settings.js'
import type { SmokeResult } from '../verify/smoke.js'
import { commitUrl, NEXT_STEP, type RunContext, runUrl } from './notification.js'

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

/** Kept under GitHub's 1 MiB step-summary limit however long the logs are. */
export const MAX_SUMMARY_BYTES = 900 * 1024
const MAX_LINE = 400

/** The job summary in GitHub-flavoured Markdown: what a person needs at a glance, per app. */
export function renderSummary(run: RunResult, context: RunContext = {}): string {
  const out: string[] = []
  const apps = run.apps.map((a) => a.app).join(', ')
  out.push(`## ${ICON[run.status]} Heroku: ${apps ? `${apps} ` : ''}${HEADLINE[run.status]}`, '', NEXT_STEP[run.status], '')
  const facts = [`${seconds(run.durationMs)}`]
  if (context.sha) facts.push(`commit ${commitLink(context.sha, context.github)}${context.commitTitle ? ` ${escapeInline(context.commitTitle)}` : ''}`)
  if (context.github?.actor) facts.push(`by @${context.github.actor}`)
  const url = runUrl(context.github)
  if (url) facts.push(`[workflow run](${url})`)
  out.push(facts.join(' · '), '')
  if (run.reason) out.push(`**Why:** ${escapeInline(run.reason)}`, '')
  for (const app of run.apps) out.push(...renderApp(app, context))
  return capSize(out.join('\n'))
}

function capSize(markdown: string): string {
  if (Buffer.byteLength(markdown) <= MAX_SUMMARY_BYTES) return markdown
  const cut = Buffer.from(markdown).subarray(0, MAX_SUMMARY_BYTES - 200).toString('utf8').replace(/\uFFFD$/, '')
  return `${cut}\n\n_(summary cut to stay within GitHub's size limit; the full output is in the job log)_\n`
}

function renderApp(app: DeployResult, context: RunContext): string[] {
  const rows: [string, string][] = [
    ['Status', `${ICON[app.status]} ${app.status}`],
    ['App', app.appUrl ? `[${app.app}](${app.appUrl})` : app.app],
    ['Release', app.releaseVersion === undefined ? '—' : `v${app.releaseVersion} (\`${app.releaseId}\`)`],
    ['Build', app.buildId ? `\`${app.buildId}\`` : '—']
  ]
  if (context.sha) rows.push(['Commit', commitLink(context.sha, context.github)])
  const out = [`### ${app.app}`, '', '| | |', '|:--|:--|', ...rows.map(([k, v]) => `| ${k} | ${v.replace(/\|/g, '\\|')} |`), '']
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
  if (app.reason && app.status !== 'success') out.push(`**Why:** ${escapeInline(app.reason)}`, '')
  if (app.maintenanceError) out.push(`> [!CAUTION]`, `> ${escapeInline(app.maintenanceError)} Turn it off by hand.`, '')
  out.push(...smokeTable(`Smoke checks of v${app.releaseVersion}`, app.smoke))
  if (app.rollback) {
    out.push(
      `**Rolled back** to v${app.previousRelease?.version} (now v${app.rollback.releaseVersion}): ${app.rollback.healthy ? '✅ healthy' : '❌ still failing'}.`,
      '',
      ...smokeTable(`Smoke checks after the rollback`, app.rollback.smoke)
    )
  }
  if (app.logTail.length > 0) {
    const lines = app.logTail.map((line) => (line.length > MAX_LINE ? `${line.slice(0, MAX_LINE)}…` : line))
    const fence = '`'.repeat(Math.max(3, longestBacktickRun(lines) + 1))
    out.push(
      '<details open><summary>Last lines of the ' + (app.logTailOf ?? 'build') + ' output</summary>',
      '',
      fence + 'text',
      ...lines,
      fence,
      '',
      '</details>',
      ''
    )
  }
  return out
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
