import { failureMessage, outputsOf } from '../../src/report/outputs.js'
import { MAX_SUMMARY_BYTES, renderSummary } from '../../src/report/summary.js'
import type { RunResult } from '../../src/result.js'

import { failedBuild, github, sha } from '../fakes/runs.js'

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
  expect(outputs).toMatchObject({ status: 'success', 'app-url': 'https://hello-app.herokuapp.com/', 'release-version': '7', 'release-id': 'r-1', 'build-id': 'b-1', duration: '12.3' })
  expect(JSON.parse(outputs.results)).toEqual([
    { app: 'hello-app', status: 'success', release_version: 7, release_id: 'r-1', build_id: 'b-1', app_url: 'https://hello-app.herokuapp.com/', deployment_id: null, smoke: [] }
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
      reason: 'Smoke checks failed on hello-app v8: /health 200 → 500 in 3 ms (https://hello-app.herokuapp.com/health): expected 200; rolled back to v7 (now v9), which passes its smoke checks',
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

test('the summary stays under GitHub\'s size limit however long the log is', () => {
  const huge: RunResult = {
    ...failure,
    apps: Array.from({ length: 80 }, (_, i) => ({ ...failure.apps[0], app: `app-${i}`, logTail: Array.from({ length: 40 }, () => 'x'.repeat(100_000)) }))
  }
  const md = renderSummary(huge, { sha, github })
  expect(Buffer.byteLength(md)).toBeLessThanOrEqual(MAX_SUMMARY_BYTES)
  expect(md).toContain("summary cut to stay within GitHub's size limit")
})

test('cancelled and skipped runs say what happened and what to do', () => {
  expect(renderSummary({ status: 'cancelled', apps: [], durationMs: 1 })).toContain('The job was cancelled while deploying: check the app on Heroku before deploying again.')
  expect(renderSummary({ status: 'skipped', apps: [], durationMs: 1 })).toContain('Nothing was deployed.')
})
