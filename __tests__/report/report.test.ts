import { webhookBody } from '../../src/report/notification.js'
import { slackMessage } from '../../src/report/slack.js'
import { failureMessage, outputsOf } from '../../src/report/outputs.js'
import { MAX_SUMMARY_BYTES, renderSummary } from '../../src/report/summary.js'
import type { RunResult } from '../../src/result.js'

import { deployedChanges, failedBuild, github, LIVE_SHA, sha } from '../fakes/runs.js'

const success: RunResult = {
  status: 'success',
  durationMs: 12_345,
  apps: [
    {
      app: 'hello-app',
      status: 'success',
      appUrl: 'https://hello-app.herokuapp.com/',
      buildId: 'b-1',
      releaseId: 'r-1',
      releaseVersion: 7,
      logTail: [],
      smoke: [],
      stages: [
        { stage: 'package', ms: 100, ok: true },
        { stage: 'build', ms: 9000, ok: true }
      ]
    }
  ]
}

const failure = failedBuild(['> build', 'Error: ``` <boom>', ' !     Push rejected, failed to compile Node.js app.'], 5000)

test('outputs follow the interface', () => {
  const outputs = outputsOf(success)
  expect(outputs).toMatchObject({
    status: 'success',
    'app-url': 'https://hello-app.herokuapp.com/',
    'release-version': '7',
    'release-id': 'r-1',
    'build-id': 'b-1',
    duration: '12.3'
  })
  expect(JSON.parse(outputs.results)).toEqual([
    {
      app: 'hello-app',
      status: 'success',
      release_version: 7,
      release_id: 'r-1',
      build_id: 'b-1',
      app_url: 'https://hello-app.herokuapp.com/',
      deployment_id: null,
      previous_commit: null,
      smoke: []
    }
  ])
  expect(failureMessage(success)).toBeUndefined()
})

test('a failure has one reason line and empty release outputs', () => {
  const outputs = outputsOf(failure)
  expect(outputs['release-version']).toBe('')
  expect(failureMessage(failure)).toBe('Build b-2 failed on hello-app: Build failed: npm run build exited with code 3')
})

test('the success summary shows app, status, release, commit, build and duration', () => {
  const md = renderSummary(success, { sha, github })
  expect(md).toContain('## ✅ Heroku: hello-app deployed')
  expect(md).toContain('| App | [hello-app](https://hello-app.herokuapp.com/) |')
  expect(md).toContain('| Release | v7 (`r-1`) |')
  expect(md).toContain('| Build | `b-1` |')
  expect(md).toContain(`[\`0123456\`](https://github.com/octo/app/commit/${sha})`)
  expect(md).toContain('[workflow run](https://github.com/octo/app/actions/runs/99)')
  expect(md).toContain('The new release is live.')
  expect(md).toContain('**Timeline**\n\n| stage | time | |\n|:--|--:|:--|\n| package | 0.1 s | ✅ |\n| build | 9.0 s | ✅ |\n| **total** | **9.1 s** | |')
  expect(md).toContain('by @octocat')
})

test('the failure summary gives the reason and the last build lines in a fence that backticks cannot break', () => {
  const md = renderSummary(failure, { sha, github, commitTitle: 'Add the <blink> tag' })
  expect(md).toContain('## ❌ Heroku: hello-app deploy failed')
  expect(md).toContain('Nothing new is live from this run; fix the cause below and push again.')
  expect(md).toContain('Add the &lt;blink&gt; tag')
  expect(md).toContain('| build | 4.0 s | ❌ |')
  expect(md).toContain('**Why:** Build b-2 failed on hello-app: Build failed: npm run build exited with code 3')
  expect(md).toContain('````text\n> build\nError: ``` <boom>\n !     Push rejected, failed to compile Node.js app.\n````')
  expect(md).toContain('| Build | `b-2` |')
})

test('a run that never started (bad input) still says why', () => {
  const md = renderSummary({ status: 'failure', apps: [], reason: "Input 'timeout' must be a whole number", durationMs: 3 })
  expect(md).toContain("**Why:** Input 'timeout' must be a whole number")
})

const rolledBack: RunResult = {
  status: 'rolled-back',
  durationMs: 20_000,
  apps: [
    {
      ...success.apps[0],
      status: 'rolled-back',
      releaseVersion: 8,
      reason:
        'Smoke checks failed on hello-app v8: /health 200 → 500 in 3 ms (https://hello-app.herokuapp.com/health): expected 200; rolled back to v7 (now v9), which passes its smoke checks',
      previousRelease: { id: 'r-1', version: 7 },
      smoke: [{ check: '/health 200', url: 'https://hello-app.herokuapp.com/health', status: 500, latencyMs: 3, passed: false, detail: 'expected 200' }],
      rollback: { releaseVersion: 9, healthy: true, smoke: [{ check: '/health 200', url: 'https://hello-app.herokuapp.com/health', status: 200, latencyMs: 2, passed: true }] }
    }
  ]
}

test('the rollback summary shows the failing check, the rollback and the re-check', () => {
  const md = renderSummary(rolledBack, { sha, github })
  expect(md).toContain('## ↩️ Heroku: hello-app rolled back')
  expect(md).toContain('the app was rolled back to the previous release')
  expect(md).toContain('**Smoke checks of v8**')
  expect(md).toContain('| `/health 200` | [https://hello-app.herokuapp.com/health](https://hello-app.herokuapp.com/health) | 500 — expected 200 | 3 ms | ❌ |')
  expect(md).toContain('**Rolled back** to v7 (now v9): ✅ healthy.')
  expect(md).toContain('| `/health 200` | [https://hello-app.herokuapp.com/health](https://hello-app.herokuapp.com/health) | 200 | 2 ms | ✅ |')
})

test('smoke-check cells hold backticks, pipes and odd URLs without breaking the table', () => {
  const odd: RunResult = {
    ...rolledBack,
    apps: [{ ...rolledBack.apps[0], rollback: undefined, smoke: [{ check: '/q?a=`x` a|b', url: 'https://x.example/q_(1)?a=|', status: 200, latencyMs: 1, passed: true }] }]
  }
  expect(renderSummary(odd)).toContain('| ``/q?a=`x` a\\|b`` | [https://x.example/q\\_(1)?a=\\|](https://x.example/q_%281%29?a=%7C) | 200 | 1 ms | ✅ |')
})

/** Every code fence and <details> block that opens is closed: a cut never leaves the page half-rendered. */
function expectBalanced(md: string): void {
  const fences = md.split('\n').filter((line) => /^`{3,}/.test(line))
  expect(fences.length % 2).toBe(0)
  expect(md.split('<details>').length).toBe(md.split('</details>').length)
}

test("the summary stays under GitHub's size limit however long the logs are, shrinking the log tails first", () => {
  const huge: RunResult = {
    ...failure,
    apps: Array.from({ length: 80 }, (_, i) => ({ ...failure.apps[0], app: `app-${i}`, logTail: Array.from({ length: 40 }, (_, n) => `line ${n} ${'x'.repeat(100_000)}`) }))
  }
  const md = renderSummary(huge, { sha, github })
  expect(Buffer.byteLength(md)).toBeLessThanOrEqual(MAX_SUMMARY_BYTES)
  expectBalanced(md)
  // Every app keeps its section, reason and the very last lines; only the tails got shorter.
  for (let i = 0; i < 80; i++) expect(md).toContain(`### app-${i}\n`)
  expect(md.split('**Why:** Build b-2 failed on hello-app').length - 1).toBe(80)
  expect(md).toContain("<details><summary>Last 15 lines of the build output (shortened to fit GitHub's summary size limit; the job log has the whole output)</summary>")
  expect(md).toContain(`line 39 ${'x'.repeat(392)}…\n`)
  expect(md).not.toContain('line 24 ')
})

test('with a great many apps, whole sections are kept while they fit, then a note says how many are left out', () => {
  const many: RunResult = {
    ...failure,
    apps: Array.from({ length: 2500 }, (_, i) => ({ ...failure.apps[0], app: `app-${i}`, reason: `Build failed on app-${i}: ${'y'.repeat(1500)}` }))
  }
  const md = renderSummary(many, { sha, github })
  expect(Buffer.byteLength(md)).toBeLessThanOrEqual(MAX_SUMMARY_BYTES)
  expectBalanced(md)
  const shown = md.split('\n### app-').length - 1
  expect(shown).toBeGreaterThan(100)
  expect(shown).toBeLessThan(2500)
  expect(
    md.trimEnd().endsWith(`_${2500 - shown} more apps not shown: GitHub limits a job summary to 1 MiB. Every app's result is in the \`results\` output and the job log._`)
  ).toBe(true)
  // The last section shown is whole: its reason line is complete.
  expect(md).toContain(`**Why:** Build failed on app-${shown - 1}: ${'y'.repeat(1500)}\n`)
})

test('the build output is folded in a collapsed block', () => {
  const md = renderSummary(failure, { sha, github })
  expect(md).toContain('<details><summary>Last 3 lines of the build output</summary>\n\n````text\n')
  expect(md).not.toContain('<details open')
  expectBalanced(md)
})

test('cancelled and skipped runs say what happened and what to do', () => {
  expect(renderSummary({ status: 'cancelled', apps: [], durationMs: 1 })).toContain(
    'The job was cancelled while deploying: check each app on Heroku (its current release, maintenance mode) before deploying again.'
  )
  const skipped = renderSummary({
    status: 'skipped',
    apps: [{ ...success.apps[0], status: 'skipped', stages: [] }],
    reason: "The run's branch 'feature/x' is not 'main'.",
    durationMs: 1
  })
  expect(skipped).toContain('## ⏭️ Heroku: hello-app not deployed')
  expect(skipped).toContain('Nothing was deployed. This run did not meet the conditions the inputs set (see why); nothing to do unless this commit should have gone out.')
  expect(skipped).toContain("**Why:** The run's branch 'feature/x' is not 'main'.")
  // An app that was never tried gets no empty table.
  expect(skipped).not.toContain('### hello-app')
})

test('a failing release left live, an unhealthy rollback and a stuck maintenance mode are each called out', () => {
  const live: RunResult = {
    status: 'failure',
    durationMs: 1,
    apps: [{ ...rolledBack.apps[0], status: 'failure', rollback: undefined, reason: 'Smoke checks failed on hello-app v8: … (rollback-on-failure is off: v8 stays live)' }]
  }
  const liveMd = renderSummary(live)
  expect(liveMd).toContain('The new release is live on hello-app but fails its smoke checks and was not rolled back: roll it back or fix it now.')
  expect(liveMd).toContain('> [!WARNING]\n> v8 is live on hello-app and fails its smoke checks: roll it back or fix it now.')

  const unhealthy: RunResult = { ...rolledBack, apps: [{ ...rolledBack.apps[0], rollback: { ...rolledBack.apps[0].rollback!, healthy: false } }] }
  const unhealthyMd = renderSummary(unhealthy)
  expect(unhealthyMd).toContain('but the app fails them after the rollback too: it needs attention now.')
  expect(unhealthyMd).toContain('**Rolled back** to v7 (now v9): ❌ still failing.\n\n> [!WARNING]\n> hello-app fails its smoke checks after the rollback too')

  const stuck: RunResult = {
    status: 'failure',
    durationMs: 1,
    apps: [
      {
        ...success.apps[0],
        status: 'failure',
        maintenanceError: 'Maintenance mode could not be turned off on hello-app, which still shows the maintenance page: 403',
        reason: 'Maintenance mode could not be turned off on hello-app, which still shows the maintenance page: 403'
      }
    ]
  }
  const stuckMd = renderSummary(stuck)
  expect(stuckMd).toContain('Maintenance mode is still on for hello-app: turn it off by hand now (Heroku dashboard → Settings). The new release is live; fix the cause below.')
  expect(stuckMd).toContain('> [!CAUTION]\n> Maintenance mode could not be turned off on hello-app')
})

test('a promotion target: promoted_from in results, webhook and summary (with the commit of the release promoted), and in Slack', () => {
  const older = 'c'.repeat(40)
  const promoted: RunResult = {
    status: 'success',
    durationMs: 4000,
    apps: [
      {
        ...success.apps[0],
        app: 'shop-prod',
        buildId: undefined,
        releaseId: 'r-9',
        releaseVersion: 9,
        promotedFrom: { app: 'shop-staging', releaseId: 'r-4', releaseVersion: 4, commit: older },
        stages: [{ stage: 'promote', ms: 800, ok: true }]
      },
      { ...success.apps[0], app: 'shop-eu', status: 'skipped', releaseId: undefined, releaseVersion: undefined, stages: [], reason: 'Not promoted: shop-staging was cancelled.' }
    ]
  }
  const from = { app: 'shop-staging', release_id: 'r-4', release_version: 4, commit: older }
  expect(JSON.parse(outputsOf(promoted).results)[0]).toMatchObject({ app: 'shop-prod', promoted_from: from, build_id: null })
  expect((webhookBody(promoted, { sha, github }).apps as unknown[])[0]).toMatchObject({ promoted_from: from })
  const md = renderSummary(promoted, { sha, github })
  expect(md).toContain('| Build | — (promoted: no build) |')
  expect(md).toContain('| Promoted from | shop-staging v4 (`r-4`) |')
  expect(md).toContain(`| Commit | [\`ccccccc\`](https://github.com/octo/app/commit/${older}) |`)
  expect(md.slice(md.indexOf('### shop-prod'), md.indexOf('### shop-eu'))).not.toContain(`commit/${sha}`)
  // A target never promoted to still says why.
  expect(md).toContain('### shop-eu')
  expect(md).toContain('**Why:** Not promoted: shop-staging was cancelled.')
  expect(slackMessage(promoted, { sha, github }).text).toContain('Release shop-prod v9 (promoted from shop-staging v4).')
})

test('the changes: pull requests with their authors and links, the compare link, the commits folded, the release that was live', () => {
  const run = deployedChanges()
  const md = renderSummary(run, { sha, github })
  expect(md).toContain(
    `**Changes:** 3 commits, 2 pull requests since v11: [#8](https://github.com/octo/app/pull/8) Fix the login (@bob), [#7](https://github.com/octo/app/pull/7) Web front end (@alice) · [compare](https://github.com/octo/app/compare/${LIVE_SHA}...${sha})`
  )
  expect(md).toContain(
    [
      '<details><summary>3 commits</summary>',
      '',
      `- [\`0123456\`](https://github.com/octo/app/commit/${sha}) Bump the &lt;version&gt; — Octo Cat`,
      `- [\`2222222\`](https://github.com/octo/app/commit/${'2'.repeat(40)}) Fix the login — @bob · #8`,
      `- [\`1111111\`](https://github.com/octo/app/commit/${'1'.repeat(40)}) Web front end — @alice · #7`,
      '',
      '</details>'
    ].join('\n')
  )
  expect(md).toContain(`| Was live | v11 ([\`fedcba9\`](https://github.com/octo/app/commit/${LIVE_SHA})) |`)
  expect(outputsOf(run)['previous-commit']).toBe(LIVE_SHA)
  expect(JSON.parse(outputsOf(run).results)[0].previous_commit).toBe(LIVE_SHA)
})

test('a long range lists the newest and counts the rest; a step back says how far; unknown changes say why', () => {
  const long = deployedChanges()
  const changes = long.apps[0].changes!
  long.apps[0].changes = { ...changes, aheadBy: 312, pullRequestsMissing: "the pull requests are not listed: GitHub refused (add 'pull-requests: read')" }
  const md = renderSummary(long, { sha, github })
  expect(md).toContain('<details><summary>the newest 3 of 312 commits</summary>')
  expect(md).toContain(`- … and 309 older commits: see the [compare](${changes.compareUrl})`)
  expect(md).toContain("_the pull requests are not listed: GitHub refused (add 'pull-requests: read')._")

  const back = deployedChanges()
  back.apps[0].changes = { ...changes, status: 'behind', aheadBy: 0, behindBy: 4, commits: [], pullRequests: [] }
  expect(renderSummary(back, { sha, github })).toContain(`**Changes:** goes back 4 commits from v11 · [compare](${changes.compareUrl})`)

  const unknown = deployedChanges()
  unknown.apps[0] = {
    ...unknown.apps[0],
    changes: undefined,
    previousCommit: undefined,
    changesUnlisted: 'the slug of the live release v11 names no commit (it was built without a version)'
  }
  const unknownMd = renderSummary(unknown, { sha, github })
  expect(unknownMd).toContain('**Changes:** cannot be listed: the slug of the live release v11 names no commit (it was built without a version).')
  expect(unknownMd).toContain('| Was live | v11 |')
})

test('changes a deploy did not leave live (a failed build, a rollback) are marked so, in the summary and in Slack', () => {
  const run = deployedChanges()
  run.apps[0] = { ...run.apps[0], status: 'rolled-back', rollback: { releaseVersion: 13, healthy: true, smoke: [] } }
  expect(renderSummary(run, { sha, github })).toContain('**Changes (not live):** 3 commits, 2 pull requests since v11:')
  const failed = deployedChanges()
  failed.apps[0] = { ...failed.apps[0], status: 'failure', releaseVersion: undefined, releaseId: undefined }
  expect(JSON.stringify(slackMessage(failed, { sha, github }))).toContain('*Changes (not live) on hello-app:* 3 commits, 2 pull requests since v11:')
})
