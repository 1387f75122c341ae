import * as fs from 'node:fs'
import { oneLine } from './errors.js'
import { type AccessDeps, lookUpApps } from './gate/access.js'
import { checkPromotion, type PromotionPlan } from './gate/pipeline.js'
import type { Log } from './log.js'
import { createSourceArchive, formatBytes } from './prepare/archive.js'
import { locateCommit } from './util/git.js'
import type { DeployResult, Plan, RunResult } from './result.js'
import { deployedApps, type Settings } from './settings.js'

/**
 * `dry-run`: every check a real run makes before it changes anything (the inputs, the key against
 * every app, build-once's stacks, the pipeline of `promote-to` and `promote-release`'s release), then
 * the plan: what would be uploaded or pushed, where, with what, and promoted to where.
 * Only GET requests reach Heroku, none reaches GitHub, nothing is pushed.
 */
export async function dryRun(settings: Settings, deps: AccessDeps & { log: Log }, results: DeployResult[]): Promise<RunResult> {
  const started = Date.now()
  try {
    const apps = await lookUpApps(settings, deps, results)
    const promotion = await checkPromotion(settings, deps.api, apps)
    const deployed = deployedApps(settings)
    const plan: Plan = {
      sha: settings.sha,
      strategy: settings.strategy,
      apps: apps.filter((app) => deployed.includes(app.name)).map((app) => ({ app: app.name, url: app.web_url ?? undefined, stack: app.stack?.name })),
      promotion: promotion && promotionPlan(promotion),
      buildOnce: settings.buildOnce,
      maxParallel: settings.maxParallel,
      configKeys: Object.keys(settings.configVars),
      buildpacks: [...settings.buildpacks],
      smokeChecks: settings.smokeChecks.map((check) => check.line),
      requiredChecks: [...settings.requiredChecks]
    }
    if (deployed.length === 0) {
      // promote-release: nothing is packaged or built.
    } else if (settings.strategy === 'api') {
      // Packaged for real (to measure it), then thrown away: no upload.
      const archive = await createSourceArchive({ sourceDir: settings.sourceDir, sha: settings.sha, tempDir: settings.tempDir, signal: deps.signal })
      await fs.promises.rm(archive.path, { force: true })
      plan.uploadBytes = archive.bytes
    } else {
      const { folder } = await locateCommit(settings.sourceDir, settings.sha)
      plan.pushCommit = folder ? `a commit of ${folder} alone, at ${settings.sha.slice(0, 7)}` : settings.sha
    }
    for (const result of results) result.status = 'dry-run'
    logPlan(plan, deps.log)
    return { status: 'dry-run', apps: results, durationMs: Date.now() - started, plan }
  } catch (error) {
    const reason = `Dry run: ${oneLine(error)}`
    for (const result of results) {
      result.status = 'failure'
      result.reason = reason
    }
    return { status: 'failure', apps: results, durationMs: Date.now() - started, reason }
  }
}

function promotionPlan({ route, release }: PromotionPlan): NonNullable<Plan['promotion']> {
  return {
    pipeline: route.pipeline.name,
    from: route.source.app,
    fromStage: route.source.stage,
    release: release && { id: release.releaseId, version: release.releaseVersion },
    targets: route.targets.map((target) => ({ app: target.app, stage: target.stage }))
  }
}

/** The plan as lines a person reads in the log (the summary renders the same plan). */
export function planLines(plan: Plan): string[] {
  const promotion = plan.promotion
  const targets = promotion?.targets.map((t) => `${t.app} [${t.stage}]`).join(', ')
  if (promotion?.release) {
    return [
      `Would promote v${promotion.release.version} of ${promotion.from} (release ${promotion.release.id}) to ${targets} along the pipeline '${promotion.pipeline}': nothing is packaged, uploaded or built.`,
      ...(plan.requiredChecks.length > 0 ? [`Required checks (waited for on a real run): ${plan.requiredChecks.join(', ')}`] : []),
      plan.smokeChecks.length > 0 ? `Smoke checks on each target: ${plan.smokeChecks.join(' · ')}` : 'Smoke checks: none'
    ]
  }
  const what =
    plan.strategy === 'api'
      ? `upload ${formatBytes(plan.uploadBytes ?? 0)} (the tarball of ${plan.sha.slice(0, 7)}) once, then build it on ${plan.buildOnce ? 'the first app and release its slug on the others' : 'each app'}`
      : `git push ${plan.pushCommit ?? plan.sha} to ${plan.buildOnce ? 'the first app and release its slug on the others' : "each app's Heroku remote"}`
  const lines = [
    `Would ${what}.`,
    `Apps (${plan.maxParallel === 1 ? 'one after the other' : `up to ${plan.maxParallel} at a time`}): ${plan.apps.map((a) => `${a.app}${a.stack ? ` [${a.stack}]` : ''}`).join(', ')}`
  ]
  if (plan.requiredChecks.length > 0) lines.push(`Required checks (waited for on a real run): ${plan.requiredChecks.join(', ')}`)
  if (plan.configKeys.length > 0) lines.push(`Config vars set on each app before its build: ${plan.configKeys.join(', ')} (values masked)`)
  if (plan.buildpacks.length > 0) lines.push(`Buildpacks, in order: ${plan.buildpacks.join(', ')}`)
  lines.push(plan.smokeChecks.length > 0 ? `Smoke checks: ${plan.smokeChecks.join(' · ')}` : 'Smoke checks: none')
  if (promotion) {
    lines.push(
      `Then, once it passes, promote the release made on ${promotion.from} [${promotion.fromStage}] to ${targets} along the pipeline '${promotion.pipeline}', with the same smoke checks on each.`
    )
  }
  return lines
}

function logPlan(plan: Plan, log: Log): void {
  log.info(['Dry run: every input is valid and the key reaches every app. Nothing was changed.', ...planLines(plan)].join('\n'))
}
