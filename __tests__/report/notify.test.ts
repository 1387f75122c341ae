import { createHmac } from 'node:crypto'
import { deliver, signature } from '../../src/report/deliver.js'
import { webhookBody } from '../../src/report/notification.js'
import { notify } from '../../src/report/notify.js'
import { slackMessage } from '../../src/report/slack.js'
import type { RunResult } from '../../src/result.js'
import { scriptedServer } from '../fakes/http.js'
import { MemoryLog } from '../fakes/log.js'

import { deployedChanges, failedBuild, github, LIVE_SHA, sha } from '../fakes/runs.js'
const context = { sha, github, commitTitle: 'Speed up <search> & co' }

const failed = failedBuild(['one', 'two', 'three', 'four', 'five', 'six', ' !     Push rejected'], 4200)

test('the Slack message says what failed and why, with the last lines, links and a fallback text', () => {
  const message = slackMessage(failed, context)
  const text = JSON.stringify(message)
  expect(message.text).toBe(
    'hello-app deploy failed. Build b-2 failed on hello-app: Build failed: npm run build exited with code 3 Nothing new is live from this run; fix the cause below and push again.'
  )
  expect(text).toContain(':x: *hello-app deploy failed*')
  expect(text).toContain('*Why:* Build b-2 failed on hello-app')
  expect(text).toContain('three\\nfour\\nfive\\nsix\\n !     Push rejected')
  expect(text).not.toContain('two\\nthree')
  expect(text).toContain(`<https://github.com/octo/app/commit/${sha}|0123456> Speed up &lt;search&gt; &amp; co`)
  expect(text).toContain('*Actor*\\noctocat')
  expect(text).toContain('"url":"https://github.com/octo/app/actions/runs/99"')
  expect(text).toContain('"url":"https://hello-app.herokuapp.com/"')
})

test('the Slack message of a success names the release', () => {
  const ok: RunResult = { ...failed, status: 'success', apps: [{ ...failed.apps[0], status: 'success', reason: undefined, logTail: [], releaseVersion: 12 }] }
  const message = slackMessage(ok, context)
  expect(message.text).toBe('hello-app deployed. Release hello-app v12. The new release is live.')
})

test('the webhook body carries the run, per app, with timings', () => {
  expect(webhookBody(failed, context)).toEqual({
    schema: 'heroku-cd/v1',
    status: 'failure',
    summary: 'Nothing new is live from this run; fix the cause below and push again.',
    reason: null,
    repository: 'octo/app',
    ref: 'refs/heads/main',
    actor: 'octocat',
    run_url: 'https://github.com/octo/app/actions/runs/99',
    commit: { sha, title: 'Speed up <search> & co', url: `https://github.com/octo/app/commit/${sha}` },
    pull_request: null,
    branch_node: null,
    duration_seconds: 4.2,
    apps: [
      {
        app: 'hello-app',
        status: 'failure',
        reason: 'Build b-2 failed on hello-app: Build failed: npm run build exited with code 3',
        app_url: 'https://hello-app.herokuapp.com/',
        build_id: 'b-2',
        built_on: null,
        promoted_from: null,
        config_keys: [],
        may_go_live: null,
        previous_release_version: null,
        previous_commit: null,
        changes: null,
        changes_unlisted: null,
        release_id: null,
        release_version: null,
        deployment_id: null,
        rollback: null,
        smoke: [],
        timings: [{ stage: 'build', ms: 4000, ok: false }]
      }
    ]
  })
})

test('with branch nodes, Slack and the webhook name the pull request and the node, and an eviction', () => {
  const ok: RunResult = {
    ...failed,
    status: 'success',
    apps: [{ ...failed.apps[0], app: 'shop-pr-2', status: 'success', reason: undefined, logTail: [], releaseVersion: 12 }],
    branchNode: {
      pullRequest: { number: 12, title: 'Add a search box', url: 'https://github.com/octo/app/pull/12' },
      environment: 'pr-12',
      node: 'shop-pr-2',
      choice: 'evicted',
      evicted: { pullRequest: 9, deployedAt: '2026-11-20T10:00:00Z' }
    }
  }
  const message = slackMessage(ok, context)
  expect(message.text).toBe(
    '#12 on shop-pr-2 deployed. Pull request #12 got shop-pr-2, taken from #9: every node was in use, and its deploy there (2026-11-20T10:00:00Z) was the oldest. Release shop-pr-2 v12. The new release is live.'
  )
  expect(JSON.stringify(message.blocks)).toContain('*Pull request* <https://github.com/octo/app/pull/12|#12> Add a search box')
  expect(webhookBody(ok, context)).toMatchObject({
    pull_request: { number: 12, title: 'Add a search box', url: 'https://github.com/octo/app/pull/12' },
    branch_node: { node: 'shop-pr-2', environment: 'pr-12', choice: 'evicted', evicted: { pull_request: 9, deployed_at: '2026-11-20T10:00:00Z' }, freed: false }
  })
})

test('delivery signs the exact body and retries a 5xx', async () => {
  const server = await scriptedServer((_req, res, count) => void res.writeHead(count === 1 ? 502 : 200).end())
  const log = new MemoryLog()
  expect(await deliver(`${server.url}/hook/s3cr3t-token`, { a: 1 }, { log, what: 'the webhook notification', secret: 'shh', retryBaseMs: 5 })).toBe(true)
  const last = server.received[1]
  expect(last.headers['x-signature-256']).toBe(`sha256=${createHmac('sha256', 'shh').update(last.body).digest('hex')}`)
  expect(signature(last.body.toString(), 'shh')).toBe(last.headers['x-signature-256'])
  expect(JSON.parse(last.body.toString())).toEqual({ a: 1 })
  expect(log.text()).not.toContain('s3cr3t-token')
  await server.close()
})

test('a receiver that keeps failing is a warning, never a throw, and the URL is not printed', async () => {
  const server = await scriptedServer((_req, res) => void res.writeHead(500).end())
  const log = new MemoryLog()
  expect(await deliver(`${server.url}/services/T0/B0/s3cr3t`, {}, { log, what: 'the Slack notification', retryBaseMs: 5 })).toBe(false)
  expect(server.received).toHaveLength(3)
  expect(log.text()).toMatch(/^warning: Could not send the Slack notification: 127\.0\.0\.1:\d+ answered 500\. The deploy's result is unchanged\.$/)
  await server.close()
})

test('a 4xx is not retried', async () => {
  const server = await scriptedServer((_req, res) => void res.writeHead(404).end())
  expect(await deliver(`${server.url}/x`, {}, { log: new MemoryLog(), what: 'x', retryBaseMs: 5 })).toBe(false)
  expect(server.received).toHaveLength(1)
  await server.close()
})

const rolledBack: RunResult = {
  status: 'rolled-back',
  durationMs: 9000,
  apps: [
    {
      app: 'hello-app',
      status: 'rolled-back',
      appUrl: 'https://hello-app.herokuapp.com/',
      buildId: 'b-3',
      releaseId: 'r-8',
      releaseVersion: 8,
      reason:
        'Smoke checks failed on hello-app v8: /health 200 → 500 in 3 ms (https://hello-app.herokuapp.com/health): expected 200; rolled back to v7 (now v9), which passes its smoke checks',
      logTail: [],
      previousRelease: { id: 'r-7', version: 7 },
      smoke: [{ check: '/health 200', url: 'https://hello-app.herokuapp.com/health', status: 500, latencyMs: 3, passed: false, detail: 'expected 200' }],
      rollback: { releaseVersion: 9, healthy: true, smoke: [{ check: '/health 200', url: 'https://hello-app.herokuapp.com/health', status: 200, latencyMs: 2, passed: true }] },
      stages: [
        { stage: 'build', ms: 1000, ok: true },
        { stage: 'release', ms: 300, ok: true },
        { stage: 'verify', ms: 4000, ok: false },
        { stage: 'rollback', ms: 300, ok: true },
        { stage: 'verify', ms: 20, ok: true }
      ]
    }
  ]
}

test('a rolled-back run: Slack names both releases and the failing check; the webhook keeps both verify timings and the re-check', () => {
  const message = slackMessage(rolledBack, context)
  expect(message.text).toMatch(/^hello-app deploy rolled back\. Release hello-app v8, rolled back to v7 \(now v9\)\. Smoke checks failed on hello-app v8/)
  expect(message.text).toContain('rolled back to the previous release, which passes them')
  const blocks = JSON.stringify(message.blocks)
  expect(blocks).toContain('Failing smoke checks:\\n```✗ /health 200 → 500 in 3 ms (https://hello-app.herokuapp.com/health): expected 200```')
  const [app] = webhookBody(rolledBack, context).apps as Record<string, unknown>[]
  expect(app.rollback).toEqual({
    to_version: 7,
    release_version: 9,
    healthy: true,
    smoke: [{ check: '/health 200', url: 'https://hello-app.herokuapp.com/health', status: 200, passed: true, latency_ms: 2 }]
  })
  expect((app.timings as { stage: string }[]).map((t) => t.stage)).toEqual(['build', 'release', 'verify', 'rollback', 'verify'])
})

test('a cancelled run and a skipped run are worded for a reader', () => {
  const cancelled = slackMessage(
    { ...failed, status: 'cancelled', apps: [{ ...failed.apps[0], status: 'cancelled', reason: 'The job was cancelled while deploying hello-app.', logTail: [] }] },
    context
  )
  expect(cancelled.text).toBe(
    'hello-app deploy cancelled. The job was cancelled while deploying hello-app. The job was cancelled while deploying: check each app on Heroku (its current release, maintenance mode) before deploying again.'
  )
  const skipped = slackMessage({ status: 'skipped', durationMs: 1, reason: "The run's branch 'feature/x' is not 'main'.", apps: [] }, context)
  expect(skipped.text).toBe(
    "Heroku deploy skipped. The run's branch 'feature/x' is not 'main'. Nothing was deployed. This run did not meet the conditions the inputs set (see why); nothing to do unless this commit should have gone out."
  )
})

test('every Slack text stays within Block Kit limits however long the reason and the log lines', () => {
  const long = failedBuild(
    Array.from({ length: 10 }, () => 'z'.repeat(5000)),
    1
  )
  long.apps[0].reason = `Build failed: ${'r'.repeat(10_000)}`
  const { blocks } = slackMessage(long, context) as { blocks: { text?: { text: string }; fields?: { text: string }[] }[] }
  for (const block of blocks) {
    if (block.text) expect(block.text.text.length).toBeLessThanOrEqual(3000)
    for (const field of block.fields ?? []) expect(field.text.length).toBeLessThanOrEqual(2000)
  }
  const code = blocks.map((b) => b.text?.text ?? '').find((t) => t.startsWith('Last lines'))
  expect(code).toMatch(/```…z+```$/)
})

test('a redirect is not followed: the signed body goes only to the configured URL', async () => {
  const server = await scriptedServer((_req, res) => void res.writeHead(302, { Location: '/elsewhere' }).end())
  const log = new MemoryLog()
  expect(await deliver(`${server.url}/hook`, { a: 1 }, { log, what: 'the webhook notification', secret: 'shh', retryBaseMs: 5 })).toBe(false)
  expect(server.received.map((r) => `${r.method} ${r.url}`)).toEqual(['POST /hook'])
  expect(log.text()).toMatch(/answered 302, a redirect, which is not followed\. The deploy's result is unchanged\.$/)
  await server.close()
})

test('when the job is cancelled, each notification gets one short attempt', async () => {
  const server = await scriptedServer((_req, res) => void res.writeHead(503).end())
  const log = new MemoryLog()
  const cancelled: RunResult = { ...failed, status: 'cancelled' }
  await notify(cancelled, context, { slackWebhook: `${server.url}/slack`, webhookUrl: `${server.url}/hook` }, log)
  expect(server.received.map((r) => r.url).sort()).toEqual(['/hook', '/slack'])
  expect(log.text().match(/^warning: Could not send/gm)).toHaveLength(2)
  await server.close()
})

test("the Slack message names the pull requests and their authors; the webhook has every listed commit's SHA, title, author and pull request", () => {
  const run = deployedChanges()
  const text = JSON.stringify(slackMessage(run, context))
  expect(text).toContain(
    `*Changes on hello-app:* 3 commits, 2 pull requests since v11: <https://github.com/octo/app/pull/8|#8> Fix the login (@bob), <https://github.com/octo/app/pull/7|#7> Web front end (@alice) · <https://github.com/octo/app/compare/${LIVE_SHA}...${sha}|compare>`
  )
  const [app] = webhookBody(run, context).apps as Record<string, unknown>[]
  expect(app).toMatchObject({ previous_release_version: 11, previous_commit: LIVE_SHA, changes_unlisted: null })
  expect(app.changes).toEqual({
    base: LIVE_SHA,
    head: sha,
    status: 'ahead',
    ahead_by: 3,
    behind_by: 0,
    compare_url: `https://github.com/octo/app/compare/${LIVE_SHA}...${sha}`,
    commits: [
      { sha, title: 'Bump the <version>', author: 'Octo Cat', author_login: null, pull_request: null },
      {
        sha: '2'.repeat(40),
        title: 'Fix the login',
        author: 'bob',
        author_login: 'bob',
        pull_request: { number: 8, title: 'Fix the login', author: 'bob', url: 'https://github.com/octo/app/pull/8' }
      },
      {
        sha: '1'.repeat(40),
        title: 'Web front end',
        author: 'alice',
        author_login: 'alice',
        pull_request: { number: 7, title: 'Web front end', author: 'alice', url: 'https://github.com/octo/app/pull/7' }
      }
    ],
    commits_not_listed: 0,
    pull_requests: [
      { number: 8, title: 'Fix the login', author: 'bob', url: 'https://github.com/octo/app/pull/8' },
      { number: 7, title: 'Web front end', author: 'alice', url: 'https://github.com/octo/app/pull/7' }
    ],
    pull_requests_missing: null
  })
})
