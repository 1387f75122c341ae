import { createHmac } from 'node:crypto'
import { deliver, signature } from '../../src/report/deliver.js'
import { webhookBody } from '../../src/report/notification.js'
import { slackMessage } from '../../src/report/slack.js'
import type { RunResult } from '../../src/result.js'
import { scriptedServer } from '../fakes/http.js'
import { MemoryLog } from '../fakes/log.js'

import { failedBuild, github, sha } from '../fakes/runs.js'
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
    duration_seconds: 4.2,
    apps: [
      {
        app: 'hello-app',
        status: 'failure',
        reason: 'Build b-2 failed on hello-app: Build failed: npm run build exited with code 3',
        app_url: 'https://hello-app.herokuapp.com/',
        build_id: 'b-2',
        release_id: null,
        release_version: null,
        rollback: null,
        smoke: [],
        timings_ms: { build: 4000 }
      }
    ]
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
